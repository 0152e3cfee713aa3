#!/usr/bin/env bash
# -Werror for developer builds only: a plain configure (a user's) compiles without -Werror, the
# dev preset (and scripts/test.sh's builds) with it.
#   tests/tidy/check_werror.sh SOURCE_DIR
set -euo pipefail
src=${1:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
cmake -S "$src" -B "$tmp/user" -DCOLSTORE_TESTS=OFF -DCOLSTORE_BENCH=OFF >/dev/null
if grep -q -- '-Werror' "$tmp/user/compile_commands.json"; then
  echo "FAIL: a default configure compiles with -Werror"; fail=1
fi
(cd "$src" && cmake --preset dev -B "$tmp/dev" -DCOLSTORE_TESTS=OFF -DCOLSTORE_BENCH=OFF >/dev/null)
if ! grep -q -- '-Werror' "$tmp/dev/compile_commands.json"; then
  echo "FAIL: the dev preset compiles without -Werror"; fail=1
fi
if [[ $(grep -c -- '-DCOLSTORE_WERROR=ON' "$src/scripts/test.sh") -lt 2 ]]; then
  echo "FAIL: scripts/test.sh does not turn -Werror on for its builds"; fail=1
fi
((fail == 0)) && echo "check_werror: ok"
exit "$fail"
