#!/usr/bin/env bash
# The shared library exports the public API only: every dynamic symbol it defines starts with
# colstore_. Usage: check_exports.sh path/to/libcolstore.so
set -euo pipefail
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}')
bad=$(printf '%s\n' "$syms" | grep -v '^colstore_' || true)
count=$(printf '%s\n' "$syms" | grep -c '^colstore_' || true)
if [ -n "$bad" ]; then
  echo "non-API symbols exported by $lib:"; printf '%s\n' "$bad"
  echo "0 passed, 1 failed"; exit 1
fi
if [ "$count" -lt 10 ]; then echo "only $count colstore_ symbols exported"; echo "0 passed, 1 failed"; exit 1; fi
echo "$count colstore_ symbols exported, nothing else"
echo "1 passed, 0 failed"
