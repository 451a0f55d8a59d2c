# bench/lib.sh: what the ratio scripts share. Source it, then call
# bench_start_rapportd NAME ROLE: it starts $build_dir/server/rapportd durable
# (--sync_writes=true), with bearer-token authentication (one principal with
# ROLE), on a free port and a temporary data directory under $TMPDIR (a real
# disk, or syncs cost nothing); sets $port and exports RAPPORT_TOKEN for
# rapport_load; stops rapportd and removes the directory on exit.
# bench_ratio_options "$@" parses the options every ratio script takes
# (-b BUILD_DIR, -c CONCURRENCY, -d DURATION, -n ROUNDS, -r MIN_RATIO, -h
# prints the script's header) into $build_dir, $concurrency, $duration,
# $rounds and $min_ratio.
# bench_call METHOD JSON makes one setup call and stops the script if it does
# not return OK: a benchmark whose setup failed measures something else.

bench_ratio_options() {
  build_dir=./build
  concurrency=64
  duration=10s
  min_ratio=0
  rounds=1
  local opt OPTIND=1
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
}

bench_start_rapportd() {
  local name=$1 role=$2
  rapportd=$build_dir/server/rapportd
  load=$build_dir/bench/rapport_load
  work=$(mktemp -d "${TMPDIR:-/tmp}/rapport-$name-XXXXXX")
  pid=
  trap bench_cleanup EXIT

  local token hash
  token=rpt_bench_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
  printf 'bench-%s sha256:%s %s\n' "$role" "$hash" "$role" >"$work/tokens"

  "$rapportd" --listen=127.0.0.1:0 --metrics_listen= --data_dir="$work/data" \
    --allow_plaintext --auth_tokens_file="$work/tokens" ${RAPPORTD_FLAGS:-} 2>"$work/stderr" &
  pid=$!
  port=
  for _ in $(seq 1 500); do
    port=$(sed -n 's/.* serving grpc=[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/stderr")
    [[ -n $port ]] && break
    sleep 0.02
  done
  if [[ -z $port ]]; then
    echo "$name: rapportd did not start:" >&2
    cat "$work/stderr" >&2
    exit 2
  fi
  export RAPPORT_TOKEN=$token
}

bench_cleanup() {
  if [[ -n $pid ]]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}

bench_call() {
  if ! "$load" --server="127.0.0.1:$port" --method="$1" --request="$2" --once >/dev/null; then
    echo "setup call $1 failed (above); not measuring" >&2
    exit 2
  fi
}
