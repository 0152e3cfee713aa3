#!/usr/bin/env bash
# colstore_fdw.so is a well-formed PostgreSQL module: it exports only what the backend looks
# up (the magic block, the handler and validator and their info functions), it does not pull
# libpq, and every symbol it leaves undefined is defined by the postgres binary or by a
# library it names (so a missing header, whose function-like macro expands to an unknown
# function, fails here and not at CREATE EXTENSION).
# Usage: check_fdw_module.sh path/to/colstore_fdw.so [path/to/postgres]
set -euo pipefail
mod=$1
postgres=${2:-/usr/lib/postgresql/15/bin/postgres}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }

exports=$(nm -D --defined-only "$mod" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort)
want=$(printf '%s\n' Pg_magic_func _PG_init colstore_fdw_handler colstore_fdw_validator \
  colstore_fdw_malloc_in_use pg_finfo_colstore_fdw_handler pg_finfo_colstore_fdw_validator \
  pg_finfo_colstore_fdw_malloc_in_use | sort)
if [[ $exports == "$want" ]]; then ok; else bad "exports are not the module's entry points:"; printf '%s\n' "$exports"; fi

needed=$(readelf -d "$mod" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
if grep -q '^libpq' <<<"$needed"; then bad "the module needs libpq"; else ok; fi

defined=$(mktemp)
trap 'rm -f "$defined"' EXIT
libs=("$postgres")
for lib in $needed; do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}' || true)
  [[ -n $path ]] && libs+=("$path")
done
# the backend's own libraries (libc, libm, ...) as the loader will see them
while read -r path; do [[ -f $path ]] && libs+=("$path"); done < <(ldd "$postgres" | awk '/=>/ {print $3}' || true)
for path in "${libs[@]}"; do
  nm -D --defined-only "$path" 2>/dev/null || echo "check_fdw_module: cannot read the symbols of $path" >&2
done | awk '{print $3}' | sed 's/@.*//' | sort -u >"$defined"
if [[ ! -s $defined ]]; then bad "no symbols read from $postgres and the libraries"; fi
missing=$(nm -D --undefined-only "$mod" | awk '{print $2}' | sed 's/@.*//' | sort -u |
  comm -23 - "$defined" | grep -v -e '^__gmon_start__$' -e '^_ITM_' -e '^__cxa_finalize$' || true)
if [[ -z $missing ]]; then ok; else bad "undefined symbols nothing provides:"; printf '  %s\n' $missing; fi
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
