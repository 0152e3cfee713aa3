#!/usr/bin/env bash
# The reports before and after a change, side by side on one store: each report as a whole
# process (hyperfine, the two binaries in one run) and embedded (cs_embedded, rounds
# alternating between the two builds). For checking that a change keeps the reports' speed.
#
#   bash bench/harness/reports_ab.sh BEFORE_BUILD AFTER_BUILD STORE [--rounds N] [--runs N]
#
# BEFORE_BUILD / AFTER_BUILD: Release build directories holding tools/colquery and
# bench/cs_embedded (e.g. a worktree of the earlier commit built with -DCMAKE_BUILD_TYPE=Release);
# STORE: the one-year store (bench/harness/run.sh or fdw.sh leave one). Prints a markdown table
# of medians in ms and after / before.
set -euo pipefail
before=$1 after=$2 store=$3
shift 3
rounds=3 runs=30
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "reports_ab.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
declare -A args=([agent-performance]="agent-performance --as-of 2025-12-31 --days 7"
  [approval-queue]="approval-queue --year 2025"
  [training-quality]="training-quality --as-of 2025-12-31 --days 30"
  [daily-agg-recompute]="daily-agg --from 2025-01-01 --to 2025-12-31 --recompute")
reports=(agent-performance approval-queue training-quality daily-agg-recompute)
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| report | process before | process after | after / before | embedded before | embedded after | after / before |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for r in "${reports[@]}"; do
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/hf.json" \
    "$before/tools/colquery --store $store --format csv ${args[$r]}" \
    "$after/tools/colquery --store $store --format csv ${args[$r]}" >/dev/null 2>&1
  pb=$(jq '.results[0].median * 1000' "$tmp/hf.json")
  pa=$(jq '.results[1].median * 1000' "$tmp/hf.json")
  : >"$tmp/eb"
  : >"$tmp/ea"
  rep=$r
  [[ $r == daily-agg-recompute ]] && rep=daily-agg-recompute
  for ((i = 0; i < rounds; i++)); do
    for side in b a; do
      b=$before
      [[ $side == a ]] && b=$after
      "$b/bench/cs_embedded" "$store" --iters 200 --warmup 10 --max-seconds 10 --as-of 2025-12-31 \
        --year 2025 --from 2025-01-01 --to 2025-12-31 "$rep" 2>/dev/null | awk '{ print $3 }' >>"$tmp/e$side"
    done
  done
  eb=$(median <"$tmp/eb") ea=$(median <"$tmp/ea")
  awk -v r="$r" -v pb="$pb" -v pa="$pa" -v eb="$eb" -v ea="$ea" \
    'BEGIN { printf "| %s | %.2f | %.2f | %.2f | %.3f | %.3f | %.2f |\n", r, pb, pa, pa / pb, eb, ea, ea / eb }'
done
