#!/usr/bin/env bash
# colload keeps its malloc heap on transparent huge pages (tools/cli.c, cli_huge_heap): while a
# load waits on its input, its [heap] mapping must be eligible for them. Meaningful only where
# the kernel gives huge pages on request (enabled = madvise): with "always" every heap is
# eligible and with "never" none is, so the test is skipped (77) there, as under a sanitizer.
set -euo pipefail
colload=$1
mode=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
if [[ $mode != madvise ]]; then
  echo "check_huge_heap: transparent huge pages are '${mode:-absent}', not madvise: skipped"
  exit 77
fi
# a sanitizer's allocator replaces malloc (no brk heap to advise): nothing to check there
if ldd "$colload" 2>/dev/null | grep -q -E 'lib(asan|tsan|msan)'; then
  echo "check_huge_heap: $colload runs under a sanitizer's allocator: skipped"
  exit 77
fi
dir=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$dir"' EXIT
mkfifo "$dir/in"
"$colload" --store "$dir/store" --create fact_training - <"$dir/in" >/dev/null 2>&1 &
pid=$!
exec 3>"$dir/in" # the load now waits for its first bytes
ok=0
for _ in $(seq 1 100); do
  if awk '/\[heap\]/ { h = 1; next } /^[0-9a-f]+-[0-9a-f]+ / { h = 0 }
          h && /^THPeligible:/ { if ($2 == 1) found = 1 } END { exit !found }' \
    "/proc/$pid/smaps" 2>/dev/null; then
    ok=1
    break
  fi
  sleep 0.05
done
exec 3>&-
wait "$pid" || true
if ((ok)); then
  echo "check_huge_heap: colload's heap is eligible for transparent huge pages"
else
  echo "check_huge_heap: colload's [heap] is not eligible for transparent huge pages" >&2
  exit 1
fi
