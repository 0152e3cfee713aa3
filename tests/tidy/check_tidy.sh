#!/usr/bin/env bash
# clang-tidy (the repository's .clang-tidy) over every .c of engine/ storage/ query/ etl/ tools/
# and, when the build compiles colstore_fdw (pg_config found), fdw/, in BUILD_DIR's
# compile_commands.json; any finding fails. Usage:
#   check_tidy.sh SOURCE_DIR BUILD_DIR       (BUILD_DIR configured with CMake: it exports
#                                             compile_commands.json)
# -UNDEBUG: the analyzer sees the
# asserts that state the invariants it cannot prove. CLANG_TIDY_JOBS (2) runs.
set -uo pipefail
src=$(cd "$1" && pwd) build=$2
jobs=${CLANG_TIDY_JOBS:-2}
runner=$(command -v run-clang-tidy || command -v run-clang-tidy-14 || true)
if [[ -z $runner ]] || ! command -v clang-tidy >/dev/null; then
  echo "clang-tidy: not installed (scripts/install-deps.sh installs it)"
  echo "0 passed, 1 failed"; exit 1
fi
if [[ ! -f $build/compile_commands.json ]]; then
  echo "clang-tidy: no $build/compile_commands.json (configure the build with CMake first)"
  echo "0 passed, 1 failed"; exit 1
fi
dirs=(engine storage query etl tools)
grep -q "\"file\": \"$src/fdw/" "$build/compile_commands.json" && dirs+=(fdw)
mapfile -t files < <(cd "$src" && find "${dirs[@]}" -name '*.c' | sort)
total=${#files[@]}
# every source must be in the build (a file no target compiles would go unchecked)
unlisted=$(comm -23 <(printf '%s\n' "${files[@]}") <(grep -o '"file": "[^"]*"' \
  "$build/compile_commands.json" | sed 's/"file": "//; s/"$//; s#^'"$src"'/##' | sort -u))
if [[ -n $unlisted ]]; then
  echo "clang-tidy: not in $build/compile_commands.json:"; printf '%s\n' "$unlisted"
  echo "0 passed, 1 failed"; exit 1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# run-clang-tidy takes a regex on the files' absolute paths
regex="^$(printf '%s' "$src" | sed 's/[][\.*^$+?(){}|]/\\&/g')/($(IFS='|'; echo "${dirs[*]}"))/.*\\.c\$"
(cd "$src" && nice -n 5 "$runner" -quiet -p "$build" -j "$jobs" \
  -extra-arg=-Wno-unknown-warning-option -extra-arg=-UNDEBUG "$regex") >"$out" 2>&1
rc=$?
findings=$(sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -E '^/[^ ]+:[0-9]+:[0-9]+: (error|warning):' |
  sort -u)
bad=0
if [[ -n $findings ]]; then
  printf '%s\n' "$findings" | sed "s#^$src/##"
  bad=$(printf '%s\n' "$findings" | cut -d: -f1 | sort -u | wc -l)
  echo "clang-tidy: $(printf '%s\n' "$findings" | wc -l) findings"
elif [[ $rc -ne 0 ]]; then
  sed 's/\x1b\[[0-9;]*m//g' "$out" | tail -20
  echo "clang-tidy: the run failed (exit $rc) without a finding"
  bad=1
fi
echo "$((total - bad)) passed, $bad failed"
[[ $bad -eq 0 ]]
