#include "services/relationships/relationships.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rapport/internal/v1/internal.pb.h"
#include "services/common/idempotency.h"
#include "services/common/pagination.h"
#include "services/common/proto_time.h"
#include "services/common/scan_page.h"
#include "services/common/resource.h"
#include "storage/key_codec.h"
#include "storage/logging.h"
#include "storage/status_macros.h"

namespace rapport::relationships {
namespace {

using storage::Cf;
namespace keys = storage::relkeys;

constexpr absl::string_view kCollection = "relationships";
constexpr int kMaxLabels = 64;
constexpr int kMaxConsumedServices = 200;
constexpr int kMaxParentDepth = 32;
constexpr int kMaxParticipants = 50;
constexpr int kMaxFollowUps = 50;
constexpr absl::Duration kMaxFutureSkew = absl::Hours(24);
constexpr absl::Duration k90Days = absl::Hours(24 * 90);
constexpr absl::Duration k180Days = absl::Hours(24 * 180);
// Guard key of a relationship's children: every child create and delete
// writes it, and deleting the relationship reads it, so a child added while
// its relationship is being deleted makes one of the two retry.
constexpr char kChildGuard = 'G';
// A counter of the escalations opened on a relationship (AdmitEscalationInTxn),
// read by its delete for the same reason.
constexpr char kEscalationGuard = 'E';

std::string RelName(absl::string_view id) { return absl::StrCat(kCollection, "/", id); }

std::string ChildName(absl::string_view rel, absl::string_view collection, absl::string_view id) {
  return absl::StrCat(kCollection, "/", rel, "/", collection, "/", id);
}

// Names are indexed, ordered and searched without regard to case, in every
// script (FoldCase), not only for ASCII letters.
std::string Lower(absl::string_view s) { return FoldCase(s); }

// The name index's version in Cf::kRelationships; absent before names were
// folded beyond ASCII (FoldNameIndex).
constexpr absl::string_view kNameIndexVersionKey = "Mname-index";
constexpr absl::string_view kNameIndexFolded = "unicode-1";

bool IsHighQuadrant(int v) { return v >= 3; }

absl::Status NotFound(absl::string_view what, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(what, " ", name, " does not exist"));
}

// Reads a record through `txn` (tracked); NOT_FOUND naming `name` if absent.
template <typename T>
absl::Status ReadTracked(storage::Txn& txn, absl::string_view key, absl::string_view what,
                         absl::string_view name, T* out) {
  ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kRelationships, key, out));
  if (!found) return NotFound(what, name);
  return absl::OkStatus();
}

void BumpChildGuard(storage::Txn& txn, absl::string_view rel_id) {
  const std::string key = keys::Record(kChildGuard, rel_id);
  auto current = txn.Get(Cf::kRelationships, key);
  txn.batch().Put(Cf::kRelationships, key,
                  NextEtag(current.ok() && current->has_value() ? **current : ""));
}

bool LegalTransition(v1::Relationship::Status from, v1::Relationship::Status to) {
  using S = v1::Relationship;
  if (from == to) return true;
  switch (from) {
    case S::PROSPECT: return to == S::ACTIVE || to == S::ENDED;
    case S::ACTIVE: return to == S::AT_RISK || to == S::DORMANT || to == S::ENDED;
    case S::AT_RISK: return to == S::ACTIVE || to == S::DORMANT || to == S::ENDED;
    case S::DORMANT: return to == S::ACTIVE || to == S::ENDED;
    case S::ENDED: return to == S::PROSPECT;
    default: return false;
  }
}

absl::Status ValidateLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.size() > kMaxLabels) {
    return absl::InvalidArgumentError(
        absl::StrCat("relationship.labels has ", labels.size(), " labels, at most ", kMaxLabels));
  }
  for (const auto& [key, value] : labels) {
    bool ok = !key.empty() && key.size() <= 63 && key[0] >= 'a' && key[0] <= 'z';
    for (char c : key) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "relationship.labels key '", key, "' must match [a-z][a-z0-9_-]{0,62}"));
    }
    RETURN_IF_ERROR(CheckLength(absl::StrCat("relationship.labels[", key, "]"), value, 0, 63));
  }
  return absl::OkStatus();
}

absl::Status ValidateEmail(absl::string_view field, absl::string_view email) {
  if (email.empty()) return absl::OkStatus();
  const auto at = email.find('@');
  const bool ok = email.size() <= 254 && at != absl::string_view::npos && at > 0 &&
                  email.find('@', at + 1) == absl::string_view::npos &&
                  email.find_first_of(" \t\r\n,;<>") == absl::string_view::npos &&
                  email.substr(at + 1).find('.') != absl::string_view::npos &&
                  email.back() != '.' && email[at + 1] != '.';
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " '", email, "' is not an e-mail address (local@domain.tld)"));
}

absl::Status ValidatePhone(absl::string_view field, absl::string_view phone) {
  if (phone.size() > 40) return absl::InvalidArgumentError(absl::StrCat(field, " is too long: at most 40 characters"));
  for (char c : phone) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != ' ' && c != '+' && c != '(' &&
        c != ')' && c != '-' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " may hold only digits, spaces and + ( ) - ."));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateStakeholder(const v1::Stakeholder& s) {
  RETURN_IF_ERROR(CheckLength("stakeholder.display_name", s.display_name(), 1, 200));
  RETURN_IF_ERROR(CheckLength("stakeholder.role", s.role(), 0, 200));
  RETURN_IF_ERROR(ValidateEmail("stakeholder.email", s.email()));
  RETURN_IF_ERROR(ValidatePhone("stakeholder.phone", s.phone()));
  if (s.power() < 1 || s.power() > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("stakeholder.power must be between 1 and 5, got ", s.power()));
  }
  if (s.interest() < 1 || s.interest() > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("stakeholder.interest must be between 1 and 5, got ", s.interest()));
  }
  RETURN_IF_ERROR(CheckEnum("stakeholder.attitude", v1::Stakeholder::Attitude_descriptor(),
                            s.attitude(), false));
  return CheckEnum("stakeholder.preferred_channel", v1::Stakeholder::Channel_descriptor(),
                   s.preferred_channel(), false);
}

absl::Status ValidateFollowUps(const google::protobuf::RepeatedPtrField<v1::FollowUp>& follow_ups) {
  if (follow_ups.size() > kMaxFollowUps) {
    return absl::InvalidArgumentError(
        absl::StrCat("interaction.follow_ups has ", follow_ups.size(), ", at most ", kMaxFollowUps));
  }
  for (int i = 0; i < follow_ups.size(); ++i) {
    RETURN_IF_ERROR(CheckLength(absl::StrCat("interaction.follow_ups[", i, "].text"),
                                follow_ups[i].text(), 1, 1000));
    RETURN_IF_ERROR(CheckLength(absl::StrCat("interaction.follow_ups[", i, "].owner"),
                                follow_ups[i].owner(), 0, 200));
  }
  return absl::OkStatus();
}

absl::Status ValidateInteraction(const v1::Interaction& in, absl::Time now) {
  RETURN_IF_ERROR(CheckEnum("interaction.kind", v1::Interaction::Kind_descriptor(), in.kind(), true));
  RETURN_IF_ERROR(CheckEnum("interaction.channel", v1::Stakeholder::Channel_descriptor(),
                            in.channel(), false));
  if (!in.has_occur_time()) return absl::InvalidArgumentError("interaction.occur_time is required");
  if (FromProtoTime(in.occur_time()) > now + kMaxFutureSkew) {
    return absl::InvalidArgumentError(
        "interaction.occur_time is more than a day in the future");
  }
  if (in.participants_size() > kMaxParticipants) {
    return absl::InvalidArgumentError(absl::StrCat("interaction.participants has ",
                                                   in.participants_size(), ", at most ",
                                                   kMaxParticipants));
  }
  for (int i = 0; i < in.participants_size(); ++i) {
    RETURN_IF_ERROR(
        CheckLength(absl::StrCat("interaction.participants[", i, "]"), in.participants(i), 1, 200));
  }
  RETURN_IF_ERROR(CheckLength("interaction.summary", in.summary(), 1, kMaxSummaryChars));
  if (in.sentiment() < -2 || in.sentiment() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("interaction.sentiment must be between -2 and 2, got ", in.sentiment()));
  }
  return ValidateFollowUps(in.follow_ups());
}

absl::Status ValidateOpportunity(const v1::Opportunity& o) {
  RETURN_IF_ERROR(CheckLength("opportunity.title", o.title(), 1, 200));
  RETURN_IF_ERROR(CheckLength("opportunity.description", o.description(), 0, 10000));
  if (o.has_estimated_annual_value()) {
    const auto& m = o.estimated_annual_value();
    bool currency_ok = m.currency_code().size() == 3;
    for (char c : m.currency_code()) currency_ok = currency_ok && c >= 'A' && c <= 'Z';
    if (!currency_ok) {
      return absl::InvalidArgumentError(
          "opportunity.estimated_annual_value.currency_code must be an ISO 4217 code such as EUR");
    }
    if (m.units() < 0 || m.nanos() < 0 || m.nanos() > 999999999) {
      return absl::InvalidArgumentError(
          "opportunity.estimated_annual_value must not be negative (nanos 0-999999999)");
    }
  }
  return CheckEnum("opportunity.stage", v1::Opportunity::Stage_descriptor(), o.stage(), false);
}

bool IsOpenStage(v1::Opportunity::Stage s) {
  return s != v1::Opportunity::DELIVERED && s != v1::Opportunity::DECLINED;
}

absl::Status CheckStageChange(v1::Opportunity::Stage from, v1::Opportunity::Stage to) {
  if (from == to) return absl::OkStatus();
  if (!IsOpenStage(from)) {
    return absl::InvalidArgumentError(absl::StrCat("opportunity.stage cannot change: it is ",
                                                   v1::Opportunity::Stage_Name(from),
                                                   ", which is final"));
  }
  if (to == v1::Opportunity::DECLINED || to > from) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "opportunity.stage only moves forward: ", v1::Opportunity::Stage_Name(from), " to ",
      v1::Opportunity::Stage_Name(to), " is not allowed"));
}

// Index entries of the open follow-ups of an interaction with a due time.
void IndexFollowUps(storage::WriteBatch& batch, absl::string_view rel_id,
                    absl::string_view interaction_id, const v1::Interaction& in, bool add) {
  for (int i = 0; i < in.follow_ups_size(); ++i) {
    const auto& f = in.follow_ups(i);
    if (f.done() || !f.has_due_time()) continue;
    const std::string key = keys::FollowUpByDue(FromProtoTime(f.due_time()), rel_id,
                                                interaction_id, static_cast<uint32_t>(i));
    if (add) {
      batch.Put(Cf::kIndex, key, "");
    } else {
      batch.Delete(Cf::kIndex, key);
    }
  }
}

}  // namespace

Relationships::Relationships(storage::Store* store, Clock* clock, const ExternalSignals* signals,
                             HealthConfig health_config)
    : store_(store), clock_(clock), signals_(signals), health_config_(health_config) {}

absl::Status Relationships::FoldNameIndex() {
  ASSIGN_OR_RETURN(std::optional<std::string> version,
                   store_->Get(Cf::kRelationships, kNameIndexVersionKey));
  if (version == kNameIndexFolded) return absl::OkStatus();
  // Entries of names whose case folding differs from ASCII lowering move,
  // in batches; a crash midway leaves the version unset and the next start
  // does it again (moving an entry twice writes the same keys).
  storage::ScanOptions scan;
  scan.prefix = std::string(1, keys::kRelationship);
  storage::WriteBatch batch;
  int64_t moved = 0;
  absl::Status status;
  RETURN_IF_ERROR(store_->ForEach(Cf::kRelationships, scan, [&](absl::string_view,
                                                                  absl::string_view value) {
    v1::Relationship r;
    if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      status = absl::DataLossError("a relationship record does not parse");
      return false;
    }
    const std::string id(absl::string_view(r.name()).substr(kCollection.size() + 1));
    const std::string ascii = keys::ByName(absl::AsciiStrToLower(r.display_name()), id);
    const std::string folded = keys::ByName(Lower(r.display_name()), id);
    if (ascii == folded) return true;
    batch.Delete(Cf::kIndex, ascii);
    batch.Put(Cf::kIndex, folded, "");
    ++moved;
    if (batch.op_count() >= 1000) {
      status = store_->CommitSync(std::move(batch));
      batch = storage::WriteBatch();
    }
    return status.ok();
  }));
  RETURN_IF_ERROR(status);
  batch.Put(Cf::kRelationships, kNameIndexVersionKey, kNameIndexFolded);
  RETURN_IF_ERROR(store_->CommitSync(std::move(batch)));
  if (moved > 0) {
    LogInfo(absl::StrCat("relationships: ", moved,
                         " names re-indexed to ignore case beyond ASCII letters"));
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------ relationships

absl::StatusOr<v1::Relationship> Relationships::ReadRelationship(absl::string_view id) const {
  v1::Relationship r;
  ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kRelationships, keys::Record(keys::kRelationship, id), &r));
  if (!found) return NotFound("relationship", RelName(id));
  return r;
}

absl::Status Relationships::ValidateRelationship(const v1::Relationship& r, bool creating) const {
  RETURN_IF_ERROR(CheckLength("relationship.display_name", r.display_name(), 1, 200));
  RETURN_IF_ERROR(CheckEnum("relationship.kind", v1::Relationship::Kind_descriptor(), r.kind(), true));
  RETURN_IF_ERROR(CheckEnum("relationship.tier", v1::Relationship::Tier_descriptor(), r.tier(), false));
  RETURN_IF_ERROR(
      CheckEnum("relationship.status", v1::Relationship::Status_descriptor(), r.status(), false));
  if (creating && r.status() == v1::Relationship::ENDED) {
    return absl::InvalidArgumentError("relationship.status cannot be ENDED on create");
  }
  RETURN_IF_ERROR(CheckLength("relationship.manager", r.manager(), 0, 200));
  RETURN_IF_ERROR(CheckLength("relationship.description", r.description(), 0, 10000));
  RETURN_IF_ERROR(ValidateLabels(r.labels()));
  if (!r.parent().empty()) RETURN_IF_ERROR(ParseName("relationship.parent", r.parent(), kCollection).status());
  if (r.consumed_services_size() > kMaxConsumedServices) {
    return absl::InvalidArgumentError(absl::StrCat("relationship.consumed_services has ",
                                                   r.consumed_services_size(), ", at most ",
                                                   kMaxConsumedServices));
  }
  for (int i = 0; i < r.consumed_services_size(); ++i) {
    const auto& c = r.consumed_services(i);
    const std::string field = absl::StrCat("relationship.consumed_services[", i, "]");
    RETURN_IF_ERROR(ParseName(absl::StrCat(field, ".service"), c.service(), "services").status());
    if (!c.agreement().empty()) {
      RETURN_IF_ERROR(
          ParseName(absl::StrCat(field, ".agreement"), c.agreement(), "agreements").status());
    }
    for (int j = 0; j < i; ++j) {
      if (r.consumed_services(j).service() == c.service()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".service ", c.service(), " is listed twice"));
      }
    }
    RETURN_IF_ERROR(signals_->CheckConsumedService(field, c));
  }
  return absl::OkStatus();
}

absl::Status Relationships::CheckParent(storage::Txn& txn, absl::string_view id,
                                        absl::string_view parent) const {
  if (parent.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string current, ParseName("relationship.parent", parent, kCollection));
  for (int depth = 0; !current.empty(); ++depth) {
    if (current == id) {
      return absl::InvalidArgumentError(absl::StrCat("relationship.parent ", parent,
                                                     depth == 0 ? " is the relationship itself"
                                                                : " would make a cycle"));
    }
    if (depth == kMaxParentDepth) {
      return absl::InvalidArgumentError(absl::StrCat(
          "relationship.parent ", parent, " is nested deeper than ", kMaxParentDepth, " levels"));
    }
    v1::Relationship ancestor;
    // Tracked: a concurrent re-parenting that would close a cycle conflicts.
    ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kRelationships,
                                              keys::Record(keys::kRelationship, current), &ancestor));
    if (!found) {
      return depth == 0 ? absl::NotFoundError(absl::StrCat("relationship.parent ", parent,
                                                           " does not exist"))
                        : absl::OkStatus();
    }
    current = ancestor.parent().empty()
                  ? ""
                  : std::string(absl::StripPrefix(ancestor.parent(), "relationships/"));
  }
  return absl::OkStatus();
}

void Relationships::WriteRelationship(storage::Txn& txn, const v1::Relationship& before,
                                      const v1::Relationship& after) const {
  auto& batch = txn.batch();
  auto id_of = [](const v1::Relationship& r) {
    return std::string(absl::StripPrefix(r.name(), "relationships/"));
  };
  if (!before.name().empty()) {
    const std::string id = id_of(before);
    batch.Delete(Cf::kIndex, keys::ByName(Lower(before.display_name()), id));
    batch.Delete(Cf::kIndex, keys::ByUpdate(FromProtoTime(before.update_time()), id));
    if (!before.parent().empty()) {
      batch.Delete(Cf::kIndex, keys::ByParent(absl::StripPrefix(before.parent(), "relationships/"), id));
    }
    batch.AddCounter(Cf::kAggregates,
                     keys::CountByKindTierStatus(before.kind(), before.tier(), before.status()), -1);
    if (after.name().empty()) batch.Delete(Cf::kRelationships, keys::Record(keys::kRelationship, id));
  }
  if (!after.name().empty()) {
    const std::string id = id_of(after);
    batch.PutProto(Cf::kRelationships, keys::Record(keys::kRelationship, id), after);
    batch.Put(Cf::kIndex, keys::ByName(Lower(after.display_name()), id), "");
    batch.Put(Cf::kIndex, keys::ByUpdate(FromProtoTime(after.update_time()), id), "");
    if (!after.parent().empty()) {
      batch.Put(Cf::kIndex, keys::ByParent(absl::StripPrefix(after.parent(), "relationships/"), id), "");
    }
    batch.AddCounter(Cf::kAggregates,
                     keys::CountByKindTierStatus(after.kind(), after.tier(), after.status()), 1);
  }
}

void Relationships::CreateRelationship(const v1::CreateRelationshipRequest& request,
                                       Callback<v1::Relationship> done) {
  absl::Status valid = CheckRequestId(request.request_id());
  if (valid.ok()) valid = ValidateRelationship(request.relationship(), /*creating=*/true);
  if (valid.ok() && !request.relationship_id().empty()) {
    valid = ValidateId("relationship_id", request.relationship_id());
  }
  if (!valid.ok()) return done(valid);
  const std::string id = request.relationship_id().empty() ? NewId() : request.relationship_id();
  const absl::Time now = clock_->Now();
  TransactFor<v1::Relationship>(
      store_,
      [this, request, id, now](storage::Txn& txn, v1::Relationship* out) -> absl::Status {
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay,
                         FindPriorResult(txn, "CreateRelationship", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kRelationships, keys::Record(keys::kRelationship, id)));
        if (existing) {
          return absl::AlreadyExistsError(absl::StrCat("relationship ", RelName(id), " already exists"));
        }
        RETURN_IF_ERROR(CheckParent(txn, id, request.relationship().parent()));
        if (!request.relationship().parent().empty()) {
          BumpChildGuard(txn, absl::StripPrefix(request.relationship().parent(), "relationships/"));
        }
        v1::Relationship r = request.relationship();
        r.set_name(RelName(id));
        if (r.tier() == v1::Relationship::TIER_UNSPECIFIED) r.set_tier(v1::Relationship::STANDARD);
        if (r.status() == v1::Relationship::STATUS_UNSPECIFIED) r.set_status(v1::Relationship::PROSPECT);
        *r.mutable_create_time() = ToProtoTime(now);
        *r.mutable_update_time() = ToProtoTime(now);
        r.clear_last_review_time();
        r.clear_last_interaction_time();
        r.set_etag("1");
        WriteRelationship(txn, v1::Relationship(), r);
        RecordResult(txn, "CreateRelationship", request.request_id(), fingerprint, r);
        *out = std::move(r);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::Relationship> Relationships::GetRelationship(
    const v1::GetRelationshipRequest& request) const {
  ASSIGN_OR_RETURN(std::string id, ParseName("name", request.name(), kCollection));
  return ReadRelationship(id);
}

absl::StatusOr<v1::ListRelationshipsResponse> Relationships::ListRelationships(
    const v1::ListRelationshipsRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  RETURN_IF_ERROR(CheckEnum("kind", v1::Relationship::Kind_descriptor(), request.kind(), false));
  RETURN_IF_ERROR(CheckEnum("tier", v1::Relationship::Tier_descriptor(), request.tier(), false));
  RETURN_IF_ERROR(CheckEnum("status", v1::Relationship::Status_descriptor(), request.status(), false));
  RETURN_IF_ERROR(CheckEnum("order_by", v1::ListRelationshipsRequest::OrderBy_descriptor(),
                            request.order_by(), false));
  if (!request.parent().empty()) {
    RETURN_IF_ERROR(ParseName("parent", request.parent(), kCollection).status());
  }
  std::string label_key = request.label();
  std::optional<std::string> label_value;
  if (const auto eq = request.label().find('='); eq != std::string::npos) {
    label_key = request.label().substr(0, eq);
    label_value = request.label().substr(eq + 1);
  }
  const std::string kind = absl::StrCat(request.kind()), tier = absl::StrCat(request.tier()),
                    status = absl::StrCat(request.status()),
                    order = absl::StrCat(request.order_by());
  const uint64_t hash = FilterHash({"relationships", kind, tier, status, request.manager(),
                                    request.label(), request.parent(), order});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));

  const bool by_update = request.order_by() == v1::ListRelationshipsRequest::UPDATE_TIME_DESC;
  storage::ScanOptions options;
  options.prefix = by_update ? "ru" : "rn";
  options.start_after = resume;
  v1::ListRelationshipsResponse response;
  std::vector<v1::Relationship> items;
  RETURN_IF_ERROR(ScanPage<v1::Relationship>(
      *store_, Cf::kIndex, options, page_size, hash,
      [&](absl::string_view key, absl::string_view) -> absl::StatusOr<std::optional<v1::Relationship>> {
        auto id = by_update ? keys::IdFromByUpdate(key) : keys::IdFromByName(key);
        if (!id) return absl::DataLossError("malformed relationship index entry");
        v1::Relationship r;
        ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kRelationships,
                                                      keys::Record(keys::kRelationship, *id), &r));
        // An entry whose record moved on (a concurrent update) is skipped;
        // its new entry is elsewhere in the index.
        if (!found) return std::optional<v1::Relationship>();
        const bool stale = by_update ? keys::ByUpdate(FromProtoTime(r.update_time()), *id) != key
                                     : keys::ByName(Lower(r.display_name()), *id) != key;
        const bool match =
            !stale && (request.kind() == 0 || r.kind() == request.kind()) &&
            (request.tier() == 0 || r.tier() == request.tier()) &&
            (request.status() == 0 || r.status() == request.status()) &&
            (request.manager().empty() || r.manager() == request.manager()) &&
            (request.parent().empty() || r.parent() == request.parent()) &&
            (request.label().empty() ||
             (r.labels().count(label_key) > 0 &&
              (!label_value || r.labels().at(label_key) == *label_value)));
        if (!match) return std::optional<v1::Relationship>();
        return std::optional<v1::Relationship>(std::move(r));
      },
      &items, response.mutable_next_page_token()));
  for (auto& r : items) *response.add_relationships() = std::move(r);
  return response;
}

absl::StatusOr<v1::ListRelationshipsResponse> Relationships::SearchRelationships(
    const v1::SearchRelationshipsRequest& request) const {
  RETURN_IF_ERROR(CheckLength("query", request.query(), 1, 200));
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const std::string lower = Lower(request.query());
  const uint64_t hash = FilterHash({"search", lower});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  storage::ScanOptions options;
  options.prefix = keys::ByNamePrefix(lower);
  options.start_after = resume;
  v1::ListRelationshipsResponse response;
  std::vector<v1::Relationship> items;
  RETURN_IF_ERROR(ScanPage<v1::Relationship>(
      *store_, Cf::kIndex, options, page_size, hash,
      [&](absl::string_view key, absl::string_view) -> absl::StatusOr<std::optional<v1::Relationship>> {
        auto id = keys::IdFromByName(key);
        if (!id) return absl::DataLossError("malformed relationship index entry");
        v1::Relationship r;
        ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kRelationships,
                                                      keys::Record(keys::kRelationship, *id), &r));
        if (!found || keys::ByName(Lower(r.display_name()), *id) != key) {
          return std::optional<v1::Relationship>();
        }
        return std::optional<v1::Relationship>(std::move(r));
      },
      &items, response.mutable_next_page_token()));
  for (auto& r : items) *response.add_relationships() = std::move(r);
  return response;
}

void Relationships::UpdateRelationship(const v1::UpdateRelationshipRequest& request,
                                       Callback<v1::Relationship> done) {
  absl::Status valid = CheckMask(request.update_mask(),
                                 {"display_name", "kind", "tier", "status", "manager",
                                  "description", "labels", "parent", "consumed_services"});
  auto id = ParseName("relationship.name", request.relationship().name(), kCollection);
  if (valid.ok()) valid = id.status();
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  TransactFor<v1::Relationship>(
      store_,
      [this, request, id = *id, now](storage::Txn& txn, v1::Relationship* out) -> absl::Status {
        v1::Relationship current;
        RETURN_IF_ERROR(ReadTracked(txn, keys::Record(keys::kRelationship, id), "relationship",
                                    RelName(id), &current));
        RETURN_IF_ERROR(CheckEtag(RelName(id), current.etag(), request.relationship().etag()));
        const v1::Relationship& in = request.relationship();
        v1::Relationship next = current;
        bool parent_changed = false;
        for (const auto& path : request.update_mask().paths()) {
          if (path == "display_name") next.set_display_name(in.display_name());
          if (path == "kind") next.set_kind(in.kind());
          if (path == "tier") {
            next.set_tier(in.tier() == v1::Relationship::TIER_UNSPECIFIED ? v1::Relationship::STANDARD
                                                                          : in.tier());
          }
          if (path == "status") {
            if (!LegalTransition(current.status(), in.status())) {
              return absl::InvalidArgumentError(absl::StrCat(
                  "relationship.status cannot move from ",
                  v1::Relationship::Status_Name(current.status()), " to ",
                  v1::Relationship::Status_Name(in.status())));
            }
            next.set_status(in.status());
          }
          if (path == "manager") next.set_manager(in.manager());
          if (path == "description") next.set_description(in.description());
          if (path == "labels") *next.mutable_labels() = in.labels();
          if (path == "parent") {
            next.set_parent(in.parent());
            parent_changed = next.parent() != current.parent();
          }
          if (path == "consumed_services") *next.mutable_consumed_services() = in.consumed_services();
        }
        RETURN_IF_ERROR(ValidateRelationship(next, /*creating=*/false));
        if (parent_changed) {
          RETURN_IF_ERROR(CheckParent(txn, id, next.parent()));
          if (!next.parent().empty()) BumpChildGuard(txn, absl::StripPrefix(next.parent(), "relationships/"));
        }
        *next.mutable_update_time() = ToProtoTime(std::max(now, FromProtoTime(current.update_time())));
        next.set_etag(NextEtag(current.etag()));
        if (next.tier() != current.tier()) {
          // The last health score moves to the new tier's average at once.
          const std::string health_key = keys::Record(keys::kHealth, id);
          internal::v1::HealthSnapshot snapshot;
          ASSIGN_OR_RETURN(bool scored, txn.GetProto(Cf::kRelationships, health_key, &snapshot));
          if (scored) {
            snapshot.set_tier(next.tier());
            txn.batch().PutProto(Cf::kRelationships, health_key, snapshot);
          }
        }
        WriteRelationship(txn, current, next);
        *out = std::move(next);
        return absl::OkStatus();
      },
      std::move(done));
}

void Relationships::DeleteRelationship(const v1::DeleteRelationshipRequest& request,
                                       Callback<bool> done) {
  auto id = ParseName("name", request.name(), kCollection);
  if (!id.ok()) return done(id.status());
  const absl::Time now = clock_->Now();
  TransactFor<bool>(
      store_,
      [this, request, id = *id, now](storage::Txn& txn, bool* out) -> absl::Status {
        v1::Relationship current;
        RETURN_IF_ERROR(ReadTracked(txn, keys::Record(keys::kRelationship, id), "relationship",
                                    RelName(id), &current));
        RETURN_IF_ERROR(CheckEtag(RelName(id), current.etag(), request.etag()));
        // Read before the untracked scans below: a child or an escalation
        // added after them changes a guard, and the delete runs again.
        const std::string guard = keys::Record(kChildGuard, id);
        RETURN_IF_ERROR(txn.Get(Cf::kRelationships, guard).status());
        const std::string escalation_guard = keys::Record(kEscalationGuard, id);
        RETURN_IF_ERROR(txn.Get(Cf::kRelationships, escalation_guard).status());
        storage::ScanOptions children;
        children.prefix = keys::ByParentPrefix(id);
        children.limit = 1;
        ASSIGN_OR_RETURN(auto child, store_->Scan(Cf::kIndex, children));
        if (!child.entries.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              RelName(id), " has child relationships (",
              RelName(keys::ChildFromByParent(child.entries[0].key).value_or("?")),
              "); delete or re-parent them first"));
        }
        ASSIGN_OR_RETURN(auto open, signals_->OpenEscalations(id, now));
        if (open && open->open > 0) {
          return absl::FailedPreconditionError(absl::StrCat(
              RelName(id), " has ", open->open, " open escalations; resolve or cancel them first"));
        }
        txn.batch().Delete(Cf::kRelationships, guard);
        txn.batch().Delete(Cf::kRelationships, escalation_guard);
        txn.batch().Delete(Cf::kRelationships, keys::Record(keys::kHealth, id));
        for (char tag : {keys::kStakeholder, keys::kInteraction, keys::kOpportunity}) {
          storage::ScanOptions scan;
          scan.prefix = keys::ChildPrefix(tag, id);
          absl::Status parse_error;
          RETURN_IF_ERROR(store_->ForEach(Cf::kRelationships, scan,
                                          [&](absl::string_view key, absl::string_view value) {
            txn.batch().Delete(Cf::kRelationships, key);
            if (tag == keys::kInteraction) {
              v1::Interaction in;
              if (!in.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                parse_error = absl::DataLossError("interaction record does not parse");
                return false;
              }
              const std::string iid = keys::ChildIdOf(key).value_or("");
              txn.batch().Delete(Cf::kIndex,
                                 keys::InteractionByTime(id, FromProtoTime(in.occur_time()), iid));
              IndexFollowUps(txn.batch(), id, iid, in, /*add=*/false);
            }
            return true;
          }));
          RETURN_IF_ERROR(parse_error);
        }
        WriteRelationship(txn, current, v1::Relationship());
        *out = true;
        return absl::OkStatus();
      },
      std::move(done));
}

// ------------------------------------------------------------- stakeholders

void Relationships::CreateStakeholder(const v1::CreateStakeholderRequest& request,
                                      Callback<v1::Stakeholder> done) {
  auto rel = ParseName("parent", request.parent(), kCollection);
  absl::Status valid = rel.status();
  if (valid.ok()) valid = CheckRequestId(request.request_id());
  if (valid.ok()) valid = ValidateStakeholder(request.stakeholder());
  if (valid.ok() && !request.stakeholder_id().empty()) {
    valid = ValidateId("stakeholder_id", request.stakeholder_id());
  }
  if (!valid.ok()) return done(valid);
  const std::string id = request.stakeholder_id().empty() ? NewId() : request.stakeholder_id();
  const absl::Time now = clock_->Now();
  TransactFor<v1::Stakeholder>(
      store_,
      [request, rel = *rel, id, now](storage::Txn& txn, v1::Stakeholder* out) -> absl::Status {
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay, FindPriorResult(txn, "CreateStakeholder", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto parent, txn.Get(Cf::kRelationships, keys::Record(keys::kRelationship, rel)));
        if (!parent) return NotFound("relationship", RelName(rel));
        const std::string key = keys::Child(keys::kStakeholder, rel, id);
        ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kRelationships, key));
        if (existing) {
          return absl::AlreadyExistsError(
              absl::StrCat("stakeholder ", ChildName(rel, "stakeholders", id), " already exists"));
        }
        v1::Stakeholder s = request.stakeholder();
        s.set_name(ChildName(rel, "stakeholders", id));
        if (s.attitude() == v1::Stakeholder::ATTITUDE_UNSPECIFIED) s.set_attitude(v1::Stakeholder::NEUTRAL);
        *s.mutable_create_time() = ToProtoTime(now);
        *s.mutable_update_time() = ToProtoTime(now);
        s.set_etag("1");
        BumpChildGuard(txn, rel);
        txn.batch().PutProto(Cf::kRelationships, key, s);
        RecordResult(txn, "CreateStakeholder", request.request_id(), fingerprint, s);
        *out = std::move(s);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::Stakeholder> Relationships::GetStakeholder(
    const v1::GetStakeholderRequest& request) const {
  ASSIGN_OR_RETURN(auto ids, ParseChildName("name", request.name(), kCollection, "stakeholders"));
  v1::Stakeholder s;
  ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kRelationships,
                                                keys::Child(keys::kStakeholder, ids.first, ids.second), &s));
  if (!found) return NotFound("stakeholder", request.name());
  return s;
}

absl::StatusOr<v1::ListStakeholdersResponse> Relationships::ListStakeholders(
    const v1::ListStakeholdersRequest& request) const {
  ASSIGN_OR_RETURN(std::string rel, ParseName("parent", request.parent(), kCollection));
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  RETURN_IF_ERROR(ReadRelationship(rel).status());
  const uint64_t hash = FilterHash({"stakeholders", rel});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  storage::ScanOptions options;
  options.prefix = keys::ChildPrefix(keys::kStakeholder, rel);
  options.start_after = resume;
  v1::ListStakeholdersResponse response;
  std::vector<v1::Stakeholder> items;
  RETURN_IF_ERROR(ScanPage<v1::Stakeholder>(
      *store_, Cf::kRelationships, options, page_size, hash,
      [](absl::string_view, absl::string_view value) -> absl::StatusOr<std::optional<v1::Stakeholder>> {
        v1::Stakeholder s;
        if (!s.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return absl::DataLossError("stakeholder record does not parse");
        }
        return std::optional<v1::Stakeholder>(std::move(s));
      },
      &items, response.mutable_next_page_token()));
  for (auto& s : items) *response.add_stakeholders() = std::move(s);
  return response;
}

void Relationships::UpdateStakeholder(const v1::UpdateStakeholderRequest& request,
                                      Callback<v1::Stakeholder> done) {
  absl::Status valid = CheckMask(request.update_mask(),
                                 {"display_name", "role", "email", "phone", "power", "interest",
                                  "attitude", "preferred_channel"});
  auto ids = ParseChildName("stakeholder.name", request.stakeholder().name(), kCollection, "stakeholders");
  if (valid.ok()) valid = ids.status();
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  TransactFor<v1::Stakeholder>(
      store_,
      [request, ids = *ids, now](storage::Txn& txn, v1::Stakeholder* out) -> absl::Status {
        const std::string key = keys::Child(keys::kStakeholder, ids.first, ids.second);
        v1::Stakeholder current;
        RETURN_IF_ERROR(ReadTracked(txn, key, "stakeholder", request.stakeholder().name(), &current));
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.stakeholder().etag()));
        const auto& in = request.stakeholder();
        v1::Stakeholder next = current;
        for (const auto& path : request.update_mask().paths()) {
          if (path == "display_name") next.set_display_name(in.display_name());
          if (path == "role") next.set_role(in.role());
          if (path == "email") next.set_email(in.email());
          if (path == "phone") next.set_phone(in.phone());
          if (path == "power") next.set_power(in.power());
          if (path == "interest") next.set_interest(in.interest());
          if (path == "attitude") {
            next.set_attitude(in.attitude() == v1::Stakeholder::ATTITUDE_UNSPECIFIED
                                  ? v1::Stakeholder::NEUTRAL
                                  : in.attitude());
          }
          if (path == "preferred_channel") next.set_preferred_channel(in.preferred_channel());
        }
        RETURN_IF_ERROR(ValidateStakeholder(next));
        *next.mutable_update_time() = ToProtoTime(now);
        next.set_etag(NextEtag(current.etag()));
        txn.batch().PutProto(Cf::kRelationships, key, next);
        *out = std::move(next);
        return absl::OkStatus();
      },
      std::move(done));
}

void Relationships::DeleteStakeholder(const v1::DeleteStakeholderRequest& request,
                                      Callback<bool> done) {
  auto ids = ParseChildName("name", request.name(), kCollection, "stakeholders");
  if (!ids.ok()) return done(ids.status());
  TransactFor<bool>(
      store_,
      [request, ids = *ids](storage::Txn& txn, bool* out) -> absl::Status {
        const std::string key = keys::Child(keys::kStakeholder, ids.first, ids.second);
        v1::Stakeholder current;
        RETURN_IF_ERROR(ReadTracked(txn, key, "stakeholder", request.name(), &current));
        RETURN_IF_ERROR(CheckEtag(request.name(), current.etag(), request.etag()));
        BumpChildGuard(txn, ids.first);
        txn.batch().Delete(Cf::kRelationships, key);
        *out = true;
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::StakeholderMap> Relationships::GetStakeholderMap(
    const v1::GetStakeholderMapRequest& request) const {
  ASSIGN_OR_RETURN(std::string rel, ParseName("relationship", request.relationship(), kCollection));
  RETURN_IF_ERROR(ReadRelationship(rel).status());
  v1::StakeholderMap map;
  map.set_relationship(RelName(rel));
  storage::ScanOptions options;
  options.prefix = keys::ChildPrefix(keys::kStakeholder, rel);
  absl::Status error;
  RETURN_IF_ERROR(store_->ForEach(Cf::kRelationships, options,
                                  [&](absl::string_view, absl::string_view value) {
    v1::Stakeholder s;
    if (!s.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      error = absl::DataLossError("stakeholder record does not parse");
      return false;
    }
    const bool power = IsHighQuadrant(s.power()), interest = IsHighQuadrant(s.interest());
    auto* quadrant = power ? (interest ? map.mutable_manage_closely() : map.mutable_keep_satisfied())
                           : (interest ? map.mutable_keep_informed() : map.mutable_monitor());
    *quadrant->Add() = std::move(s);
    return true;
  }));
  RETURN_IF_ERROR(error);
  return map;
}

// ------------------------------------------------------------- interactions

absl::StatusOr<v1::Interaction> Relationships::WriteInteraction(storage::Txn& txn,
                                                                 absl::string_view rel,
                                                                 absl::string_view id,
                                                                 const v1::Interaction& interaction,
                                                                 absl::Time now) const {
  v1::Relationship parent;
  RETURN_IF_ERROR(ReadTracked(txn, keys::Record(keys::kRelationship, rel), "relationship",
                              RelName(rel), &parent));
  const std::string key = keys::Child(keys::kInteraction, rel, id);
  ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kRelationships, key));
  if (existing) {
    return absl::AlreadyExistsError(
        absl::StrCat("interaction ", ChildName(rel, "interactions", id), " already exists"));
  }
  v1::Interaction in = interaction;
  in.set_name(ChildName(rel, "interactions", id));
  for (auto& f : *in.mutable_follow_ups()) {
    if (f.done()) {
      *f.mutable_done_time() = ToProtoTime(now);
    } else {
      f.clear_done_time();
    }
  }
  *in.mutable_create_time() = ToProtoTime(now);
  *in.mutable_update_time() = ToProtoTime(now);
  in.set_etag("1");
  // The relationship remembers its latest contact (index entries are
  // unaffected: name and update time stay).
  const absl::Time occurred = FromProtoTime(in.occur_time());
  bool touched = false;
  if (!parent.has_last_interaction_time() ||
      FromProtoTime(parent.last_interaction_time()) < occurred) {
    *parent.mutable_last_interaction_time() = in.occur_time();
    touched = true;
  }
  if ((in.kind() == v1::Interaction::BUSINESS_REVIEW || in.kind() == v1::Interaction::MEETING) &&
      (!parent.has_last_review_time() || FromProtoTime(parent.last_review_time()) < occurred)) {
    *parent.mutable_last_review_time() = in.occur_time();
    touched = true;
  }
  if (touched) {
    txn.batch().PutProto(Cf::kRelationships, keys::Record(keys::kRelationship, rel), parent);
  }
  BumpChildGuard(txn, rel);
  txn.batch().PutProto(Cf::kRelationships, key, in);
  txn.batch().Put(Cf::kIndex, keys::InteractionByTime(rel, occurred, id), "");
  IndexFollowUps(txn.batch(), rel, id, in, /*add=*/true);
  return in;
}

absl::StatusOr<v1::Interaction> Relationships::LogInteractionInTxn(storage::Txn& txn,
                                                                    absl::string_view parent,
                                                                    absl::string_view interaction_id,
                                                                    const v1::Interaction& interaction,
                                                                    absl::Time now) const {
  ASSIGN_OR_RETURN(std::string rel, ParseName("relationship", parent, kCollection));
  RETURN_IF_ERROR(ValidateInteraction(interaction, now));
  RETURN_IF_ERROR(ValidateId("interaction_id", interaction_id));
  return WriteInteraction(txn, rel, interaction_id, interaction, now);
}

absl::Status Relationships::DeleteInteractionInTxn(storage::Txn& txn, absl::string_view parent,
                                                   absl::string_view interaction_id) const {
  ASSIGN_OR_RETURN(std::string rel, ParseName("relationship", parent, kCollection));
  RETURN_IF_ERROR(ValidateId("interaction_id", interaction_id));
  const std::string key = keys::Child(keys::kInteraction, rel, interaction_id);
  v1::Interaction gone;
  ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kRelationships, key, &gone));
  if (!found) return absl::OkStatus();
  const absl::Time occurred = FromProtoTime(gone.occur_time());
  // The guard, read through `txn`, changes with every interaction written:
  // one logged meanwhile makes this a conflict, so the scan below is current.
  BumpChildGuard(txn, rel);
  txn.batch().Delete(Cf::kRelationships, key);
  txn.batch().Delete(Cf::kIndex, keys::InteractionByTime(rel, occurred, interaction_id));
  IndexFollowUps(txn.batch(), rel, interaction_id, gone, /*add=*/false);

  const std::string parent_key = keys::Record(keys::kRelationship, rel);
  v1::Relationship r;
  ASSIGN_OR_RETURN(bool has_parent, txn.GetProto(Cf::kRelationships, parent_key, &r));
  const auto set_by_it = [occurred](bool has, const google::protobuf::Timestamp& t) {
    return has && FromProtoTime(t) == occurred;
  };
  bool need_last = set_by_it(r.has_last_interaction_time(), r.last_interaction_time());
  bool need_review = set_by_it(r.has_last_review_time(), r.last_review_time());
  if (!has_parent || (!need_last && !need_review)) return absl::OkStatus();
  if (need_last) r.clear_last_interaction_time();
  if (need_review) r.clear_last_review_time();
  // Newest first: the first other interaction (and review or meeting) found
  // is the latest one left.
  storage::ScanOptions scan;
  scan.prefix = keys::InteractionByTimePrefix(rel);
  absl::Status error;
  RETURN_IF_ERROR(store_->ForEach(Cf::kIndex, scan, [&](absl::string_view index_key,
                                                        absl::string_view) {
    auto entry = keys::DecodeInteractionByTime(index_key);
    if (!entry) {
      error = absl::DataLossError("malformed interaction index entry");
      return false;
    }
    if (entry->interaction_id == interaction_id) return true;
    if (need_last) {
      *r.mutable_last_interaction_time() = ToProtoTime(entry->occur_time);
      need_last = false;
    }
    if (need_review) {
      v1::Interaction other;
      auto read = store_->GetProto(Cf::kRelationships,
                                   keys::Child(keys::kInteraction, rel, entry->interaction_id),
                                   &other);
      if (!read.ok()) {
        error = read.status();
        return false;
      }
      if (*read && (other.kind() == v1::Interaction::BUSINESS_REVIEW ||
                    other.kind() == v1::Interaction::MEETING)) {
        *r.mutable_last_review_time() = other.occur_time();
        need_review = false;
      }
    }
    return need_last || need_review;
  }));
  RETURN_IF_ERROR(error);
  txn.batch().PutProto(Cf::kRelationships, parent_key, r);
  return absl::OkStatus();
}

void Relationships::CreateInteraction(const v1::CreateInteractionRequest& request,
                                      Callback<v1::Interaction> done) {
  const absl::Time now = clock_->Now();
  auto rel = ParseName("parent", request.parent(), kCollection);
  absl::Status valid = rel.status();
  if (valid.ok()) valid = CheckRequestId(request.request_id());
  if (valid.ok()) valid = ValidateInteraction(request.interaction(), now);
  if (valid.ok() && !request.interaction_id().empty()) {
    valid = ValidateId("interaction_id", request.interaction_id());
  }
  if (!valid.ok()) return done(valid);
  const std::string id = request.interaction_id().empty() ? NewId() : request.interaction_id();
  auto observer = interaction_observer_;
  auto applied = std::make_shared<bool>(false);
  TransactFor<v1::Interaction>(
      store_,
      [this, request, rel = *rel, id, now, applied](storage::Txn& txn, v1::Interaction* out) -> absl::Status {
        *applied = false;
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay, FindPriorResult(txn, "CreateInteraction", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(v1::Interaction in, WriteInteraction(txn, rel, id, request.interaction(), now));
        if (in.kind() == v1::Interaction::COMPLAINT && complaint_hook_) {
          RETURN_IF_ERROR(complaint_hook_(txn, in, now));
        }
        RecordResult(txn, "CreateInteraction", request.request_id(), fingerprint, in);
        *out = std::move(in);
        *applied = true;
        return absl::OkStatus();
      },
      [done = std::move(done), observer, applied](absl::StatusOr<v1::Interaction> result) {
        if (result.ok() && *applied && observer) observer(result->kind());
        done(std::move(result));
      });
}

absl::StatusOr<v1::Interaction> Relationships::GetInteraction(
    const v1::GetInteractionRequest& request) const {
  ASSIGN_OR_RETURN(auto ids, ParseChildName("name", request.name(), kCollection, "interactions"));
  v1::Interaction in;
  ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kRelationships,
                                                keys::Child(keys::kInteraction, ids.first, ids.second), &in));
  if (!found) return NotFound("interaction", request.name());
  return in;
}

absl::StatusOr<v1::ListInteractionsResponse> Relationships::ListInteractions(
    const v1::ListInteractionsRequest& request) const {
  ASSIGN_OR_RETURN(std::string rel, ParseName("parent", request.parent(), kCollection));
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  RETURN_IF_ERROR(CheckEnum("kind", v1::Interaction::Kind_descriptor(), request.kind(), false));
  if (request.has_start_time() && request.has_end_time() &&
      FromProtoTime(request.end_time()) <= FromProtoTime(request.start_time())) {
    return absl::InvalidArgumentError("end_time must be after start_time");
  }
  RETURN_IF_ERROR(ReadRelationship(rel).status());
  const uint64_t hash =
      FilterHash({"interactions", rel, absl::StrCat(request.kind()), request.start_time().SerializeAsString(),
                  request.end_time().SerializeAsString()});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  storage::ScanOptions options;
  options.prefix = keys::InteractionByTimePrefix(rel);
  // Keys hold -time: [start, end) becomes (-end, -start].
  if (request.has_end_time()) {
    options.lower = options.prefix;
    storage::AppendInt64(&options.lower, -absl::ToUnixMicros(FromProtoTime(request.end_time())) + 1);
  }
  if (request.has_start_time()) {
    options.upper = options.prefix;
    storage::AppendInt64(&options.upper, -absl::ToUnixMicros(FromProtoTime(request.start_time())) + 1);
  }
  options.start_after = resume;
  v1::ListInteractionsResponse response;
  std::vector<v1::Interaction> items;
  RETURN_IF_ERROR(ScanPage<v1::Interaction>(
      *store_, Cf::kIndex, options, page_size, hash,
      [&](absl::string_view key, absl::string_view) -> absl::StatusOr<std::optional<v1::Interaction>> {
        auto decoded = keys::DecodeInteractionByTime(key);
        if (!decoded) return absl::DataLossError("malformed interaction index entry");
        v1::Interaction in;
        ASSIGN_OR_RETURN(bool found,
                         store_->GetProto(Cf::kRelationships,
                                          keys::Child(keys::kInteraction, rel, decoded->interaction_id), &in));
        if (!found || (request.kind() != 0 && in.kind() != request.kind())) {
          return std::optional<v1::Interaction>();
        }
        return std::optional<v1::Interaction>(std::move(in));
      },
      &items, response.mutable_next_page_token()));
  for (auto& in : items) *response.add_interactions() = std::move(in);
  return response;
}

void Relationships::UpdateInteraction(const v1::UpdateInteractionRequest& request,
                                      Callback<v1::Interaction> done) {
  absl::Status valid = CheckMask(request.update_mask(), {"summary", "follow_ups"});
  auto ids = ParseChildName("interaction.name", request.interaction().name(), kCollection, "interactions");
  if (valid.ok()) valid = ids.status();
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  TransactFor<v1::Interaction>(
      store_,
      [request, ids = *ids, now](storage::Txn& txn, v1::Interaction* out) -> absl::Status {
        const auto& [rel, id] = ids;
        const std::string key = keys::Child(keys::kInteraction, rel, id);
        v1::Interaction current;
        RETURN_IF_ERROR(ReadTracked(txn, key, "interaction", request.interaction().name(), &current));
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.interaction().etag()));
        v1::Interaction next = current;
        for (const auto& path : request.update_mask().paths()) {
          if (path == "summary") {
            RETURN_IF_ERROR(CheckLength("interaction.summary", request.interaction().summary(), 1, kMaxSummaryChars));
            next.set_summary(request.interaction().summary());
          }
          if (path == "follow_ups") {
            RETURN_IF_ERROR(ValidateFollowUps(request.interaction().follow_ups()));
            *next.mutable_follow_ups() = request.interaction().follow_ups();
            for (int i = 0; i < next.follow_ups_size(); ++i) {
              auto* f = next.mutable_follow_ups(i);
              const bool was_done = i < current.follow_ups_size() && current.follow_ups(i).done();
              if (!f->done()) {
                f->clear_done_time();
              } else if (was_done) {
                *f->mutable_done_time() = current.follow_ups(i).done_time();
              } else {
                *f->mutable_done_time() = ToProtoTime(now);
              }
            }
          }
        }
        *next.mutable_update_time() = ToProtoTime(now);
        next.set_etag(NextEtag(current.etag()));
        IndexFollowUps(txn.batch(), rel, id, current, /*add=*/false);
        IndexFollowUps(txn.batch(), rel, id, next, /*add=*/true);
        txn.batch().PutProto(Cf::kRelationships, key, next);
        *out = std::move(next);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::ListOverdueFollowUpsResponse> Relationships::ListOverdueFollowUps(
    const v1::ListOverdueFollowUpsRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const uint64_t hash = FilterHash({"overdue"});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  storage::ScanOptions options;
  options.prefix = keys::FollowUpPrefix();
  options.upper = keys::FollowUpPrefix();
  storage::AppendTime(&options.upper, clock_->Now());
  options.start_after = resume;
  v1::ListOverdueFollowUpsResponse response;
  std::vector<v1::OverdueFollowUp> items;
  RETURN_IF_ERROR(ScanPage<v1::OverdueFollowUp>(
      *store_, Cf::kIndex, options, page_size, hash,
      [&](absl::string_view key, absl::string_view) -> absl::StatusOr<std::optional<v1::OverdueFollowUp>> {
        auto decoded = keys::DecodeFollowUpByDue(key);
        if (!decoded) return absl::DataLossError("malformed follow-up index entry");
        v1::Interaction in;
        ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kRelationships,
                                                      keys::Child(keys::kInteraction, decoded->relationship_id,
                                                                  decoded->interaction_id),
                                                      &in));
        if (!found || static_cast<int>(decoded->index) >= in.follow_ups_size()) {
          return std::optional<v1::OverdueFollowUp>();
        }
        v1::OverdueFollowUp item;
        item.set_relationship(RelName(decoded->relationship_id));
        item.set_interaction(in.name());
        item.set_index(static_cast<int32_t>(decoded->index));
        *item.mutable_follow_up() = in.follow_ups(static_cast<int>(decoded->index));
        return std::optional<v1::OverdueFollowUp>(std::move(item));
      },
      &items, response.mutable_next_page_token()));
  for (auto& f : items) *response.add_follow_ups() = std::move(f);
  return response;
}

// ------------------------------------------------------------ opportunities

void Relationships::CreateOpportunity(const v1::CreateOpportunityRequest& request,
                                      Callback<v1::Opportunity> done) {
  auto rel = ParseName("parent", request.parent(), kCollection);
  absl::Status valid = rel.status();
  if (valid.ok()) valid = CheckRequestId(request.request_id());
  if (valid.ok()) valid = ValidateOpportunity(request.opportunity());
  if (valid.ok() && !request.opportunity_id().empty()) {
    valid = ValidateId("opportunity_id", request.opportunity_id());
  }
  if (!valid.ok()) return done(valid);
  const std::string id = request.opportunity_id().empty() ? NewId() : request.opportunity_id();
  const absl::Time now = clock_->Now();
  TransactFor<v1::Opportunity>(
      store_,
      [request, rel = *rel, id, now](storage::Txn& txn, v1::Opportunity* out) -> absl::Status {
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay, FindPriorResult(txn, "CreateOpportunity", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto parent, txn.Get(Cf::kRelationships, keys::Record(keys::kRelationship, rel)));
        if (!parent) return NotFound("relationship", RelName(rel));
        const std::string key = keys::Child(keys::kOpportunity, rel, id);
        ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kRelationships, key));
        if (existing) {
          return absl::AlreadyExistsError(
              absl::StrCat("opportunity ", ChildName(rel, "opportunities", id), " already exists"));
        }
        v1::Opportunity o = request.opportunity();
        o.set_name(ChildName(rel, "opportunities", id));
        if (o.stage() == v1::Opportunity::STAGE_UNSPECIFIED) o.set_stage(v1::Opportunity::IDENTIFIED);
        *o.mutable_stage_change_time() = ToProtoTime(now);
        *o.mutable_create_time() = ToProtoTime(now);
        *o.mutable_update_time() = ToProtoTime(now);
        o.set_etag("1");
        BumpChildGuard(txn, rel);
        txn.batch().PutProto(Cf::kRelationships, key, o);
        RecordResult(txn, "CreateOpportunity", request.request_id(), fingerprint, o);
        *out = std::move(o);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::Opportunity> Relationships::GetOpportunity(
    const v1::GetOpportunityRequest& request) const {
  ASSIGN_OR_RETURN(auto ids, ParseChildName("name", request.name(), kCollection, "opportunities"));
  v1::Opportunity o;
  ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kRelationships,
                                                keys::Child(keys::kOpportunity, ids.first, ids.second), &o));
  if (!found) return NotFound("opportunity", request.name());
  return o;
}

absl::StatusOr<v1::ListOpportunitiesResponse> Relationships::ListOpportunities(
    const v1::ListOpportunitiesRequest& request) const {
  ASSIGN_OR_RETURN(std::string rel, ParseName("parent", request.parent(), kCollection));
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  RETURN_IF_ERROR(CheckEnum("stage", v1::Opportunity::Stage_descriptor(), request.stage(), false));
  RETURN_IF_ERROR(ReadRelationship(rel).status());
  const uint64_t hash = FilterHash({"opportunities", rel, absl::StrCat(request.stage())});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  storage::ScanOptions options;
  options.prefix = keys::ChildPrefix(keys::kOpportunity, rel);
  options.start_after = resume;
  v1::ListOpportunitiesResponse response;
  std::vector<v1::Opportunity> items;
  RETURN_IF_ERROR(ScanPage<v1::Opportunity>(
      *store_, Cf::kRelationships, options, page_size, hash,
      [&](absl::string_view, absl::string_view value) -> absl::StatusOr<std::optional<v1::Opportunity>> {
        v1::Opportunity o;
        if (!o.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return absl::DataLossError("opportunity record does not parse");
        }
        if (request.stage() != 0 && o.stage() != request.stage()) return std::optional<v1::Opportunity>();
        return std::optional<v1::Opportunity>(std::move(o));
      },
      &items, response.mutable_next_page_token()));
  for (auto& o : items) *response.add_opportunities() = std::move(o);
  return response;
}

void Relationships::UpdateOpportunity(const v1::UpdateOpportunityRequest& request,
                                      Callback<v1::Opportunity> done) {
  absl::Status valid = CheckMask(request.update_mask(), {"title", "description", "estimated_annual_value",
                                                         "stage", "expected_time"});
  auto ids = ParseChildName("opportunity.name", request.opportunity().name(), kCollection, "opportunities");
  if (valid.ok()) valid = ids.status();
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  TransactFor<v1::Opportunity>(
      store_,
      [request, ids = *ids, now](storage::Txn& txn, v1::Opportunity* out) -> absl::Status {
        const std::string key = keys::Child(keys::kOpportunity, ids.first, ids.second);
        v1::Opportunity current;
        RETURN_IF_ERROR(ReadTracked(txn, key, "opportunity", request.opportunity().name(), &current));
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.opportunity().etag()));
        const auto& in = request.opportunity();
        v1::Opportunity next = current;
        for (const auto& path : request.update_mask().paths()) {
          if (path == "title") next.set_title(in.title());
          if (path == "description") next.set_description(in.description());
          if (path == "estimated_annual_value") *next.mutable_estimated_annual_value() = in.estimated_annual_value();
          if (path == "expected_time") *next.mutable_expected_time() = in.expected_time();
          if (path == "stage") {
            RETURN_IF_ERROR(CheckEnum("opportunity.stage", v1::Opportunity::Stage_descriptor(), in.stage(), true));
            RETURN_IF_ERROR(CheckStageChange(current.stage(), in.stage()));
            if (in.stage() != current.stage()) *next.mutable_stage_change_time() = ToProtoTime(now);
            next.set_stage(in.stage());
          }
        }
        RETURN_IF_ERROR(ValidateOpportunity(next));
        *next.mutable_update_time() = ToProtoTime(now);
        next.set_etag(NextEtag(current.etag()));
        txn.batch().PutProto(Cf::kRelationships, key, next);
        *out = std::move(next);
        return absl::OkStatus();
      },
      std::move(done));
}

void Relationships::DeleteOpportunity(const v1::DeleteOpportunityRequest& request,
                                      Callback<bool> done) {
  auto ids = ParseChildName("name", request.name(), kCollection, "opportunities");
  if (!ids.ok()) return done(ids.status());
  TransactFor<bool>(
      store_,
      [request, ids = *ids](storage::Txn& txn, bool* out) -> absl::Status {
        const std::string key = keys::Child(keys::kOpportunity, ids.first, ids.second);
        v1::Opportunity current;
        RETURN_IF_ERROR(ReadTracked(txn, key, "opportunity", request.name(), &current));
        RETURN_IF_ERROR(CheckEtag(request.name(), current.etag(), request.etag()));
        BumpChildGuard(txn, ids.first);
        txn.batch().Delete(Cf::kRelationships, key);
        *out = true;
        return absl::OkStatus();
      },
      std::move(done));
}

// ------------------------------------------------------------------- health

absl::StatusOr<HealthInputs> Relationships::GatherHealthInputs(const v1::Relationship& r,
                                                               absl::Time now) const {
  const std::string id(absl::StripPrefix(r.name(), "relationships/"));
  HealthInputs in;
  in.now = now;
  in.created = FromProtoTime(r.create_time());
  in.sla_compliance = signals_->SlaCompliance(id, now - k90Days, now);
  if (auto open = signals_->OpenEscalations(id, now); open.ok()) in.escalations = *open;
  in.nps = signals_->Nps(id, now - k180Days, now);
  in.csat = signals_->Csat(id, now - k90Days, now);
  if (r.has_last_review_time()) in.last_review = FromProtoTime(r.last_review_time());

  // Complaints and compliments of the last 90 days: the time index bounds
  // the scan to that window.
  storage::ScanOptions window;
  window.prefix = keys::InteractionByTimePrefix(id);
  window.lower = window.prefix;
  storage::AppendInt64(&window.lower, -absl::ToUnixMicros(now + kMaxFutureSkew));
  window.upper = window.prefix;
  storage::AppendInt64(&window.upper, -absl::ToUnixMicros(now - k90Days) + 1);
  absl::Status error;
  RETURN_IF_ERROR(store_->ForEach(Cf::kIndex, window, [&](absl::string_view key, absl::string_view) {
    auto decoded = keys::DecodeInteractionByTime(key);
    if (!decoded) return true;
    v1::Interaction interaction;
    auto found = store_->GetProto(Cf::kRelationships,
                                  keys::Child(keys::kInteraction, id, decoded->interaction_id), &interaction);
    if (!found.ok()) {
      error = found.status();
      return false;
    }
    if (*found && interaction.kind() == v1::Interaction::COMPLAINT) ++in.complaints_90d;
    if (*found && interaction.kind() == v1::Interaction::COMPLIMENT) ++in.compliments_90d;
    return true;
  }));
  RETURN_IF_ERROR(error);

  storage::ScanOptions opportunities;
  opportunities.prefix = keys::ChildPrefix(keys::kOpportunity, id);
  RETURN_IF_ERROR(store_->ForEach(Cf::kRelationships, opportunities,
                                  [&](absl::string_view, absl::string_view value) {
    v1::Opportunity o;
    if (!o.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
    ++in.opportunities;
    if (IsOpenStage(o.stage())) ++in.opportunities_open;
    const bool recent = FromProtoTime(o.stage_change_time()) >= now - k90Days;
    if (recent && o.stage() == v1::Opportunity::DECLINED) ++in.opportunities_declined_90d;
    if (recent && o.stage() != v1::Opportunity::DECLINED && o.stage() != v1::Opportunity::IDENTIFIED) {
      ++in.opportunities_advanced_90d;
    }
    return true;
  }));
  return in;
}

void Relationships::GetRelationshipHealth(const v1::GetRelationshipHealthRequest& request,
                                          Callback<v1::RelationshipHealth> done) {
  auto id = ParseName("relationship", request.relationship(), kCollection);
  if (!id.ok()) return done(id.status());
  const absl::Time now = clock_->Now();
  TransactFor<v1::RelationshipHealth>(
      store_,
      [this, id = *id, now](storage::Txn& txn, v1::RelationshipHealth* out) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Relationship r, ReadRelationship(id));
        ASSIGN_OR_RETURN(HealthInputs inputs, GatherHealthInputs(r, now));
        v1::RelationshipHealth health = ComputeHealth(inputs, health_config_);
        health.set_relationship(RelName(id));
        *health.mutable_compute_time() = ToProtoTime(now);

        const std::string key = keys::Record(keys::kHealth, id);
        internal::v1::HealthSnapshot snapshot;
        ASSIGN_OR_RETURN(bool had_snapshot, txn.GetProto(Cf::kRelationships, key, &snapshot));
        const bool unknown = health.band() == v1::UNKNOWN;
        const bool changed = !had_snapshot || snapshot.unknown() != unknown ||
                             std::abs(snapshot.score() - health.score()) >= 0.05 ||
                             snapshot.tier() != r.tier();
        if (had_snapshot && !snapshot.unknown() && !unknown) {
          if (std::abs(snapshot.score() - health.score()) >= 0.05) {
            health.set_previous_score(snapshot.score());
            health.set_trend(health.score() - snapshot.score());
          } else if (snapshot.has_previous()) {
            // Same score as last time: the trend is the last change seen.
            health.set_previous_score(snapshot.previous_score());
            health.set_trend(snapshot.score() - snapshot.previous_score());
          }
        }
        if (changed) {
          internal::v1::HealthSnapshot next;
          next.set_score(health.score());
          next.set_unknown(unknown);
          next.set_tier(r.tier());
          next.set_compute_unix_micros(absl::ToUnixMicros(now));
          if (had_snapshot && !snapshot.unknown() && std::abs(snapshot.score() - health.score()) >= 0.05) {
            next.set_previous_score(snapshot.score());
            next.set_has_previous(true);
          } else if (had_snapshot) {
            next.set_previous_score(snapshot.previous_score());
            next.set_has_previous(snapshot.has_previous());
          }
          txn.batch().PutProto(Cf::kRelationships, key, next);
        }
        *out = std::move(health);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<std::vector<RelationshipCount>> Relationships::CountRelationships() const {
  std::vector<RelationshipCount> counts;
  storage::ScanOptions options;
  options.prefix = keys::CountPrefix();
  RETURN_IF_ERROR(store_->ForEach(Cf::kAggregates, options,
                                  [&](absl::string_view key, absl::string_view value) {
    auto k = keys::DecodeCountByKindTierStatus(key);
    auto n = storage::DecodeCounter(value);
    if (k && n && *n > 0) {
      counts.push_back({static_cast<v1::Relationship::Kind>(k->kind),
                        static_cast<v1::Relationship::Tier>(k->tier),
                        static_cast<v1::Relationship::Status>(k->status), *n});
    }
    return true;
  }));
  return counts;
}

absl::StatusOr<std::map<v1::Relationship::Tier, double>> Relationships::AverageHealthByTier() const {
  std::map<v1::Relationship::Tier, std::pair<double, int>> sums;
  storage::ScanOptions options;
  options.prefix = std::string(1, keys::kHealth);
  RETURN_IF_ERROR(store_->ForEach(Cf::kRelationships, options,
                                  [&](absl::string_view, absl::string_view value) {
    internal::v1::HealthSnapshot s;
    if (s.ParseFromArray(value.data(), static_cast<int>(value.size())) && !s.unknown()) {
      auto& [sum, n] = sums[static_cast<v1::Relationship::Tier>(s.tier())];
      sum += s.score();
      ++n;
    }
    return true;
  }));
  std::map<v1::Relationship::Tier, double> averages;
  for (const auto& [tier, sum_n] : sums) averages[tier] = sum_n.first / sum_n.second;
  return averages;
}

absl::StatusOr<std::map<std::string, double>> Relationships::LastHealthScores() const {
  std::map<std::string, double> scores;
  storage::ScanOptions options;
  options.prefix = std::string(1, keys::kHealth);
  RETURN_IF_ERROR(store_->ForEach(Cf::kRelationships, options,
                                  [&](absl::string_view key, absl::string_view value) {
    internal::v1::HealthSnapshot s;
    absl::string_view rest = key.substr(1);
    auto id = storage::ConsumeOrderedString(&rest);
    if (id && s.ParseFromArray(value.data(), static_cast<int>(value.size())) && !s.unknown()) {
      scores[*id] = s.score();
    }
    return true;
  }));
  return scores;
}

absl::Status Relationships::AdmitEscalationInTxn(storage::Txn& txn, absl::string_view field,
                                                 absl::string_view relationship_id) const {
  RETURN_IF_ERROR(ValidateId(field, relationship_id));
  ASSIGN_OR_RETURN(auto record,
                   txn.Get(Cf::kRelationships, keys::Record(keys::kRelationship, relationship_id)));
  if (!record) {
    return absl::NotFoundError(
        absl::StrCat(field, " ", RelName(relationship_id), " does not exist"));
  }
  // An addition, not a read and a put: escalations opening on the same
  // relationship do not conflict with each other.
  txn.batch().AddCounter(Cf::kRelationships, keys::Record(kEscalationGuard, relationship_id), 1);
  return absl::OkStatus();
}

}  // namespace rapport::relationships
