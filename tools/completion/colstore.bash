# bash completion for colload, colquery and colgen. The words come from each tool's --help
# (options: every --word; reports and commands: the first word of the indented lines under
# "Reports" and "Commands"), so a new option or report completes without editing this file.
_colstore_help_words() { # TOOL: options, reports and subcommands named in TOOL --help
  "$1" --help 2>/dev/null | awk '
    /^(Reports|Commands)/ {sec = 1; next}
    /^[A-Z]/ {sec = 0}
    sec && /^  [a-z]/ {print $1}
    {while (match($0, /--[a-z][a-z-]*/)) {print substr($0, RSTART, RLENGTH); $0 = substr($0, RSTART + RLENGTH)}}' |
    sort -u
}
_colstore_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local tables="dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training"
  case $prev in
    --store | --out | --rejects | --agents | --queries | --approvals | --feedback)
      COMPREPLY=($(compgen -f -- "$cur"))
      return ;;
    --format) COMPREPLY=($(compgen -W "table csv json text both parquet" -- "$cur")); return ;;
    --compression) COMPREPLY=($(compgen -W "lz4 none" -- "$cur")); return ;;
    dump | info | export) COMPREPLY=($(compgen -W "$tables" -- "$cur")); return ;;
  esac
  local words
  words=$(_colstore_help_words "${COMP_WORDS[0]}")
  case ${COMP_WORDS[0]##*/} in
    colload) words="$words nightly pull retain compact $tables" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [[ $cur == -* ]] || COMPREPLY+=($(compgen -f -- "$cur"))
}
complete -F _colstore_complete colload colquery colgen
