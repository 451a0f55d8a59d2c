#!/usr/bin/env bash
# durable_write_ratio.sh: how much WAL sync costs a write RPC under load.
#
# Starts two rapportd, one with --sync_writes=true and one with false, each on
# a free port with its own temporary data directory, loads each in turn with
# rapport_load (same method, request, concurrency and duration), and prints
# the OK rates and their ratio sync / nosync. Our target: durable writes at 64
# in flight reach at least 0.8x the rate without sync (group commit shares one
# fsync among all waiting writes).
#
# Usage: bench/durable_write_ratio.sh [-b BUILD_DIR] [-c CONCURRENCY] [-d DURATION]
#                                     [-n ROUNDS] [-r MIN_RATIO] [METHOD [REQUEST_JSON]]
#   -b  build directory holding server/rapportd and bench/rapport_load (./build)
#   -c  calls in flight (64)
#   -d  measured duration per run, an absl::Duration such as 10s (10s)
#   -n  rounds, each loading both servers (in alternating order); the rates
#       are averaged over rounds (1)
#   -r  exit with code 1 if sync / nosync is below this ratio
#   METHOD        unary method to load (rapport.v1.AdminService/GetServerInfo)
#   REQUEST_JSON  its request; {{seq}} and {{rand}} as in rapport_load ({})
#
# Exit codes: 0 done; 1 ratio below -r; 2 a server or a load run failed.
# Data directories go under $TMPDIR (/tmp): it must be a real disk, not tmpfs,
# or sync costs nothing. Both servers are stopped with SIGTERM on exit.
set -euo pipefail

build_dir=./build
concurrency=64
duration=10s
min_ratio=
rounds=1
while getopts "b:c:d:n:r:h" opt; do
  case $opt in
    b) build_dir=$OPTARG ;;
    c) concurrency=$OPTARG ;;
    d) duration=$OPTARG ;;
    n) rounds=$OPTARG ;;
    r) min_ratio=$OPTARG ;;
    h) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [[ ! $rounds =~ ^[1-9][0-9]*$ ]]; then
  echo "durable_write_ratio: -n wants a positive number of rounds" >&2
  exit 2
fi
method=${1:-rapport.v1.AdminService/GetServerInfo}
request=${2:-'{}'}

rapportd=$build_dir/server/rapportd
load=$build_dir/bench/rapport_load
for binary in "$rapportd" "$load"; do
  if [[ ! -x $binary ]]; then
    echo "durable_write_ratio: $binary not found; build first or pass -b BUILD_DIR" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/durable_write_ratio.XXXXXX")
pids=()
load_pid=
cleanup() {
  local pid
  if [[ -n $load_pid ]]; then kill -TERM "$load_pid" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $(stat -f -c %T "$work") == tmpfs ]]; then
  echo "durable_write_ratio: warning: $work is on tmpfs, where fsync is free;" \
    "set TMPDIR to a directory on disk" >&2
fi

# start_server NAME SYNC: starts rapportd and sets ports[NAME] to its gRPC port.
declare -A ports=()
start_server() {
  local name=$1 sync=$2 found='' i
  mkdir "$work/$name"
  "$rapportd" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
    --allow_plaintext --allow_unauthenticated \
    --data_dir="$work/$name/data" --sync_writes="$sync" 2>"$work/$name/stderr" &
  local pid=$!
  pids+=("$pid")
  for ((i = 0; i < 200; i++)); do
    found=$(sed -n 's/.* serving grpc=[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/$name/stderr")
    [[ -n $found ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "durable_write_ratio: rapportd --sync_writes=$sync exited:" >&2
      cat "$work/$name/stderr" >&2
      exit 2
    fi
    sleep 0.05
  done
  if [[ -z $found ]]; then
    echo "durable_write_ratio: rapportd --sync_writes=$sync did not start within 10s:" >&2
    cat "$work/$name/stderr" >&2
    exit 2
  fi
  ports[$name]=$found
}

# run_load NAME PORT ROUND: loads the server, shows rapport_load's report and
# keeps its JSON line in $work/NAME/json.ROUND. Each round numbers {{seq}}
# from its own range, so Create calls never reuse an id on the same server.
run_load() {
  local name=$1 port=$2 round=$3
  echo "== round $round: $name (127.0.0.1:$port)"
  # In the background, so that a signal to this script is handled at once.
  "$load" --server="127.0.0.1:$port" --method="$method" --request="$request" \
    --concurrency="$concurrency" --duration="$duration" --baseline_method= --json \
    --seq_start=$((round * 1000000000 + 1)) >"$work/$name/out" &
  load_pid=$!
  if ! wait "$load_pid"; then
    load_pid=
    cat "$work/$name/out"
    echo "durable_write_ratio: rapport_load against the $name server failed" >&2
    exit 2
  fi
  load_pid=
  grep -v '^{' "$work/$name/out"
  grep '^{' "$work/$name/out" >"$work/$name/json.$round"
}

# field NAME ROUND KEY: a number from the target run of that JSON line.
field() {
  local json
  json=$(<"$work/$1/json.$2")
  json=${json#*\"target\":}
  sed -n "s/.*\"$3\":\([0-9.][0-9.]*\).*/\1/p" <<<"$json"
}

# ratio A B: A / B with three decimals, "nan" if B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }

start_server sync true
start_server nosync false
# Alternate the order each round, so that a drift in the machine's load
# weighs on both servers alike.
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then
    run_load sync "${ports[sync]}" "$round"
    run_load nosync "${ports[nosync]}" "$round"
  else
    run_load nosync "${ports[nosync]}" "$round"
    run_load sync "${ports[sync]}" "$round"
  fi
done

echo "== result: $method at $concurrency in flight, $duration per run, OK calls/s"
printf '%-6s %12s %12s %8s %22s %22s\n' round sync nosync ratio "sync p50/p99 ms" \
  "nosync p50/p99 ms"
sync_sum=0
nosync_sum=0
for ((round = 1; round <= rounds; round++)); do
  sync_rps=$(field sync "$round" ok_rps)
  nosync_rps=$(field nosync "$round" ok_rps)
  sync_sum=$(awk -v a="$sync_sum" -v b="$sync_rps" 'BEGIN { print a + b }')
  nosync_sum=$(awk -v a="$nosync_sum" -v b="$nosync_rps" 'BEGIN { print a + b }')
  printf '%-6s %12s %12s %8s %22s %22s\n' "$round" "$sync_rps" "$nosync_rps" \
    "$(ratio "$sync_rps" "$nosync_rps")" \
    "$(field sync "$round" p50)/$(field sync "$round" p99)" \
    "$(field nosync "$round" p50)/$(field nosync "$round" p99)"
done
sync_rps=$(awk -v s="$sync_sum" -v n="$rounds" 'BEGIN { printf "%.1f", s / n }')
nosync_rps=$(awk -v s="$nosync_sum" -v n="$rounds" 'BEGIN { printf "%.1f", s / n }')
result=$(ratio "$sync_rps" "$nosync_rps")
echo "sync rps    $sync_rps"
echo "nosync rps  $nosync_rps"
echo "ratio       $result (sync / nosync)"
if awk -v s="$sync_rps" -v n="$nosync_rps" 'BEGIN { exit !(s == 0 || n == 0) }'; then
  echo "durable_write_ratio: no call succeeded on a server; check METHOD and REQUEST_JSON" >&2
  exit 2
fi

if [[ -n $min_ratio ]]; then
  if [[ $result == nan ]] || awk -v r="$result" -v m="$min_ratio" 'BEGIN { exit !(r < m) }'; then
    echo "durable_write_ratio: ratio $result is below $min_ratio" >&2
    exit 1
  fi
fi
