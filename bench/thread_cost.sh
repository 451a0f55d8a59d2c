#!/usr/bin/env bash
# Where a call's server CPU goes, by thread. Loads one RPC (with rapport_load,
# as the ratio scripts do: durable, bearer token, 64 in flight) and prints,
# for each kind of rapportd thread, its CPU in microseconds per call (user and
# system) and its voluntary context switches per call, read from /proc over a
# window in the middle of the run. The threads: nexting_thread (gRPC's
# callback threads: RPC handlers and transaction bodies), rapport-commit (the
# store's group commits and WAL syncs), rapport-answer (answers to writes),
# default-executo (gRPC), rocksdb:high/low (flushes, compactions).
#
# Usage: bench/thread_cost.sh [-b BUILD_DIR] [-d DURATION] [-s 'METHOD JSON']... METHOD REQUEST [THEN]
#   -b  build directory (./build)
#   -d  load duration; the window is its middle half (8s)
#   -s  a setup call before the load (repeatable), e.g. the survey to answer
#   REQUEST and THEN as rapport_load's --request and --then
# Example:
#   bench/thread_cost.sh -s 'rapport.v1.SatisfactionService/CreateSurvey {"survey_id":"s","survey":{"display_name":"S","question":"Q?","kind":"NPS","state":"OPEN"}}' \
#     rapport.v1.SatisfactionService/SubmitResponse '{"parent":"surveys/s","respondent":"p{{seq}}@example.com","response":{"score":9}}'
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

build_dir=./build
duration=8
setups=()
while getopts "b:d:s:h" opt; do
  case $opt in
    b) build_dir=$OPTARG ;;
    d) duration=${OPTARG%s} ;;
    s) setups+=("$OPTARG") ;;
    h) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [[ $# -lt 2 ]]; then
  echo "usage: $0 [-b BUILD_DIR] [-d SECONDS] [-s 'METHOD JSON']... METHOD REQUEST [THEN]" >&2
  exit 2
fi
method=$1 request=$2 then=${3:-}

bench_start_rapportd threads admin
for setup in ${setups[@]+"${setups[@]}"}; do bench_call "${setup%% *}" "${setup#* }"; done

# Per thread name: user ticks, system ticks, voluntary switches (summed).
snapshot() {
  for task in /proc/"$pid"/task/*; do
    printf '%s %s %s\n' "$(tr ' ' _ <"$task/comm")" "$(cut -d' ' -f14,15 "$task/stat")" \
      "$(awk '/^voluntary_ctxt_switches/{print $2}' "$task/status")"
  done | awk '{u[$1]+=$2; s[$1]+=$3; v[$1]+=$4} END {for (n in u) print n, u[n], s[n], v[n]}' | sort
}

window=$(awk -v d="$duration" 'BEGIN{print d / 2}')
"$load" --server="127.0.0.1:$port" --concurrency=64 --duration="${duration}s" --warmup=0s --rounds=1 \
  --baseline_method= --method="$method" --request="$request" --then="$then" >"$work/load.out" 2>&1 &
load_pid=$!
sleep "$(awk -v d="$duration" 'BEGIN{print d / 4}')"
snapshot >"$work/before"
sleep "$window"
snapshot >"$work/after"
wait "$load_pid" || { cat "$work/load.out" >&2; exit 1; }

rate=$(sed -n 's/.*requests\/s *\([0-9.]*\).*/\1/p' "$work/load.out" | head -1)
hz=$(getconf CLK_TCK)
echo "$method: $rate calls/s"
printf '%-16s %10s %10s %12s\n' thread "user µs" "sys µs" "switches"
join "$work/before" "$work/after" | awk -v rate="$rate" -v window="$window" -v hz="$hz" '
  { calls = rate * window; user = ($5 - $2) / hz * 1e6 / calls; sys = ($6 - $3) / hz * 1e6 / calls
    if (user + sys > 0) { printf "%-16s %10.1f %10.1f %12.2f\n", $1, user, sys, ($7 - $4) / calls
                          tu += user; ts += sys } }
  END { printf "%-16s %10.1f %10.1f\n", "total", tu, ts }'
