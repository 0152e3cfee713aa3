#!/usr/bin/env bash
# The README's main job, no server needed: install what building needs (and is missing), build
# (Release), generate a sample data set (PostgreSQL-format exports), load every table, and print
# the three reports and the daily aggregates. It installs only
# `scripts/install-deps.sh --build --list` (compilers, CMake, pkg-config, LZ4, xxHash, libmd,
# libpq's headers): not the PostgreSQL server, Criterion or Google Benchmark, which only the
# tests and benchmarks need.
#   bash scripts/demo.sh            ROWS=200000 DAYS=90 START=2025-01-01 to change the sample
# Leaves the exports in demo/exports and the store in demo/store.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
rows=${ROWS:-200000}
days=${DAYS:-90}
start=${START:-2025-01-01}
build=$repo/build-demo
demo=$repo/demo

bash scripts/install-deps.sh --build
echo "== build (Release) in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCOLSTORE_TESTS=OFF -DCOLSTORE_BENCH=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target colgen colload colquery >/dev/null
bin=$build/tools

echo "== generate $rows query facts over $days days from $start (seed 1)"
rm -rf "$demo"
mkdir -p "$demo"
"$bin/colgen" --out "$demo/exports" --rows "$rows" --seed 1 --start "$start" --days "$days" --format csv
ls -l "$demo/exports"

echo "== load into $demo/store"
export COLSTORE_DIR=$demo/store
for t in dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training; do
  "$bin/colload" --create "$t" "$demo/exports/$t.csv"
done
echo "store: $(du -sh "$COLSTORE_DIR" | cut -f1)"

last=$(date -u -d "$start $((days - 1)) days" +%F)
week=$(date -u -d "$last -6 days" +%F)
echo
echo "== agent-performance --as-of $last --days 7"
"$bin/colquery" agent-performance --as-of "$last" --days 7
echo
echo "== approval-queue --year ${start%%-*}"
"$bin/colquery" approval-queue --year "${start%%-*}"
echo
echo "== training-quality --as-of $last --days 30"
"$bin/colquery" training-quality --as-of "$last" --days 30
echo
echo "== daily-agg --from $week --to $last"
"$bin/colquery" daily-agg --from "$week" --to "$last"
echo
echo "demo: done (exports in demo/exports, store in demo/store; try: COLSTORE_DIR=demo/store $bin/colquery --help)"
