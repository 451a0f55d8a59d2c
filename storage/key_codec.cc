#include "storage/key_codec.h"

#include <cstring>

#include "absl/strings/match.h"

namespace rapport::storage {

void AppendUint64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

void AppendUint32(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 4);
}

void AppendInt64(std::string* out, int64_t v) {
  AppendUint64(out, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

void AppendTime(std::string* out, absl::Time t) { AppendInt64(out, absl::ToUnixMicros(t)); }

void AppendOrderedString(std::string* out, absl::string_view s) {
  for (char c : s) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

void AppendOrderedStringPrefix(std::string* out, absl::string_view s) {
  for (char c : s) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
}

std::optional<uint64_t> ConsumeUint64(absl::string_view* in) {
  if (in->size() < 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>((*in)[i]);
  in->remove_prefix(8);
  return v;
}

std::optional<uint32_t> ConsumeUint32(absl::string_view* in) {
  if (in->size() < 4) return std::nullopt;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>((*in)[i]);
  in->remove_prefix(4);
  return v;
}

std::optional<int64_t> ConsumeInt64(absl::string_view* in) {
  auto v = ConsumeUint64(in);
  if (!v) return std::nullopt;
  return static_cast<int64_t>(*v ^ (uint64_t{1} << 63));
}

std::optional<absl::Time> ConsumeTime(absl::string_view* in) {
  auto v = ConsumeInt64(in);
  if (!v) return std::nullopt;
  return absl::FromUnixMicros(*v);
}

std::optional<std::string> ConsumeOrderedString(absl::string_view* in) {
  std::string out;
  size_t i = 0;
  while (i < in->size()) {
    const char c = (*in)[i];
    if (c != '\0') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= in->size()) return std::nullopt;
    const char next = (*in)[i + 1];
    if (next == '\xff') {
      out.push_back('\0');
      i += 2;
    } else if (next == '\x01') {
      in->remove_prefix(i + 2);
      return out;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    const unsigned char last = static_cast<unsigned char>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

std::string EncodeCounter(int64_t v) { return EncodeCounterCell(0, v); }

std::optional<int64_t> DecodeCounter(absl::string_view value) {
  if (value.size() != 8) return std::nullopt;
  return CounterCell(value, 0);
}

std::string EncodeCounterCell(size_t cell, int64_t delta) {
  std::string out;
  AppendCounterCell(&out, cell, delta);
  return out;
}

void AppendCounterCell(std::string* out, size_t cell, int64_t delta) {
  const size_t begin = out->size();
  out->resize(begin + 8 * (cell + 1), '\0');
  uint64_t u = static_cast<uint64_t>(delta);
  for (size_t i = begin + 8 * cell; i < out->size(); ++i) {
    (*out)[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
}

std::optional<size_t> CounterCellCount(absl::string_view value) {
  if (value.empty() || value.size() % 8 != 0) return std::nullopt;
  return value.size() / 8;
}

int64_t CounterCell(absl::string_view value, size_t cell) {
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<uint8_t>(value[8 * cell + i]);
  return static_cast<int64_t>(u);
}

bool AddCounterCells(std::string* row, absl::string_view delta) {
  auto row_cells = CounterCellCount(*row);
  auto delta_cells = CounterCellCount(delta);
  if (!row_cells || !delta_cells) return false;
  if (*delta_cells > *row_cells) row->resize(delta.size(), '\0');
  for (size_t c = 0; c < *delta_cells; ++c) {
    const uint64_t sum = static_cast<uint64_t>(CounterCell(*row, c)) +
                         static_cast<uint64_t>(CounterCell(delta, c));
    const std::string encoded = EncodeCounter(static_cast<int64_t>(sum));
    row->replace(8 * c, 8, encoded);
  }
  return true;
}

std::string EncodeScheduleKey(const ScheduleKey& k) {
  std::string out;
  AppendTime(&out, k.due);
  AppendOrderedString(&out, k.kind);
  out.append(k.key);
  return out;
}

std::optional<ScheduleKey> DecodeScheduleKey(absl::string_view encoded) {
  ScheduleKey k;
  auto due = ConsumeTime(&encoded);
  if (!due) return std::nullopt;
  auto kind = ConsumeOrderedString(&encoded);
  if (!kind) return std::nullopt;
  k.due = *due;
  k.kind = std::move(*kind);
  k.key = std::string(encoded);
  return k;
}

std::string EncodeIdempotencyKey(absl::string_view method, absl::string_view request_id) {
  std::string out;
  AppendOrderedString(&out, method);
  AppendOrderedString(&out, request_id);
  return out;
}

namespace relkeys {
namespace {

std::string Tagged(absl::string_view tag) { return std::string(tag); }

bool ConsumeTag(absl::string_view* in, absl::string_view tag) {
  if (in->substr(0, tag.size()) != tag) return false;
  in->remove_prefix(tag.size());
  return true;
}

}  // namespace

std::string Record(char tag, absl::string_view id) {
  std::string out(1, tag);
  AppendOrderedString(&out, id);
  return out;
}

std::string Child(char tag, absl::string_view relationship_id, absl::string_view child_id) {
  std::string out = ChildPrefix(tag, relationship_id);
  AppendOrderedString(&out, child_id);
  return out;
}

std::string ChildPrefix(char tag, absl::string_view relationship_id) {
  return Record(tag, relationship_id);
}

std::optional<std::string> ChildIdOf(absl::string_view key) {
  if (key.empty()) return std::nullopt;
  key.remove_prefix(1);
  if (!ConsumeOrderedString(&key)) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::string ByName(absl::string_view lower_name, absl::string_view id) {
  std::string out = Tagged("rn");
  AppendOrderedString(&out, lower_name);
  AppendOrderedString(&out, id);
  return out;
}

std::string ByNamePrefix(absl::string_view lower_prefix) {
  std::string out = Tagged("rn");
  AppendOrderedStringPrefix(&out, lower_prefix);
  return out;
}

std::string ByUpdate(absl::Time update_time, absl::string_view id) {
  std::string out = Tagged("ru");
  AppendInt64(&out, -absl::ToUnixMicros(update_time));
  AppendOrderedString(&out, id);
  return out;
}

std::string ByParent(absl::string_view parent_id, absl::string_view child_id) {
  std::string out = ByParentPrefix(parent_id);
  AppendOrderedString(&out, child_id);
  return out;
}

std::string ByParentPrefix(absl::string_view parent_id) {
  std::string out = Tagged("rp");
  AppendOrderedString(&out, parent_id);
  return out;
}

std::string InteractionByTime(absl::string_view relationship_id, absl::Time occur_time,
                              absl::string_view interaction_id) {
  std::string out = InteractionByTimePrefix(relationship_id);
  AppendInt64(&out, -absl::ToUnixMicros(occur_time));
  AppendOrderedString(&out, interaction_id);
  return out;
}

std::string InteractionByTimePrefix(absl::string_view relationship_id) {
  std::string out = Tagged("it");
  AppendOrderedString(&out, relationship_id);
  return out;
}

std::string FollowUpByDue(absl::Time due, absl::string_view relationship_id,
                          absl::string_view interaction_id, uint32_t index) {
  std::string out = FollowUpPrefix();
  AppendTime(&out, due);
  AppendOrderedString(&out, relationship_id);
  AppendOrderedString(&out, interaction_id);
  AppendUint32(&out, index);
  return out;
}

std::string FollowUpPrefix() { return Tagged("fd"); }

std::string CountByKindTierStatus(uint32_t kind, uint32_t tier, uint32_t status) {
  std::string out = CountPrefix();
  AppendUint32(&out, kind);
  AppendUint32(&out, tier);
  AppendUint32(&out, status);
  return out;
}

std::string CountPrefix() { return Tagged("rc"); }

std::optional<std::string> IdFromByName(absl::string_view key) {
  if (!ConsumeTag(&key, "rn") || !ConsumeOrderedString(&key)) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::optional<std::string> IdFromByUpdate(absl::string_view key) {
  if (!ConsumeTag(&key, "ru") || !ConsumeInt64(&key)) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::optional<std::string> ChildFromByParent(absl::string_view key) {
  if (!ConsumeTag(&key, "rp") || !ConsumeOrderedString(&key)) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::optional<InteractionTimeKey> DecodeInteractionByTime(absl::string_view key) {
  InteractionTimeKey out;
  if (!ConsumeTag(&key, "it")) return std::nullopt;
  auto rel = ConsumeOrderedString(&key);
  auto t = ConsumeInt64(&key);
  if (!rel || !t) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  out.relationship_id = *rel;
  out.occur_time = absl::FromUnixMicros(-*t);
  out.interaction_id = *id;
  return out;
}

std::optional<FollowUpKey> DecodeFollowUpByDue(absl::string_view key) {
  FollowUpKey out;
  if (!ConsumeTag(&key, "fd")) return std::nullopt;
  auto due = ConsumeTime(&key);
  if (!due) return std::nullopt;
  auto rel = ConsumeOrderedString(&key);
  if (!rel) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id) return std::nullopt;
  auto index = ConsumeUint32(&key);
  if (!index || !key.empty()) return std::nullopt;
  out.due = *due;
  out.relationship_id = *rel;
  out.interaction_id = *id;
  out.index = *index;
  return out;
}

std::optional<CountKey> DecodeCountByKindTierStatus(absl::string_view key) {
  CountKey out;
  if (!ConsumeTag(&key, "rc")) return std::nullopt;
  auto kind = ConsumeUint32(&key);
  auto tier = ConsumeUint32(&key);
  auto status = ConsumeUint32(&key);
  if (!kind || !tier || !status || !key.empty()) return std::nullopt;
  out.kind = *kind;
  out.tier = *tier;
  out.status = *status;
  return out;
}

}  // namespace relkeys

namespace catkeys {

std::string Record(char tag, absl::string_view id) {
  std::string out(1, tag);
  AppendOrderedString(&out, id);
  return out;
}

std::string Revision(absl::string_view agreement_id, uint32_t revision) {
  std::string out = RevisionPrefix(agreement_id);
  AppendUint32(&out, revision);
  return out;
}

std::string RevisionPrefix(absl::string_view agreement_id) { return Record('V', agreement_id); }

std::string AgreementByService(absl::string_view service_id, absl::string_view agreement_id) {
  std::string out = AgreementByServicePrefix(service_id);
  AppendOrderedString(&out, agreement_id);
  return out;
}

std::string AgreementByServicePrefix(absl::string_view service_id) {
  std::string out = "as";
  AppendOrderedString(&out, service_id);
  return out;
}

std::string AgreementByCalendar(absl::string_view calendar_id, absl::string_view agreement_id) {
  std::string out = AgreementByCalendarPrefix(calendar_id);
  AppendOrderedString(&out, agreement_id);
  return out;
}

std::string AgreementByCalendarPrefix(absl::string_view calendar_id) {
  std::string out = "ac";
  AppendOrderedString(&out, calendar_id);
  return out;
}

std::optional<std::string> AgreementFromIndex(absl::string_view key) {
  if (key.size() < 2) return std::nullopt;
  key.remove_prefix(2);
  if (!ConsumeOrderedString(&key)) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::optional<std::string> IdOfRecord(absl::string_view key) {
  if (key.empty()) return std::nullopt;
  key.remove_prefix(1);
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

}  // namespace catkeys

namespace ticketkeys {

std::string Ticket(absl::string_view ticket_id) {
  std::string out = TicketPrefix();
  AppendOrderedString(&out, ticket_id);
  return out;
}

std::string TicketPrefix() { return "T"; }

std::optional<std::string> TicketIdOf(absl::string_view key) {
  if (key.empty() || key[0] != 'T') return std::nullopt;
  key.remove_prefix(1);
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::string Outage(absl::string_view service_id, absl::string_view outage_id) {
  std::string out = OutagePrefix(service_id);
  AppendOrderedString(&out, outage_id);
  return out;
}

std::string OutagePrefix(absl::string_view service_id) {
  std::string out = "O";
  AppendOrderedString(&out, service_id);
  return out;
}

std::string Index(absl::string_view tag, absl::string_view owner_id, absl::string_view ticket_id) {
  std::string out = IndexPrefix(tag, owner_id);
  AppendOrderedString(&out, ticket_id);
  return out;
}

std::string IndexPrefix(absl::string_view tag, absl::string_view owner_id) {
  std::string out(tag);
  AppendOrderedString(&out, owner_id);
  return out;
}

std::optional<std::string> TicketFromIndex(absl::string_view key) {
  if (key.size() < 2) return std::nullopt;
  key.remove_prefix(2);
  if (!ConsumeOrderedString(&key)) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::string CompletionRow(char scope, absl::string_view scope_id, uint32_t kind, int64_t day) {
  std::string out = CompletionPrefix(scope, scope_id, kind);
  AppendInt64(&out, day);
  return out;
}

std::string CompletionPrefix(char scope, absl::string_view scope_id, uint32_t kind) {
  std::string out(kCompletionPrefix);
  out.push_back(scope);
  AppendOrderedString(&out, scope_id);
  AppendUint32(&out, kind);
  return out;
}

std::optional<int64_t> DecodeCompletionRowSuffix(absl::string_view suffix) {
  auto day = ConsumeInt64(&suffix);
  if (!day || !suffix.empty()) return std::nullopt;
  return day;
}

std::optional<LegacyCounterCell> DecodeLegacyCompletion(absl::string_view key) {
  if (!absl::StartsWith(key, kCompletionPrefix)) return std::nullopt;
  absl::string_view in = key.substr(kCompletionPrefix.size());
  if (in.empty()) return std::nullopt;
  in.remove_prefix(1);  // Scope.
  if (!ConsumeOrderedString(&in) || !ConsumeUint32(&in) || !ConsumeInt64(&in)) return std::nullopt;
  auto field = ConsumeUint32(&in);
  if (!field || !in.empty()) return std::nullopt;
  size_t cell;
  if (*field == 0) {
    cell = kCompletionMetCell;
  } else if (*field == 1) {
    cell = kCompletionBreachedCell;
  } else if (*field >= 100 && *field < 100 + 64) {
    cell = kCompletionFirstBucketCell + (*field - 100);
  } else {
    return std::nullopt;
  }
  return LegacyCounterCell{std::string(key.substr(0, key.size() - 4)), cell};
}

std::string OpenCount(char scope, absl::string_view scope_id, uint32_t field) {
  std::string out = "so";
  out.push_back(scope);
  AppendOrderedString(&out, scope_id);
  AppendUint32(&out, field);
  return out;
}

}  // namespace ticketkeys

namespace esckeys {
namespace {

std::string Tagged(char tag, absl::string_view id) {
  std::string key(1, tag);
  AppendOrderedString(&key, id);
  return key;
}

bool ConsumeTag(absl::string_view* in, absl::string_view tag) {
  if (in->substr(0, tag.size()) != tag) return false;
  in->remove_prefix(tag.size());
  return true;
}

}  // namespace

std::string Policy(absl::string_view policy_id) { return Tagged('P', policy_id); }
std::string PolicyPrefix() { return "P"; }
std::string Escalation(absl::string_view escalation_id) { return Tagged('E', escalation_id); }
std::string EscalationPrefix() { return "E"; }

std::optional<std::string> IdOfRecord(absl::string_view key) {
  if (key.empty() || (key[0] != 'P' && key[0] != 'E')) return std::nullopt;
  key.remove_prefix(1);
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::string Change(uint64_t sequence) {
  std::string key = "C";
  AppendUint64(&key, sequence);
  return key;
}

std::string ChangePrefix() { return "C"; }

std::optional<uint64_t> SequenceOfChange(absl::string_view key) {
  if (!ConsumeTag(&key, "C")) return std::nullopt;
  auto seq = ConsumeUint64(&key);
  if (!seq || !key.empty()) return std::nullopt;
  return seq;
}

std::string LastSequence() { return "Q"; }
std::string FirstKeptSequence() { return "R"; }
std::string RetentionDue() { return "S"; }

std::string EncodeSequence(uint64_t sequence) {
  std::string value;
  AppendUint64(&value, sequence);
  return value;
}

std::optional<uint64_t> DecodeSequence(absl::string_view value) {
  auto seq = ConsumeUint64(&value);
  if (!seq || !value.empty()) return std::nullopt;
  return seq;
}

std::string ByCreate(absl::Time create_time, absl::string_view escalation_id) {
  std::string key = "ec";
  AppendInt64(&key, -absl::ToUnixMicros(create_time));
  AppendOrderedString(&key, escalation_id);
  return key;
}

std::string ByCreatePrefix() { return "ec"; }

std::optional<ByCreateKey> DecodeByCreate(absl::string_view key) {
  if (!ConsumeTag(&key, "ec")) return std::nullopt;
  auto neg = ConsumeInt64(&key);
  if (!neg) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return ByCreateKey{absl::FromUnixMicros(-*neg), *id};
}

std::string OpenByRelationship(absl::string_view relationship_id, absl::string_view escalation_id) {
  std::string key = OpenByRelationshipPrefix(relationship_id);
  AppendOrderedString(&key, escalation_id);
  return key;
}

std::string OpenByRelationshipPrefix(absl::string_view relationship_id) {
  std::string key = OpenEscalationsPrefix();
  AppendOrderedString(&key, relationship_id);
  return key;
}

std::string OpenEscalationsPrefix() { return "eo"; }

std::optional<std::string> EscalationFromOpen(absl::string_view key) {
  if (!ConsumeTag(&key, "eo")) return std::nullopt;
  if (!ConsumeOrderedString(&key)) return std::nullopt;
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::string OpenCount(uint32_t state, uint32_t level, uint32_t severity) {
  std::string key = "eg";
  AppendUint32(&key, state);
  AppendUint32(&key, level);
  AppendUint32(&key, severity);
  return key;
}

std::string OpenCountPrefix() { return "eg"; }

std::optional<OpenCountKey> DecodeOpenCount(absl::string_view key) {
  if (!ConsumeTag(&key, "eg")) return std::nullopt;
  auto state = ConsumeUint32(&key);
  auto level = ConsumeUint32(&key);
  auto severity = ConsumeUint32(&key);
  if (!state || !level || !severity || !key.empty()) return std::nullopt;
  return OpenCountKey{*state, *level, *severity};
}

}  // namespace esckeys

namespace satkeys {
namespace {

constexpr char kRecontact = 'C';
constexpr char kRespondentKey = 'K';

std::string Tagged(char tag, absl::string_view id) {
  std::string out(1, tag);
  AppendOrderedString(&out, id);
  return out;
}

void AppendNegatedTime(std::string* out, absl::Time t) {
  AppendInt64(out, -absl::ToUnixMicros(t));
}

}  // namespace

std::string Survey(absl::string_view survey_id) { return Tagged(kSurvey, survey_id); }

std::string SurveyPrefix() { return std::string(1, kSurvey); }

std::optional<std::string> SurveyIdOf(absl::string_view key) {
  if (key.empty() || key[0] != kSurvey) return std::nullopt;
  key.remove_prefix(1);
  auto id = ConsumeOrderedString(&key);
  if (!id || !key.empty()) return std::nullopt;
  return id;
}

std::string Response(char tag, absl::string_view survey_id, absl::string_view response_id) {
  std::string out = ResponsePrefix(tag, survey_id);
  AppendOrderedString(&out, response_id);
  return out;
}

std::string ResponsePrefix(char tag, absl::string_view survey_id) {
  return Tagged(tag, survey_id);
}

std::string Recontact(absl::string_view survey_id, absl::string_view respondent_hash) {
  std::string out = RecontactPrefix(survey_id);
  AppendOrderedString(&out, respondent_hash);
  return out;
}

std::string RecontactPrefix(absl::string_view survey_id) { return Tagged(kRecontact, survey_id); }

std::string EncodeRecontact(absl::Time latest_submit, absl::string_view response_id,
                            uint64_t writes) {
  std::string out;
  AppendTime(&out, latest_submit);
  out.push_back('\0');
  AppendUint64(&out, writes);
  out.append(response_id.data(), response_id.size());
  return out;
}

std::optional<RecontactValue> DecodeRecontact(absl::string_view value) {
  auto t = ConsumeTime(&value);
  if (!t) return std::nullopt;
  uint64_t writes = 0;
  if (!value.empty() && value[0] == '\0') {
    value.remove_prefix(1);
    auto count = ConsumeUint64(&value);
    if (!count) return std::nullopt;
    writes = *count;
  }
  return RecontactValue{*t, std::string(value), writes};
}

std::string RespondentKey() { return std::string(1, kRespondentKey); }

std::string ByTime(absl::Time submit_time, absl::string_view survey_id,
                   absl::string_view response_id) {
  std::string out = ByTimePrefix();
  AppendNegatedTime(&out, submit_time);
  AppendOrderedString(&out, survey_id);
  AppendOrderedString(&out, response_id);
  return out;
}

std::string BySurvey(absl::string_view survey_id, absl::Time submit_time,
                     absl::string_view response_id) {
  std::string out = BySurveyPrefix(survey_id);
  AppendNegatedTime(&out, submit_time);
  AppendOrderedString(&out, response_id);
  return out;
}

std::string ByOwner(absl::string_view tag, absl::string_view owner_id, absl::Time submit_time,
                    absl::string_view survey_id, absl::string_view response_id) {
  std::string out = ByOwnerPrefix(tag, owner_id);
  AppendNegatedTime(&out, submit_time);
  AppendOrderedString(&out, survey_id);
  AppendOrderedString(&out, response_id);
  return out;
}

std::string ByTimePrefix() { return "na"; }

std::string BySurveyPrefix(absl::string_view survey_id) {
  std::string out = "nv";
  AppendOrderedString(&out, survey_id);
  return out;
}

std::string ByOwnerPrefix(absl::string_view tag, absl::string_view owner_id) {
  std::string out(tag);
  AppendOrderedString(&out, owner_id);
  return out;
}

std::string TimeBound(absl::string_view prefix, absl::Time t) {
  std::string out(prefix);
  AppendNegatedTime(&out, t);
  return out;
}

std::optional<IndexEntry> DecodeIndexSuffix(absl::string_view suffix,
                                            std::optional<std::string> survey_id) {
  auto negated = ConsumeInt64(&suffix);
  if (!negated) return std::nullopt;
  if (!survey_id) {
    survey_id = ConsumeOrderedString(&suffix);
    if (!survey_id) return std::nullopt;
  }
  auto response_id = ConsumeOrderedString(&suffix);
  if (!response_id || !suffix.empty()) return std::nullopt;
  return IndexEntry{absl::FromUnixMicros(-*negated), std::move(*survey_id),
                    std::move(*response_id)};
}

std::optional<std::string> OwnerOf(absl::string_view key) {
  if (key.size() < 2) return std::nullopt;
  key.remove_prefix(2);
  return ConsumeOrderedString(&key);
}

std::string Tally(char scope, absl::string_view scope_id, char level, uint32_t slot, int64_t day,
                  uint32_t kind) {
  std::string out = TallyDayBound(scope, scope_id, level, slot, day);
  AppendUint32(&out, kind);
  return out;
}

std::string TallyNodePrefix(char scope, absl::string_view scope_id, char level, uint32_t slot) {
  std::string out(kTallyPrefix);
  out.push_back(scope);
  AppendOrderedString(&out, scope_id);
  out.push_back(level);
  AppendUint32(&out, slot);
  return out;
}

std::string TallyDayBound(char scope, absl::string_view scope_id, char level, uint32_t slot,
                          int64_t day) {
  std::string out = TallyNodePrefix(scope, scope_id, level, slot);
  AppendInt64(&out, day);
  return out;
}

std::optional<TallySuffix> DecodeTallySuffix(absl::string_view suffix) {
  auto day = ConsumeInt64(&suffix);
  auto kind = ConsumeUint32(&suffix);
  if (!day || !kind || !suffix.empty()) return std::nullopt;
  return TallySuffix{*day, *kind};
}

std::optional<LegacyCounterCell> DecodeLegacyTally(absl::string_view key) {
  if (!absl::StartsWith(key, kTallyPrefix)) return std::nullopt;
  absl::string_view in = key.substr(kTallyPrefix.size());
  if (in.empty()) return std::nullopt;
  in.remove_prefix(1);  // Scope.
  if (!ConsumeOrderedString(&in) || in.empty()) return std::nullopt;
  in.remove_prefix(1);  // Level.
  if (!ConsumeUint32(&in) || !ConsumeInt64(&in) || !ConsumeUint32(&in)) return std::nullopt;
  auto lane = ConsumeUint32(&in);
  if (!lane || !in.empty()) return std::nullopt;
  return LegacyCounterCell{std::string(key.substr(0, key.size() - 4)), *lane};
}

int64_t TallyDelta(bool odd, int sign) {
  // The counter adds modulo 2^64, so a withdrawal's negative delta borrows
  // across the halves only transiently: the sum of all deltas is exact.
  const int64_t one = odd ? (int64_t{1} << 32) : int64_t{1};
  return sign < 0 ? -one : one;
}

TallyLanes DecodeTallyLanes(int64_t value) {
  const uint64_t u = static_cast<uint64_t>(value);
  return TallyLanes{static_cast<int64_t>(u & 0xffffffffu), static_cast<int64_t>(u >> 32)};
}

}  // namespace satkeys

}  // namespace rapport::storage
