#!/usr/bin/env bash
# Installs what building and testing colstore needs on Debian 12, with apt-get. Does nothing
# (and needs no network) when everything is already installed, so reruns are instant.
#   bash scripts/install-deps.sh
#   bash scripts/install-deps.sh --build   only what building the library and the tools needs
#                                          (scripts/demo.sh): no PostgreSQL server, no test or
#                                          benchmark frameworks
#   add --list to print the packages instead of installing them
# Runs as root, or through sudo when it is available.
set -euo pipefail

build_only=0 list=0
for a in "$@"; do
  case $a in
    --build) build_only=1 ;;
    --list) list=1 ;;
    *) echo "usage: install-deps.sh [--build] [--list]" >&2; exit 2 ;;
  esac
done

# building the library and colgen, colload, colquery: libpq's headers only (a pull loads
# libpq.so.5 at run time), nothing of the server
build_packages=(
  build-essential cmake pkg-config liblz4-dev libxxhash-dev libmd-dev libpq-dev ca-certificates
)
packages=(
  build-essential cmake pkg-config            # C11 and C++17 compilers, make, CMake
  liblz4-dev libxxhash-dev                    # storage: compression, checksums, hash tables
  libmd-dev                                   # nightly job: query_hash (MD5)
  libcriterion-dev                            # unit and integration tests
  libbenchmark-dev hyperfine                  # micro-benchmarks, whole-process timings
  libpq-dev postgresql postgresql-client      # pull from Postgres; the differential tests' server
  postgresql-server-dev-15                    # colstore_fdw: PostgreSQL's server headers, pg_config
  python3 python3-psycopg                     # the foreign-table tests' query runner and BI browse
  man-db                                      # check_install renders the man pages (man -l)
  clang-tidy clang-format                     # tests/tidy/check_tidy.sh; the repo's .clang-format
  ca-certificates
)

if ((build_only)); then packages=("${build_packages[@]}"); fi
if ((list)); then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: everything is installed"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "install-deps: missing ${missing[*]}; run as root (or install sudo)" >&2
    exit 3
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
