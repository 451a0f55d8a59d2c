#!/usr/bin/env bash
# relationship_ratio.sh: RelationshipService.CreateRelationship and
# GetRelationship through the real server, durable (--sync_writes=true), with
# bearer-token authentication, at 64 calls in flight, each against the gRPC
# health check under the same load in the same run. Create makes a new
# relationship per call ({{seq}} in its id); Get reads one stored
# relationship. The issue's targets: Create at least 0.5 of the baseline's
# rate, Get at least 0.75.
#
# Usage: bench/relationship_ratio.sh [-b BUILD_DIR] [-c CONCURRENCY] [-d DURATION]
#                                    [-n ROUNDS] [-r MIN_RATIO]
#   -b  build directory holding server/rapportd and bench/rapport_load (./build)
#   -c  calls in flight (64)
#   -d  measured duration per method and round (10s)
#   -n  rounds, alternating baseline and target in ABBA order (1)
#   -r  exit with code 1 if Create's ratio is below this (Get's own target,
#       0.75, is checked whenever -r is given)
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_ratio_options "$@"
bench_start_rapportd relationships portal
bench_call rapport.v1.RelationshipService/CreateRelationship \
  '{"relationship_id":"stored","relationship":{"display_name":"Stored customer","kind":"EXTERNAL_CUSTOMER"}}'

get_ratio=0
[[ $min_ratio != 0 ]] && get_ratio=0.75
status=0
echo "== CreateRelationship"
"$load" --server="127.0.0.1:$port" --server_pid="$pid" --concurrency="$concurrency" --duration="$duration" --rounds="$rounds" \
  --method=rapport.v1.RelationshipService/CreateRelationship \
  --request='{"relationship_id":"r-{{seq}}","relationship":{"display_name":"Customer {{seq}}","kind":"EXTERNAL_CUSTOMER"}}' \
  --min_ratio="$min_ratio" || status=$?
echo "== GetRelationship"
"$load" --server="127.0.0.1:$port" --server_pid="$pid" --concurrency="$concurrency" --duration="$duration" --rounds="$rounds" \
  --method=rapport.v1.RelationshipService/GetRelationship \
  --request='{"name":"relationships/stored"}' \
  --min_ratio="$get_ratio" || status=$?
exit "$status"
