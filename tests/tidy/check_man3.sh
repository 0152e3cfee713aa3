#!/usr/bin/env bash
# colstore(3) names every function the library exports, and renders without a groff warning.
# Usage: check_man3.sh path/to/libcolstore.so path/to/colstore.3
set -euo pipefail
lib=$1 page=$2
pass=0 fail=0
funcs=$(nm -D --defined-only "$lib" | awk '$2 == "T" && $3 ~ /^colstore_/ {print $3}' | sort -u)
n=$(printf '%s\n' "$funcs" | grep -c . || true)
# a name counts when the page sets it as a function: ".BR name ()" or "name(" in a prototype
missing=$(printf '%s\n' "$funcs" | while read -r f; do
  grep -q -E "(\\.BR? $f \\(\\)|\\b$f\\()" "$page" || echo "$f"
done)
if [ "$n" -lt 40 ]; then
  echo "only $n colstore_ functions found in $lib"; fail=$((fail + 1))
elif [ -n "$missing" ]; then
  echo "exported but not in $(basename "$page"):"; printf '  %s\n' $missing; fail=$((fail + 1))
else
  echo "all $n exported functions are named in $(basename "$page")"; pass=$((pass + 1))
fi
warn=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1 || true)
if [ -n "$warn" ]; then
  echo "groff warns:"; echo "$warn"; fail=$((fail + 1))
else
  pass=$((pass + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
