#!/usr/bin/env bash
# The report half of run.sh on data that is already loaded: colstore and DuckDB side by side,
# whole processes (hyperfine, rounds alternating between the systems) and embedded (one open
# store / connection). For checking a kernel change without regenerating and reloading.
#
#   bash bench/harness/side_by_side.sh STORE DUCKDB_FILE [--rounds N] [--runs N]
#
# STORE: a colstore store of the one-year data set (run.sh --keep leaves one in
# $BENCH_DIR/data-10000000/store-csv); DUCKDB_FILE: the same data in DuckDB (run.sh --keep, or
# `duckdb_bench load FILE EXPORTS`). Binaries from $BENCH_BUILD (default build-bench, built
# Release here). Prints a markdown table: medians in ms and the ratio DuckDB / colstore.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
store=$1 duck=$2
shift 2
rounds=4 runs=5
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "side_by_side.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
build=${BENCH_BUILD:-$repo/build-bench}
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCOLSTORE_WERROR=OFF -DCOLSTORE_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target colquery cs_embedded duckdb_bench >/dev/null
export DUCKDB_LIB=${DUCKDB_LIB:-/work/bench-tools/node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

names=(agent-performance approval-queue training-quality daily-agg-recompute daily-agg)
declare -A cs duck
cs[agent-performance]="agent-performance --as-of 2025-12-31 --days 7"
cs[approval-queue]="approval-queue --year 2025"
cs[training-quality]="training-quality --as-of 2025-12-31 --days 30"
cs[daily-agg-recompute]="daily-agg --from 2025-01-01 --to 2025-12-31 --recompute"
cs[daily-agg]="daily-agg --from 2025-01-01 --to 2025-12-31"
for n in "${names[@]}"; do duck[$n]="$n ${cs[$n]#* }"; done
duck[daily-agg-recompute]="daily-agg-recompute --from 2025-01-01 --to 2025-12-31"

echo "| report | colstore process ms | DuckDB process ms | ratio | colstore embedded ms | DuckDB embedded ms | ratio |"
echo "|---|---|---|---|---|---|---|"
for n in "${names[@]}"; do
  for ((r = 0; r < rounds; r++)); do
    hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/c.$r.json" \
      "$build/tools/colquery --store $store --format csv ${cs[$n]}" >/dev/null 2>&1
    hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/d.$r.json" \
      "$build/bench/duckdb_bench query $duck ${duck[$n]}" >/dev/null 2>&1
  done
  c=$(jq -r '.results[0].times[]' "$tmp"/c.*.json | awk '{ print $1 * 1000 }' | median)
  d=$(jq -r '.results[0].times[]' "$tmp"/d.*.json | awk '{ print $1 * 1000 }' | median)
  ce=$("$build/bench/cs_embedded" "$store" --iters 300 --warmup 10 --max-seconds 8 --as-of 2025-12-31 \
    --year 2025 --from 2025-01-01 --to 2025-12-31 "$n" | awk '{ print $3 }')
  de=$("$build/bench/duckdb_bench" embed "$duck" ${duck[$n]} --iters 300 --warmup 5 --max-seconds 8 |
    awk '{ for (i = 1; i < NF; i++) if ($i == "median_ms") print $(i + 1) }')
  awk -v n="$n" -v c="$c" -v d="$d" -v ce="$ce" -v de="$de" 'BEGIN {
    printf "| %s | %.2f | %.2f | %.1fx | %.3f | %.3f | %.1fx |\n", n, c, d, d / c, ce, de, de / ce }'
done
