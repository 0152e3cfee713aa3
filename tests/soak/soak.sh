#!/usr/bin/env bash
# The soak (docs/reliability.md): loads commit back to back for SECONDS while four reader
# processes (two with mapped segments, two with pread) run every report and a dump in a loop,
# and a shell loop runs colquery processes. Checks that
#   - every report a reader ran on a pinned snapshot equals what the writer saw when it
#     committed that version, and every dump is one of the committed states;
#   - the readers' open descriptors and heap do not grow after warm-up;
#   - no file is left behind: after the last commit the store holds exactly the bytes its
#     newest version uses (manifest and data files), no temporary file, and it verifies.
#
#   bash tests/soak/soak.sh [SECONDS]       (default 30; the long run: 600)
# COLSTORE_BIN_DIR names the tools (colgen, colload, colquery), COLSTORE_SOAK the soak program.
set -uo pipefail
seconds=${1:-30}
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${COLSTORE_BIN_DIR:-$repo/build/tools}
soak=${COLSTORE_SOAK:-$(dirname "$bin")/tests/soak}
for t in "$bin/colgen" "$bin/colload" "$bin/colquery" "$soak"; do
  [[ -x $t ]] || { echo "soak.sh: $t is not built" >&2; exit 2; }
done
work=$(mktemp -d /tmp/colstore-soak.XXXXXX)
passed=0 failed=0
pass() { passed=$((passed + 1)); [[ -n ${VERBOSE:-} ]] && echo "ok   $1"; return 0; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
pids=()
cleanup() { [[ -d $work ]] && touch "$work/stop"; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

# A year of facts: everything but fact_agent_query first, then fact_agent_query one day a load.
"$bin/colgen" --out "$work/x" --rows 150000 --days 365 --format text >/dev/null || exit 3
mkdir "$work/days"
awk -F'\t' -v d="$work/days" '{ f = d "/" $3 ".copy"; print > f }' "$work/x/fact_agent_query.copy"
S=$work/store
for t in dim_time dim_agent dim_user dim_conversation fact_approval fact_training; do
  "$bin/colload" --store "$S" --create "$t" "$work/x/$t.copy" 2>/dev/null || { echo "soak.sh: loading $t failed" >&2; exit 3; }
done
"$soak" state "$S" >"$work/states" || exit 3
"$bin/colquery" --store "$S" --format csv dump agg_agent_daily_performance | md5sum | cut -c1-32 >"$work/cli-states"

# Readers: four embedded (long-lived) and one shell loop of whole colquery processes.
for mode in mapped once mapped once; do
  "$soak" read "$S" "$work/stop" "$mode" >"$work/reader-${#pids[@]}.out" 2>"$work/reader-${#pids[@]}.err" &
  pids+=($!)
done
(
  while [[ ! -e $work/stop ]]; do
    "$bin/colquery" --store "$S" --format csv dump agg_agent_daily_performance | md5sum | cut -c1-32
  done
) >"$work/cli.out" 2>"$work/cli.err" &
pids+=($!)

# The writer: one day a load, the state it committed recorded right after.
commits=0 load_failures=0 start=$SECONDS
for f in "$work"/days/*.copy; do
  ((SECONDS - start >= seconds && commits >= 3)) && break
  if "$bin/colload" --store "$S" fact_agent_query "$f" 2>>"$work/load.err"; then
    commits=$((commits + 1))
    "$soak" state "$S" >>"$work/states" || load_failures=$((load_failures + 1))
    "$bin/colquery" --store "$S" --format csv dump agg_agent_daily_performance | md5sum | cut -c1-32 >>"$work/cli-states"
  else
    load_failures=$((load_failures + 1))
  fi
done
touch "$work/stop"
for p in "${pids[@]}"; do wait "$p"; done
pids=()

((load_failures == 0 && commits >= 3)) && pass "writer: $commits commits" || fail "writer: $commits commits, $load_failures failures: $(tail -3 "$work/load.err")"

reads=0
for i in 0 1 2 3; do
  out=$work/reader-$i.out
  if [[ -s $work/reader-$i.err ]]; then fail "reader $i: $(head -3 "$work/reader-$i.err")"; continue; fi
  # R lines: the version's hash must be the writer's for that version. A load's commit may be
  # followed by the automatic compaction's in the same colload process, and the writer records
  # the state only after it: a version it did not record must equal the next one it did (a
  # compaction changes no content).
  bad=$(awk 'FNR == NR { if ($1 == "S") { want[$2] = $3; v[++nv] = $2 + 0 } next }
             function next_hash(x,   i) { for (i = 1; i <= nv; i++) if (v[i] > x) return want[v[i]]; return "" }
             $1 == "R" { n++; h = ($2 in want) ? want[$2] : next_hash($2 + 0)
                         if (h != $3) { bad++; if (bad == 1) first = $0 } }
             END { printf "%d %d %s", n, bad, first }' "$work/states" "$out")
  read -r n nbad first <<<"$bad"
  reads=$((reads + n))
  ((n > 0 && nbad == 0)) && pass "reader $i: $n snapshots, each equal to its committed state" ||
    fail "reader $i: $nbad of $n snapshots differ from their committed state (first: $first)"
  dbad=$(awk 'FNR == NR { if ($1 == "S") ok[$4] = 1; next } $1 == "D" && !($2 in ok) { b++ } END { print b + 0 }' "$work/states" "$out")
  ((dbad == 0)) && pass "reader $i: every dump is a committed state" || fail "reader $i: $dbad dumps match no committed state"
  read -r _ fd0 fd1 < <(grep '^FD ' "$out")
  ((fd0 > 0 && fd1 <= fd0)) && pass "reader $i: descriptors $fd0 -> $fd1" || fail "reader $i: descriptors grew $fd0 -> $fd1"
  read -r _ h0 h1 < <(grep '^HEAP ' "$out")
  ((h1 <= h0 + 4 * 1024 * 1024)) && pass "reader $i: heap $h0 -> $h1 bytes" || fail "reader $i: heap grew $h0 -> $h1 bytes"
done
cli_n=$(wc -l <"$work/cli.out")
cli_bad=$(awk 'FNR == NR { ok[$1] = 1; next } !($1 in ok) { b++ } END { print b + 0 }' "$work/cli-states" "$work/cli.out")
((cli_n > 0 && cli_bad == 0)) && pass "colquery processes: $cli_n dumps, each a committed state" ||
  fail "colquery processes: $cli_bad of $cli_n dumps match no committed state"

# Nothing left behind. A version still pinned by a reader when the writer superseded it stays on
# disk until the next writer's transaction reclaims it (readers never delete): one more load
# of a day already stored (it commits nothing new) does that, then the files on disk must be
# exactly the newest version's.
"$bin/colload" --store "$S" fact_agent_query "$(ls "$work"/days/*.copy | head -n 1)" 2>>"$work/load.err" ||
  fail "reload of a stored day: $(tail -1 "$work/load.err")"
"$soak" state "$S" >>"$work/states" || fail "state after the reload"
final=$(tail -n 1 "$work/states")
want_bytes=$(awk '{ print $5 }' <<<"$final")
have_bytes=$(find "$S" -maxdepth 1 -name 'MANIFEST-*' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
have_bytes=$((have_bytes + $(find "$S/data" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')))
((have_bytes == want_bytes)) && pass "no leftover files: $have_bytes bytes on disk = the newest version's" ||
  fail "leftover files: $have_bytes bytes on disk, the newest version uses $want_bytes: $(ls "$S" "$S/data" | tr '\n' ' ')"
tmp=$(find "$S" -name '*.tmp' | wc -l)
((tmp == 0)) && pass "no temporary files" || fail "$tmp temporary files left"
"$bin/colquery" --store "$S" verify >/dev/null 2>"$work/verify.err" && pass "verify" || fail "verify: $(cat "$work/verify.err")"

echo "soak.sh: ${seconds}s, $commits commits, $reads snapshots read by 4 readers, $cli_n colquery dumps"
echo "soak.sh: $passed passed, $failed failed"
if ((failed == 0)); then rm -rf "$work"; else echo "soak.sh: scratch files kept in $work"; fi
((failed == 0))
