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

// Counter values in Cf::kAggregates: a row of one or more int64 cells, each
// 8 bytes little-endian, merged by adding cell to cell (a shorter row counts
// as zeros in its missing cells). A plain counter is a row of one cell.
std::string EncodeCounter(int64_t v);
// The value of a one-cell row; nullopt for any other size.
std::optional<int64_t> DecodeCounter(absl::string_view value);
// A row of `cell` + 1 cells: `delta` in the last one, zeros before it.
std::string EncodeCounterCell(size_t cell, int64_t delta);
// EncodeCounterCell() appended to `out`.
void AppendCounterCell(std::string* out, size_t cell, int64_t delta);
// The number of cells of a row; nullopt if its size is not a positive
// multiple of 8.
std::optional<size_t> CounterCellCount(absl::string_view value);
// Cell `cell` of a row whose size CounterCellCount() accepted (cell <
// count).
int64_t CounterCell(absl::string_view value, size_t cell);
// Adds `delta`, a row, to `*row` cell by cell, growing it to the longer
// size; sums wrap modulo 2^64. False (and `*row` unchanged) if either is
// malformed.
bool AddCounterCells(std::string* row, absl::string_view delta);
// A counter of an older schema that kept one key per cell: the key of the
// row it belongs to now, and its cell there.
struct LegacyCounterCell {
  std::string row;
  size_t cell = 0;
};

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
// Completions of one scope, timer kind and local day: a counter row (in
// Cf::kAggregates) of kCompletionCells cells: met, breached, then one per
// business-time bucket. A report reads one row per day, however many tickets
// completed that day.
std::string CompletionRow(char scope, absl::string_view scope_id, uint32_t kind, int64_t day);
inline constexpr size_t kCompletionMetCell = 0;
inline constexpr size_t kCompletionBreachedCell = 1;
inline constexpr size_t kCompletionFirstBucketCell = 2;
// Scan prefix of one scope and timer kind; days follow in order.
std::string CompletionPrefix(char scope, absl::string_view scope_id, uint32_t kind);
// The day of what follows CompletionPrefix() in a row's key; nullopt if malformed.
std::optional<int64_t> DecodeCompletionRowSuffix(absl::string_view suffix);
// A schema version 2 completion counter, one key per field (0 met,
// 1 breached, 100 + bucket): the row it belongs to now and its cell; nullopt
// if `key` is not one.
std::optional<LegacyCounterCell> DecodeLegacyCompletion(absl::string_view key);
// The prefix of every completion key.
inline constexpr absl::string_view kCompletionPrefix = "sc";
std::string OpenCount(char scope, absl::string_view scope_id, uint32_t field);

}  // namespace ticketkeys

// -------------------------------------------------------------- escalations
//
// Records in Cf::kEscalations, one tag byte first:
//
//   'P' | policy id (ordered string)          EscalationPolicy
//   'E' | escalation id (ordered string)      Escalation (with its timeline)
//   'C' | sequence (uint64 BE)                EscalationChange, the change log
//   'Q'                                       last assigned change sequence
//                                             (uint64 BE), numbered by the
//                                             store (WriteBatch::AppendToLog)
//   'R'                                       the first change still kept
//                                             (uint64 BE; absent: 1), moved
//                                             on by the retention
//   'S'                                       the due time (int64 µs) of the
//                                             retention's schedule entry
//
// Index entries in Cf::kIndex (empty values):
//
//   "ec" | -create time (int64 µs) | escalation id     newest first
//   "eo" | relationship id | escalation id             open escalations (OPEN,
//                                                      ACKNOWLEDGED, ON_HOLD)
//
// Counters in Cf::kAggregates:
//
//   "eg" | state (uint32) | level (uint32) | severity (uint32)
//        open escalations (OPEN, ACKNOWLEDGED, ON_HOLD) now
namespace esckeys {

std::string Policy(absl::string_view policy_id);
std::string PolicyPrefix();
std::string Escalation(absl::string_view escalation_id);
std::string EscalationPrefix();
// The id of a Policy() or Escalation() key; nullopt if malformed.
std::optional<std::string> IdOfRecord(absl::string_view key);
std::string Change(uint64_t sequence);
std::string ChangePrefix();
std::optional<uint64_t> SequenceOfChange(absl::string_view key);
// The key of the last assigned sequence, and its value encoding.
std::string LastSequence();
std::string EncodeSequence(uint64_t sequence);
std::optional<uint64_t> DecodeSequence(absl::string_view value);
// The key of the first change still kept (value: EncodeSequence).
std::string FirstKeptSequence();
// The key of the retention's schedule entry due time (value: int64 µs).
std::string RetentionDue();

std::string ByCreate(absl::Time create_time, absl::string_view escalation_id);
std::string ByCreatePrefix();
struct ByCreateKey {
  absl::Time create_time;
  std::string escalation_id;
};
std::optional<ByCreateKey> DecodeByCreate(absl::string_view key);
std::string OpenByRelationship(absl::string_view relationship_id, absl::string_view escalation_id);
std::string OpenByRelationshipPrefix(absl::string_view relationship_id);
// Scan prefix of every "eo" entry: all open escalations, by relationship.
std::string OpenEscalationsPrefix();
std::optional<std::string> EscalationFromOpen(absl::string_view key);
std::string OpenCount(uint32_t state, uint32_t level, uint32_t severity);
std::string OpenCountPrefix();
struct OpenCountKey {
  uint32_t state = 0;
  uint32_t level = 0;
  uint32_t severity = 0;
};
std::optional<OpenCountKey> DecodeOpenCount(absl::string_view key);

}  // namespace esckeys

// ------------------------------------------------------------- satisfaction
//
// Records in Cf::kSatisfaction, one tag byte then ordered-string ids:
//
//   'S' | survey id                            Survey
//   'A' | survey id | response id              Response (an answer)
//   'W' | survey id | response id              a withdrawn answer's id, never accepted
//                                              again; value: withdraw time (int64 µs)
//   'C' | survey id | respondent hash          recontact marker; value: the
//                                              respondent's latest submit time
//                                              (int64 µs) then the response id
//   'K'                                        the installation's respondent key
//
// Index entries in Cf::kIndex (empty values), newest submission first
// (-time: negated µs, int64):
//
//   "na" | -time | survey id | response id                    every answer
//   "nv" | survey id | -time | response id                    answers to a survey
//   "ns" | service id | -time | survey id | response id       answers about a service
//   "nr" | relationship id | -time | survey id | response id  answers about a relationship
//   "nh" | respondent hash | -time | survey id | response id  answers of one respondent
//
// Counters in Cf::kAggregates: scored answers per scope, UTC time slot, kind
// and score.
//
//   +------+-------+----------+-------+--------+---------+--------+
//   | "sa" | scope | scope id | level | slot   | day     | kind   |
//   |      | 1 B   | ord. str | 1 B   | uint32 | int64   | uint32 |
//   +------+-------+----------+-------+--------+---------+--------+
//
//   scope  'E' every answer (empty id), 'V' survey, 'S' service, 'R' relationship.
//   level  each answer counts once on every level, in the slot holding its
//          submit time: 'D' the UTC day (slot 0), 'B' its six-hour block (0-3),
//          'H' its hour (0-23), 'Q' its quarter hour (0-95).
//   day    days since 1970-01-01, UTC. Keys of one scope, level and slot sort
//          by day, so a range of days is one scan.
//   kind   Survey.Kind number.
//
// The value is a counter row (EncodeCounterCell) with one cell per lane:
// lane = (score − lowest score of the kind) / 2, so an NPS row has up to six
// cells. Each cell holds two 32-bit counts: the low half counts the even
// offset, the high half the odd one (TallyDelta, DecodeTallyLanes). Counts are
// exact while each stays below 2^32. One key per slot, day and kind, not per
// score: a read of a window touches as many keys however the scores spread.
//
// Schema version 1 had the lane as a last uint32 of the key and a one-cell
// value; opening such a store moves those counters into rows (Store::Open).
namespace satkeys {

inline constexpr char kSurvey = 'S';
inline constexpr char kResponse = 'A';
inline constexpr char kWithdrawn = 'W';

// 'S' | survey id.
std::string Survey(absl::string_view survey_id);
// Scan prefix of every survey, by id.
std::string SurveyPrefix();
// The survey id of a Survey() key; nullopt if malformed.
std::optional<std::string> SurveyIdOf(absl::string_view key);
// tag ('A' or 'W') | survey id | response id.
std::string Response(char tag, absl::string_view survey_id, absl::string_view response_id);
// tag | survey id: scan prefix of a survey's answers (or withdrawn ids).
std::string ResponsePrefix(char tag, absl::string_view survey_id);
// 'C' | survey id | respondent hash.
std::string Recontact(absl::string_view survey_id, absl::string_view respondent_hash);
// 'C' | survey id: scan prefix of a survey's recontact markers.
std::string RecontactPrefix(absl::string_view survey_id);
// The value of a recontact marker, and its decoder (nullopt if malformed):
//
//   latest submit time (8) | 0x00 | writes (8, big-endian) | response id
//
// `writes` counts the marker's writes, so that its value changes on every
// one: a transaction that reads the marker then conflicts with any answer or
// withdrawal of the same respondent committed meanwhile, even one that leaves
// the latest answer as it was. A value written before the count existed
// (time | response id; ids never hold 0x00) decodes with writes 0.
std::string EncodeRecontact(absl::Time latest_submit, absl::string_view response_id,
                            uint64_t writes);
struct RecontactValue {
  absl::Time latest_submit;
  std::string response_id;
  uint64_t writes = 0;
};
std::optional<RecontactValue> DecodeRecontact(absl::string_view value);
// 'K'.
std::string RespondentKey();

// Index entries. `tag` of ByOwner is "ns", "nr" or "nh".
std::string ByTime(absl::Time submit_time, absl::string_view survey_id,
                   absl::string_view response_id);
std::string BySurvey(absl::string_view survey_id, absl::Time submit_time,
                     absl::string_view response_id);
std::string ByOwner(absl::string_view tag, absl::string_view owner_id, absl::Time submit_time,
                    absl::string_view survey_id, absl::string_view response_id);
// Scan prefixes: every answer ("na"), a survey's, an owner's.
std::string ByTimePrefix();
std::string BySurveyPrefix(absl::string_view survey_id);
std::string ByOwnerPrefix(absl::string_view tag, absl::string_view owner_id);
// `prefix` (one of the three above) followed by -time: a scan bound. Entries
// submitted at or before `t` sort at or after TimeBound(prefix, t).
std::string TimeBound(absl::string_view prefix, absl::Time t);
// Decodes what follows one of the prefixes above; for BySurvey entries the
// survey id is the prefix's (pass it), for the others it is read from the key.
struct IndexEntry {
  absl::Time submit_time;
  std::string survey_id;
  std::string response_id;
};
std::optional<IndexEntry> DecodeIndexSuffix(absl::string_view suffix,
                                            std::optional<std::string> survey_id);
// The owner id of a ByOwner() key (or of any key starting with a
// ByOwnerPrefix()); nullopt if malformed.
std::optional<std::string> OwnerOf(absl::string_view key);

// Tally counter rows.
std::string Tally(char scope, absl::string_view scope_id, char level, uint32_t slot, int64_t day,
                  uint32_t kind);
// The prefix of every tally key.
inline constexpr absl::string_view kTallyPrefix = "sa";
// "sa" | scope | scope id | level | slot: days and kinds follow.
std::string TallyNodePrefix(char scope, absl::string_view scope_id, char level, uint32_t slot);
// TallyNodePrefix followed by `day`: the scan bound of the keys from that day on.
std::string TallyDayBound(char scope, absl::string_view scope_id, char level, uint32_t slot,
                          int64_t day);
struct TallySuffix {
  int64_t day = 0;
  uint32_t kind = 0;
};
// Decodes what follows TallyNodePrefix(); nullopt if malformed.
std::optional<TallySuffix> DecodeTallySuffix(absl::string_view suffix);
// A schema version 1 tally key, which ended with the lane: the row's key and
// the lane (its cell); nullopt if `key` is not one.
std::optional<LegacyCounterCell> DecodeLegacyTally(absl::string_view key);
// The counter delta that adds `sign` (+1 or -1) answers with an even
// (`odd` false) or odd offset to a lane.
int64_t TallyDelta(bool odd, int sign);
// The two counts of a lane's counter value.
struct TallyLanes {
  int64_t even = 0;  // Answers with the even offset of the lane.
  int64_t odd = 0;   // Answers with the odd offset.
};
TallyLanes DecodeTallyLanes(int64_t value);

}  // namespace satkeys

// Meta keys in Cf::kMeta are fixed ASCII names.
inline constexpr absl::string_view kMetaSchemaVersionKey = "schema_version";

}  // namespace rapport::storage
