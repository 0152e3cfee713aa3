#!/usr/bin/env bash
# The repository stands alone: README.md and docs/ point at nothing outside it (no ../ paths,
# no machine paths, no sections of a specification a reader cannot open), and every relative
# Markdown link names a file of the repository and, with #anchor, a heading of that file.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
fail=0
docs=(README.md docs/*.md)
if grep -nE '\.\./shared|/work/|SPEC [0-9]|SPEC\.md' "${docs[@]}"; then
  echo "check_docs: the lines above point outside the repository"; fail=1
fi
# GitHub's anchor of a heading: lower case, punctuation dropped, spaces as '-'.
anchors() { grep -E '^#+ ' "$1" | sed -E 's/^#+ //' | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'; }
for doc in "${docs[@]}"; do
  dir=$(dirname "$doc")
  while IFS= read -r link; do
    target=${link%%#*}
    anchor=""
    [[ $link == *#* ]] && anchor=${link#*#}
    path=$dir/$target
    [[ -z $target ]] && path=$doc
    if [[ ! -e $path ]]; then
      echo "check_docs: $doc: link to $link: no file $path"; fail=1; continue
    fi
    if [[ -n $anchor && $path == *.md ]] && ! anchors "$path" | grep -qxF -- "$anchor"; then
      echo "check_docs: $doc: link to $link: no heading #$anchor in $path"; fail=1
    fi
  done < <(grep -oE '\]\([^)#:]*(#[^)]*)?\)' "$doc" | sed -E 's/^\]\(//; s/\)$//' | grep -v '^$' || true)
done
[[ $fail -eq 0 ]] && echo "check_docs: ok (${#docs[@]} files)"
exit $fail
