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
#                                     [-r MIN_RATIO] [METHOD [REQUEST_JSON]]
#   -b  build directory holding server/rapportd and bench/rapport_load (./build)
#   -c  calls in flight (64)
#   -d  measured duration per server, an absl::Duration such as 10s (10s)
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
shift $((OPTIND - 1))
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

# start_server NAME SYNC: starts rapportd and sets port_NAME to its gRPC port.
start_server() {
  local name=$1 sync=$2 port= i
  mkdir "$work/$name"
  "$rapportd" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
    --data_dir="$work/$name/data" --sync_writes="$sync" 2>"$work/$name/stderr" &
  local pid=$!
  pids+=("$pid")
  for ((i = 0; i < 200; i++)); do
    port=$(sed -n 's/.* serving grpc=[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/$name/stderr")
    [[ -n $port ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "durable_write_ratio: rapportd --sync_writes=$sync exited:" >&2
      cat "$work/$name/stderr" >&2
      exit 2
    fi
    sleep 0.05
  done
  if [[ -z $port ]]; then
    echo "durable_write_ratio: rapportd --sync_writes=$sync did not start within 10s:" >&2
    cat "$work/$name/stderr" >&2
    exit 2
  fi
  printf -v "port_$name" '%s' "$port"
}

# run_load NAME PORT: loads the server, shows rapport_load's report and keeps
# its JSON line in $work/NAME/json.
run_load() {
  local name=$1 port=$2
  echo "== $name (127.0.0.1:$port)"
  # In the background, so that a signal to this script is handled at once.
  "$load" --server="127.0.0.1:$port" --method="$method" --request="$request" \
    --concurrency="$concurrency" --duration="$duration" --baseline_method= --json \
    >"$work/$name/out" &
  load_pid=$!
  if ! wait "$load_pid"; then
    load_pid=
    cat "$work/$name/out"
    echo "durable_write_ratio: rapport_load against the $name server failed" >&2
    exit 2
  fi
  load_pid=
  grep -v '^{' "$work/$name/out"
  grep '^{' "$work/$name/out" >"$work/$name/json"
}

# field NAME KEY: a number from the target run of NAME's JSON line.
field() {
  local json
  json=$(<"$work/$1/json")
  json=${json#*\"target\":}
  sed -n "s/.*\"$2\":\([0-9.][0-9.]*\).*/\1/p" <<<"$json"
}

start_server sync true
start_server nosync false
run_load sync "$port_sync"
run_load nosync "$port_nosync"

sync_rps=$(field sync ok_rps)
nosync_rps=$(field nosync ok_rps)
ratio=$(awk -v s="$sync_rps" -v n="$nosync_rps" 'BEGIN { if (n > 0) printf "%.3f", s / n; else print "nan" }')
echo "== result: $method at $concurrency in flight, $duration each"
printf 'sync rps    %10s  (p50 %s ms, p99 %s ms)\n' "$sync_rps" "$(field sync p50)" "$(field sync p99)"
printf 'nosync rps  %10s  (p50 %s ms, p99 %s ms)\n' "$nosync_rps" "$(field nosync p50)" \
  "$(field nosync p99)"
echo "ratio       $ratio (sync / nosync)"

if [[ -n $min_ratio ]]; then
  if [[ $ratio == nan ]] || awk -v r="$ratio" -v m="$min_ratio" 'BEGIN { exit !(r < m) }'; then
    echo "durable_write_ratio: ratio $ratio is below $min_ratio" >&2
    exit 1
  fi
fi
