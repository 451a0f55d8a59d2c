#!/usr/bin/env bash
# Builds Rapport (deploy/build.sh) and runs every test with ctest, in
# parallel, one line per test and a summary. Exits with ctest's code.
#
#   BUILD_DIR   build directory (default: build)
#   BUILD_TYPE  CMake build type (default: Release)
#
# Extra arguments go to ctest, e.g. `deploy/test.sh -R Store` to run a subset.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR="${BUILD_DIR:-build}"
BUILD_DIR="$BUILD_DIR" deploy/build.sh

exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 600 "$@"
