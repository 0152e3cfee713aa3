#!/usr/bin/env bash
# The foreign tables against native tables, byte for byte (docs/sql.md, docs/testing.md).
#
#   tests/fdw/run.sh [--quick]     (COLSTORE_BUILD_DIR=build by default)
#
# Installs colstore_fdw from the build (cmake --install BUILD --component colstore_fdw; skipped
# with COLSTORE_FDW_NO_INSTALL=1), starts the private server when none runs, and for each data
# set below:
#  1. generates exports with colgen, loads them into native tables (COPY FROM, the seed's DDL
#     and indexes) and into a store (colload); the native agg_agent_daily_performance is filled
#     by reference.sql's daily-agg statement over the whole range;
#  2. in the same database, imports the store's tables into schema `analytics`
#     (IMPORT FOREIGN SCHEMA colstore FROM SERVER warehouse INTO analytics);
#  3. compares, between search_path=public (native) and search_path=analytics (foreign):
#     `COPY (SELECT * FROM t ORDER BY key) TO STDOUT` of every table, in text and CSV; the three
#     report statements of reference.sql, unchanged, through psql --csv for several windows;
#     and generated ad-hoc queries (tests/fdw/gen_queries.py: filters, joins, GROUP BY,
#     aggregates, ORDER BY, LIMIT, NULLs), each through COPY (...) TO STDOUT;
#     generated star queries (gen_queries.py --star) the same way with colstore_fdw.pushdown on
#     and off (most run inside the engine: the share pushed is checked);
#     the reports again with colstore_fdw.kernels = off (the engine's general executor rather
#     than the reports' kernels);
#  4. checks EXPLAIN: the conditions pushed, partitions pruned by time_key; the three report
#     statements of reference.sql entirely in the engine (one Foreign Scan, nothing above), run
#     by their report kernels (EXPLAIN ANALYZE's Engine Kernel), or by the general executor
#     with colstore_fdw.kernels = off.
# The BI-style browse (bi_browse.py) runs on the first data set. --quick: the first data set,
# fewer queries.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/fdw/lib.sh
source "$here/lib.sh"

quick=0
[[ ${1:-} == --quick ]] && quick=1
# name seed rows start days ad-hoc-queries star-queries
datasets=(
  "base 1 4000 2025-01-01 60 120 200"   # SCD-2 cuts, one-row and empty days, NULL-heavy columns
  "yearend 3 3000 2025-12-05 50 60 60" # two years, ISO week 1 in December
  "denser 11 6000 2028-02-20 20 40 60" # ~300 rows a day, 2028-02-29
)
((quick)) && datasets=("base 1 4000 2025-01-01 60 100 100")

fdw_setup
make_work
trap cleanup_lib EXIT
pg_ensure
split_reference

for ds in "${datasets[@]}"; do
  read -r name seed rows start ndays nq nstar <<<"$ds"
  db=colstore_fdw_$name
  if ! fdw_dataset "$name" "$seed" "$rows" "$start" "$ndays" "$db"; then
    fail "$name: data set could not be prepared"
    continue
  fi

  for t in "${all_tables[@]}"; do
    q="SELECT * FROM $t ORDER BY $(key_of "$t")"
    both_copy "$name: SELECT * FROM $t ORDER BY key (text)" "$db" "COPY ($q) TO STDOUT"
    both_copy "$name: SELECT * FROM $t ORDER BY key (csv)" "$db" "COPY ($q) TO STDOUT WITH (FORMAT csv, HEADER)"
  done

  last=$(day "$start" $((ndays - 1)))
  mid=$(day "$start" $((ndays / 2)))
  for as_of in "$last" "$mid" "$(day "$start" 2)" "$(day "$start" -10)"; do
    for days in 7 30 0; do
      both_ref "$name: agent-performance as_of=$as_of days=$days" "$db" agent-performance \
        -v as_of="$as_of" -v days="$days"
      both_ref "$name: training-quality as_of=$as_of days=$days" "$db" training-quality \
        -v as_of="$as_of" -v days="$days"
    done
  done
  for year in $((${start%%-*} - 1)) "${start%%-*}" "${last%%-*}"; do
    both_ref "$name: approval-queue year=$year" "$db" approval-queue -v year="$year"
  done
  # the same reports through the engine's general executor (colstore_fdw.kernels = off)
  for as_of in "$last" "$mid"; do
    for days in 7 30; do
      FDW_SETTINGS="-c colstore_fdw.kernels=off" both_ref \
        "$name: agent-performance as_of=$as_of days=$days, kernels off" "$db" agent-performance \
        -v as_of="$as_of" -v days="$days"
      FDW_SETTINGS="-c colstore_fdw.kernels=off" both_ref \
        "$name: training-quality as_of=$as_of days=$days, kernels off" "$db" training-quality \
        -v as_of="$as_of" -v days="$days"
    done
  done
  FDW_SETTINGS="-c colstore_fdw.kernels=off" both_ref "$name: approval-queue year=${start%%-*}, kernels off" \
    "$db" approval-queue -v year="${start%%-*}"

  "$PYTHON" "$here/gen_queries.py" --dsn "dbname=$db" --seed "$seed" --count "$nq" >"$work/$name.queries.sql"
  compare_queries "$name: generated" "$db" "$work/$name.queries.sql"
  # star queries (joins, filters, groupings, aggregates: what the engine runs pushed down),
  # with the pushdown on and off
  "$PYTHON" "$here/gen_queries.py" --dsn "dbname=$db" --seed "$((seed + 100))" --count "$nstar" \
    --star >"$work/$name.star.sql"
  compare_queries "$name: star, pushdown on" "$db" "$work/$name.star.sql"
  COMPARE_ARGS="--set colstore_fdw.pushdown=off" compare_queries "$name: star, pushdown off" "$db" \
    "$work/$name.star.sql"
  pushed_share "$name" "$db" "$work/$name.star.sql"
  explain_reference "$name" "$db" "$last"

  explain_checks "$name" "$db" "$start"
  if [[ $name == base || $quick == 1 ]]; then
    py_checks "$name: BI browse" "$here/bi_browse.py" --dsn "dbname=$db" --schema analytics --native public
  fi
  if [[ $name == base ]]; then # last: it loads more rows into the store
    py_checks "$name: snapshot" "$here/snapshot.py" --dsn "dbname=$db" --schema analytics \
      --colload "$COLLOAD" --store "$work/$name/store" --export "$work/$name/gen/fact_agent_query.copy"
  fi
  psql_ -d postgres -c "DROP DATABASE \"$db\""
done

finish
