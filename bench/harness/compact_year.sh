#!/usr/bin/env bash
# A year of nightly loads with and without the automatic compaction (issue 13;
# docs/storage-format.md §12), against the same year loaded in one go:
#
#   nice -n 10 bash bench/harness/compact_year.sh [--nights N] [--night-rows N] [--runs N]
#
#  1. colgen --ops writes N nights (default 365 from 2025-01-01, --night-rows queries a night,
#     default 27,397: the seed's volume; ~1 % late rows of the previous week every night, rows
#     sent again, an agent change and a new agent);
#  2. `colload nightly` applies every night to two stores: "auto" (the automatic compaction after
#     each load, the default) and "off" (--no-auto-compact); the size of both (du -sb) every 30
#     nights, and the total time of the nights;
#  3. the auto store's seven tables dumped and bulk-loaded into a fresh store make the one-go
#     store; every table's and the aggregates' dumps of the three stores must be equal;
#  4. `colload compact` of a copy of the off store (the manual compaction of a year), timed;
#  5. the three reports (and daily-agg --recompute) over the year as whole `colquery` processes on
#     the auto, off and one-go stores, hyperfine side by side.
# Scratch: $BENCH_DIR (default /work/bench-compact; ~6 GB at the seed's volume). Binaries:
# $COLSTORE_BIN_DIR (default build/tools: cmake --preset dev). Output: markdown on stdout and in
# bench/harness/results/compact-year-<date>.md, raw hyperfine JSON beside it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-/work/bench-compact}
BIN=${COLSTORE_BIN_DIR:-$repo/build/tools}
nights=365 night_rows=27397 runs=10
while [[ $# -gt 0 ]]; do
  case $1 in
    --nights) nights=$2; shift 2 ;;
    --night-rows) night_rows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "compact_year.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v hyperfine >/dev/null && command -v jq >/dev/null ||
  { echo "compact_year.sh: needs hyperfine and jq" >&2; exit 2; }
mkdir -p "$BENCH_DIR"
tag=compact-year-$(date -u +%F)${COMPACT_TAG:+-$COMPACT_TAG}
out=$repo/bench/harness/results/$tag.md
raw=$repo/bench/harness/results/$tag
mkdir -p "$raw"
: >"$out"
log() { echo "compact_year.sh: $(date -u +%T) $*" >&2; }
report() { echo "$*" | tee -a "$out"; }
med() { jq -r "[.results[$1].times[]] | sort | .[length/2|floor] * 1000" "$2"; } # ms
size() { du -sb "$1" | cut -f1; }
tables=(dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training)

ops=$BENCH_DIR/ops-$night_rows-$nights
if [[ ! -f $ops/night-$(printf '%03d' "$nights")/load_time ]]; then
  log "colgen: $nights nights of $night_rows queries"
  rm -rf "$ops"
  "$BIN/colgen" --ops --out "$ops" --rows "$night_rows" --nights "$nights" --seed 7 \
    --start 2025-01-01 --format text >/dev/null
fi
last_day=$(date -u -d "2025-01-01 $((nights - 1)) days" +%F)
year=${last_day%%-*}

s_auto=$BENCH_DIR/auto s_off=$BENCH_DIR/off s_one=$BENCH_DIR/onego s_cmp=$BENCH_DIR/off-compacted
rm -rf "$s_auto" "$s_off" "$s_one" "$s_cmp" "$BENCH_DIR/dump"
echo -e "night\tauto_bytes\toff_bytes" >"$raw/sizes.tsv"
declare -A secs
for mode in auto off; do
  s=$BENCH_DIR/$mode flag=()
  [[ $mode == off ]] && flag=(--no-auto-compact)
  "$BIN/colload" --store "$s" --create "${flag[@]}" dim_time "$ops/dim_time.copy" 2>/dev/null
  log "$mode: $nights nights"
  t0=$(date +%s.%N)
  for ((k = 1; k <= nights; k++)); do
    d=$ops/$(printf 'night-%03d' "$k")
    "$BIN/colload" --store "$s" "${flag[@]}" nightly --load-time "$(cat "$d/load_time")" \
      --agents "$d/agents.copy" --queries "$d/agent_queries.copy" \
      --approvals "$d/agent_approvals.copy" --feedback "$d/agent_feedback.copy" 2>>"$raw/$mode.log"
    if ((k % 30 == 0 || k == nights)); then echo "$k $(size "$s")" >>"$raw/sizes-$mode"; fi
  done
  t1=$(date +%s.%N)
  secs[$mode]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  log "$mode: ${secs[$mode]} s"
done
join "$raw/sizes-auto" "$raw/sizes-off" | tr ' ' '\t' >>"$raw/sizes.tsv"
rm -f "$raw/sizes-auto" "$raw/sizes-off"
version() { "$BIN/colquery" --store "$1" --format csv info | awk -F, 'NR == 2 { print $3 }'; }
v_auto=$(version "$s_auto") v_off=$(version "$s_off")

log "one go"
mkdir -p "$BENCH_DIR/dump"
for t in "${tables[@]}"; do "$BIN/colquery" --store "$s_auto" dump "$t" >"$BENCH_DIR/dump/$t.copy"; done
"$BIN/colload" --store "$s_one" --create dim_time "$BENCH_DIR/dump/dim_time.copy" 2>/dev/null
for t in "${tables[@]}"; do
  [[ $t == dim_time ]] && continue
  "$BIN/colload" --store "$s_one" "$t" "$BENCH_DIR/dump/$t.copy" 2>/dev/null
done
equal=1
for t in "${tables[@]}" agg_agent_daily_performance; do
  a=$("$BIN/colquery" --store "$s_auto" dump "$t" | md5sum)
  o=$("$BIN/colquery" --store "$s_off" dump "$t" | md5sum)
  g=$("$BIN/colquery" --store "$s_one" dump "$t" | md5sum)
  [[ $a == "$o" && $a == "$g" ]] || { equal=0; log "WARNING: $t differs between the stores"; }
done
for s in "$s_auto" "$s_off" "$s_one"; do "$BIN/colquery" --store "$s" verify >/dev/null; done

log "colload compact of the off store"
cp -al "$s_off" "$s_cmp"
t0=$(date +%s.%N)
"$BIN/colload" --store "$s_cmp" compact 2>"$raw/compact.summary"
t1=$(date +%s.%N)
c_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
"$BIN/colquery" --store "$s_cmp" verify >/dev/null

log "hyperfine"
q() { echo "$BIN/colquery --store $1 --format csv $2"; }
reps=("agent-performance --as-of $last_day --days 7" "approval-queue --year $year"
  "training-quality --as-of $last_day --days 30" "daily-agg --from 2025-01-01 --to $last_day --recompute")
cmds=()
for r in "${reps[@]}"; do cmds+=("$(q "$s_auto" "$r")" "$(q "$s_off" "$r")" "$(q "$s_one" "$r")"); done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$raw/reports.json" "${cmds[@]}" >"$raw/reports.txt" 2>&1

z_a=$(size "$s_auto") z_o=$(size "$s_off") z_g=$(size "$s_one") z_c=$(size "$s_cmp")
x() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
report "# A year of nightly loads with and without the automatic compaction ($(date -u '+%F %H:%M') UTC, $(git -C "$repo" rev-parse --short HEAD))"
report ""
report "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg) at the end; medians of $runs hyperfine runs."
report ""
report "$nights nights of \`colgen --ops --rows $night_rows --seed 7 --start 2025-01-01\` (~1 % late rows of the previous week a night). Every table's dump equal in the three stores: $([[ $equal == 1 ]] && echo yes || echo NO)."
report ""
report "| | auto (default) | off (\`--no-auto-compact\`) | one go |"
report "|---|---:|---:|---:|"
report "| size (\`du -sb\`) | $z_a | $z_o | $z_g |"
report "| size / one go | $(x "$z_a" "$z_g") | $(x "$z_o" "$z_g") | 1.00x |"
report "| commits | $v_auto | $v_off | |"
report "| $nights nights, total (s) | ${secs[auto]} | ${secs[off]} | |"
names=("agent-performance, 7 days" "approval-queue, $year" "training-quality, 30 days" "daily-agg --recompute, the year")
for i in 0 1 2 3; do
  a=$(med $((3 * i)) "$raw/reports.json") o=$(med $((3 * i + 1)) "$raw/reports.json") g=$(med $((3 * i + 2)) "$raw/reports.json")
  report "| ${names[i]} (whole colquery, ms) | $(printf '%.1f' "$a") | $(printf '%.1f' "$o") | $(printf '%.1f' "$g") |"
done
report ""
report "\`colload compact\` of the off store: ${c_secs} s, $(size "$s_off") -> $z_c bytes ($(x "$z_c" "$z_g") of one go): $(sed 's/^colload: //' "$raw/compact.summary")"
report ""
report "Size every 30 nights (bytes): $(tail -n +2 "$raw/sizes.tsv" | awk '{printf "%s%s: %s / %s", (NR > 1 ? "; " : ""), $1, $2, $3}') (auto / off)."
log "wrote $out"
