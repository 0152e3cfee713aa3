#!/usr/bin/env bash
# scripts/demo.sh installs only what building needs: install-deps.sh --build lists no server,
# test or benchmark package, and demo.sh uses --build.
#   tests/tidy/check_demo_deps.sh SOURCE_DIR
set -euo pipefail
src=${1:-.}
list=$(bash "$src/scripts/install-deps.sh" --build --list)
fail=0
for p in postgresql postgresql-client postgresql-server-dev-15 libcriterion-dev libbenchmark-dev; do
  if grep -qx "$p" <<<"$list"; then echo "FAIL: install-deps.sh --build lists $p"; fail=1; fi
done
for p in build-essential cmake liblz4-dev libxxhash-dev libmd-dev libpq-dev; do
  if ! grep -qx "$p" <<<"$list"; then echo "FAIL: install-deps.sh --build misses $p"; fail=1; fi
done
if ! grep -q '^bash scripts/install-deps.sh --build$' "$src/scripts/demo.sh"; then
  echo "FAIL: demo.sh does not install with --build"; fail=1
fi
if ! grep -q 'COLSTORE_TESTS=OFF' "$src/README.md"; then
  echo "FAIL: the README does not say how to configure without Criterion"; fail=1
fi
((fail == 0)) && echo "check_demo_deps: ok"
exit "$fail"
