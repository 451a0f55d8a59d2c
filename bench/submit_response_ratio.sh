#!/usr/bin/env bash
# submit_response_ratio.sh: SatisfactionService.SubmitResponse through the real
# server, durable (--sync_writes=true), with bearer-token authentication, at 64
# calls in flight, against the gRPC health check under the same load in the
# same run. The target: at least 0.5 of the baseline's rate.
#
# Usage: bench/submit_response_ratio.sh [-b BUILD_DIR] [-c CONCURRENCY] [-d DURATION] [-r MIN_RATIO]
#   -b  build directory holding server/rapportd and bench/rapport_load (./build)
#   -c  calls in flight (64)
#   -d  measured duration per method (10s)
#   -r  exit with code 1 if SubmitResponse / baseline is below this ratio
#
# It starts rapportd on a free port with a temporary data directory under
# $TMPDIR (a real disk, or syncs cost nothing) and a tokens file holding one
# portal principal, creates an open NPS survey, then runs rapport_load:
# each answer has its own respondent and response id ({{seq}}), so none is
# refused by the recontact limit. rapportd is stopped on exit.
set -euo pipefail

build_dir=./build
concurrency=64
duration=10s
min_ratio=0
while getopts "b:c:d:r:h" opt; do
  case $opt in
    b) build_dir=$OPTARG ;;
    c) concurrency=$OPTARG ;;
    d) duration=$OPTARG ;;
    r) min_ratio=$OPTARG ;;
    h) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done

rapportd=$build_dir/server/rapportd
load=$build_dir/bench/rapport_load
work=$(mktemp -d "${TMPDIR:-/tmp}/rapport-submit-XXXXXX")
pid=
cleanup() {
  if [[ -n $pid ]]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

token=rpt_bench_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
printf 'bench-portal sha256:%s portal\n' "$hash" >"$work/tokens"

"$rapportd" --listen=127.0.0.1:0 --metrics_listen= --data_dir="$work/data" \
  --allow_plaintext --auth_tokens_file="$work/tokens" 2>"$work/stderr" &
pid=$!
port=
for _ in $(seq 1 500); do
  port=$(sed -n 's/.* serving grpc=[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/stderr")
  [[ -n $port ]] && break
  sleep 0.02
done
if [[ -z $port ]]; then
  echo "submit_response_ratio: rapportd did not start:" >&2
  cat "$work/stderr" >&2
  exit 2
fi

export RAPPORT_TOKEN=$token
"$load" --server="127.0.0.1:$port" --method=rapport.v1.SatisfactionService/CreateSurvey \
  --request='{"survey_id":"bench","survey":{"display_name":"Bench","question":"Recommend us?","kind":"NPS","state":"OPEN"}}' \
  --concurrency=1 --threads=1 --warmup=0s --duration=0.2s --baseline_method= >/dev/null

"$load" --server="127.0.0.1:$port" --concurrency="$concurrency" --duration="$duration" \
  --method=rapport.v1.SatisfactionService/SubmitResponse \
  --request='{"parent":"surveys/bench","respondent":"person-{{seq}}@example.com","response_id":"r{{seq}}","response":{"score":9}}' \
  --min_ratio="$min_ratio"
