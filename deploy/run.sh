#!/usr/bin/env bash
# Builds Rapport (deploy/build.sh) and starts rapportd in the foreground on its
# embedded store. Stop it with Ctrl-C (SIGINT) or SIGTERM.
#
#   RAPPORT_DATA_DIR  data directory (default: ./data, in the repository root)
#   BUILD_DIR         build directory (default: build)
#
# Extra arguments are passed to rapportd, e.g.
#   deploy/run.sh --listen=0.0.0.0:50051 --sync_writes=false
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

deploy/build.sh

exec "${BUILD_DIR:-build}/server/rapportd" --data_dir="${RAPPORT_DATA_DIR:-./data}" "$@"
