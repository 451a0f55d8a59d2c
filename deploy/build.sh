#!/usr/bin/env bash
# Installs the dependencies (deploy/install-deps.sh, fast when already done),
# then configures and builds Rapport.
#
#   BUILD_DIR   build directory (default: build); relative paths are taken
#               from the repository root
#   BUILD_TYPE  CMake build type (default: Release)
#
# Extra arguments go to the CMake configure step, e.g.
#   BUILD_DIR=build-asan deploy/build.sh -DRAPPORT_SANITIZE=ON
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR="${BUILD_DIR:-build}"
BUILD_TYPE="${BUILD_TYPE:-Release}"

deploy/install-deps.sh

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
cmake --build "$BUILD_DIR" -j"$(nproc)"
