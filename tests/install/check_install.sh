#!/usr/bin/env bash
# cmake --install into a temporary prefix, then build docs/example/report_service.c against the
# installed library twice: through pkg-config and through find_package(colstore); run both.
# usage: check_install.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(find "$tmp/prefix" -name libcolstore.so -printf '%h\n' | head -n 1)
[ -f "$tmp/prefix/include/colstore.h" ] && ok "header installed" || bad "header installed"
for tool in colload colquery colgen; do
  if [ -x "$tmp/prefix/bin/$tool" ] && "$tmp/prefix/bin/$tool" --version | grep -q "^$tool (colstore) "; then
    ok "$tool installed and runs"
  else
    bad "$tool installed and runs"
  fi
done
comp=$tmp/prefix/share/bash-completion/completions/colquery
if [ -f "$comp" ] && got=$(PATH="$tmp/prefix/bin:$PATH" bash -c 'source "$1"; COMP_WORDS=(colquery ag); COMP_CWORD=1; _colstore_complete; printf "%s\n" "${COMPREPLY[@]}"' _ "$comp") \
   && [ "$got" = agent-performance ] \
   && got=$(PATH="$tmp/prefix/bin:$PATH" bash -c 'source "$1"; COMP_WORDS=(colquery dump fact_a); COMP_CWORD=2; _colstore_complete; printf "%s\n" "${COMPREPLY[@]}"' _ "$comp") \
   && [ "$got" = "$(printf 'fact_agent_query\nfact_approval')" ] \
   && got=$(PATH="$tmp/prefix/bin:$PATH" bash -c 'source "$1"; COMP_WORDS=(colload --max); COMP_CWORD=1; _colstore_complete; printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/prefix/share/bash-completion/completions/colload") \
   && [ "$got" = --max-rejects ]; then
  ok "bash completion: reports, tables, options"
else
  bad "bash completion: reports, tables, options (got: ${got:-})"
fi
for tool in colload colquery colgen; do
  page=$tmp/prefix/share/man/man1/$tool.1
  if [ -f "$page" ] && MANWIDTH=100 man -l "$page" 2>/dev/null | grep -q -- "--version" \
     && MANWIDTH=100 man -l "$page" 2>/dev/null | grep -q "^NAME"; then
    ok "man page $tool(1) installed and renders"
  else
    bad "man page $tool(1) installed and renders"
  fi
done

page=$tmp/prefix/share/man/man3/colstore.3
if [ -f "$page" ] && MANWIDTH=100 man -l "$page" 2>/dev/null | grep -q "colstore_report"; then
  ok "man page colstore(3) installed and renders"
else
  bad "man page colstore(3) installed and renders"
fi

export PKG_CONFIG_PATH="$libdir/pkgconfig"
if cc -std=c11 -Wall -Werror "$src/docs/example/report_service.c" -o "$tmp/svc_pc" \
     $(pkg-config --cflags --libs colstore) && LD_LIBRARY_PATH="$libdir" "$tmp/svc_pc" | grep -q '^colstore 0\.'; then
  ok "pkg-config build (shared) runs"
else
  bad "pkg-config build (shared) runs"
fi
if cc -std=c11 -Wall -Werror "$src/docs/example/report_service.c" -o "$tmp/svc_static" \
     $(pkg-config --cflags colstore) "$libdir/libcolstore.a" $(pkg-config --static --libs-only-l colstore | sed 's/-lcolstore//') \
   && "$tmp/svc_static" | grep -q '^colstore 0\.'; then
  ok "pkg-config build (static) runs"
else
  bad "pkg-config build (static) runs"
fi
if cmake -S "$src/docs/example" -B "$tmp/ex" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null \
   && cmake --build "$tmp/ex" >/dev/null \
   && LD_LIBRARY_PATH="$libdir" "$tmp/ex/report_service" | grep -q '^colstore 0\.' \
   && "$tmp/ex/report_service_static" | grep -q '^colstore 0\.'; then
  ok "find_package build runs"
else
  bad "find_package build runs"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
