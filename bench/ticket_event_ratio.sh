#!/usr/bin/env bash
# ticket_event_ratio.sh: SlaCatalogService.RecordTicketEvent through the real
# server, durable (--sync_writes=true), with bearer-token authentication, at
# 64 calls in flight, against the gRPC health check under the same load in the
# same run. Each of the 64 slots opens a ticket (P2 under a 24x7 SLA with
# first-response, resolution and periodic-update targets: three timers, their
# schedule entries, indexes and open counters), records the response, then
# the resolution (completion counters), so the rate counts events, not
# tickets. The issue's target: at least 0.5 of the baseline's rate.
#
# Usage: bench/ticket_event_ratio.sh [-b BUILD_DIR] [-c CONCURRENCY] [-d DURATION]
#                                    [-n ROUNDS] [-r MIN_RATIO]
#   -b  build directory holding server/rapportd and bench/rapport_load (./build)
#   -c  calls in flight (64)
#   -d  measured duration per method and round (10s)
#   -n  rounds, alternating baseline and target in ABBA order (1)
#   -r  exit with code 1 if the events' rate / baseline is below this ratio
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_ratio_options "$@"
bench_start_rapportd tickets admin
bench_call rapport.v1.SlaCatalogService/CreateService \
  '{"service_id":"bench","service":{"display_name":"Bench service","lifecycle":"LIVE"}}'
bench_call rapport.v1.SlaCatalogService/CreateCalendar \
  '{"calendar_id":"always","calendar":{"display_name":"Round the clock","time_zone":"UTC","round_the_clock":true}}'
bench_call rapport.v1.SlaCatalogService/CreateAgreement \
  '{"agreement_id":"bench","agreement":{"display_name":"Bench SLA","type":"SLA","service":"services/bench","calendar":"calendars/always","effective_from":"2026-01-01T00:00:00Z","targets":[{"priority":"P2","first_response":"3600s","resolution":"28800s","periodic_update":"7200s"}]}}'

# Every event of a run happens at the moment the run starts: the timers stay
# running (no warning falls due while measured) until the resolution.
at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$load" --server="127.0.0.1:$port" --server_pid="$pid" --concurrency="$concurrency" --duration="$duration" --rounds="$rounds" \
  --method=rapport.v1.SlaCatalogService/RecordTicketEvent \
  --request='{"ticket_id":"t{{seq}}","event":{"event_id":"o","event_time":"'"$at"'","opened":{"service":"services/bench","priority":"P2"}}}' \
  --then='rapport.v1.SlaCatalogService/RecordTicketEvent {"ticket_id":"t{{seq}}","event":{"event_id":"a","event_time":"'"$at"'","responded":{}}}
rapport.v1.SlaCatalogService/RecordTicketEvent {"ticket_id":"t{{seq}}","event":{"event_id":"r","event_time":"'"$at"'","resolved":{}}}' \
  --min_ratio="$min_ratio"
