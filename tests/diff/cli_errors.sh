#!/usr/bin/env bash
# colload and colquery on bad input and bad usage: exit codes (docs/contract.md, bad input: 0 ok, 1 bad input,
# 2 usage, 3 I/O or system error, 4 damaged store), `file:line: column: reason` messages,
# nothing committed by a failed load, --rejects, idempotent reloads, a damaged store.
#
#   tests/diff/cli_errors.sh           (COLSTORE_BIN_DIR=build/tools by default; no server needed)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/diff/lib.sh
source "$here/lib.sh"

if [[ ! -x $COLGEN ]] || ! have_engine; then
  echo "cli_errors.sh: colgen, colload and colquery must be built in $bin_dir" >&2
  echo "cli_errors.sh: 0 passed, 1 failed"
  exit 1
fi
make_work
trap cleanup_lib EXIT

gen=$work/gen
store=$work/store
err=$work/err
"$COLGEN" --out "$gen" --rows 300 --seed 5 --start 2025-03-01 --days 10 --format both

run() { # run OUT_RC CMD...: runs a command with stderr to $err, its exit code in the named var
  local -n rc_=$1
  shift
  rc_=0
  "$@" >"$work/out" 2>"$err" || rc_=$?
}

# A load does not create a store unless asked (a mistyped --store is an error, not a new store).
run rc "$COLLOAD" --store "$store" dim_agent "$gen/dim_agent.copy"
expect_rc "load into a missing store without --create" 3 "$rc" "$err"
expect_msg "no store without --create: message" "no store at $store (add --create" "$err"
if [[ -e $store ]]; then fail "a load without --create made a store"; else pass "a load without --create made no store"; fi
# Facts before their dimensions: one run names every dimension still empty, in one message.
run rc "$COLLOAD" --store "$work/order" --create fact_agent_query "$gen/fact_agent_query.copy"
expect_rc "facts before dimensions" 1 "$rc" "$err"
expect_msg "facts before dimensions: every missing one named" \
  "fact_agent_query.copy: fact_agent_query references dimensions with no rows yet: load dim_agent, dim_time, dim_conversation first" "$err"
run rc "$COLLOAD" --store "$work/order" --create dim_time "$gen/dim_time.copy"
expect_rc "dim_time into the ordering store" 0 "$rc" "$err"
run rc "$COLLOAD" --store "$work/order" fact_approval "$gen/fact_approval.copy"
expect_rc "fact_approval with only dim_time loaded" 1 "$rc" "$err"
expect_msg "fact_approval: the dimensions still empty, dim_time not among them" \
  "references dimensions with no rows yet: load dim_agent, dim_conversation, dim_user first" "$err"
for t in "${tables[@]}"; do
  run rc "$COLLOAD" --store "$store" --create "$t" "$gen/$t.copy"
  expect_rc "initial load of $t" 0 "$rc" "$err"
done

snapshot() { # snapshot DIR: text dumps of every table
  mkdir -p "$1"
  local t
  for t in "${tables[@]}"; do "$COLQUERY" --store "$store" dump "$t" >"$1/$t.copy" 2>/dev/null || true; done
}
snapshot "$work/base"
for t in "${tables[@]}"; do same "dump after load: $t" "$gen/$t.copy" "$work/base/$t.copy"; done

unchanged() { # unchanged NAME [BASE]: the store holds exactly what BASE (default: base) holds
  snapshot "$work/now"
  local t ok=1 base=${2:-$work/base}
  for t in "${tables[@]}"; do cmp -s "$base/$t.copy" "$work/now/$t.copy" || ok=0; done
  if ((ok)); then pass "$1: nothing committed"; else fail "$1: the store changed after a failed load"; fi
}

# An export that looks like the other format says which flag to use.
snapshot "$work/before-format"
run rc "$COLLOAD" --store "$store" --format csv dim_user "$gen/dim_user.copy"
expect_rc "COPY text loaded with --format csv" 1 "$rc" "$err"
expect_msg "COPY text loaded with --format csv: the hint" "looks like COPY text, not CSV; use --format text" "$err"
cp "$gen/dim_agent.copy" "$work/agents.csv"
run rc "$COLLOAD" --store "$store" dim_agent "$work/agents.csv"
expect_rc "COPY text named .csv" 1 "$rc" "$err"
expect_msg "COPY text named .csv: the hint" "agents.csv:1: header: unknown column" "$err"
expect_msg "COPY text named .csv: the flag" "looks like COPY text, not CSV; use --format text" "$err"
run rc "$COLLOAD" --store "$store" dim_user - <"$gen/dim_user.csv"
expect_rc "CSV on stdin without --format" 1 "$rc" "$err"
expect_msg "CSV on stdin: the message says --format csv" \
  "<stdin>:1: row: expected 7 fields, found 1; looks like CSV, not COPY text; use --format csv" "$err"
cp "$gen/fact_training.csv" "$work/training.copy"
run rc "$COLLOAD" --store "$store" fact_training "$work/training.copy"
expect_msg "CSV named .copy: the hint" "looks like CSV, not COPY text; use --format csv" "$err"
run rc "$COLLOAD" --store "$store" --format csv dim_user - <"$gen/dim_user.csv"
expect_rc "CSV on stdin with --format csv" 0 "$rc" "$err"
unchanged "loads in the wrong format" "$work/before-format"

# A row of TABLE's export (line 1 of the text file) with fields replaced: row TABLE IDX=VAL...
row() {
  local t=$1
  shift
  local -a f
  IFS=$'\t' read -r -a f < <(head -n 1 "$gen/$t.copy")
  local kv
  for kv in "$@"; do f[${kv%%=*}]=${kv#*=}; done
  (IFS=$'\t'; printf '%s\n' "${f[*]}")
}

# bad_text NAME TABLE MESSAGE_PART IDX=VAL...: two good new rows then a bad one on line 3:
# exit 1, the message names file:3 and MESSAGE_PART (the column), nothing committed.
bad_text() {
  local name=$1 t=$2 part=$3
  shift 3
  local f=$work/bad.copy k
  local -a uniq=() # a dimension's natural key must stay unique too
  for k in 900001 900002 900003; do
    case $t in dim_agent | dim_user | dim_conversation) uniq+=("1=gen-$k") ;; *) uniq+=("") ;; esac
  done
  { row "$t" 0=900001 ${uniq[0]:+"${uniq[0]}"}; row "$t" 0=900002 ${uniq[1]:+"${uniq[1]}"}
    row "$t" 0=900003 ${uniq[2]:+"${uniq[2]}"} "$@"; } >"$f"
  run rc "$COLLOAD" --store "$store" --format text "$t" "$f"
  expect_rc "$name: exit code" 1 "$rc" "$err"
  if grep -qF "bad.copy:3: $part" "$err"; then
    pass "$name: message"
  else
    fail "$name: message should contain 'bad.copy:3: $part', got: $(head -c 200 "$err")"
  fi
  unchanged "$name"
}

# fact_agent_query: 0 query_key 1 agent_key 2 time_key 3 conv_key 4 query_hash
# 5 result_size_bytes 6 latency_ms 7 approved 8 human_edited 9 error_occurred 10 created_at
bad_text "non-numeric integer" fact_agent_query "latency_ms:" 6=12x
bad_text "int4 overflow" fact_agent_query "latency_ms:" 6=2147483648
bad_text "bad boolean" fact_agent_query "approved:" 7=maybe
bad_text "impossible date" fact_agent_query "created_at:" "10=2025-02-30 10:00:00+00"
bad_text "garbled timestamp" fact_agent_query "created_at:" "10=2025-03-02 25:61:00+00"
bad_text "NOT NULL violation" fact_agent_query "latency_ms:" '6=\N'
bad_text "unknown agent_key" fact_agent_query "agent_key:" 1=9999
bad_text "time_key without dim_time row" fact_agent_query "time_key:" 2=19990101
bad_text "unknown conv_key" fact_agent_query "conv_key:" 3=999999
bad_text "query_hash not 32 hex digits" fact_agent_query "query_hash:" 4=xyz
# fact_training: 6 clarity_score 9 overall_score; fact_approval: 5 status
bad_text "score outside 1..5" fact_training "clarity_score:" 6=6
bad_text "overall_score disagrees" fact_training "overall_score:" 9=4.99
bad_text "unknown status" fact_approval "status:" 5=aproved
bad_text "unknown agent_type" dim_agent "agent_type:" 1=newagent 2=robot 8=t
bad_text "unknown user_type" dim_user "user_type:" 1=newuser 2=admin
bad_text "invalid UTF-8" dim_user "user_id:" $'1=bad\xff\xfeid'
bad_text "NUL byte from an escape" dim_user "team:" '1=newuser' '3=a\000b'

# Lines that are wrong as a whole (field count, quoting, length)
line_case() { # line_case NAME TABLE FORMAT FILE WANT_LINE
  run rc "$COLLOAD" --store "$store" --format "$3" "$2" "$4"
  expect_rc "$1: exit code" 1 "$rc" "$err"
  if grep -qF "$(basename "$4"):$5:" "$err"; then pass "$1: message"; else
    fail "$1: message should name $(basename "$4"):$5, got: $(head -c 200 "$err")"; fi
  unchanged "$1"
}
f=$work/fields.copy
{ row fact_agent_query 0=900001; row fact_agent_query 0=900002 | cut -f1-10; } >"$f"
line_case "too few fields" fact_agent_query text "$f" 2
{ row fact_agent_query 0=900001; printf '%s\textra\n' "$(row fact_agent_query 0=900002)"; } >"$f"
line_case "too many fields" fact_agent_query text "$f" 2
f=$work/trunc.copy
{ row fact_agent_query 0=900001; row fact_agent_query 0=900002 | head -c 40; } >"$f"
line_case "truncated last line" fact_agent_query text "$f" 2
f=$work/long.copy
{ row dim_user 0=900001 1=longuser "3=$(head -c 1100000 /dev/zero | tr '\0' x)"; } >"$f"
line_case "line over the length limit" dim_user text "$f" 1
f=$work/unterminated.csv
{ head -n 2 "$gen/dim_user.csv" | sed '2s/^1,/900001,/'; printf '900002,"open quote,annotator,,2025-01-01 00:00:00+00,,t\n'; } >"$f"
line_case "CSV ends inside a quoted field" dim_user csv "$f" 3
f=$work/header.csv
{ head -n 1 "$gen/fact_agent_query.csv" | sed 's/latency_ms/latency/'; sed -n 2p "$gen/fact_agent_query.csv"; } >"$f"
run rc "$COLLOAD" --store "$store" fact_agent_query "$f"
expect_rc "unknown header column" 1 "$rc" "$err"
unchanged "unknown header column"

# A row whose key is stored with other values is a conflict, never an overwrite or a skip.
f=$work/conflict.copy
row fact_agent_query 6=1 >"$f"
[[ $(head -n 1 "$gen/fact_agent_query.copy" | cut -f7) == 1 ]] && row fact_agent_query 6=2 >"$f"
run rc "$COLLOAD" --store "$store" fact_agent_query "$f"
expect_rc "key conflict" 1 "$rc" "$err"
unchanged "key conflict"

# Usage and I/O errors
run rc "$COLLOAD"; expect_rc "colload without arguments" 2 "$rc" "$err"
run rc "$COLLOAD" --store "$store" --bogus fact_agent_query "$gen/fact_agent_query.copy"
expect_rc "colload unknown option" 2 "$rc" "$err"
run rc "$COLLOAD" --store "$store" --format xml fact_agent_query "$gen/fact_agent_query.copy"
expect_rc "colload unknown --format" 2 "$rc" "$err"
run rc "$COLLOAD" --store "$store" no_such_table "$gen/fact_agent_query.copy"
expect_rc "colload unknown table" "1|2" "$rc" "$err"
run rc "$COLLOAD" --store "$store" fact_agent_query "$work/no-such-file.copy"
expect_rc "colload missing file" 3 "$rc" "$err"
run rc "$COLQUERY"; expect_rc "colquery without arguments" 2 "$rc" "$err"
run rc "$COLQUERY" --store "$store" no-such-report; expect_rc "colquery unknown report" 2 "$rc" "$err"
# A parameter's value that is wrong is bad input (exit 1), named by its flag.
run rc "$COLQUERY" --store "$store" agent-performance --as-of 2025-02-30
expect_rc "colquery bad --as-of" 1 "$rc" "$err"
expect_msg "colquery bad --as-of: message" '--as-of: invalid date "2025-02-30"' "$err"
run rc "$COLLOAD" --store "$store" pull --since 2025-13-01
expect_rc "colload pull bad --since" 1 "$rc" "$err"
expect_msg "colload pull bad --since: message" '--since: invalid date "2025-13-01"' "$err"
run rc "$COLQUERY" --store "$store" approval-queue --year abc; expect_rc "colquery bad --year" 1 "$rc" "$err"
run rc "$COLQUERY" --store "$store" approval-queue --year 0; expect_rc "colquery --year 0" 1 "$rc" "$err"
run rc "$COLQUERY" --store "$store" agent-performance --days -1; expect_rc "colquery --days -1" 1 "$rc" "$err"
expect_msg "colquery --days -1: message" '--days: invalid value "-1"' "$err"
run rc "$COLQUERY" --store "$store" daily-agg --from 2025-03-05 --to 2025-03-01
expect_rc "daily-agg --from after --to" 1 "$rc" "$err"
expect_msg "daily-agg --from after --to: message" "--from 2025-03-05 is after --to 2025-03-01" "$err"
f=$work/lt.copy
row dim_user 0=900100 1=loadtime-user >"$f"
run rc "$COLLOAD" --store "$store" --load-time '2025-02-30 00:00:00+00' dim_user "$f"
expect_rc "colload impossible --load-time" 1 "$rc" "$err"
expect_msg "colload impossible --load-time: message" '--load-time: invalid timestamptz "2025-02-30 00:00:00+00"' "$err"
unchanged "colload impossible --load-time"

# Argument syntax (getopt_long): --opt=value, --, abbreviations, standard messages.
"$COLQUERY" --store "$store" daily-agg --from 2025-03-02 --to 2025-03-03 --format csv >"$work/a.csv" 2>"$err"
run rc "$COLQUERY" --store="$store" --format=csv daily-agg --from=2025-03-02 --to=2025-03-03
expect_rc "colquery --opt=value" 0 "$rc" "$err"
same "colquery --opt=value gives the same output" "$work/a.csv" "$work/out"
run rc "$COLQUERY" --store "$store" --format csv --from 2025-03-02 --to 2025-03-03 -- daily-agg
expect_rc "colquery with --" 0 "$rc" "$err"
run rc "$COLQUERY" --store "$store" --csv approval-queue
expect_rc "colquery --csv (no such option)" 2 "$rc" "$err"
expect_msg "an unknown option is named as unrecognized" "colquery: unrecognized option '--csv'" "$err"
run rc "$COLQUERY" --store "$store" approval-queue --year
expect_rc "colquery --year without a value" 2 "$rc" "$err"
expect_msg "a missing value is named" "option '--year' requires an argument" "$err"
run rc "$COLQUERY" --store "$store" agent-performance --year 2025
expect_rc "an option that does not apply to the report" 2 "$rc" "$err"
expect_msg "an option that does not apply: message" "--year does not apply to agent-performance" "$err"
run rc "$COLQUERY" --store "$store" verify --recompute
expect_rc "an option that does not apply to verify" 2 "$rc" "$err"
run rc "$COLQUERY" --store "$store" agent-perfomance
expect_rc "colquery misspelled report" 2 "$rc" "$err"
expect_msg "misspelled report: suggestion" 'unknown report or command "agent-perfomance"; did you mean "agent-performance"?' "$err"
run rc "$COLLOAD" --store "$store" fact_agent_qeury "$gen/fact_agent_query.copy"
expect_rc "colload misspelled table" 2 "$rc" "$err"
expect_msg "misspelled table: suggestion" 'did you mean "fact_agent_query"?' "$err"
for tool in "$COLLOAD" "$COLQUERY" "$COLGEN"; do
  run rc "$tool" --version; expect_rc "$(basename "$tool") --version" 0 "$rc" "$err"
  if grep -qE "^$(basename "$tool") \(colstore\) [0-9]+\.[0-9]+\.[0-9]+$" "$work/out"; then
    pass "$(basename "$tool") --version prints its version"
  else
    fail "$(basename "$tool") --version printed: $(head -c 200 "$work/out")"
  fi
done
run rc "$COLGEN" --out "$work/g2" --rows 10 --bogus 1; expect_rc "colgen unknown option" 2 "$rc" "$err"
run rc "$COLGEN" --out="$work/g2" --rows=10 --days=2 --format=text; expect_rc "colgen --opt=value" 0 "$rc" "$err"
run rc "$COLQUERY" --store "$store" --format xml approval-queue --year 2025
expect_rc "colquery unknown --format" 2 "$rc" "$err"
run rc "$COLQUERY" --store "$store" dump no_such_table; expect_rc "dump unknown table" "1|2" "$rc" "$err"
run rc "$COLQUERY" --store "$work/no-such-store" approval-queue --year 2025
expect_rc "colquery on a missing store" 3 "$rc" "$err"
for tool in "$COLLOAD" "$COLQUERY" "$COLGEN"; do
  run rc "$tool" --help; expect_rc "$(basename "$tool") --help" 0 "$rc" "$err"
  if [[ -s $work/out ]]; then pass "$(basename "$tool") --help prints usage"; else fail "$(basename "$tool") --help prints nothing"; fi
done

# Accepted inputs that change nothing: a reload, from standard input, through COLSTORE_DIR;
# an empty export; a CSV export that is only a header.
run rc "$COLLOAD" --store "$store" fact_agent_query - <"$gen/fact_agent_query.copy"
expect_rc "reload from standard input" 0 "$rc" "$err"
run rc env COLSTORE_DIR="$store" "$COLLOAD" fact_approval "$gen/fact_approval.csv"
expect_rc "reload with COLSTORE_DIR" 0 "$rc" "$err"
: >"$work/empty.copy"
run rc "$COLLOAD" --store "$store" fact_training "$work/empty.copy"; expect_rc "empty export" 0 "$rc" "$err"
head -n 1 "$gen/fact_training.csv" >"$work/header-only.csv"
run rc "$COLLOAD" --store "$store" fact_training "$work/header-only.csv"; expect_rc "header-only CSV" 0 "$rc" "$err"
unchanged "reloads and empty exports"

# Accepted inputs that add rows: a last line without a newline; --rejects keeps the good rows.
f=$work/nonl.copy
{ row fact_agent_query 0=900001; row fact_agent_query 0=900002 | tr -d '\n'; } >"$f"
run rc "$COLLOAD" --store "$store" fact_agent_query "$f"
expect_rc "last line without newline" 0 "$rc" "$err"
"$COLQUERY" --store "$store" dump fact_agent_query >"$work/dump.copy"
if [[ $(tail -n 2 "$work/dump.copy" | cut -f1 | tr '\n' ' ') == "900001 900002 " ]]; then
  pass "last line without newline: both rows stored"
else
  fail "last line without newline: rows 900001 and 900002 not both stored"
fi
f=$work/rejects-in.copy
bad_line=$(row fact_agent_query 0=900005 6=oops)
{ row fact_agent_query 0=900003; printf '%s\n' "$bad_line"; row fact_agent_query 0=900004; } >"$f"
run rc "$COLLOAD" --store "$store" --rejects "$work/rejects.txt" fact_agent_query "$f"
expect_rc "--rejects with one bad line exits 1 (for cron)" 1 "$rc" "$err"
expect_msg "--rejects: the summary counts the rejected line" "1 rejected" "$err"
if [[ -f $work/rejects.txt ]] && grep -qF -- "$bad_line" "$work/rejects.txt"; then
  pass "--rejects: the bad line is in the rejects file verbatim"
else
  fail "--rejects: the bad line is not in the rejects file verbatim"
fi
"$COLQUERY" --store "$store" dump fact_agent_query >"$work/dump.copy"
if [[ $(tail -n 2 "$work/dump.copy" | cut -f1 | tr '\n' ' ') == "900003 900004 " ]]; then
  pass "--rejects: the good rows are committed"
else
  fail "--rejects: rows 900003 and 900004 are not both stored"
fi
run rc "$COLQUERY" --store "$store" verify; expect_rc "verify after the error cases" 0 "$rc" "$err"

# colload nightly: usage, a bad night (exit 1, file:line: column, nothing committed), a good one.
run rc "$COLLOAD" --store "$store" nightly "$gen/fact_agent_query.copy"
expect_rc "nightly with a FILE is a usage error" 2 "$rc" "$err"
run rc "$COLLOAD" --store "$store" fact_agent_query "$gen/fact_agent_query.copy" --queries x
expect_rc "--queries without nightly is a usage error" 2 "$rc" "$err"
run rc "$COLLOAD" --store "$store" nightly --queries - --approvals -
expect_rc "two exports on standard input is a usage error" 2 "$rc" "$err"
agent=$(head -n 1 "$gen/dim_agent.copy" | cut -f2)
day=$(head -n 1 "$gen/dim_time.copy" | cut -f2)
printf '%s\t%s\tcli-conv\tselect 1\t1\t5\tt\tf\tf\t%s 10:00:00+00\n' \
  990001 "$agent" "$day" 990002 ghost-agent "$day" >"$work/q.copy"
snapshot "$work/before"
run rc "$COLLOAD" --store "$store" nightly --queries "$work/q.copy"
expect_rc "nightly: unknown agent" 1 "$rc" "$err"
if grep -q "q.copy:2: agent: no dim_agent version of agent \"ghost-agent\"" "$err"; then
  pass "nightly: the message names file, line and column"
else
  fail "nightly: message: $(cat "$err")"
fi
unchanged "nightly: a bad night commits nothing" "$work/before"
head -n 1 "$work/q.copy" >"$work/q1.copy"
run rc "$COLLOAD" --store "$store" nightly --load-time '2025-06-01 03:00:00+00' --queries - <"$work/q1.copy"
expect_rc "nightly: one good row from standard input" 0 "$rc" "$err"
if grep -q 'agent_queries 1 read, 1 new, 0 skipped, 0 rejected' "$err"; then
  pass "nightly: summary line"
else
  fail "nightly: summary line: $(cat "$err")"
fi
run rc "$COLLOAD" --store "$store" nightly --queries "$work/q1.copy"
if [[ $rc -eq 0 ]] && grep -q 'agent_queries 1 read, 0 new, 1 skipped' "$err"; then
  pass "nightly: a re-run skips the row"
else
  fail "nightly: re-run: exit $rc: $(cat "$err")"
fi

# colquery info: a fresh store, dimensions then facts; every figure against the dumps. Without
# the automatic compaction: one commit a load, the last one the fact_training load's.
istore=$work/info-store
for t in "${tables[@]}"; do "$COLLOAD" --store "$istore" --create --no-auto-compact "$t" "$gen/$t.copy" 2>/dev/null; done
run rc "$COLQUERY" --store "$istore" info --format csv
expect_rc "info --format csv" 0 "$rc" "$err"
# the tables section: after the store section and a blank line
sed -n '/^table,/,$p' "$work/out" | tail -n +2 >"$work/info.tables"
ok=1
for t in "${tables[@]}" agg_agent_daily_performance; do
  want=$("$COLQUERY" --store "$istore" dump "$t" | wc -l)
  got=$(awk -F, -v t="$t" '$1 == t {print $2}' "$work/info.tables")
  [[ $got == "$want" ]] || { ok=0; fail "info: $t has $got rows, dump has $want"; }
done
((ok)) && pass "info: every table's rows equal its dump's"
read -r first last < <("$COLQUERY" --store "$istore" dump fact_agent_query | awk -F'\t' \
  'NR == 1 || $3 < lo {lo = $3} NR == 1 || $3 > hi {hi = $3} END {print lo, hi}')
days=$("$COLQUERY" --store "$istore" dump fact_agent_query | cut -f3 | sort -u | wc -l)
line=$(awk -F, '$1 == "fact_agent_query"' "$work/info.tables")
want="fact_agent_query,$("$COLQUERY" --store "$istore" dump fact_agent_query | wc -l),$days,${first:0:4}-${first:4:2}-${first:6:2},${last:0:4}-${last:4:2}-${last:6:2},"
if [[ $line == "$want"* ]]; then pass "info: fact_agent_query rows, partitions, first and last day"; else
  fail "info: fact_agent_query: '$line', expected it to start with '$want'"; fi
store_line=$(sed -n 2p "$work/out")
if [[ $store_line == "$istore,2,7,"*'"fact_training: '*'agg_agent_daily_performance: '* ]]; then
  pass "info: store section (format 2, version 7, the last commit wrote fact_training and the aggregates)"
else fail "info: store section: $store_line"; fi
run rc "$COLQUERY" --store "$istore" info --format json
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [r["table"] for r in d["tables"]][4] == "fact_agent_query"; assert d["store"][0]["version"] == 7' "$work/out"; then
  pass "info --format json: one object, store and tables"; else fail "info --format json: $(head -c 300 "$work/out")"; fi
run rc "$COLQUERY" --store "$istore" info fact_agent_query --format json
if python3 - "$work/out" "$("$COLQUERY" --store "$istore" dump fact_agent_query | wc -l)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
cols = [c["column"] for c in d["columns"]]
assert cols[:3] == ["query_key", "agent_key", "time_key"] and len(cols) == 11, cols
assert sum(p["rows"] for p in d["partitions"]) == int(sys.argv[2])
assert all(c["encodings"] for c in d["columns"]) and all(c["bytes"] > 0 for c in d["columns"])
assert d["columns"][2]["encodings"].startswith("const"), d["columns"][2]  # one time_key a day
PY
then pass "info TABLE: columns (types, encodings, bytes) and partitions adding up to the rows"
else fail "info TABLE --format json: $(head -c 300 "$work/out")"; fi
run rc "$COLQUERY" --store "$istore" info dim_user
expect_rc "info dim_user" 0 "$rc" "$err"
if head -n 1 "$work/out" | grep -qx columns && grep -q '^ user_id *| text *| f ' "$work/out"; then
  pass "info TABLE in table format: sections, a column's type"; else fail "info dim_user: $(head -c 300 "$work/out")"; fi
run rc "$COLQUERY" --store "$istore" info fact_agent_quer
expect_rc "info of an unknown table" 2 "$rc" "$err"
expect_msg "info of an unknown table: nearest name" 'did you mean "fact_agent_query"?' "$err"
run rc "$COLQUERY" --store "$istore" info dim_user dim_agent
expect_rc "info with two tables" 2 "$rc" "$err"
# a report whose window holds no data says where the data is
run rc "$COLQUERY" --store "$istore" agent-performance --as-of 2024-06-30
expect_rc "agent-performance before the data" 0 "$rc" "$err"
expect_msg "empty window: where the data is" \
  "no rows in 2024-06-23..2024-06-30; fact_agent_query holds ${first:0:4}-${first:4:2}-${first:6:2}..${last:0:4}-${last:4:2}-${last:6:2} (try --as-of ${last:0:4}-${last:4:2}-${last:6:2})" "$err"
run rc "$COLQUERY" --store "$istore" approval-queue --year 2031
expect_msg "empty approval-queue year: where the data is" "no rows in 2031-01-01..2031-12-31; fact_approval holds" "$err"
run rc "$COLQUERY" --store "$istore" daily-agg --from "${first:0:4}-${first:4:2}-${first:6:2}" --to "${first:0:4}-${first:4:2}-${first:6:2}"
if [[ $rc -eq 0 && ! -s $err ]]; then pass "a window with data: no hint"; else fail "a window with data: rc $rc: $(cat "$err")"; fi

# Store safety (issue 10): nothing deletes or overwrites what the engine did not create.
listing() { (cd "$1" && find . -printf '%p %y %s\n' | sort); }
snapshot "$work/before-safety"
rm -rf "$work/s1" && cp -a "$store" "$work/s1" && rm "$work/s1/CURRENT"
listing "$work/s1" >"$work/before.lst"
run rc "$COLLOAD" --store "$work/s1" dim_agent "$gen/dim_agent.copy"
expect_rc "load into a store without CURRENT" 4 "$rc" "$err"
listing "$work/s1" >"$work/after.lst"
same "store without CURRENT: nothing deleted" "$work/before.lst" "$work/after.lst"
if grep -q "damaged store.*To recover" "$err"; then pass "store without CURRENT: says how to recover"; else
  fail "store without CURRENT: no recovery hint: $(head -c 300 "$err")"; fi
mkdir -p "$work/userdir" && echo draft >"$work/userdir/draft.tmp" && echo notes >"$work/userdir/notes"
listing "$work/userdir" >"$work/before.lst"
run rc "$COLLOAD" --store "$work/userdir" --create dim_agent "$gen/dim_agent.copy"
expect_rc "load into a non-empty directory that is not a store" 2 "$rc" "$err"
listing "$work/userdir" >"$work/after.lst"
same "non-store directory: untouched" "$work/before.lst" "$work/after.lst"
mkdir -p "$work/planted" && echo precious >"$work/victim"
ln -s "$work/victim" "$work/planted/MANIFEST-000000000000"
run rc "$COLLOAD" --store "$work/planted" --create dim_agent "$gen/dim_agent.copy"
expect_rc "symlink planted as MANIFEST-000000000000" 4 "$rc" "$err"
rm "$work/planted/MANIFEST-000000000000" && ln -s "$work/victim" "$work/planted/CURRENT.tmp"
run rc "$COLLOAD" --store "$work/planted" --create dim_agent "$gen/dim_agent.copy"
expect_rc "symlink planted as CURRENT.tmp" 2 "$rc" "$err"
rm -rf "$work/s1" && cp -a "$store" "$work/s1" && rm "$work/s1/LOCK" && ln -s "$work/lock-target" "$work/s1/LOCK"
run rc "$COLLOAD" --store "$work/s1" dim_agent "$gen/dim_agent.copy"
expect_rc "LOCK is a symlink" 4 "$rc" "$err"
if [[ $(cat "$work/victim") == precious && ! -e $work/lock-target ]]; then pass "symlinks: nothing written outside the store"; else
  fail "symlinks: a file outside the store was written or created"; fi
# --rejects: the input, the store, a held lock, an unwritable file
cp "$gen/fact_training.csv" "$work/ft.csv" && echo '999999,bad' >>"$work/ft.csv"
cp "$work/ft.csv" "$work/ft.orig"
run rc "$COLLOAD" --store "$store" --rejects "$work/ft.csv" fact_training "$work/ft.csv"
expect_rc "--rejects names the input" 2 "$rc" "$err"
same "--rejects names the input: input untouched" "$work/ft.orig" "$work/ft.csv"
run rc "$COLLOAD" --store "$store" --rejects "$store/CURRENT" fact_training "$work/ft.csv"
expect_rc "--rejects inside the store" 2 "$rc" "$err"
echo "yesterday" >"$work/rej.txt"
if command -v flock >/dev/null; then
  run rc flock -n "$store/LOCK" "$COLLOAD" --store "$store" --rejects "$work/rej.txt" fact_training "$work/ft.csv"
  expect_rc "--rejects while another writer holds the lock" 3 "$rc" "$err"
  if [[ $(cat "$work/rej.txt") == yesterday ]]; then pass "--rejects untouched while locked"; else
    fail "--rejects emptied while another writer held the lock"; fi
fi
run rc "$COLLOAD" --store "$store" --rejects /dev/full fact_training "$work/ft.csv"
expect_rc "--rejects /dev/full" 3 "$rc" "$err"
{ cat "$gen/fact_training.csv"; printf '999991,bad\n999992,bad\n999993,bad\n'; } >"$work/ft3.csv"
run rc "$COLLOAD" --store "$store" --rejects "$work/rej.txt" --max-rejects 2 fact_training "$work/ft3.csv"
expect_rc "--max-rejects 2 with 3 bad lines" 1 "$rc" "$err"
if grep -q "more than 2 rows rejected" "$err"; then pass "--max-rejects: message"; else
  fail "--max-rejects: message: $(head -c 300 "$err")"; fi
run rc "$COLLOAD" --store "$store" --rejects "$work/rej.txt" --max-rejects 0 fact_training "$work/ft3.csv"
expect_rc "--max-rejects 0" 1 "$rc" "$err"
run rc "$COLLOAD" --store "$store" --max-rejects 5 fact_training "$work/ft3.csv"
expect_rc "--max-rejects without --rejects" 2 "$rc" "$err"
unchanged "store safety cases" "$work/before-safety"
run rc "$COLQUERY" --store "$store" verify; expect_rc "verify after the store safety cases" 0 "$rc" "$err"

# retain: bad arguments change nothing; a good one drops the days before the date.
rm -rf "$work/ret" && cp -a "$store" "$work/ret"
"$COLQUERY" --store "$work/ret" dump fact_agent_query >"$work/ret-faq.copy"
"$COLQUERY" --store "$work/ret" dump fact_approval >"$work/ret-fa.copy"
run rc "$COLLOAD" --store "$work/ret" retain
expect_rc "retain without --before" 2 "$rc" "$err"
expect_msg "retain without --before: message" "retain needs --before DATE" "$err"
run rc "$COLLOAD" --store "$work/ret" retain --before 2025-02-30
expect_rc "retain bad --before" 1 "$rc" "$err"
expect_msg "retain bad --before: message" '--before: invalid date "2025-02-30"' "$err"
run rc "$COLLOAD" --store "$work/ret" retain --before 2025-03-05 dim_agent
expect_rc "retain a dimension" 2 "$rc" "$err"
expect_msg "retain a dimension: message" "dim_agent is a dimension; dimensions are kept" "$err"
run rc "$COLLOAD" --store "$work/ret" retain --before 2025-03-05 fact_aproval
expect_rc "retain a misspelled table" 2 "$rc" "$err"
expect_msg "retain a misspelled table: suggestion" 'unknown fact table "fact_aproval"; did you mean "fact_approval"?' "$err"
run rc "$COLLOAD" --store "$work/ret" retain --before 2025-03-05 --format csv
expect_rc "retain with a load option" 2 "$rc" "$err"
run rc "$COLLOAD" --store "$work/no-such-store" retain --before 2025-03-05
expect_rc "retain on a missing store" 3 "$rc" "$err"
same "retain refused: fact_approval unchanged" "$work/ret-fa.copy" \
  <("$COLQUERY" --store "$work/ret" dump fact_approval)
run rc "$COLLOAD" --store "$work/ret" retain --before 2025-03-05 fact_approval
expect_rc "retain fact_approval" 0 "$rc" "$err"
expect_msg "retain: summary" "before 2025-03-05 dropped" "$err"
same "retain: fact_approval keeps the days from the date on" \
  <(awk -F'\t' '$3 >= 20250305' "$work/ret-fa.copy") <("$COLQUERY" --store "$work/ret" dump fact_approval)
same "retain: fact_agent_query untouched" "$work/ret-faq.copy" \
  <("$COLQUERY" --store "$work/ret" dump fact_agent_query)
run rc "$COLQUERY" --store "$work/ret" verify; expect_rc "verify after retain" 0 "$rc" "$err"

# compact: bad arguments change nothing; a compaction changes no dump; a second one has nothing
# to do. The retention (without its automatic compaction) leaves the dropped days' blocks dead.
rm -rf "$work/cmp" && cp -a "$store" "$work/cmp"
run rc "$COLLOAD" --store "$work/cmp" --no-auto-compact retain --before 2025-03-05
expect_rc "retain --no-auto-compact" 0 "$rc" "$err"
for t in "${tables[@]}" agg_agent_daily_performance; do "$COLQUERY" --store "$work/cmp" dump "$t"; done >"$work/cmp-before"
v_cmp=$("$COLQUERY" --store "$work/cmp" --format csv info | awk -F, 'NR == 2 { print $3 }')
run rc "$COLLOAD" --store "$work/cmp" compact now
expect_rc "compact with an operand" 2 "$rc" "$err"
expect_msg "compact with an operand: message" "compact takes no operand" "$err"
run rc "$COLLOAD" --store "$work/cmp" compact --format csv
expect_rc "compact with a load option" 2 "$rc" "$err"
run rc "$COLLOAD" --store "$work/cmp" --auto fact_training "$work/ft.csv"
expect_rc "--auto outside compact" 2 "$rc" "$err"
run rc "$COLLOAD" --store "$work/no-such-store" compact
expect_rc "compact on a missing store" 3 "$rc" "$err"
if command -v flock >/dev/null; then
  run rc flock -n "$work/cmp/LOCK" "$COLLOAD" --store "$work/cmp" compact
  expect_rc "compact while another writer holds the lock" 3 "$rc" "$err"
fi
if [[ $("$COLQUERY" --store "$work/cmp" --format csv info | awk -F, 'NR == 2 { print $3 }') == "$v_cmp" ]]; then
  pass "compact refused: no commit"; else fail "compact refused: committed"; fi
run rc "$COLLOAD" --store "$work/cmp" compact
expect_rc "compact" 0 "$rc" "$err"
expect_msg "compact: summary" "compact: commit $((v_cmp + 1)):" "$err"
same "compact: every dump unchanged" "$work/cmp-before" \
  <(for t in "${tables[@]}" agg_agent_daily_performance; do "$COLQUERY" --store "$work/cmp" dump "$t"; done)
run rc "$COLQUERY" --store "$work/cmp" verify; expect_rc "verify after compact" 0 "$rc" "$err"
run rc "$COLLOAD" --store "$work/cmp" compact --auto
expect_rc "compact --auto after compact" 0 "$rc" "$err"
expect_msg "compact --auto after compact: nothing to do" "compact: nothing to do" "$err"

# backup: a new or empty DEST only; the copy verifies and dumps as the store.
run rc "$COLQUERY" --store "$work/ret" backup
expect_rc "backup without DEST" 2 "$rc" "$err"
mkdir -p "$work/bk-full" && echo precious >"$work/bk-full/keep"
run rc "$COLQUERY" --store "$work/ret" backup "$work/bk-full"
expect_rc "backup into a non-empty directory" 2 "$rc" "$err"
expect_msg "backup into a non-empty directory: message" "is not empty" "$err"
if [[ $(cat "$work/bk-full/keep") == precious && $(ls -A "$work/bk-full") == keep ]]; then pass "backup: non-empty DEST untouched"; else fail "backup: non-empty DEST touched"; fi
run rc "$COLQUERY" --store "$work/ret" backup "$work/ret/inside"
expect_rc "backup inside the store" 2 "$rc" "$err"
run rc "$COLQUERY" --store "$work/ret" backup "$work/bk"
expect_rc "backup" 0 "$rc" "$err"
expect_msg "backup: summary" "hard-linked" "$err"
run rc "$COLQUERY" --store "$work/bk" verify; expect_rc "verify the backup" 0 "$rc" "$err"
same "backup: fact_approval as in the store" <("$COLQUERY" --store "$work/ret" dump fact_approval) \
  <("$COLQUERY" --store "$work/bk" dump fact_approval)

# A damaged store: a flipped byte and a truncated file are found, exit 4.
damage() { # damage NAME HOW
  rm -rf "$work/damaged"
  cp -a "$store" "$work/damaged"
  local victim
  victim=$(find "$work/damaged" -type f -size +1k -printf '%s %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
  if [[ -z $victim ]]; then fail "$1: no file over 1 KiB in the store to damage"; return; fi
  local size
  size=$(stat -c %s "$victim")
  if [[ $2 == flip ]]; then
    local off=$((size / 2)) byte
    byte=$(od -An -tu1 -j "$off" -N1 "$victim" | tr -d ' ')
    printf "\\$(printf %03o $((byte ^ 0x5a)))" | dd of="$victim" bs=1 seek="$off" conv=notrunc status=none
  else
    truncate -s $((size - 7)) "$victim"
  fi
  run rc "$COLQUERY" --store "$work/damaged" verify
  expect_rc "$1 ($(basename "$victim")): verify" 4 "$rc" "$err"
}
damage "flipped byte" flip
damage "truncated file" truncate

finish
