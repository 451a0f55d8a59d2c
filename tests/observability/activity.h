// Activity through rapportd's gRPC API for the observability tests, and the
// metric samples it must produce: a relationship, a catalog with an SLA,
// tickets (met, breached, at risk), an outage, NPS and CSAT answers (one
// withdrawn, one detractor comment), and escalations (manual, from the
// breach, from the detractor; acknowledged and resolved ones).
//
// The server must run with kActivityFlags. Time is rapportd's real clock:
// tickets and the outage are placed in the past. The crossings a ticket's
// back-filled history implies are recorded --sla_backfill_settle (2 s) after
// its last event, and one warning lies a few seconds ahead: the schedule
// fires both while RunActivity waits for them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace rapport::testing {

// Flags rapportd needs for the activity.
extern const std::vector<std::string> kActivityFlags;

// What RunActivity did, for the expected values.
struct ActivityResult {
  // When it started (T; tickets are placed relative to it) and ended.
  absl::Time start;
  absl::Time end;
  // Label values of the relationship gauge for the one relationship.
  std::string relationship_tier;
  std::string relationship_status;
  // Per severity name, the creation time of the oldest escalation left OPEN.
  std::map<std::string, absl::Time> oldest_open_by_severity;
};

// Drives rapportd at `grpc_address` (plaintext, no token) and, through
// `metrics_port`, waits until the schedule has fired the warning it set up.
// Test failures (and a partial result) if a call fails.
ActivityResult RunActivity(const std::string& grpc_address, int metrics_port);

// One sample the activity produces, as rapportd exports it.
struct ExpectedSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
  // Allowed absolute difference.
  double tolerance = 1e-9;
};

// The samples rapportd must export after `activity` (values whose
// calendar-month boundary falls inside the activity's time span are left out).
std::vector<ExpectedSample> ExpectedSamples(const ActivityResult& activity);

}  // namespace rapport::testing
