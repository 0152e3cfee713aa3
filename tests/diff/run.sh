#!/usr/bin/env bash
# The differential test: colstore against a real PostgreSQL 15, byte for byte.
#
#   tests/diff/run.sh [--quick]        (COLSTORE_BIN_DIR=build/tools by default)
#
# For each data set below (seed, rows, first day, days), it
#  1. generates exports with colgen, in COPY text and CSV;
#  2. checks colgen's dim_time against the seed's populate_dim_time on the same days;
#  3. loads the text files into one database and the CSV files into another (COPY FROM), exports
#     every table from both in both formats (COPY (SELECT * ... ORDER BY key) TO STDOUT) and
#     checks each export equals colgen's file: the generator writes what PostgreSQL writes;
#  4. colloads PostgreSQL's exports into three fresh stores (text, CSV, and `COPY t TO` text,
#     which leaves overall_score out), checks `colquery dump` of every table in both formats
#     equals PostgreSQL's export, loads everything again and checks nothing changed, and that
#     `colquery verify` passes;
#  5. runs every report for several --as-of/--days/--year/--from/--to values with
#     `colquery --format csv` and `--format table` and compares them with `psql --csv` and
#     psql's aligned output running the matching statement of reference.sql (daily-agg both as
#     stored and with --recompute);
#  6. on two data sets, applies `colload retain` to a store of step 4 and the same retention in
#     SQL to a copy of the database, then compares every dump and report again;
#  7. renames agents and annotators of one data set in PostgreSQL to awkward text (newlines,
#     tabs, carriage returns, control characters, wide and combining characters), exports,
#     loads into a fresh store and compares the reports again in both formats: the aligned
#     table must lay such values out exactly as psql does.
# Any difference prints a unified diff and fails. --quick runs the first data set only.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/diff/lib.sh
source "$here/lib.sh"

quick=0
[[ ${1:-} == --quick ]] && quick=1

# name seed rows start days: each chosen for an edge the reports must get right.
datasets=(
  "base 1 4000 2025-01-01 60"       # SCD-2 cuts inside the range, one-row and empty days
  "tiny 7 300 2025-06-01 12"        # Query 3 ties, three conversations, sparse groups
  "leap 2 2500 2024-02-10 40"       # 2024-02-29, a window across it
  "yearend 3 3000 2025-12-05 50"    # 2025 into 2026: ISO week 1 in December, two years
  "denser 11 6000 2028-02-20 20"    # ~300 rows a day: p95 interpolation between values
)
((quick)) && datasets=("${datasets[0]}")

reference=$repo/tests/sql/reference.sql

if [[ ! -x $COLGEN ]]; then
  echo "run.sh: no colgen in $bin_dir (build first, or set COLSTORE_BIN_DIR)" >&2
  exit 2
fi

make_work
trap cleanup_lib EXIT
pg_ensure

# Split reference.sql into its four statements, at the comment line that names each report.
awk -v dir="$work" '
  /^-- (agent-performance|approval-queue|training-quality|daily-agg)  \(/ { out = dir "/ref-" $2 ".sql" }
  out != "" { print > out }' "$reference"
for r in agent-performance approval-queue training-quality daily-agg; do
  [[ -s $work/ref-$r.sql ]] || { echo "run.sh: reference.sql has no '-- $r' statement" >&2; exit 1; }
done

day() { date -u -d "$1 $2 days" +%F; } # day 2025-01-01 -3 → 2024-12-29

# report NAME DB STORE REPORT ARGS...: psql --csv of the reference statement vs colquery --format
# csv, and psql's aligned table vs colquery --format table (psql told the client encoding is
# UTF-8, so that it counts display widths by character as the engine does, whatever the locale).
report() {
  local name=$1 db=$2 store=$3 rep=$4
  shift 4
  local as_of=2000-01-01 days=0 year=2000 from=2000-01-01 to=2000-01-01 a=("$@") i
  for ((i = 0; i < ${#a[@]}; i++)); do
    case ${a[i]} in
      --as-of) as_of=${a[i + 1]} ;;
      --days) days=${a[i + 1]} ;;
      --year) year=${a[i + 1]} ;;
      --from) from=${a[i + 1]} ;;
      --to) to=${a[i + 1]} ;;
    esac
  done
  local ref=${rep%% *}
  local exp=$work/expected.csv got=$work/actual.csv err=$work/actual.err
  PGTZ=UTC psql -X -q --csv -v ON_ERROR_STOP=1 -v as_of="$as_of" -v days="$days" -v year="$year" \
    -v from="$from" -v to="$to" -d "$db" -f "$work/ref-$ref.sql" >"$exp"
  local rc=0
  # shellcheck disable=SC2086
  "$COLQUERY" --store "$store" --format csv $rep "$@" >"$got" 2>"$err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "$name: colquery $rep $* exited $rc: $(head -c 300 "$err")"
    return 0
  fi
  same "$name: $rep $*" "$exp" "$got"
  PGTZ=UTC PGCLIENTENCODING=UTF8 psql -X -q -v ON_ERROR_STOP=1 -v as_of="$as_of" -v days="$days" \
    -v year="$year" -v from="$from" -v to="$to" -d "$db" -f "$work/ref-$ref.sql" >"$exp"
  rc=0
  # shellcheck disable=SC2086
  "$COLQUERY" --store "$store" --format table $rep "$@" >"$got" 2>"$err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "$name: colquery --format table $rep $* exited $rc: $(head -c 300 "$err")"
    return 0
  fi
  same "$name: table: $rep $*" "$exp" "$got"
}

# awkward_checks DB START DAYS: agents and annotators renamed to text that psql's aligned format
# lays out specially; exported, loaded into a fresh store, every report compared again.
awkward_checks() {
  local db=$1 start=$2 ndays=$3 t rc err=$work/load.err
  local store=$work/awkward/store pgx=$work/awkward/pg
  psql_ -d "$db" <<'SQL'
UPDATE dim_agent a SET agent_name = m.name FROM (VALUES
  ('data', E'two\nlines'), ('Support Tier 2', E'tab\there'), ('billing,refunds', '日本語のエージェント'),
  ('engineer', E'cr\rname'), ('sql "helper"', E'ctl\x01x\x7fz'), ('support', E'e\u0301 naïve café'),
  ('back\office', E'robot 🤖 bot'), ('marketing', E'trailing newline\n'),
  ('ai-research', E'\nleading newline'), ('qa', E'x\tA\tBB\tCCC\tend'), ('ops', E'nel\u0085x'),
  ('zeta_ops', E'a much longer agent name\nand\n\nan empty line')) AS m(old, name)
WHERE a.agent_name = m.old;
UPDATE dim_user u SET user_id = m.name FROM (VALUES
  ('alice', E'al\nice'), ('bob@example.com', E'\tbob'), ('carol, jr.', 'キャロル'),
  ('zoë', E'zo\u0308e\u0301'), ('niaj', E'n\x02iaj'), ('peggy', E'peggy\r\n'),
  ('\N', E'\\N\nsecond line')) AS m(old, name)
WHERE u.user_id = m.old;
SQL
  pg_export "$db" "$pgx"
  for t in "${tables[@]}"; do
    rc=0; "$COLLOAD" --store "$store" --create --format text "$t" "$pgx/$t.copy" >/dev/null 2>"$err" || rc=$?
    expect_rc "awkward: load $t" 0 "$rc" "$err"
  done
  local last mid
  last=$(day "$start" $((ndays - 1)))
  mid=$(day "$start" $((ndays / 2)))
  for as_of in "$last" "$mid"; do
    report awkward "$db" "$store" agent-performance --as-of "$as_of" --days 30
    report awkward "$db" "$store" training-quality --as-of "$as_of" --days 400
  done
  report awkward "$db" "$store" approval-queue --year "${start%%-*}"
  report awkward "$db" "$store" daily-agg --from "$start" --to "$last"
}

engine_checks() { # NAME DIR(pg exports) DB START DAYS
  local name=$1 pgx=$2 db=$3 start=$4 ndays=$5
  local s_text=$work/$name/store-text s_csv=$work/$name/store-csv s_plain=$work/$name/store-plain
  local plain=$work/$name/pg-plain t rc err=$work/load.err
  mkdir -p "$plain"
  for t in "${tables[@]}"; do # COPY t TO: DDL order, generated overall_score left out
    psql_ -d "$db" -c "COPY $t TO STDOUT" >"$plain/$t.txt"
  done
  for pass_no in 1 2; do # the second pass must change nothing
    for t in "${tables[@]}"; do
      rc=0; "$COLLOAD" --store "$s_text" --create --format text "$t" "$pgx/$t.copy" >/dev/null 2>"$err" || rc=$?
      expect_rc "$name: load$pass_no text $t" 0 "$rc" "$err"
      rc=0; "$COLLOAD" --store "$s_csv" --create "$t" "$pgx/$t.csv" >/dev/null 2>"$err" || rc=$?
      expect_rc "$name: load$pass_no csv $t" 0 "$rc" "$err"
      rc=0; "$COLLOAD" --store "$s_plain" --create "$t" "$plain/$t.txt" >/dev/null 2>"$err" || rc=$?
      expect_rc "$name: load$pass_no plain-copy $t" 0 "$rc" "$err"
    done
    for store in "$s_text" "$s_csv" "$s_plain"; do
      for t in "${tables[@]}"; do
        for fmt in text csv; do
          local ext=copy; [[ $fmt == csv ]] && ext=csv
          local out=$work/dump.$ext
          rc=0; "$COLQUERY" --store "$store" dump "$t" --format "$fmt" >"$out" 2>"$err" || rc=$?
          if [[ $rc -ne 0 ]]; then
            fail "$name: dump $t --format $fmt from $(basename "$store") exited $rc: $(head -c 300 "$err")"
          else
            same "$name: load$pass_no $(basename "$store") dump $t $fmt" "$pgx/$t.$ext" "$out"
          fi
        done
      done
      rc=0; "$COLQUERY" --store "$store" verify >/dev/null 2>"$err" || rc=$?
      expect_rc "$name: verify $(basename "$store") after load$pass_no" 0 "$rc" "$err"
    done
  done

  local last mid y0 y1 as_of
  last=$(day "$start" $((ndays - 1)))
  mid=$(day "$start" $((ndays / 2)))
  y0=${start%%-*} y1=${last%%-*}
  for store in "$s_text" "$s_csv"; do
    local tag="$name/$(basename "$store")"
    for as_of in "$last" "$mid" "$(day "$start" 2)" "$(day "$start" -10)" "$(day "$last" 5)"; do
      report "$tag" "$db" "$store" agent-performance --as-of "$as_of" --days 7
      report "$tag" "$db" "$store" training-quality --as-of "$as_of" --days 30
      [[ $store == "$s_csv" ]] && continue
      report "$tag" "$db" "$store" agent-performance --as-of "$as_of" --days 30
      report "$tag" "$db" "$store" training-quality --as-of "$as_of" --days 7
    done
    report "$tag" "$db" "$store" agent-performance --as-of "$mid" --days 0
    report "$tag" "$db" "$store" training-quality --as-of "$mid" --days 0
    report "$tag" "$db" "$store" agent-performance --as-of "$last" --days 400
    report "$tag" "$db" "$store" training-quality --as-of "$last" --days 400
    for year in $((y0 - 1)) "$y0" "$y1"; do
      report "$tag" "$db" "$store" approval-queue --year "$year"
    done
    local ranges=("$start $last" "$mid $mid" "$(day "$start" -10) $(day "$start" -1)"
      "$start $(day "$start" 6)" "$(day "$last" -3) $(day "$last" 3)")
    local rg
    for rg in "${ranges[@]}"; do
      report "$tag" "$db" "$store" daily-agg --from "${rg% *}" --to "${rg#* }"
      report "$tag" "$db" "$store" "daily-agg --recompute" --from "${rg% *}" --to "${rg#* }"
    done
  done
}

# The retention step runs its PostgreSQL side in one psql session per comparison (\o names the
# file each result goes to): a connection costs more than the queries, and this step must add
# seconds, not minutes, to the run.

# dumps_equal NAME DB STORE SQL [TABLE...]: after running SQL in DB, every table (or the TABLEs)
# and agg_agent_daily_performance, both formats, dumped from STORE and exported from DB (the
# aggregates ordered by (agent_key, time_key), the order of their dump), byte for byte; the
# store verifies.
dumps_equal() {
  local name=$1 db=$2 store=$3 t q fmt ext rc err=$work/load.err
  local pgx=$work/retain-pg script=$work/retain-dump.sql
  echo "$4" >"$script"
  shift 4
  local which=("$@")
  ((${#which[@]})) || which=("${tables[@]}")
  which+=(agg_agent_daily_performance)
  mkdir -p "$pgx"
  for t in "${which[@]}"; do
    q="SELECT * FROM $t ORDER BY $(key_of "$t")"
    [[ $t == agg_agent_daily_performance ]] && q="SELECT * FROM $t ORDER BY agent_key, time_key"
    { echo "\\o '$pgx/$t.copy'"; echo "COPY ($q) TO STDOUT;"
      echo "\\o '$pgx/$t.csv'"; echo "COPY ($q) TO STDOUT WITH (FORMAT csv, HEADER);"; } >>"$script"
  done
  psql_ -d "$db" -f "$script"
  for t in "${which[@]}"; do
    for fmt in text csv; do
      ext=copy; [[ $fmt == csv ]] && ext=csv
      rc=0; "$COLQUERY" --store "$store" dump "$t" --format "$fmt" >"$work/dump.$ext" 2>"$err" || rc=$?
      if [[ $rc -ne 0 ]]; then
        fail "$name: dump $t --format $fmt exited $rc: $(head -c 300 "$err")"
      else
        same "$name: dump $t $fmt" "$pgx/$t.$ext" "$work/dump.$ext"
      fi
    done
  done
  rc=0; "$COLQUERY" --store "$store" verify >/dev/null 2>"$err" || rc=$?
  expect_rc "$name: verify" 0 "$rc" "$err"
}

# reports_batch TAG DB STORE 'REPORT ARGS'...: colquery --format csv of each report against psql
# --csv of its reference statement, as report() compares them, all statements in one psql
# session (the aligned layout is report()'s business; what changes here is the data).
reports_batch() {
  local tag=$1 db=$2 store=$3 spec i a v rc
  shift 3
  local script=$work/retain-reports.sql got=$work/actual.out err=$work/actual.err
  : >"$script"
  i=0
  for spec in "$@"; do
    read -r -a a <<<"$spec"
    local as_of=2000-01-01 days=0 year=2000 from=2000-01-01 to=2000-01-01 k
    for ((k = 0; k < ${#a[@]}; k++)); do
      v=${a[k + 1]:-}
      case ${a[k]} in
        --as-of) as_of=$v ;; --days) days=$v ;; --year) year=$v ;; --from) from=$v ;; --to) to=$v ;;
      esac
    done
    { echo "\\set as_of $as_of"; echo "\\set days $days"; echo "\\set year $year"
      echo "\\set from $from"; echo "\\set to $to"
      echo "\\o '$work/rexp-$i.csv'"; echo "\\i '$work/ref-${a[0]}.sql'"; } >>"$script"
    i=$((i + 1))
  done
  PGTZ=UTC psql_ --csv -d "$db" -f "$script"
  i=0
  for spec in "$@"; do
    rc=0
    # shellcheck disable=SC2086
    "$COLQUERY" --store "$store" --format csv $spec >"$got" 2>"$err" || rc=$?
    if [[ $rc -ne 0 ]]; then
      fail "$tag: colquery $spec exited $rc: $(head -c 300 "$err")"
    else
      same "$tag: $spec" "$work/rexp-$i.csv" "$got"
    fi
    i=$((i + 1))
  done
}

# full_day DAY: SQL printing the first day from DAY on such that it and the day before hold rows
# of all three fact tables (nothing when none does).
full_day() {
  echo "WITH k AS (SELECT time_key FROM fact_agent_query INTERSECT SELECT time_key FROM fact_approval
      INTERSECT SELECT time_key FROM fact_training),
    d AS (SELECT to_date(time_key::text, 'YYYYMMDD') AS d FROM k)
    SELECT min(d) FROM d WHERE d >= '$1'::date AND EXISTS (SELECT 1 FROM d AS p WHERE p.d = d.d - 1);"
}

# retention_checks NAME DB STORE START DAYS: `colload retain` on STORE (a store of engine_checks,
# equal to DB) and what it means in SQL (docs/cli.md, "colload retain") on a copy of DB, then
# every dump and every report compared again. First fact_approval and fact_training before a
# quarter of the range (their days' aggregates recomputed from what is kept, as reference.sql's
# daily-agg recomputes them), then all three before the middle (those days' aggregates
# deleted); dimensions are kept. Each boundary is moved to the next day that, like the day
# before it, holds rows of every fact table, so that dropping one day too many or too few
# changes a dump, and aggregate rows left behind change the aggregates' dump and daily-agg.
retention_checks() {
  local name=$1 db=$2 store=$3 start=$4 ndays=$5
  local rdb=${db}_retain rc err=$work/load.err last cut1 cut2 cut key sql
  last=$(day "$start" $((ndays - 1)))
  # a copy of DB with the aggregates of every day, as the loads materialized them in the store
  local cuts
  cuts=$(psql_ -At -d postgres -f - <<SQL
DROP DATABASE IF EXISTS "$rdb";
CREATE DATABASE "$rdb" TEMPLATE "$db";
\\c $rdb
\\set from 1900-01-01
\\set to 2999-12-31
\\o /dev/null
\\i '$work/ref-daily-agg.sql'
\\o
$(full_day "$(day "$start" $((ndays / 4)))")
$(full_day "$(day "$start" $((ndays / 2)))")
SQL
  )
  read -r -d '' cut1 cut2 <<<"$cuts" || true
  if [[ -z $cut1 || -z $cut2 || ! $cut1 < $cut2 ]]; then
    fail "$name: no retention boundary between two days that hold rows of every fact table"
    psql_ -d postgres -c "DROP DATABASE \"$rdb\""
    return 0
  fi
  dumps_equal "$name: before retain" "$rdb" "$store" "" dim_agent # engine_checks compared the rest
  for cut in "$cut1" "$cut2"; do
    key="to_char('$cut'::date, 'YYYYMMDD')::int"
    if [[ $cut == "$cut1" ]]; then
      rc=0; "$COLLOAD" --store "$store" retain --before "$cut" fact_approval fact_training >/dev/null 2>"$err" || rc=$?
      expect_rc "$name: retain --before $cut fact_approval fact_training" 0 "$rc" "$err"
      sql="DELETE FROM fact_approval WHERE time_key < $key;
DELETE FROM fact_training WHERE time_key < $key;
\\set from 1900-01-01
\\set to $(day "$cut" -1)
\\o /dev/null
\\i '$work/ref-daily-agg.sql'"
    else
      rc=0; "$COLLOAD" --store "$store" retain --before "$cut" >/dev/null 2>"$err" || rc=$?
      expect_rc "$name: retain --before $cut" 0 "$rc" "$err"
      sql="DELETE FROM fact_agent_query WHERE time_key < $key;
DELETE FROM fact_approval WHERE time_key < $key;
DELETE FROM fact_training WHERE time_key < $key;
DELETE FROM agg_agent_daily_performance WHERE time_key < $key;"
    fi
    dumps_equal "$name: after retain --before $cut" "$rdb" "$store" "$sql"
    # windows ending at, crossing and starting at the boundary, and the whole range; the
    # aggregates as stored first (reference.sql's daily-agg rewrites them in PostgreSQL)
    local specs=("daily-agg --from $(day "$cut" -1) --to $cut"
      "daily-agg --from $(day "$start" -10) --to $(day "$last" 3)"
      "daily-agg --recompute --from $(day "$start" -10) --to $(day "$last" 3)"
      "agent-performance --as-of $(day "$cut" -1) --days 0"
      "training-quality --as-of $(day "$cut" -1) --days 7")
    local as_of year
    for as_of in "$cut" "$(day "$cut" 3)" "$last"; do
      specs+=("agent-performance --as-of $as_of --days 7" "training-quality --as-of $as_of --days 7")
    done
    specs+=("agent-performance --as-of $last --days 400" "training-quality --as-of $last --days 400")
    for year in $(seq "${start%%-*}" "${last%%-*}"); do
      specs+=("approval-queue --year $year")
    done
    reports_batch "$name: after retain --before $cut" "$rdb" "$store" "${specs[@]}"
  done
  # nothing left before the date: exit 0, nothing committed
  rc=0; "$COLLOAD" --store "$store" retain --before "$cut2" >/dev/null 2>"$err" || rc=$?
  expect_rc "$name: retain --before $cut2 again" 0 "$rc" "$err"
  expect_msg "$name: retain --before $cut2 again commits nothing" "nothing committed" "$err"
  psql_ -d postgres -c "DROP DATABASE \"$rdb\""
}

engine_warned=0
for ds in "${datasets[@]}"; do
  read -r name seed rows start ndays <<<"$ds"
  gen=$work/$name/gen
  mkdir -p "$gen"
  if ! "$COLGEN" --out "$gen" --rows "$rows" --seed "$seed" --start "$start" --days "$ndays" --format both; then
    fail "$name: colgen"
    continue
  fi

  # dim_time as the seed's populate_dim_time computes it (margins included)
  db_t="colstore_diff_${name}_text" db_c="colstore_diff_${name}_csv"
  pg_fresh_db "$db_t"
  psql_ -d "$db_t" -c "SELECT populate_dim_time('$(day "$start" -7)', '$(day "$start" $((ndays + 6)))')" >/dev/null
  psql_ -d "$db_t" -c "COPY (SELECT * FROM dim_time ORDER BY time_key) TO STDOUT" >"$work/dim_time.pg"
  same "$name: colgen dim_time = populate_dim_time" "$work/dim_time.pg" "$gen/dim_time.copy"
  psql_ -d "$db_t" -c "TRUNCATE dim_time CASCADE"

  # the generator writes exactly what PostgreSQL exports, whichever format it was loaded from
  pg_load "$db_t" text "$gen"
  pg_fresh_db "$db_c"
  pg_load "$db_c" csv "$gen"
  pg_export "$db_t" "$work/$name/pg"
  while IFS='|' read -r what ok; do
    if [[ $ok == t ]]; then pass "$name: colgen data: $what"; else fail "$name: colgen data: $what"; fi
  done < <(psql_ -At -v min_rows=2000 -d "$db_t" -f "$repo/tests/sql/colgen_checks.sql")
  pg_export "$db_c" "$work/$name/pg-from-csv"
  for t in "${tables[@]}"; do
    for ext in copy csv; do
      same "$name: colgen $t.$ext = PostgreSQL export (loaded as text)" "$work/$name/pg/$t.$ext" "$gen/$t.$ext"
      same "$name: colgen $t.$ext = PostgreSQL export (loaded as CSV)" "$work/$name/pg-from-csv/$t.$ext" "$gen/$t.$ext"
    done
  done
  psql_ -d postgres -c "DROP DATABASE \"$db_c\""

  if have_engine; then
    engine_checks "$name" "$work/$name/pg" "$db_t" "$start" "$ndays"
    [[ $name == base || $name == yearend ]] &&
      retention_checks "$name" "$db_t" "$work/$name/store-text" "$start" "$ndays"
    [[ $name == base ]] && awkward_checks "$db_t" "$start" "$ndays"
  elif ((!engine_warned)); then
    fail "colload/colquery not built in $bin_dir: the engine half of the test did not run"
    engine_warned=1
  fi
  psql_ -d postgres -c "DROP DATABASE \"$db_t\""
done

finish
