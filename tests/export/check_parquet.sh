#!/usr/bin/env bash
# The Parquet export read back by other engines: a colgen warehouse (NULL-heavy columns, quoted
# and escaped text, text[] with NULL and quoted elements, jsonb, SCD-2 versions, one-row days)
# is loaded, exported with `colquery export`, and every table is read back by DuckDB
# (read_parquet, facts with hive_partitioning) and, when it is installed, by ClickHouse (chdb);
# tests/export/compare.py then checks each engine's rows against `colquery dump`: the count,
# the sums of the numeric columns, every value of every row (sorted by key). Also: the layout
# (one file per fact day, _SUCCESS last, the export record), a re-export into the same
# directory, --from/--to, --compression none, and a directory that is not ours refused.
#
#   bash tests/export/check_parquet.sh            (exit 77 = skipped: no node or DuckDB)
#
# DuckDB comes from npm (@duckdb/node-api) as the benchmark harness installs it:
# $DUCKDB_NODE_DIR, else $BENCH_TOOLS (default /work/bench-tools), must hold node_modules.
# chdb likewise from $CHDB_NODE_DIR when set. COLSTORE_BIN_DIR: the tools (default build/tools).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin_dir=${COLSTORE_BIN_DIR:-$repo/build/tools}
duck_dir=${DUCKDB_NODE_DIR:-${BENCH_TOOLS:-/work/bench-tools}}

if ! command -v node >/dev/null || [[ ! -d $duck_dir/node_modules/@duckdb/node-api ]]; then
  echo "check_parquet.sh: skipped (no node, or no @duckdb/node-api in $duck_dir/node_modules)"
  exit 77
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); [[ ${VERBOSE:-0} == 1 ]] && echo "ok   $1"; return 0; }
bad() { failed=$((failed + 1)); echo "FAIL $1" >&2; return 0; }

work=$(mktemp -d /tmp/colstore-parquet.XXXXXX)
tables="dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training agg_agent_daily_performance"

# The readers are ES modules resolved from the directory that holds node_modules; named per
# run, as other checkouts may run this test at the same time with the same node_modules.
reader=.colstore_read_parquet.$$.mjs
cp "$here/read_parquet.mjs" "$duck_dir/$reader"
trap 'rm -f "$duck_dir/$reader" "${CHDB_NODE_DIR:-/nonexistent}"/.colstore_*.$$.mjs' EXIT

"$bin_dir/colgen" --out "$work/exp" --rows 12000 --seed 9 --start 2025-12-20 --days 25 \
  --format text >/dev/null || { echo "colgen failed"; exit 1; }
create=--create
for t in dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training; do
  # shellcheck disable=SC2086
  "$bin_dir/colload" --store "$work/st" $create "$t" "$work/exp/$t.copy" 2>/dev/null ||
    { echo "colload $t failed"; exit 1; }
  create=
done
mkdir -p "$work/dump"
for t in $tables; do
  "$bin_dir/colquery" --store "$work/st" dump "$t" >"$work/dump/$t.copy"
done

# compare_with NAME OUT DUMPDIR TABLES...: DuckDB reads OUT, compare.py checks it.
compare_with() {
  local name=$1 out=$2 dumps=$3
  shift 3
  if ! (cd "$duck_dir" && node "$reader" "$out" "$@") >"$work/$name.jsonl" \
    2>"$work/$name.err"; then
    bad "$name: DuckDB could not read the export"; sed 's/^/    /' "$work/$name.err" | head -5 >&2
    return
  fi
  if python3 "$here/compare.py" "$work/$name.jsonl" "$dumps" >"$work/$name.cmp"; then
    ok "$name: $(wc -l <"$work/$name.cmp") tables equal to the dump"
    [[ ${VERBOSE:-0} == 1 ]] && sed 's/^/     /' "$work/$name.cmp"
  else
    bad "$name"; grep -v '^ok' "$work/$name.cmp" | head -5 >&2
  fi
}

# 1. everything
out=$work/out
"$bin_dir/colquery" --store "$work/st" export --format parquet --out "$out" 2>"$work/export.err"
rc=$?
[[ $rc == 0 ]] && ok "export exits 0" || { bad "export exit code $rc"; cat "$work/export.err" >&2; }
[[ -f $out/_SUCCESS ]] && ok "_SUCCESS written" || bad "no _SUCCESS"
days=$("$bin_dir/colquery" --store "$work/st" dump fact_agent_query |
  cut -f3 | sort -u | wc -l)
files=$(ls "$out"/fact_agent_query/time_key=*/part-0.parquet 2>/dev/null | wc -l)
[[ $files == "$days" ]] && ok "one file per day ($files)" || bad "$files fact_agent_query files for $days days"
for t in dim_agent dim_time dim_conversation dim_user agg_agent_daily_performance; do
  [[ -f $out/$t.parquet ]] || bad "no $t.parquet"
done
listed=$(grep -c . "$out/_colstore_export")
made=$(cd "$out" && { find . -mindepth 1 -type d; find . -type f -name '*.parquet'; } | wc -l)
[[ $listed == $((made + 1)) ]] && ok "the export record lists every file and directory" ||
  bad "record lists $((listed - 1)), the export has $made"
for f in "$out/dim_agent.parquet" "$out/fact_training/time_key=20251220/part-0.parquet"; do
  [[ $(head -c4 "$f") == PAR1 && $(tail -c4 "$f") == PAR1 ]] || bad "$f: no PAR1 magic"
done
# shellcheck disable=SC2086
compare_with duckdb "$out" "$work/dump" $tables

# 2. ClickHouse, when chdb is installed
if [[ -n ${CHDB_NODE_DIR:-} && -d ${CHDB_NODE_DIR}/node_modules/chdb ]]; then
  cp "$here/read_parquet_chdb.mjs" "$CHDB_NODE_DIR/.colstore_read_parquet_chdb.$$.mjs"
  if (cd "$CHDB_NODE_DIR" && node .colstore_read_parquet_chdb.$$.mjs "$out" $tables) \
    >"$work/chdb.jsonl" 2>"$work/chdb.err" &&
    python3 "$here/compare.py" --null-list-as-empty "$work/chdb.jsonl" "$work/dump" >"$work/chdb.cmp"; then
    ok "chdb: $(wc -l <"$work/chdb.cmp") tables equal to the dump"
  else
    bad "chdb"; head -5 "$work/chdb.err" "$work/chdb.cmp" >&2
  fi
  # the three reports in ClickHouse SQL (docs/sql/reports_clickhouse.sql) over the export
  cp "$here/run_reports_chdb.mjs" "$CHDB_NODE_DIR/.colstore_run_reports_chdb.$$.mjs"
  mkdir -p "$work/rep"
  for y in 2025 2026; do
    "$bin_dir/colquery" --store "$work/st" --format csv agent-performance --as-of 2026-01-05 \
      --days 7 >"$work/rep/agent-performance.csv"
    "$bin_dir/colquery" --store "$work/st" --format csv approval-queue --year $y \
      >"$work/rep/approval-queue.csv"
    "$bin_dir/colquery" --store "$work/st" --format csv training-quality --as-of 2026-01-05 \
      --days 30 >"$work/rep/training-quality.csv"
    if (cd "$CHDB_NODE_DIR" && node .colstore_run_reports_chdb.$$.mjs "$repo/docs/sql/reports_clickhouse.sql" \
      "$out" 2026-01-05 7 30 $y) >"$work/chreports.txt" 2>&1 &&
      python3 "$here/compare_reports.py" "$work/chreports.txt" "$work/rep" >"$work/chreports.cmp"; then
      ok "ClickHouse SQL reports over the export equal colquery's ($y)"
    else
      bad "ClickHouse SQL reports ($y)"; head -5 "$work/chreports.txt" "$work/chreports.cmp" >&2
    fi
  done
  rm -f "$CHDB_NODE_DIR/.colstore_read_parquet_chdb.$$.mjs" "$CHDB_NODE_DIR/.colstore_run_reports_chdb.$$.mjs"
fi

# 3. a re-export into the same directory replaces our files, keeps the user's
echo "mine" >"$out/notes.txt"
mkdir -p "$out/fact_training/mine" && echo x >"$out/fact_training/mine/keep"
"$bin_dir/colquery" --store "$work/st" export --format parquet --out "$out" --compression none \
  2>"$work/export2.err"
rc=$?
[[ $rc == 0 ]] && ok "re-export exits 0" || { bad "re-export exit code $rc"; cat "$work/export2.err" >&2; }
[[ $(cat "$out/notes.txt") == mine && -f $out/fact_training/mine/keep ]] &&
  ok "the user's files kept" || bad "the user's files were touched"
compare_with duckdb-uncompressed "$out" "$work/dump" fact_agent_query dim_conversation

# 4. --from / --to: those days of the facts and the aggregate, the dimensions whole
sub=$work/sub
"$bin_dir/colquery" --store "$work/st" export --format parquet --out "$sub" --from 2025-12-30 \
  --to 2026-01-02 fact_approval agg_agent_daily_performance dim_user 2>/dev/null
n=$(ls -d "$sub"/fact_approval/time_key=* | wc -l)
[[ $n -le 4 && $n -ge 3 && ! -e $sub/fact_agent_query ]] && ok "--from/--to: $n days, only the tables named" ||
  bad "--from/--to: $n day directories"
mkdir -p "$work/dump-sub"
for t in fact_approval agg_agent_daily_performance; do
  col=3; [[ $t == agg_agent_daily_performance ]] && col=2
  awk -F'\t' -v c=$col '$c >= 20251230 && $c <= 20260102' "$work/dump/$t.copy" >"$work/dump-sub/$t.copy"
done
cp "$work/dump/dim_user.copy" "$work/dump-sub/"
compare_with duckdb-days "$sub" "$work/dump-sub" fact_approval agg_agent_daily_performance dim_user

# 5. a directory that is not an export of ours is refused, untouched
mkdir -p "$work/other" && echo data >"$work/other/precious.csv"
"$bin_dir/colquery" --store "$work/st" export --format parquet --out "$work/other" 2>"$work/refused.err"
rc=$?
[[ $rc == 2 && $(ls "$work/other") == precious.csv ]] && ok "a foreign directory is refused (exit 2)" ||
  bad "foreign directory: exit $rc, $(ls "$work/other" | tr '\n' ' ')"
grep -q "not empty and not a previous export" "$work/refused.err" || bad "refusal message: $(cat "$work/refused.err")"

echo "check_parquet.sh: $passed passed, $failed failed"
if [[ $failed -eq 0 ]]; then rm -rf "$work"; else echo "kept $work" >&2; exit 1; fi
