// Key encodings of the store. All key layouts live here, each with its diagram;
// key_codec_test.cc round-trips every one.
//
// Rules: fixed-width integers are big-endian so bytes sort like numbers;
// signed values and times are biased (sign bit flipped) so negatives sort
// first; variable-length parts that must sort by value use the "ordered
// string" escape (0x00 -> 0x00 0xFF, terminated by 0x00 0x01), which keeps
// byte order and lets a string be followed by more parts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rapport::storage {

// Appends `v` as 8 big-endian bytes.
void AppendUint64(std::string* out, uint64_t v);
// Appends `v` as 4 big-endian bytes.
void AppendUint32(std::string* out, uint32_t v);
// Appends `v` so that the bytes sort like the signed numbers.
void AppendInt64(std::string* out, int64_t v);
// Appends `t` as microseconds since the Unix epoch, sortable (AppendInt64).
void AppendTime(std::string* out, absl::Time t);
// Appends `s` with the ordered-string escape.
void AppendOrderedString(std::string* out, absl::string_view s);
// Appends `s` escaped but without the terminator: the scan prefix of every
// ordered string that starts with `s`.
void AppendOrderedStringPrefix(std::string* out, absl::string_view s);

// Readers: consume from the front of `*in`; nullopt if it is malformed or short.
std::optional<uint64_t> ConsumeUint64(absl::string_view* in);
std::optional<uint32_t> ConsumeUint32(absl::string_view* in);
std::optional<int64_t> ConsumeInt64(absl::string_view* in);
std::optional<absl::Time> ConsumeTime(absl::string_view* in);
std::optional<std::string> ConsumeOrderedString(absl::string_view* in);

// The smallest key greater than every key that starts with `prefix` (for an
// exclusive upper bound of a prefix scan); "" if there is none (all 0xFF).
std::string PrefixSuccessor(absl::string_view prefix);

// Counter values in Cf::kAggregates: int64, 8 bytes little-endian, merged by
// addition.
std::string EncodeCounter(int64_t v);
std::optional<int64_t> DecodeCounter(absl::string_view value);

// Schedule entry key in Cf::kSchedule:
//
//   +----------------+----------------------+-----------------+
//   | due: int64 BE  | kind: ordered string | key: raw bytes  |
//   | (µs, biased)   |                      | (rest of key)   |
//   +----------------+----------------------+-----------------+
//
// Entries sort by due time, then kind, then key.
struct ScheduleKey {
  absl::Time due;
  std::string kind;
  std::string key;
  bool operator==(const ScheduleKey& o) const {
    return due == o.due && kind == o.kind && key == o.key;
  }
};
std::string EncodeScheduleKey(const ScheduleKey& k);
std::optional<ScheduleKey> DecodeScheduleKey(absl::string_view encoded);

// Idempotency key in Cf::kIdempotency:
//
//   +--------------------------+---------------------------+
//   | method: ordered string   | request_id: ordered string |
//   +--------------------------+---------------------------+
std::string EncodeIdempotencyKey(absl::string_view method, absl::string_view request_id);

// ------------------------------------------------------------ Relationships
//
// Records in Cf::kRelationships, one tag byte then ordered-string ids:
//
//   'R' | relationship id                          Relationship
//   'S' | relationship id | stakeholder id         Stakeholder
//   'I' | relationship id | interaction id         Interaction
//   'O' | relationship id | opportunity id         Opportunity
//   'H' | relationship id                          last computed health
//
// Index entries in Cf::kIndex (empty values), two tag bytes first:
//
//   "rn" | lower(display name) | relationship id           by name
//   "ru" | -update time (int64 µs) | relationship id        newest update first
//   "rp" | parent id | child id                             children of a parent
//   "it" | relationship id | -occur time | interaction id   newest interaction first
//   "fd" | due time | relationship id | interaction id | index (uint32)
//                                                           open follow-ups by due time
//
// Counters in Cf::kAggregates:
//
//   "rc" | kind (uint32) | tier (uint32) | status (uint32)  relationships by kind, tier, status
namespace relkeys {

inline constexpr char kRelationship = 'R';
inline constexpr char kStakeholder = 'S';
inline constexpr char kInteraction = 'I';
inline constexpr char kOpportunity = 'O';
inline constexpr char kHealth = 'H';

// 'R' | id (and 'H' | id with tag kHealth).
std::string Record(char tag, absl::string_view id);
// tag | relationship id | child id.
std::string Child(char tag, absl::string_view relationship_id, absl::string_view child_id);
// tag | relationship id: the scan prefix of a relationship's children of one kind.
std::string ChildPrefix(char tag, absl::string_view relationship_id);
// The child id of a Child() key; nullopt if malformed.
std::optional<std::string> ChildIdOf(absl::string_view key);

std::string ByName(absl::string_view lower_name, absl::string_view id);
// Scan prefix of names starting with `lower_prefix`.
std::string ByNamePrefix(absl::string_view lower_prefix);
std::string ByUpdate(absl::Time update_time, absl::string_view id);
std::string ByParent(absl::string_view parent_id, absl::string_view child_id);
std::string ByParentPrefix(absl::string_view parent_id);
std::string InteractionByTime(absl::string_view relationship_id, absl::Time occur_time,
                              absl::string_view interaction_id);
std::string InteractionByTimePrefix(absl::string_view relationship_id);
std::string FollowUpByDue(absl::Time due, absl::string_view relationship_id,
                          absl::string_view interaction_id, uint32_t index);
// Scan prefix of every open follow-up entry.
std::string FollowUpPrefix();
std::string CountByKindTierStatus(uint32_t kind, uint32_t tier, uint32_t status);
std::string CountPrefix();

// Decoders of the index keys above; nullopt if malformed.
std::optional<std::string> IdFromByName(absl::string_view key);
std::optional<std::string> IdFromByUpdate(absl::string_view key);
std::optional<std::string> ChildFromByParent(absl::string_view key);
struct InteractionTimeKey {
  std::string relationship_id;
  absl::Time occur_time;
  std::string interaction_id;
};
std::optional<InteractionTimeKey> DecodeInteractionByTime(absl::string_view key);
struct FollowUpKey {
  absl::Time due;
  std::string relationship_id;
  std::string interaction_id;
  uint32_t index = 0;
};
std::optional<FollowUpKey> DecodeFollowUpByDue(absl::string_view key);
struct CountKey {
  uint32_t kind = 0;
  uint32_t tier = 0;
  uint32_t status = 0;
};
std::optional<CountKey> DecodeCountByKindTierStatus(absl::string_view key);

}  // namespace relkeys

// -------------------------------------------------------------- SLA catalog
//
// Records in Cf::kCatalog:
//
//   'S' | service id                          Service
//   'C' | calendar id                         Calendar
//   'A' | agreement id                        Agreement (current revision)
//   'V' | agreement id | revision (uint32)    AgreementRevision
//
// Index entries in Cf::kIndex (empty values):
//
//   "as" | service id | agreement id          agreements of a service
//   "ac" | calendar id | agreement id         agreements using a calendar
namespace catkeys {

inline constexpr char kService = 'S';
inline constexpr char kCalendar = 'C';
inline constexpr char kAgreement = 'A';

// tag | id.
std::string Record(char tag, absl::string_view id);
// 'V' | agreement id | revision.
std::string Revision(absl::string_view agreement_id, uint32_t revision);
// 'V' | agreement id: scan prefix of an agreement's revisions, oldest first.
std::string RevisionPrefix(absl::string_view agreement_id);
std::string AgreementByService(absl::string_view service_id, absl::string_view agreement_id);
std::string AgreementByServicePrefix(absl::string_view service_id);
std::string AgreementByCalendar(absl::string_view calendar_id, absl::string_view agreement_id);
std::string AgreementByCalendarPrefix(absl::string_view calendar_id);
// The agreement id of an AgreementByService/ByCalendar key; nullopt if malformed.
std::optional<std::string> AgreementFromIndex(absl::string_view key);
// The id of a Record key; nullopt if malformed.
std::optional<std::string> IdOfRecord(absl::string_view key);

}  // namespace catkeys

// ------------------------------------------------------------------ tickets
//
// Records in Cf::kTickets:
//
//   'T' | ticket id                           TicketRecord
//   'O' | service id | outage id              Outage
//
// Index entries in Cf::kIndex (empty values):
//
//   "ts" | service id | ticket id             tickets of a service
//   "tr" | relationship id | ticket id        tickets of a relationship
//   "to" | service id | ticket id             open tickets of a service
//
// Counters in Cf::kAggregates:
//
//   "sc" | scope (1 byte) | scope id | timer kind (uint32) | local day (int64) | field (uint32)
//        completions per scope and day: field 0 met, 1 breached, 100+b in
//        elapsed-time bucket b. Scopes: 'A' agreement, 'S' service,
//        'R' relationship, 'Y' service and agreement type ("svc|TYPE").
//   "so" | scope (1 byte) | scope id | field (uint32)
//        open tickets now: field 0 at risk, 1 breached.
namespace ticketkeys {

std::string Ticket(absl::string_view ticket_id);
std::string TicketPrefix();
std::optional<std::string> TicketIdOf(absl::string_view key);
std::string Outage(absl::string_view service_id, absl::string_view outage_id);
std::string OutagePrefix(absl::string_view service_id);
// tag is "ts", "tr" or "to".
std::string Index(absl::string_view tag, absl::string_view owner_id, absl::string_view ticket_id);
std::string IndexPrefix(absl::string_view tag, absl::string_view owner_id);
std::optional<std::string> TicketFromIndex(absl::string_view key);
std::string Completion(char scope, absl::string_view scope_id, uint32_t kind, int64_t day,
                       uint32_t field);
// Scan prefix of one scope and timer kind; days follow in order.
std::string CompletionPrefix(char scope, absl::string_view scope_id, uint32_t kind);
struct CompletionKey {
  int64_t day = 0;
  uint32_t field = 0;
};
// Decodes what follows CompletionPrefix(); nullopt if malformed.
std::optional<CompletionKey> DecodeCompletionSuffix(absl::string_view suffix);
std::string OpenCount(char scope, absl::string_view scope_id, uint32_t field);

}  // namespace ticketkeys

// Meta keys in Cf::kMeta are fixed ASCII names.
inline constexpr absl::string_view kMetaSchemaVersionKey = "schema_version";

}  // namespace rapport::storage
