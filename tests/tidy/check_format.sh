#!/usr/bin/env bash
# Every tracked C and C++ file is formatted as the repository's .clang-format says (clang-format
# --dry-run, the version Debian 12 ships: 14). Fix with:  clang-format -i FILE...
#   tests/tidy/check_format.sh SOURCE_DIR
set -euo pipefail
src=${1:-.}
cd "$src"
cf=$(command -v clang-format || command -v clang-format-14 || true)
if [[ -z $cf ]]; then echo "clang-format is not installed (scripts/install-deps.sh installs it)"; echo "0 passed, 1 failed"; exit 1; fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.c' '*.h' '*.cc' '*.cpp')
else # a source tree without git (an unpacked release): every C file but the build trees'
  mapfile -t files < <(find . -path './build*' -prune -o \( -name '*.[ch]' -o -name '*.cc' -o -name '*.cpp' \) -print | sed 's|^\./||' | sort)
fi
# one run over every file (one process per file costs ~30 s on a loaded machine); the files named
# in its "code should be clang-formatted" errors are the ones that deviate
bad=()
if ! out=$("$cf" --dry-run -Werror "${files[@]}" 2>&1); then
  mapfile -t bad < <(grep -oE '^[^:]+:[0-9]+:[0-9]+: error' <<<"$out" | cut -d: -f1 | sort -u)
  ((${#bad[@]})) || bad=("(clang-format failed: $(head -n 1 <<<"$out"))")
fi
if ((${#files[@]} < 50)); then echo "only ${#files[@]} files found under $src"; echo "0 passed, 1 failed"; exit 1; fi
if ((${#bad[@]})); then
  echo "not formatted as .clang-format says (clang-format -i to fix):"
  printf '  %s\n' "${bad[@]}"
  echo "$((${#files[@]} - ${#bad[@]})) passed, ${#bad[@]} failed"
  exit 1
fi
echo "${#files[@]} passed, 0 failed"
