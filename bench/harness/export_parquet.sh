#!/usr/bin/env bash
# A year of the warehouse exported to Parquet by colstore (`colquery export`) and by DuckDB
# (`COPY ... TO ... (FORMAT parquet)`, fact tables with PARTITION_BY (time_key)), side by side:
# hyperfine alternating the two in rounds, each run into an emptied directory; then the bytes
# of each export and the CPU time of one run of each (/usr/bin/time).
#
#   bash bench/harness/export_parquet.sh STORE DUCKDB_FILE [OUT_BASE]
#
# STORE and DUCKDB_FILE hold the same data: bench/harness/run.sh --keep leaves both in
# $BENCH_DIR (data-10000000/store-csv and duck.duckdb), or load them with colload and
# `duckdb_bench load`. Needs hyperfine, GNU time, the Release build in $BUILD (default
# build-bench: colquery, duckdb_bench) and $DUCKDB_LIB (libduckdb.so of the npm package).
# OUT_BASE (default /work/bench-data/parquet) receives cs/ and duck/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
store=${1:?STORE}
duck=${2:?DUCKDB_FILE}
out=${3:-/work/bench-data/parquet}
build=${BUILD:-$repo/build-bench}
colquery=$build/tools/colquery
duckdb_bench=$build/bench/duckdb_bench
runs=${RUNS:-3}
rounds=${ROUNDS:-3}
: "${DUCKDB_LIB:?set DUCKDB_LIB to libduckdb.so}"
export DUCKDB_LIB

mkdir -p "$out"
cs_cmd="$colquery --store $store export --format parquet --out $out/cs"
sql="COPY dim_agent TO '$out/duck/dim_agent.parquet' (FORMAT parquet);
COPY dim_time TO '$out/duck/dim_time.parquet' (FORMAT parquet);
COPY dim_conversation TO '$out/duck/dim_conversation.parquet' (FORMAT parquet);
COPY dim_user TO '$out/duck/dim_user.parquet' (FORMAT parquet);
COPY agg_agent_daily_performance TO '$out/duck/agg_agent_daily_performance.parquet' (FORMAT parquet);
COPY fact_agent_query TO '$out/duck/fact_agent_query' (FORMAT parquet, PARTITION_BY (time_key));
COPY fact_approval TO '$out/duck/fact_approval' (FORMAT parquet, PARTITION_BY (time_key));
COPY fact_training TO '$out/duck/fact_training' (FORMAT parquet, PARTITION_BY (time_key));"
printf '%s\n' "$sql" >"$out/duck.sql"
duck_cmd="$duckdb_bench sql $duck \"\$(cat $out/duck.sql)\""

echo "# $(date -u '+%F %T UTC'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  hyperfine -N --runs "$runs" --warmup 1 --export-json "$out/round$r.json" \
    --prepare "rm -rf $out/cs" -n colstore "$cs_cmd" \
    --prepare "bash -c 'rm -rf $out/duck && mkdir -p $out/duck'" -n duckdb "bash -c '$duck_cmd'" \
    >"$out/round$r.txt"
  jq -r '.results[] | "\(.command) median \(.median) s"' "$out/round$r.json"
done

rm -rf "$out/cs" "$out/duck" && mkdir -p "$out/duck"
/usr/bin/time -f 'colstore: %e s wall, %U s user, %S s sys, %M KB peak' $cs_cmd 2>&1 | tail -1
/usr/bin/time -f 'duckdb:   %e s wall, %U s user, %S s sys, %M KB peak' \
  bash -c "$duck_cmd" 2>&1 >/dev/null | tail -1
echo "bytes: colstore $(find "$out/cs" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s}') in $(find "$out/cs" -name '*.parquet' | wc -l) files;" \
  "duckdb $(find "$out/duck" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s}') in $(find "$out/duck" -name '*.parquet' | wc -l) files"
