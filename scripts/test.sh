#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run) and as the README says:  bash scripts/test.sh
#  1. installs what is missing (scripts/install-deps.sh);
#  2. builds plain (RelWithDebInfo, benchmarks included) in build-ci/plain, with
#     ASan+UBSan (Debug) in build-ci/asan and with TSan (Debug) in build-ci/tsan; runs ctest
#     in the first two, and the multi-threaded tests under TSan;
#  3. starts a private PostgreSQL 15 (scripts/pg-start.sh) and runs the differential tests
#     tests/diff/run.sh and tests/diff/nightly.sh and the CLI tests tests/diff/cli_errors.sh
#     against the plain build, installs colstore_fdw from the plain build into that server's
#     PostgreSQL and runs the foreign-table tests (tests/fdw/run.sh, tests/fdw/faults.sh), and
#     the quick differential tests and the CLI tests against the ASan build;
#  4. stops the server. Every step runs even when an earlier one fails; the exit code is
#     non-zero when any failed, and a summary lists them.
# Environment: JOBS (2), COLSTORE_CI_BUILD (build-ci), the COLSTORE_PG_* of scripts/pg-env.sh.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
jobs=${JOBS:-2}
builds=${COLSTORE_CI_BUILD:-$repo/build-ci}
results=()
failures=0
t_start=$SECONDS

step() { # step NAME CMD...: runs and records one step
  local name=$1 t0=$SECONDS rc=0
  shift
  echo "=== $name"
  "$@" || rc=$?
  local took=$((SECONDS - t0))
  if [[ $rc -eq 0 ]]; then
    results+=("ok    ${took}s  $name")
  else
    results+=("FAIL  ${took}s  $name (exit $rc)")
    failures=$((failures + 1))
  fi
  return 0
}

build() { # build DIR CMAKE_ARGS...
  local dir=$1
  shift
  cmake -S "$repo" -B "$dir" -DCOLSTORE_WERROR=ON "$@" >/dev/null && cmake --build "$dir" -j "$jobs"
}

stop_pg() { bash "$repo/scripts/pg-stop.sh" >/dev/null 2>&1 || true; }

bash "$repo/scripts/install-deps.sh"

step "build plain (RelWithDebInfo)" build "$builds/plain" -DCMAKE_BUILD_TYPE=RelWithDebInfo
step "build ASan+UBSan (Debug)" build "$builds/asan" -DCMAKE_BUILD_TYPE=Debug \
  -DCOLSTORE_SANITIZE=ON -DCOLSTORE_BENCH=OFF
build_tsan() { # only the concurrency stress test: Criterion's runner cannot start under TSan
  cmake -S "$repo" -B "$builds/tsan" -DCMAKE_BUILD_TYPE=Debug -DCOLSTORE_WERROR=ON -DCOLSTORE_TSAN=ON \
    -DCOLSTORE_BENCH=OFF >/dev/null && cmake --build "$builds/tsan" -j "$jobs" --target stress_threads stress_parse
}
step "build TSan (Debug)" build_tsan
step "ctest plain" ctest --test-dir "$builds/plain" --output-on-failure -j "$jobs"
step "clang-tidy (engine, storage, query, etl, tools, fdw)" env CLANG_TIDY_JOBS="$jobs" \
  bash "$repo/tests/tidy/check_tidy.sh" "$repo" "$builds/plain"
step "ctest ASan+UBSan" env ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$builds/asan" --output-on-failure -j "$jobs"

step "ctest TSan (concurrent readers and writers)" env TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir "$builds/tsan" --output-on-failure -j "$jobs" \
  -R 'stress_threads|stress_parse'

trap stop_pg EXIT
step "start PostgreSQL 15" bash "$repo/scripts/pg-start.sh"
step "differential test vs PostgreSQL (plain)" env COLSTORE_BIN_DIR="$builds/plain/tools" \
  bash "$repo/tests/diff/run.sh"
step "CLI errors (plain)" env COLSTORE_BIN_DIR="$builds/plain/tools" bash "$repo/tests/diff/cli_errors.sh"
step "nightly job vs PostgreSQL's SQL ETL (plain)" env COLSTORE_BIN_DIR="$builds/plain/tools" \
  bash "$repo/tests/diff/nightly.sh"
# colstore_fdw: installed from the plain build into the server's directories (as root in CI)
step "foreign tables vs native tables (colstore_fdw)" env COLSTORE_BUILD_DIR="$builds/plain" \
  bash "$repo/tests/fdw/run.sh"
step "foreign tables: a damaged store, 1000 cancels (colstore_fdw)" \
  env COLSTORE_BUILD_DIR="$builds/plain" bash "$repo/tests/fdw/faults.sh"
step "differential test vs PostgreSQL, quick (ASan+UBSan)" env COLSTORE_BIN_DIR="$builds/asan/tools" \
  bash "$repo/tests/diff/run.sh" --quick
step "CLI errors (ASan+UBSan)" env COLSTORE_BIN_DIR="$builds/asan/tools" \
  bash "$repo/tests/diff/cli_errors.sh"
step "nightly job vs PostgreSQL, quick (ASan+UBSan)" env COLSTORE_BIN_DIR="$builds/asan/tools" \
  bash "$repo/tests/diff/nightly.sh" --quick
stop_pg
trap - EXIT

echo "=== summary ($((SECONDS - t_start))s)"
printf '%s\n' "${results[@]}"
echo "test.sh: $((${#results[@]} - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
