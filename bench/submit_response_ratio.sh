#!/usr/bin/env bash
# submit_response_ratio.sh: SatisfactionService.SubmitResponse through the real
# server, durable (--sync_writes=true), with bearer-token authentication, at 64
# calls in flight, against the gRPC health check under the same load in the
# same run. The issue's target: at least 0.5 of the baseline's rate.
#
# Usage: bench/submit_response_ratio.sh [-b BUILD_DIR] [-c CONCURRENCY] [-d DURATION]
#                                       [-n ROUNDS] [-r MIN_RATIO]
#   -b  build directory holding server/rapportd and bench/rapport_load (./build)
#   -c  calls in flight (64)
#   -d  measured duration per method and round (10s)
#   -n  rounds, alternating baseline and target in ABBA order (1)
#   -r  exit with code 1 if SubmitResponse / baseline is below this ratio
#
# It starts rapportd on a free port with a temporary data directory under
# $TMPDIR (a real disk, or syncs cost nothing) and a tokens file holding one
# portal principal, creates an open NPS survey, then runs rapport_load:
# each answer has its own respondent and response id ({{seq}}), so none is
# refused by the recontact limit. rapportd is stopped on exit.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_ratio_options "$@"
bench_start_rapportd submit portal
bench_call rapport.v1.SatisfactionService/CreateSurvey \
  '{"survey_id":"bench","survey":{"display_name":"Bench","question":"Recommend us?","kind":"NPS","state":"OPEN"}}'

"$load" --server="127.0.0.1:$port" --server_pid="$pid" --concurrency="$concurrency" --duration="$duration" --rounds="$rounds" \
  --method=rapport.v1.SatisfactionService/SubmitResponse \
  --request='{"parent":"surveys/bench","respondent":"person-{{seq}}@example.com","response_id":"r{{seq}}","response":{"score":9}}' \
  --min_ratio="$min_ratio"
