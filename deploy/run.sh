#!/usr/bin/env bash
# Builds Rapport (deploy/build.sh) and starts rapportd in the foreground on its
# embedded store. Stop it with Ctrl-C (SIGINT) or SIGTERM.
#
#   RAPPORT_DATA_DIR  data directory (default: ./data, in the repository root)
#   BUILD_DIR         build directory (default: build)
#
# It serves on loopback, in plaintext and without tokens: a development start.
# Extra arguments are passed to rapportd and win, e.g. to require tokens:
#   deploy/run.sh --auth_tokens_file=tokens
#   deploy/run.sh --sync_writes=false
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

deploy/build.sh

exec "${BUILD_DIR:-build}/server/rapportd" --data_dir="${RAPPORT_DATA_DIR:-./data}" \
  --allow_plaintext --allow_unauthenticated "$@"
