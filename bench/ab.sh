#!/usr/bin/env bash
# ab.sh: is build B cheaper than build A for one RPC? Paired rounds of CPU
# per call on the same machine, because a single ratio run cannot show a
# 10% change here (the health check's own rate moves by a third from one
# minute to the next on a shared two-core VM; CPU per call moves far less).
#
# Each round starts a fresh rapportd of each build (durable, bearer token, as
# the ratio scripts do), makes the setup calls (-s), and loads METHOD (and the
# --then steps) at 64 in flight after the health check, with rapport_load
# --server_pid. Which build goes first alternates from round to round. It
# prints per round and on average, for each build: the rate ratio and the CPU
# ratio to the health check, the server's and the client's CPU per call of
# METHOD, and its rate; then B's server CPU per call over A's, round by round
# (below 1: B is cheaper), and in how many rounds B was the cheaper one.
#
# A build is a build directory (with server/rapportd and bench/rapport_load),
# e.g. one configured with -DRAPPORT_TCMALLOC=OFF, or a worktree of another
# commit. rapport_load comes from build A for both, so only the server differs.
# To compare flags or environment instead, make B a directory whose
# server/rapportd is a script that execs A's rapportd with them (exec, so that
# the CPU read from its pid is rapportd's):
#   mkdir -p /tmp/nosync/server
#   printf '#!/bin/sh\nexec %s/server/rapportd --sync_writes=false "$@"\n' "$PWD/build" \
#     >/tmp/nosync/server/rapportd && chmod +x /tmp/nosync/server/rapportd
#   bench/ab.sh -a build -b /tmp/nosync ...
#
# Usage: bench/ab.sh -a BUILD_A -b BUILD_B [-c 64] [-d 3s] [-n 6]
#                    [-s 'METHOD JSON']... METHOD REQUEST [THEN]
# Example (tcmalloc against glibc for ticket events, as bench/README.md's
# "Allocator" section measured it):
#   cmake -S . -B /tmp/build-glibc -DRAPPORT_TCMALLOC=OFF && cmake --build /tmp/build-glibc -j2
#   bench/ab.sh -a /tmp/build-glibc -b build -n 6 \
#     -s 'rapport.v1.SatisfactionService/CreateSurvey {"survey_id":"s","survey":{"display_name":"S","question":"Q?","kind":"NPS","state":"OPEN"}}' \
#     rapport.v1.SatisfactionService/SubmitResponse '{"parent":"surveys/s","respondent":"p{{seq}}@example.com","response":{"score":9}}'
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

build_a= build_b=
concurrency=64
duration=3s
rounds=6
setups=()
while getopts "a:b:c:d:n:s:h" opt; do
  case $opt in
    a) build_a=$OPTARG ;;
    b) build_b=$OPTARG ;;
    c) concurrency=$OPTARG ;;
    d) duration=$OPTARG ;;
    n) rounds=$OPTARG ;;
    s) setups+=("$OPTARG") ;;
    h) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [[ -z $build_a || -z $build_b || $# -lt 2 ]]; then
  echo "usage: $0 -a BUILD_A -b BUILD_B [-c N] [-d DURATION] [-n ROUNDS] [-s 'METHOD JSON']... METHOD REQUEST [THEN]" >&2
  exit 2
fi
method=$1 request=$2 then=${3:-}
for dir in "$build_a" "$build_b"; do
  if [[ ! -x $dir/server/rapportd ]]; then
    echo "$dir/server/rapportd is not there: build it first" >&2
    exit 2
  fi
done
client=$(cd "$build_a" && pwd)/bench/rapport_load

results=$(mktemp "${TMPDIR:-/tmp}/rapport-ab-XXXXXX")
trap 'rm -f "$results"' EXIT
for round in $(seq 1 "$rounds"); do
  order="A B"
  ((round % 2 == 0)) && order="B A"  # Neither always goes first.
  for variant in $order; do
    (
      build_dir=$build_a
      [[ $variant == B ]] && build_dir=$build_b
      bench_start_rapportd ab admin
      load=$client
      for setup in ${setups[@]+"${setups[@]}"}; do bench_call "${setup%% *}" "${setup#* }"; done
      "$load" --server="127.0.0.1:$port" --server_pid="$pid" --concurrency="$concurrency" \
        --duration="$duration" --json --method="$method" --request="$request" --then="$then" |
        tail -n 1 | sed "s/^/$round $variant /" >>"$results"
    )
  done
done

python3 - "$results" "$build_a" "$build_b" <<'EOF'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    round_, variant, data = line.split(" ", 2)
    r = json.loads(data)
    t = r["target"]
    rows[(int(round_), variant)] = (r["ratio"], r["cpu_ratio"], t["cpu_us_per_call"]["server"],
                                    t["cpu_us_per_call"]["client"], t["ok_rps"])
rounds = sorted({k[0] for k in rows})
print("A = %s, B = %s" % (sys.argv[2], sys.argv[3]))
print("round  build  ratio  cpu-ratio  server-us/call  client-us/call  calls/s")
for i in rounds:
    for v in "AB":
        print("%5d  %5s  %.3f  %9.3f  %14.1f  %14.1f  %7.0f" % ((i, v) + rows[(i, v)]))
for v in "AB":
    vals = [rows[(i, v)] for i in rounds]
    print(" mean  %5s  %.3f  %9.3f  %14.1f  %14.1f  %7.0f" %
          ((v,) + tuple(sum(x[k] for x in vals) / len(vals) for k in range(5))))
ratios = [rows[(i, "B")][2] / rows[(i, "A")][2] for i in rounds]
print("server CPU per call, B / A, by round: %s" % " ".join("%.3f" % r for r in ratios))
print("B was cheaper in %d of %d rounds; mean B / A %.3f" %
      (sum(r < 1 for r in ratios), len(ratios), sum(ratios) / len(ratios)))
EOF
