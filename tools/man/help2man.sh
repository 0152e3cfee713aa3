#!/usr/bin/env bash
# A man page from a tool's --help (the one source of both): NAME from the summary given here,
# SYNOPSIS from the usage lines, DESCRIPTION the rest of --help verbatim (no fill), so that
# the page and --help never disagree.
#   help2man.sh TOOL_BINARY NAME SUMMARY > NAME.1
set -euo pipefail
bin=$1 name=$2 summary=$3
help=$("$bin" --help)
version=$("$bin" --version | head -n 1 | awk '{print $NF}')
esc() { sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/'; }
echo ".TH ${name^^} 1 \"\" \"colstore $version\" \"colstore manual\""
echo ".SH NAME"
echo "$name \\- $summary"
echo ".SH SYNOPSIS"
echo ".nf"
awk 'NR==1 || (/^ / && !done) {sub(/^usage: /, ""); sub(/^       /, ""); print; next} {done=1}' <<<"$help" | esc
echo ".fi"
echo ".SH DESCRIPTION"
echo ".nf"
awk 'NR==1 || (/^ / && !done) {next} {done=1; print}' <<<"$help" | esc
echo ".fi"
echo ".SH SEE ALSO"
echo "colload(1), colquery(1), colgen(1)"
