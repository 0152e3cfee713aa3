#!/usr/bin/env bash
# Dependencies point one way (docs/architecture.md):
#   tools → engine/colstore.h only; engine → etl, query, storage; etl → storage; query → storage;
#   storage → storage/base. An include that points the wrong way fails this test.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
fail=0
check() { # layer, forbidden include prefixes...
  local layer=$1; shift
  for bad in "$@"; do
    if grep -rn --include='*.c' --include='*.h' "#include \"$bad" "$layer" 2>/dev/null; then
      echo "layering: $layer must not include $bad*"; fail=1
    fi
  done
}
check storage 'etl/' 'query/' 'engine/' 'tools/'
check etl 'query/' 'engine/' 'tools/'
check query 'etl/' 'engine/' 'tools/'
check engine 'tools/'
# tools see the public header only (and their own headers, tools/*.h)
if grep -rn --include='*.c' --include='*.h' '#include "' tools | grep -v -e '"engine/colstore.h"' -e '"tools/[a-z_]*\.h"'; then
  echo "layering: tools may include engine/colstore.h and tools/*.h only"; fail=1
fi
# fdw (the PostgreSQL extension) sees the engine through engine/colstore.h only: any other
# include that names a file of this repository is a wrong-way include (PostgreSQL's own
# headers, such as "utils/rel.h", are not in the repository)
if [ -d fdw ]; then
  while IFS= read -r inc; do
    f=${inc#*\"}; f=${f%%\"*}
    if [ -f "$f" ] && [ "$f" != engine/colstore.h ] && [[ $f != fdw/* ]]; then
      echo "layering: fdw may include engine/colstore.h only, not $f"; fail=1
    fi
  done < <(grep -rhn --include='*.c' --include='*.h' '#include "' fdw)
fi
# libpq stays out of everything but the pull module
if grep -rln 'libpq-fe.h' storage query engine tools fdw 2>/dev/null | grep -v pg_pull; then
  echo "layering: libpq-fe.h outside the pull module"; fail=1
fi
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; exit 1; fi
