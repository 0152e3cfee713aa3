#!/usr/bin/env bash
# The C examples of README.md and docs/api.md, extracted from the docs at test time, compiled
# against the build's library and run; their output is checked against colquery's.
#   tests/docs/check_examples.sh SOURCE_DIR BUILD_DIR
# The examples' paths (/tmp/exports, /tmp/demo-store, /var/lib/colstore) are rewritten to a
# private directory, so that runs of several users do not meet.
set -euo pipefail
export LC_ALL=C # awk pads by bytes, as printf in C does
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
lib=$build/engine
cc_() { cc -std=c11 -Wall -Wno-unused-variable -Wno-unused-but-set-variable -I"$src/engine" "$@" -L"$lib" -lcolstore; }
blocks() { # blocks FILE: every ```c block of FILE into $tmp/<name>.N.c (N from 1)
  awk -v out="$tmp/$(basename "$1" .md)" '/^```c$/{f=1;n++;next} /^```$/{f=0} f{print > (out "." n ".c")}' "$1"
}
paths() { sed -e "s|/tmp/exports|$tmp/exports|g" -e "s|/tmp/demo-store|$tmp/store|g" \
  -e "s|/var/lib/colstore|$tmp/store|g" -e "s|/data/warehouse-parquet|$tmp/parquet|g" "$1"; }
blocks "$src/README.md"
blocks "$src/docs/api.md"

"$build/tools/colgen" --out "$tmp/exports" --rows 3000 --seed 1 --start 2025-12-01 --days 31 --format csv >/dev/null
expected=$(COLSTORE_DIR=$tmp/store2 bash -c 'for t in dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training; do
  "$0/colload" --create "$t" "'"$tmp"'/exports/$t.csv" 2>/dev/null; done' "$build/tools"
  "$build/tools/colquery" --store "$tmp/store2" --format csv agent-performance --as-of 2025-12-31 --days 7)
# CSV to tab-separated (agent names hold commas and quotes)
expected=$(python3 -c 'import csv,sys; [print("\t".join(r)) for r in csv.reader(sys.stdin)]' <<<"$expected")
rows=$(($(wc -l <<<"$expected") - 1))
[[ $rows -gt 0 ]] || bad "the reference report has rows"

# docs/api.md's whole program: loads every table, prints the report and its JSON.
prog=$(grep -l 'int main' "$tmp"/api.*.c | head -n 1)
paths "$prog" >"$tmp/prog.c"
if cc_ "$tmp/prog.c" -o "$tmp/prog" && LD_LIBRARY_PATH=$lib "$tmp/prog" >"$tmp/prog.out"; then
  ok "docs/api.md program builds and runs"
  n=$(wc -l <"$tmp/exports/fact_agent_query.csv")
  if grep -qx "fact_agent_query: $((n - 1)) rows loaded" "$tmp/prog.out"; then ok "api.md program: rows loaded"; else
    bad "api.md program: rows loaded: $(head -c 300 "$tmp/prog.out")"; fi
  want=$(tail -n +2 <<<"$expected" | awk -F'\t' '{printf "%s %-12s %6d queries, %s ms\n", $1, $2, $3, $4}')
  got=$(grep ' queries, ' "$tmp/prog.out" || true)
  if [[ $got == "$want" ]]; then ok "api.md program: the report's lines match colquery"; else
    bad "api.md program: report lines differ: got $(head -c 200 <<<"$got") want $(head -c 200 <<<"$want")"; fi
else
  bad "docs/api.md program builds and runs"
fi

# README's snippet: statements, wrapped in main() after its #include lines.
snip=$tmp/README.1.c
{ grep '^#include' "$snip"; echo '#include <stdio.h>'; echo 'int main(void) {'; grep -v '^#include' "$snip" | paths /dev/stdin; echo 'return 0; }'; } >"$tmp/readme.c"
if cc_ "$tmp/readme.c" -o "$tmp/readme" && LD_LIBRARY_PATH=$lib "$tmp/readme" >"$tmp/readme.out"; then
  want=$(tail -n +2 <<<"$expected" | awk -F'\t' '{print $1, $4}')
  if [[ $(cat "$tmp/readme.out") == "$want" ]]; then ok "README snippet: prints agent and latency as colquery does"; else
    bad "README snippet: got $(head -c 200 "$tmp/readme.out") want $(head -c 200 <<<"$want")"; fi
else
  bad "README snippet builds and runs"
fi

# docs/api.md's fragments: compiled (and run) inside a function that provides store, snap, err.
for f in "$tmp"/api.*.c; do
  [[ $f == "$prog" ]] && continue
  { echo '#include <colstore.h>'; echo '#include <stdio.h>'; echo 'int main(void) {'
    echo 'colstore_error err; colstore_store *store = NULL; colstore_snapshot *snap = NULL;'
    echo "if (colstore_open(\"$tmp/frag-store\", COLSTORE_WRITABLE | COLSTORE_CREATE, &store, &err)) return 1;"
    echo 'if (colstore_snapshot_open(store, &snap, &err)) return 1;'
    echo '{'; paths "$f"; echo '}'
    echo 'colstore_snapshot_close(snap); colstore_close(store); return 0; }'; } >"$tmp/frag.c"
  rm -rf "$tmp/frag-store"
  if cc_ "$tmp/frag.c" -o "$tmp/frag" && LD_LIBRARY_PATH=$lib "$tmp/frag" >/dev/null; then
    ok "docs/api.md fragment $(basename "$f") builds and runs"
  else
    bad "docs/api.md fragment $(basename "$f") builds and runs"
  fi
done
# colstore(3)'s EXAMPLES program: prints the report as colquery's aligned table does.
awk '/^\.SH EXAMPLES/{e=1} e && /^\.nf/{f=1;next} f && /^\.fi/{exit} f{print}' "$src/engine/man/colstore.3" \
  | sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e "s|\"warehouse\"|\"$tmp/store2\"|" >"$tmp/man3.c"
table=$("$build/tools/colquery" --store "$tmp/store2" agent-performance --as-of 2025-12-31 --days 7)
if grep -q 'int main' "$tmp/man3.c" && cc_ "$tmp/man3.c" -o "$tmp/man3" \
   && LD_LIBRARY_PATH=$lib "$tmp/man3" >"$tmp/man3.out"; then
  if [[ $(cat "$tmp/man3.out") == "$table" && -n $table ]]; then ok "colstore(3) example prints the report as colquery does"; else
    bad "colstore(3) example: got $(head -c 200 "$tmp/man3.out") want $(head -c 200 <<<"$table")"; fi
else
  bad "colstore(3) example builds and runs"
fi
echo "check_examples: $pass passed, $fail failed"
((fail == 0))
