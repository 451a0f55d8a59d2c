#!/usr/bin/env bash
# escalation_cycle_ratio.sh: the escalation workflow's hot path through the
# real server: each of 64 calls in flight creates an escalation, acknowledges
# it, then resolves it (three durable writes, each with its timeline entry,
# change-log entry, indexes, counters and schedule entry), against the gRPC
# health check under the same load in the same run. The rate counts calls,
# not cycles. The issue's target: at least 0.4 of the baseline's rate.
#
# Usage: bench/escalation_cycle_ratio.sh [-b BUILD_DIR] [-c CONCURRENCY] [-d DURATION]
#                                        [-n ROUNDS] [-r MIN_RATIO]
#   -b  build directory holding server/rapportd and bench/rapport_load (./build)
#   -c  calls in flight (64)
#   -d  measured duration per method and round (10s)
#   -n  rounds, alternating baseline and target in ABBA order (1)
#   -r  exit with code 1 if the cycle's calls / baseline is below this ratio
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_ratio_options "$@"
bench_start_rapportd escalation admin
bench_call rapport.v1.RelationshipService/CreateRelationship \
  '{"relationship_id":"bench","relationship":{"display_name":"Bench customer","kind":"EXTERNAL_CUSTOMER"}}'
bench_call rapport.v1.EscalationService/CreateEscalationPolicy \
  '{"policy_id":"bench","policy":{"display_name":"Bench","levels":[{"name":"service desk","targets":["team:desk"],"ack_wait":"600s"},{"name":"manager","targets":["role:manager"],"ack_wait":"1800s"}]}}'

"$load" --server="127.0.0.1:$port" --server_pid="$pid" --concurrency="$concurrency" --duration="$duration" --rounds="$rounds" \
  --method=rapport.v1.EscalationService/CreateEscalation \
  --request='{"escalation_id":"e{{seq}}","escalation":{"relationship":"relationships/bench","title":"Payroll run late","severity":"SEV2","policy":"escalation_policies/bench"}}' \
  --then='rapport.v1.EscalationService/AcknowledgeEscalation {"name":"escalations/e{{seq}}"}
rapport.v1.EscalationService/ResolveEscalation {"name":"escalations/e{{seq}}","summary":"Rerun done"}' \
  --min_ratio="$min_ratio"
