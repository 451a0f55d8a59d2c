// Every column family of the store, declared in one place (the Kvrocks way:
// one enum and one table of names, opened once by storage::Store).
//
// Column family names are persisted in the data directory: never rename or
// reorder an entry, only add new ones at the end (services add theirs when
// they land).
#pragma once

#include <cstddef>

#include "absl/strings/string_view.h"

namespace rapport::storage {

enum class Cf : int {
  kDefault = 0,      // RocksDB's own; unused by Rapport.
  kMeta = 1,         // Store metadata: the schema version.
  kSchedule = 2,     // Due-time ordered schedule entries (see key_codec.h).
  kIndex = 3,        // Secondary index entries of every resource.
  kAggregates = 4,   // Counters maintained at write time (int64, merged by addition).
  kIdempotency = 5,  // Results of mutations by request_id, for safe retries.
  kChanges = 6,      // Change logs with sequence numbers (watch streams).
  kRelationships = 7,  // Relationships and their stakeholders, interactions, opportunities.
  kCatalog = 8,        // SLA catalog: services, calendars, agreements and their revisions.
  kTickets = 9,        // Tickets with their event logs, and service outages.
  kSatisfaction = 10,  // Surveys and their answers.
  kEscalations = 11,   // Escalation policies, escalations and their change log.
  kAudit = 12,         // The audit log of mutations, newest first.
};

// Number of column families; the Cf values are 0..kCfCount-1.
inline constexpr std::size_t kCfCount = 13;

// The persisted name of a column family.
absl::string_view CfName(Cf cf);

}  // namespace rapport::storage
