#!/usr/bin/env bash
# ratios.sh RAWDIR RATIOS_TSV: the ratios (other system / colstore, higher = colstore faster or
# smaller) of every task one bench/harness/run.sh run measured, from RAWDIR/results.kv, into
# RATIOS_TSV ("task<TAB>system<TAB>ratio" a line; a task's earlier line for that system is
# replaced). bench/harness/nightly.sh adds the nightly job's; chart.sh draws them.
set -euo pipefail
kv=$1/results.kv tsv=$2
get() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$kv"; }
touch "$tsv"
put() { # TASK SYSTEM OTHER COLSTORE
  local r
  r=$(awk -v a="$3" -v b="$4" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.1f", a / b }')
  [[ -z $r ]] && return 0
  awk -F'\t' -v t="$1" -v s="$2" '!($1 == t && $2 == s)' "$tsv" >"$tsv.new"
  printf '%s\t%s\t%s\n' "$1" "$2" "$r" >>"$tsv.new"
  mv "$tsv.new" "$tsv"
}
put "load, 1 year (CSV)" DuckDB "$(get duck_load_copy_s)" "$(get cs_load_csv_s)"
put "load, 1 year (CSV)" PostgreSQL "$(awk -v a="$(get pg_copy_s)" -v b="$(get pg_index_s)" -v c="$(get pg_analyze_s)" 'BEGIN { if (a != "") print a + b + c }')" "$(get cs_load_csv_s)"
put "store size" DuckDB "$(get duck_bytes)" "$(get cs_store_bytes)"
put "store size" PostgreSQL "$(get pg_total_bytes)" "$(get cs_store_bytes)"
for r in agent-performance approval-queue training-quality daily-agg-recompute daily-agg; do
  put "$r, process" DuckDB "$(get "duck_proc_${r}_ms")" "$(get "cs_proc_${r}_ms")"
  put "$r, process" PostgreSQL "$(get "pg_${r}_ms")" "$(get "cs_proc_${r}_ms")"
  put "$r, embedded" DuckDB "$(get "duck_emb_${r}_ms")" "$(get "cs_emb_${r}_ms")"
done
