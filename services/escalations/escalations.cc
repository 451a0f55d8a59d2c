#include "services/escalations/escalations.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/idempotency.h"
#include "services/common/pagination.h"
#include "services/common/proto_time.h"
#include "services/common/scan_page.h"
#include "services/common/resource.h"
#include "storage/key_codec.h"
#include "storage/logging.h"
#include "storage/status_macros.h"

namespace rapport::escalations {
namespace {

using storage::Cf;
namespace keys = storage::esckeys;
using State = v1::Escalation;
using Action = v1::EscalationTimelineEntry;

constexpr absl::string_view kPolicies = "escalation_policies";
constexpr absl::string_view kCollection = "escalations";
constexpr int kMaxLevels = 20;
constexpr int kMaxTargets = 50;
constexpr int kMaxWatchers = 50;
constexpr int kMaxNote = 5000;
constexpr absl::Duration kMinWait = absl::Minutes(1);
constexpr absl::Duration kMaxWait = absl::Hours(24 * 7);

std::string IdOf(absl::string_view name) { return std::string(name.substr(name.find('/') + 1)); }

std::string EscName(absl::string_view id) { return absl::StrCat(kCollection, "/", id); }

std::string StateName(v1::Escalation::State s) { return v1::Escalation::State_Name(s); }

bool IsOpen(v1::Escalation::State s) {
  return s == State::OPEN || s == State::ACKNOWLEDGED || s == State::ON_HOLD;
}

absl::Status ValidateWait(absl::string_view field, const google::protobuf::Duration& wait) {
  const absl::Duration d = FromProtoDuration(wait);
  if (d < kMinWait || d > kMaxWait) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be between 1 minute and 7 days; got ", absl::FormatDuration(d)));
  }
  return absl::OkStatus();
}

absl::Status ValidatePolicy(const v1::EscalationPolicy& p) {
  RETURN_IF_ERROR(CheckLength("policy.display_name", p.display_name(), 1, 200));
  if (p.levels().empty()) {
    return absl::InvalidArgumentError("policy.levels is required: at least one level");
  }
  if (p.levels_size() > kMaxLevels) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy.levels has ", p.levels_size(), " levels, at most ", kMaxLevels));
  }
  for (int i = 0; i < p.levels_size(); ++i) {
    const auto& level = p.levels(i);
    const std::string field = absl::StrCat("policy.levels[", i, "]");
    RETURN_IF_ERROR(CheckLength(absl::StrCat(field, ".name"), level.name(), 1, 100));
    for (int j = 0; j < i; ++j) {
      if (p.levels(j).name() == level.name()) {
        return absl::InvalidArgumentError(absl::StrCat(field, ".name '", level.name(),
                                                       "' is already the name of policy.levels[", j,
                                                       "]; level names must be unique"));
      }
    }
    if (level.targets_size() > kMaxTargets) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".targets has ", level.targets_size(), ", at most ", kMaxTargets));
    }
    for (int t = 0; t < level.targets_size(); ++t) {
      RETURN_IF_ERROR(
          CheckLength(absl::StrCat(field, ".targets[", t, "]"), level.targets(t), 1, 200));
    }
    if (!level.has_ack_wait()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".ack_wait is required"));
    }
    RETURN_IF_ERROR(ValidateWait(absl::StrCat(field, ".ack_wait"), level.ack_wait()));
  }
  if (p.repeat() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy.repeat must not be negative; got ", p.repeat()));
  }
  if (p.has_retrigger_after()) {
    RETURN_IF_ERROR(ValidateWait("policy.retrigger_after", p.retrigger_after()));
  }
  if (!p.calendar().empty()) {
    RETURN_IF_ERROR(ParseName("policy.calendar", p.calendar(), "calendars").status());
  }
  return absl::OkStatus();
}

// The fields a caller sets on a new escalation (CreateEscalation).
absl::Status ValidateEscalation(const v1::Escalation& e) {
  RETURN_IF_ERROR(ParseName("escalation.relationship", e.relationship(), "relationships").status());
  if (!e.service().empty()) {
    RETURN_IF_ERROR(ParseName("escalation.service", e.service(), "services").status());
  }
  if (!e.ticket().empty() && (!absl::StartsWith(e.ticket(), "tickets/") || e.ticket().size() < 9 ||
                              e.ticket().size() > 136)) {
    return absl::InvalidArgumentError(
        absl::StrCat("escalation.ticket must look like 'tickets/{id}'; got '", e.ticket(), "'"));
  }
  if (!e.agreement().empty()) {
    RETURN_IF_ERROR(ParseName("escalation.agreement", e.agreement(), "agreements").status());
  }
  RETURN_IF_ERROR(CheckLength("escalation.title", e.title(), 1, kMaxTitleChars));
  RETURN_IF_ERROR(CheckLength("escalation.description", e.description(), 0, 10000));
  RETURN_IF_ERROR(CheckEnum("escalation.severity", v1::Severity_descriptor(), e.severity(), true));
  RETURN_IF_ERROR(CheckEnum("escalation.type", v1::Escalation::Type_descriptor(), e.type(), false));
  RETURN_IF_ERROR(ParseName("escalation.policy", e.policy(), kPolicies).status());
  RETURN_IF_ERROR(CheckLength("escalation.assignee", e.assignee(), 0, 200));
  if (e.watchers_size() > kMaxWatchers) {
    return absl::InvalidArgumentError(
        absl::StrCat("escalation.watchers has ", e.watchers_size(), ", at most ", kMaxWatchers));
  }
  for (int i = 1; i < e.watchers_size(); ++i) {
    for (int j = 0; j < i; ++j) {
      if (e.watchers(i) == e.watchers(j)) {
        return absl::InvalidArgumentError(absl::StrCat("escalation.watchers[", i, "] repeats '",
                                                       e.watchers(i), "' (watchers[", j, "])"));
      }
    }
  }
  for (int i = 0; i < e.watchers_size(); ++i) {
    RETURN_IF_ERROR(
        CheckLength(absl::StrCat("escalation.watchers[", i, "]"), e.watchers(i), 1, 200));
  }
  return absl::OkStatus();
}

absl::Status IllegalState(const v1::Escalation& e, absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(e.name(), " is ", StateName(e.state()), ": it cannot be ", what));
}

// A copy of `e` without its timeline, made without copying the timeline
// (which grows with every change): `e` lends it out for the copy.
v1::Escalation CopyWithoutTimeline(v1::Escalation& e) {
  google::protobuf::RepeatedPtrField<v1::EscalationTimelineEntry> timeline;
  timeline.Swap(e.mutable_timeline());
  v1::Escalation copy = e;
  timeline.Swap(e.mutable_timeline());
  return copy;
}

// The record as it was before a change, for Write() and the observer, which
// read its own fields only: without the timeline and the policy snapshot,
// which `e` lends out instead of them being copied.
v1::Escalation FieldsBefore(v1::Escalation& e) {
  std::unique_ptr<v1::EscalationPolicy> policy(e.has_policy_snapshot() ? e.release_policy_snapshot()
                                                                       : nullptr);
  v1::Escalation copy = CopyWithoutTimeline(e);
  if (policy != nullptr) e.set_allocated_policy_snapshot(policy.release());
  return copy;
}

// The instant of the escalation's one schedule entry, if it has one: the
// level's wait while OPEN, the re-trigger while ACKNOWLEDGED.
std::optional<absl::Time> ScheduledDue(const v1::Escalation& e) {
  if (e.state() == State::OPEN && e.has_next_escalation_time()) {
    return FromProtoTime(e.next_escalation_time());
  }
  if (e.state() == State::ACKNOWLEDGED && e.has_retrigger_time()) {
    return FromProtoTime(e.retrigger_time());
  }
  return std::nullopt;
}

absl::Duration WaitOf(const v1::Escalation& e, int level) {
  return FromProtoDuration(e.policy_snapshot().levels(level).ack_wait());
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

}  // namespace

Escalations::Escalations(storage::Store* store, Clock* clock) : store_(store), clock_(clock) {
  store_->AddCommitListener([this](const storage::CommitGroupInfo&) { Wake(); });
}

// ----------------------------------------------------------- waits and hours

absl::Time Escalations::WaitEnd(const v1::Escalation& e, absl::Time from,
                                absl::Duration wait) const {
  const std::string& calendar = e.policy_snapshot().calendar();
  if (!calendar.empty() && business_hours_.add) {
    auto end = business_hours_.add(calendar, from, wait);
    if (end.ok() && *end != absl::InfiniteFuture()) return *end;
    LogWarning(absl::StrCat("escalation ", e.name(), ": calendar ", calendar,
                            " is unavailable (", end.status().ToString(),
                            "); its wait counts in wall-clock time"));
  }
  return from + wait;
}

absl::Duration Escalations::WaitLeft(const v1::Escalation& e, absl::Time now,
                                     absl::Time due) const {
  if (due <= now) return absl::ZeroDuration();
  const std::string& calendar = e.policy_snapshot().calendar();
  if (!calendar.empty() && business_hours_.between) {
    auto left = business_hours_.between(calendar, now, due);
    if (left.ok()) return *left;
  }
  return due - now;
}

void Escalations::OpenAtLevel(v1::Escalation& e, absl::Time now) const {
  e.set_state(State::OPEN);
  e.clear_retrigger_time();
  if (e.exhausted()) {
    e.clear_next_escalation_time();
  } else {
    *e.mutable_next_escalation_time() = ToProtoTime(WaitEnd(e, now, WaitOf(e, e.level())));
  }
}

absl::Status Escalations::CheckCalendar(const v1::EscalationPolicy& policy) const {
  if (policy.calendar().empty() || !business_hours_.check) return absl::OkStatus();
  return business_hours_.check("policy.calendar", policy.calendar());
}

// ----------------------------------------------------------------- policies

absl::StatusOr<v1::EscalationPolicy> Escalations::ReadPolicyTracked(storage::Txn& txn,
                                                                    absl::string_view field,
                                                                    absl::string_view name) const {
  ASSIGN_OR_RETURN(std::string id, ParseName(field, name, kPolicies));
  v1::EscalationPolicy policy;
  ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kEscalations, keys::Policy(id), &policy));
  if (!found) return absl::NotFoundError(absl::StrCat(field, " ", name, " does not exist"));
  return policy;
}

void Escalations::CreatePolicy(const v1::CreateEscalationPolicyRequest& request,
                               Callback<v1::EscalationPolicy> done) {
  absl::Status valid = CheckRequestId(request.request_id());
  if (valid.ok()) valid = ValidatePolicy(request.policy());
  if (valid.ok() && !request.policy_id().empty())
    valid = ValidateId("policy_id", request.policy_id());
  if (valid.ok()) valid = CheckCalendar(request.policy());
  if (!valid.ok()) return done(valid);
  const std::string id = request.policy_id().empty() ? NewId() : request.policy_id();
  const absl::Time now = clock_->Now();
  TransactFor<v1::EscalationPolicy>(
      store_,
      [request, id, now](storage::Txn& txn, v1::EscalationPolicy* out) -> absl::Status {
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay,
                         FindPriorResult(txn, "CreateEscalationPolicy", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kEscalations, keys::Policy(id)));
        if (existing) {
          return absl::AlreadyExistsError(
              absl::StrCat("policy ", kPolicies, "/", id, " already exists"));
        }
        v1::EscalationPolicy p = request.policy();
        p.set_name(absl::StrCat(kPolicies, "/", id));
        *p.mutable_create_time() = ToProtoTime(now);
        *p.mutable_update_time() = ToProtoTime(now);
        p.set_etag("1");
        txn.batch().PutProto(Cf::kEscalations, keys::Policy(id), p);
        RecordResult(txn, "CreateEscalationPolicy", request.request_id(), fingerprint, p);
        *out = std::move(p);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::EscalationPolicy> Escalations::GetPolicy(
    const v1::GetEscalationPolicyRequest& request) const {
  ASSIGN_OR_RETURN(std::string id, ParseName("name", request.name(), kPolicies));
  v1::EscalationPolicy p;
  ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kEscalations, keys::Policy(id), &p));
  if (!found)
    return absl::NotFoundError(absl::StrCat("policy ", request.name(), " does not exist"));
  return p;
}

absl::StatusOr<v1::ListEscalationPoliciesResponse> Escalations::ListPolicies(
    const v1::ListEscalationPoliciesRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const uint64_t hash = FilterHash({"escalation_policies"});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  storage::ScanOptions options;
  options.prefix = keys::PolicyPrefix();
  options.start_after = resume;
  v1::ListEscalationPoliciesResponse response;
  std::vector<v1::EscalationPolicy> items;
  RETURN_IF_ERROR(ScanPage<v1::EscalationPolicy>(
      *store_, Cf::kEscalations, options, page_size, hash,
      [](absl::string_view,
         absl::string_view value) -> absl::StatusOr<std::optional<v1::EscalationPolicy>> {
        v1::EscalationPolicy p;
        if (!p.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return absl::DataLossError("escalation policy record does not parse");
        }
        return std::optional<v1::EscalationPolicy>(std::move(p));
      },
      &items, response.mutable_next_page_token()));
  for (auto& p : items) *response.add_policies() = std::move(p);
  return response;
}

void Escalations::UpdatePolicy(const v1::UpdateEscalationPolicyRequest& request,
                               Callback<v1::EscalationPolicy> done) {
  absl::Status valid = CheckMask(
      request.update_mask(), {"display_name", "levels", "repeat", "retrigger_after", "calendar"});
  auto id = ParseName("policy.name", request.policy().name(), kPolicies);
  if (valid.ok()) valid = id.status();
  if (valid.ok() && absl::c_linear_search(request.update_mask().paths(), "calendar")) {
    valid = ParseName("policy.calendar", request.policy().calendar(), "calendars").status();
    if (valid.ok() || request.policy().calendar().empty()) valid = CheckCalendar(request.policy());
  }
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  TransactFor<v1::EscalationPolicy>(
      store_,
      [request, id = *id, now](storage::Txn& txn, v1::EscalationPolicy* out) -> absl::Status {
        v1::EscalationPolicy current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kEscalations, keys::Policy(id), &current));
        if (!found) {
          return absl::NotFoundError(
              absl::StrCat("policy ", request.policy().name(), " does not exist"));
        }
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.policy().etag()));
        const auto& in = request.policy();
        v1::EscalationPolicy next = current;
        for (const auto& path : request.update_mask().paths()) {
          if (path == "display_name") next.set_display_name(in.display_name());
          if (path == "levels") *next.mutable_levels() = in.levels();
          if (path == "repeat") next.set_repeat(in.repeat());
          if (path == "retrigger_after") {
            if (in.has_retrigger_after()) {
              *next.mutable_retrigger_after() = in.retrigger_after();
            } else {
              next.clear_retrigger_after();
            }
          }
          if (path == "calendar") next.set_calendar(in.calendar());
        }
        RETURN_IF_ERROR(ValidatePolicy(next));
        *next.mutable_update_time() = ToProtoTime(now);
        next.set_etag(NextEtag(current.etag()));
        txn.batch().PutProto(Cf::kEscalations, keys::Policy(id), next);
        *out = std::move(next);
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::DeletePolicy(const v1::DeleteEscalationPolicyRequest& request,
                               Callback<bool> done) {
  auto id = ParseName("name", request.name(), kPolicies);
  if (!id.ok()) return done(id.status());
  TransactFor<bool>(
      store_,
      [request, id = *id](storage::Txn& txn, bool* out) -> absl::Status {
        v1::EscalationPolicy current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kEscalations, keys::Policy(id), &current));
        if (!found)
          return absl::NotFoundError(absl::StrCat("policy ", request.name(), " does not exist"));
        RETURN_IF_ERROR(CheckEtag(request.name(), current.etag(), request.etag()));
        txn.batch().Delete(Cf::kEscalations, keys::Policy(id));
        *out = true;
        return absl::OkStatus();
      },
      std::move(done));
}

// -------------------------------------------------------------- escalations

void Escalations::StartPolicy(v1::Escalation& e, const v1::EscalationPolicy& policy,
                              absl::Time now) const {
  *e.mutable_policy_snapshot() = policy;
  e.set_policy(policy.name());
  e.set_level(0);
  e.set_repeat_count(0);
  e.set_exhausted(false);
  OpenAtLevel(e, now);
}

absl::Status Escalations::Write(storage::Txn& txn, const v1::Escalation& before,
                                v1::Escalation& after, v1::EscalationTimelineEntry entry,
                                absl::Time now) const {
  auto& batch = txn.batch();
  const std::string id = IdOf(after.name());
  after.set_level_name(after.policy_snapshot().levels(after.level()).name());
  entry.set_sequence(after.timeline_size() + 1);
  *entry.mutable_time() = ToProtoTime(now);
  entry.set_state_before(before.state());
  entry.set_level_before(before.level());
  entry.set_state_after(after.state());
  entry.set_level_after(after.level());
  *after.add_timeline() = entry;
  after.set_etag(NextEtag(before.etag()));
  *after.mutable_update_time() = ToProtoTime(now);

  // The one schedule entry follows the record.
  const auto due_before = ScheduledDue(before);
  const auto due_after = ScheduledDue(after);
  if (due_before != due_after) {
    if (due_before) batch.Unschedule(*due_before, kAckScheduleKind, id);
    if (due_after) batch.Schedule(*due_after, kAckScheduleKind, id);
  }

  // Indexes and counters.
  if (before.name().empty()) {
    batch.Put(Cf::kIndex, keys::ByCreate(FromProtoTime(after.create_time()), id), "");
  }
  if (IsOpen(before.state())) {
    batch.Delete(Cf::kIndex, keys::OpenByRelationship(IdOf(before.relationship()), id));
    batch.AddCounter(Cf::kAggregates,
                     keys::OpenCount(before.state(), before.level(), before.severity()), -1);
  }
  if (IsOpen(after.state())) {
    batch.Put(Cf::kIndex, keys::OpenByRelationship(IdOf(after.relationship()), id), "");
    batch.AddCounter(Cf::kAggregates,
                     keys::OpenCount(after.state(), after.level(), after.severity()), 1);
  }

  // The change log: the store numbers the change when it commits, so
  // concurrent changes of different escalations never conflict over it. The
  // change carries the record without its timeline: `after` is lent to it
  // for the serialization, with its timeline set aside, rather than copied.
  v1::EscalationChange change;
  *change.mutable_change_time() = ToProtoTime(now);
  *change.mutable_entry() = std::move(entry);
  google::protobuf::RepeatedPtrField<v1::EscalationTimelineEntry> timeline;
  timeline.Swap(after.mutable_timeline());
  change.set_allocated_escalation(&after);
  std::string serialized = change.SerializeAsString();
  static_cast<void>(change.release_escalation());  // `after`, given back.
  timeline.Swap(after.mutable_timeline());
  batch.AppendToLog(Cf::kEscalations, keys::LastSequence(), keys::ChangePrefix(), serialized);
  batch.PutProto(Cf::kEscalations, keys::Escalation(id), after);
  return absl::OkStatus();
}

void Escalations::Observe(const Before& before, const v1::Escalation& after) const {
  // The clocks stop while it is held (only an acknowledged or open
  // escalation can be, so the holds so far all came before this step).
  const absl::Time created =
      FromProtoTime(after.create_time()) + FromProtoDuration(after.held_duration());
  if (observer_.acknowledged && !before.acknowledged && after.has_acknowledge_time()) {
    observer_.acknowledged(
        absl::ToDoubleSeconds(FromProtoTime(after.acknowledge_time()) - created));
  }
  if (observer_.resolved && before.state != State::RESOLVED && after.state() == State::RESOLVED) {
    observer_.resolved(absl::ToDoubleSeconds(FromProtoTime(after.resolve_time()) - created));
  }
}

void Escalations::Create(const v1::CreateEscalationRequest& request, absl::string_view actor,
                         Callback<v1::Escalation> done) {
  absl::Status valid = CheckRequestId(request.request_id());
  if (valid.ok()) valid = ValidateEscalation(request.escalation());
  if (valid.ok() && !request.escalation_id().empty()) {
    valid = ValidateId("escalation_id", request.escalation_id());
  }
  if (valid.ok() && relationship_exists_ && !admit_relationship_) {
    valid =
        relationship_exists_("escalation.relationship", IdOf(request.escalation().relationship()));
  }
  const v1::Escalation& asked = request.escalation();
  if (valid.ok() && catalog_check_ && (!asked.service().empty() || !asked.agreement().empty())) {
    valid = catalog_check_("escalation", asked.service(), asked.agreement());
  }
  if (!valid.ok()) return done(valid);
  const std::string id = request.escalation_id().empty() ? NewId() : request.escalation_id();
  const absl::Time now = clock_->Now();
  TransactFor<v1::Escalation>(
      store_,
      [this, request, id, now, actor = std::string(actor)](storage::Txn& txn,
                                                           v1::Escalation* out) -> absl::Status {
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay,
                         FindPriorResult(txn, "CreateEscalation", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kEscalations, keys::Escalation(id)));
        if (existing) {
          return absl::AlreadyExistsError(
              absl::StrCat("escalation ", EscName(id), " already exists"));
        }
        if (admit_relationship_) {
          RETURN_IF_ERROR(admit_relationship_(txn, "escalation.relationship",
                                              IdOf(request.escalation().relationship())));
        }
        ASSIGN_OR_RETURN(
            v1::EscalationPolicy policy,
            ReadPolicyTracked(txn, "escalation.policy", request.escalation().policy()));
        const v1::Escalation& in = request.escalation();
        v1::Escalation e;
        e.set_name(EscName(id));
        e.set_relationship(in.relationship());
        e.set_service(in.service());
        e.set_ticket(in.ticket());
        e.set_agreement(in.agreement());
        e.set_title(in.title());
        e.set_description(in.description());
        e.set_severity(in.severity());
        e.set_type(in.type() == v1::Escalation::TYPE_UNSPECIFIED ? v1::Escalation::FUNCTIONAL
                                                                 : in.type());
        e.set_source(v1::Escalation::MANUAL);
        e.set_assignee(in.assignee());
        *e.mutable_watchers() = in.watchers();
        *e.mutable_create_time() = ToProtoTime(now);
        StartPolicy(e, policy, now);
        v1::EscalationTimelineEntry entry;
        entry.set_actor(actor);
        entry.set_action(Action::OPENED);
        RETURN_IF_ERROR(Write(txn, v1::Escalation(), e, entry, now));
        RecordResult(txn, "CreateEscalation", request.request_id(), fingerprint, e);
        if (observer_.opened) {
          txn.AfterCommit([this, source = e.source(), severity = e.severity()] {
            observer_.opened(source, severity);
          });
        }
        *out = std::move(e);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::Escalation> Escalations::Get(const v1::GetEscalationRequest& request) const {
  ASSIGN_OR_RETURN(std::string id, ParseName("name", request.name(), kCollection));
  v1::Escalation e;
  ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kEscalations, keys::Escalation(id), &e));
  if (!found)
    return absl::NotFoundError(absl::StrCat("escalation ", request.name(), " does not exist"));
  return e;
}

absl::StatusOr<v1::ListEscalationsResponse> Escalations::List(
    const v1::ListEscalationsRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  RETURN_IF_ERROR(CheckEnum("state", v1::Escalation::State_descriptor(), request.state(), false));
  RETURN_IF_ERROR(CheckEnum("severity", v1::Severity_descriptor(), request.severity(), false));
  RETURN_IF_ERROR(
      CheckEnum("source", v1::Escalation::Source_descriptor(), request.source(), false));
  if (request.has_level() && request.level() < 0) {
    return absl::InvalidArgumentError("level must not be negative");
  }
  if (!request.relationship().empty()) {
    RETURN_IF_ERROR(ParseName("relationship", request.relationship(), "relationships").status());
  }
  if (!request.service().empty()) {
    RETURN_IF_ERROR(ParseName("service", request.service(), "services").status());
  }
  if (request.has_create_time_from() && request.has_create_time_to() &&
      FromProtoTime(request.create_time_to()) <= FromProtoTime(request.create_time_from())) {
    return absl::InvalidArgumentError("create_time_to must be after create_time_from");
  }
  const uint64_t hash = FilterHash(
      {"escalations", absl::StrCat(request.state()),
       request.has_level() ? absl::StrCat(request.level()) : "-", absl::StrCat(request.severity()),
       request.relationship(), request.service(), request.assignee(),
       absl::StrCat(request.source()), request.create_time_from().SerializeAsString(),
       request.create_time_to().SerializeAsString()});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  storage::ScanOptions options;
  options.prefix = keys::ByCreatePrefix();
  // Keys hold -create time: [from, to) becomes (-to, -from].
  if (request.has_create_time_to()) {
    options.lower = options.prefix;
    storage::AppendInt64(&options.lower,
                         -absl::ToUnixMicros(FromProtoTime(request.create_time_to())) + 1);
  }
  if (request.has_create_time_from()) {
    options.upper = options.prefix;
    storage::AppendInt64(&options.upper,
                         -absl::ToUnixMicros(FromProtoTime(request.create_time_from())) + 1);
  }
  options.start_after = resume;
  v1::ListEscalationsResponse response;
  std::vector<v1::Escalation> items;
  RETURN_IF_ERROR(ScanPage<v1::Escalation>(
      *store_, Cf::kIndex, options, page_size, hash,
      [&](absl::string_view key,
          absl::string_view) -> absl::StatusOr<std::optional<v1::Escalation>> {
        auto decoded = keys::DecodeByCreate(key);
        if (!decoded) return absl::DataLossError("malformed escalation index entry");
        v1::Escalation e;
        ASSIGN_OR_RETURN(
            bool found,
            store_->GetProto(Cf::kEscalations, keys::Escalation(decoded->escalation_id), &e));
        const bool match =
            found && (request.state() == 0 || e.state() == request.state()) &&
            (!request.has_level() || e.level() == request.level()) &&
            (request.severity() == 0 || e.severity() == request.severity()) &&
            (request.relationship().empty() || e.relationship() == request.relationship()) &&
            (request.service().empty() || e.service() == request.service()) &&
            (request.assignee().empty() || e.assignee() == request.assignee()) &&
            (request.source() == 0 || e.source() == request.source());
        if (!match) return std::optional<v1::Escalation>();
        return std::optional<v1::Escalation>(std::move(e));
      },
      &items, response.mutable_next_page_token()));
  for (auto& e : items) *response.add_escalations() = std::move(e);
  return response;
}

void Escalations::Mutate(absl::string_view method, absl::string_view name, absl::string_view etag,
                         absl::string_view request_id, uint64_t fingerprint,
                         absl::string_view actor, Mutation mutation, Callback<v1::Escalation> done) {
  auto id = ParseName("name", name, kCollection);
  absl::Status valid = id.status();
  if (valid.ok()) valid = CheckRequestId(request_id);
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  // What the observer needs of the record before the applied change (not set
  // on a replay); the record after it is the result.
  auto seen = std::make_shared<std::optional<Before>>();
  TransactFor<v1::Escalation>(
      store_,
      [this, method = std::string(method), id = *id, etag = std::string(etag),
       request_id = std::string(request_id), fingerprint, actor = std::string(actor),
       mutation = std::move(mutation), now,
       seen](storage::Txn& txn, v1::Escalation* out) -> absl::Status {
        seen->reset();
        ASSIGN_OR_RETURN(bool replay, FindPriorResult(txn, method, request_id, fingerprint, out));
        if (replay) return absl::OkStatus();
        v1::Escalation e;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kEscalations, keys::Escalation(id), &e));
        if (!found)
          return absl::NotFoundError(absl::StrCat("escalation ", EscName(id), " does not exist"));
        RETURN_IF_ERROR(CheckEtag(e.name(), e.etag(), etag));
        const v1::Escalation before = FieldsBefore(e);
        v1::EscalationTimelineEntry entry;
        entry.set_actor(actor);
        RETURN_IF_ERROR(mutation(txn, e, entry, now));
        RETURN_IF_ERROR(Write(txn, before, e, entry, now));
        RecordResult(txn, method, request_id, fingerprint, e);
        *seen = Before{before.has_acknowledge_time(), before.state()};
        *out = std::move(e);
        return absl::OkStatus();
      },
      [this, seen, done = std::move(done)](absl::StatusOr<v1::Escalation> result) {
        if (result.ok() && seen->has_value()) Observe(**seen, *result);
        done(std::move(result));
      });
}

void Escalations::Acknowledge(const v1::AcknowledgeEscalationRequest& request,
                              absl::string_view actor, Callback<v1::Escalation> done) {
  if (auto s = CheckLength("note", request.note(), 0, kMaxNote); !s.ok()) return done(s);
  Mutate(
      "AcknowledgeEscalation", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [this, note = request.note()](storage::Txn&, v1::Escalation& e,
                                    v1::EscalationTimelineEntry& entry,
                                    absl::Time now) -> absl::Status {
        if (e.state() != State::OPEN) return IllegalState(e, "acknowledged");
        e.set_state(State::ACKNOWLEDGED);
        e.clear_next_escalation_time();
        if (!e.has_acknowledge_time()) *e.mutable_acknowledge_time() = ToProtoTime(now);
        if (e.policy_snapshot().has_retrigger_after()) {
          *e.mutable_retrigger_time() = ToProtoTime(
              WaitEnd(e, now, FromProtoDuration(e.policy_snapshot().retrigger_after())));
        }
        entry.set_action(Action::ACKNOWLEDGED);
        entry.set_note(note);
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::Escalate(const v1::EscalateEscalationRequest& request, absl::string_view actor,
                           Callback<v1::Escalation> done) {
  if (auto s = CheckLength("note", request.note(), 0, kMaxNote); !s.ok()) return done(s);
  if (request.seen_level() < 0)
    return done(absl::InvalidArgumentError("seen_level must not be negative"));
  Mutate(
      "EscalateEscalation", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [this, request](storage::Txn&, v1::Escalation& e, v1::EscalationTimelineEntry& entry,
                      absl::Time now) -> absl::Status {
        if (e.state() != State::OPEN && e.state() != State::ACKNOWLEDGED) {
          return IllegalState(e, "escalated");
        }
        if (request.seen_level() != e.level()) {
          // Name whoever moved it to the level it is at.
          std::string who = "?", when = "?";
          bool opened_there = false;
          for (int i = e.timeline_size() - 1; i >= 0; --i) {
            const auto& t = e.timeline(i);
            if (t.level_after() != t.level_before() || t.action() == Action::OPENED ||
                t.action() == Action::REPEATED || t.action() == Action::REASSIGNED) {
              who = t.actor();
              when =
                  absl::FormatTime(absl::RFC3339_sec, FromProtoTime(t.time()), absl::UTCTimeZone());
              opened_there = t.action() == Action::OPENED;
              break;
            }
          }
          const std::string level = absl::StrCat("level ", e.level(), " (", e.level_name(), ")");
          return absl::FailedPreconditionError(absl::StrCat(
              e.name(),
              opened_there ? absl::StrCat(" is not at level ", request.seen_level(), ": it has been at ",
                                          level, " since ", who, " opened it at ")
                           : absl::StrCat(" is no longer at level ", request.seen_level(), ": ", who,
                                          " moved it to ", level, " at "),
              when, "; read it again before escalating"));
        }
        if (e.level() + 1 >= e.policy_snapshot().levels_size()) {
          return absl::FailedPreconditionError(
              absl::StrCat(e.name(), " is at the last level of its policy (", e.level_name(),
                           "); reassign it to another policy to go further"));
        }
        e.set_level(e.level() + 1);
        OpenAtLevel(e, now);
        entry.set_action(Action::ESCALATED);
        entry.set_note(request.note());
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::Reassign(const v1::ReassignEscalationRequest& request, absl::string_view actor,
                           Callback<v1::Escalation> done) {
  absl::Status valid = CheckLength("note", request.note(), 0, kMaxNote);
  if (valid.ok()) {
    switch (request.target_case()) {
      case v1::ReassignEscalationRequest::kAssignee:
        valid = CheckLength("assignee", request.assignee(), 1, 200);
        break;
      case v1::ReassignEscalationRequest::kPolicy:
        valid = ParseName("policy", request.policy(), kPolicies).status();
        break;
      default:
        valid = absl::InvalidArgumentError("assignee or policy is required");
    }
  }
  if (!valid.ok()) return done(valid);
  Mutate(
      "ReassignEscalation", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [this, request](storage::Txn& txn, v1::Escalation& e, v1::EscalationTimelineEntry& entry,
                      absl::Time now) -> absl::Status {
        if (!IsOpen(e.state())) return IllegalState(e, "reassigned");
        entry.set_action(Action::REASSIGNED);
        if (request.has_assignee()) {
          e.set_assignee(request.assignee());
          entry.set_note(request.note().empty() ? absl::StrCat("assignee: ", request.assignee())
                                                : request.note());
          return absl::OkStatus();
        }
        if (e.state() == State::ON_HOLD) return IllegalState(e, "moved to another policy");
        ASSIGN_OR_RETURN(v1::EscalationPolicy policy,
                         ReadPolicyTracked(txn, "policy", request.policy()));
        StartPolicy(e, policy, now);
        entry.set_note(request.note().empty() ? absl::StrCat("policy: ", request.policy())
                                              : request.note());
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::AddNote(const v1::AddEscalationNoteRequest& request, absl::string_view actor,
                          Callback<v1::Escalation> done) {
  if (auto s = CheckLength("note", request.note(), 1, kMaxNote); !s.ok()) return done(s);
  Mutate(
      "AddEscalationNote", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [note = request.note()](storage::Txn&, v1::Escalation&, v1::EscalationTimelineEntry& entry,
                              absl::Time) -> absl::Status {
        entry.set_action(Action::NOTE_ADDED);
        entry.set_note(note);
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::Hold(const v1::HoldEscalationRequest& request, absl::string_view actor,
                       Callback<v1::Escalation> done) {
  if (auto s = CheckLength("reason", request.reason(), 1, kMaxNote); !s.ok()) return done(s);
  Mutate(
      "HoldEscalation", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [this, reason = request.reason()](storage::Txn&, v1::Escalation& e,
                                        v1::EscalationTimelineEntry& entry,
                                        absl::Time now) -> absl::Status {
        if (e.state() != State::OPEN && e.state() != State::ACKNOWLEDGED) {
          return IllegalState(e, "held");
        }
        // Every clock stops: remember what was left of the running one.
        if (auto due = ScheduledDue(e)) {
          *e.mutable_held_remaining() = ToProtoDuration(WaitLeft(e, now, *due));
        } else {
          e.clear_held_remaining();
        }
        e.set_held_state(e.state());
        e.set_state(State::ON_HOLD);
        e.set_hold_reason(reason);
        *e.mutable_hold_time() = ToProtoTime(now);
        e.clear_next_escalation_time();
        e.clear_retrigger_time();
        entry.set_action(Action::HELD);
        entry.set_note(reason);
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::Resume(const v1::ResumeEscalationRequest& request, absl::string_view actor,
                         Callback<v1::Escalation> done) {
  if (auto s = CheckLength("note", request.note(), 0, kMaxNote); !s.ok()) return done(s);
  Mutate(
      "ResumeEscalation", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [this, note = request.note()](storage::Txn&, v1::Escalation& e,
                                    v1::EscalationTimelineEntry& entry,
                                    absl::Time now) -> absl::Status {
        if (e.state() != State::ON_HOLD) return IllegalState(e, "resumed");
        e.set_state(e.held_state() == State::ACKNOWLEDGED ? State::ACKNOWLEDGED : State::OPEN);
        if (e.has_held_remaining()) {
          const auto due = ToProtoTime(WaitEnd(e, now, FromProtoDuration(e.held_remaining())));
          if (e.state() == State::OPEN) {
            *e.mutable_next_escalation_time() = due;
          } else {
            *e.mutable_retrigger_time() = due;
          }
        }
        *e.mutable_held_duration() = ToProtoDuration(
            FromProtoDuration(e.held_duration()) +
            std::max(absl::ZeroDuration(), now - FromProtoTime(e.hold_time())));
        e.clear_held_state();
        e.clear_held_remaining();
        e.clear_hold_reason();
        e.clear_hold_time();
        entry.set_action(Action::RESUMED);
        entry.set_note(note);
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::Resolve(const v1::ResolveEscalationRequest& request, absl::string_view actor,
                          Callback<v1::Escalation> done) {
  if (auto s = CheckLength("summary", request.summary(), 1, kMaxNote); !s.ok()) return done(s);
  Mutate(
      "ResolveEscalation", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [summary = request.summary()](storage::Txn&, v1::Escalation& e,
                                    v1::EscalationTimelineEntry& entry,
                                    absl::Time now) -> absl::Status {
        if (e.state() != State::ACKNOWLEDGED)
          return IllegalState(e, "resolved (acknowledge it first)");
        e.set_state(State::RESOLVED);
        e.set_resolution(summary);
        *e.mutable_resolve_time() = ToProtoTime(now);
        e.clear_retrigger_time();
        entry.set_action(Action::RESOLVED);
        entry.set_note(summary);
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::Reopen(const v1::ReopenEscalationRequest& request, absl::string_view actor,
                         Callback<v1::Escalation> done) {
  if (auto s = CheckLength("reason", request.reason(), 1, kMaxNote); !s.ok()) return done(s);
  Mutate(
      "ReopenEscalation", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [this, reason = request.reason()](storage::Txn& txn, v1::Escalation& e,
                                        v1::EscalationTimelineEntry& entry,
                                        absl::Time now) -> absl::Status {
        if (e.state() != State::RESOLVED) return IllegalState(e, "reopened");
        // Open again on its relationship, as a new one would be: a
        // relationship deleted while this was resolved cannot take it back.
        if (admit_relationship_) {
          absl::Status admitted = admit_relationship_(txn, "relationship", IdOf(e.relationship()));
          if (absl::IsNotFound(admitted)) {
            return absl::FailedPreconditionError(
                absl::StrCat(e.name(), " cannot be reopened: its relationship ", e.relationship(),
                             " was deleted"));
          }
          RETURN_IF_ERROR(admitted);
        }
        // A new engagement: the policy's repeats start again, even for an
        // escalation that had exhausted them (else it would sit OPEN with no
        // wait running, never moving again).
        e.set_repeat_count(0);
        e.set_exhausted(false);
        OpenAtLevel(e, now);
        entry.set_action(Action::REOPENED);
        entry.set_note(reason);
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::Close(const v1::CloseEscalationRequest& request, absl::string_view actor,
                        Callback<v1::Escalation> done) {
  if (auto s = CheckLength("note", request.note(), 0, kMaxNote); !s.ok()) return done(s);
  Mutate(
      "CloseEscalation", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [note = request.note()](storage::Txn&, v1::Escalation& e, v1::EscalationTimelineEntry& entry,
                              absl::Time) -> absl::Status {
        if (e.state() != State::RESOLVED) return IllegalState(e, "closed (resolve it first)");
        e.set_state(State::CLOSED);
        entry.set_action(Action::CLOSED);
        entry.set_note(note);
        return absl::OkStatus();
      },
      std::move(done));
}

void Escalations::Cancel(const v1::CancelEscalationRequest& request, absl::string_view actor,
                         Callback<v1::Escalation> done) {
  if (auto s = CheckLength("reason", request.reason(), 1, kMaxNote); !s.ok()) return done(s);
  Mutate(
      "CancelEscalation", request.name(), request.etag(), request.request_id(),
      RequestFingerprint(request.request_id(), request), actor,
      [reason = request.reason()](storage::Txn&, v1::Escalation& e,
                                  v1::EscalationTimelineEntry& entry, absl::Time) -> absl::Status {
        if (e.state() != State::OPEN && e.state() != State::ACKNOWLEDGED) {
          return IllegalState(e, "cancelled");
        }
        e.set_state(State::CANCELLED);
        e.clear_next_escalation_time();
        e.clear_retrigger_time();
        entry.set_action(Action::CANCELLED);
        entry.set_note(reason);
        return absl::OkStatus();
      },
      std::move(done));
}

// ------------------------------------------------------- automatic escalation

absl::Status Escalations::OnScheduled(const storage::ScheduledEntry& entry, storage::Txn& txn) {
  v1::Escalation e;
  ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kEscalations, keys::Escalation(entry.key), &e));
  if (!found) return absl::OkStatus();
  // An entry the record no longer points at (acknowledged, held, ...) is
  // stale; the scheduler removes it in this transaction. Schedule keys keep
  // microseconds and the record keeps what the clock gave, nanoseconds and
  // all: they are compared to the microsecond.
  const auto due = ScheduledDue(e);
  if (!due || absl::ToUnixMicros(*due) != absl::ToUnixMicros(entry.due)) return absl::OkStatus();
  const absl::Time now = std::max(clock_->Now(), entry.due);
  const v1::Escalation before = FieldsBefore(e);
  v1::EscalationTimelineEntry step;
  step.set_actor(kSystemActor);
  if (e.state() == State::OPEN) {
    const int levels = e.policy_snapshot().levels_size();
    if (e.level() + 1 < levels) {
      e.set_level(e.level() + 1);
      step.set_action(Action::AUTO_ESCALATED);
      step.set_note(absl::StrCat("not acknowledged within ",
                                 absl::FormatDuration(WaitOf(e, before.level()))));
    } else if (e.repeat_count() < e.policy_snapshot().repeat()) {
      e.set_repeat_count(e.repeat_count() + 1);
      e.set_level(0);
      step.set_action(Action::REPEATED);
      step.set_note(
          absl::StrCat("repeat ", e.repeat_count(), " of ", e.policy_snapshot().repeat()));
    } else {
      e.set_exhausted(true);
      step.set_action(Action::EXHAUSTED);
      step.set_note("policy exhausted: staying at the last level");
    }
    OpenAtLevel(e, now);
  } else {
    step.set_action(Action::RETRIGGERED);
    step.set_note("acknowledged but not resolved in time");
    OpenAtLevel(e, now);
  }
  RETURN_IF_ERROR(Write(txn, before, e, step, now));
  // Counted once the step is written: this body may run again on a conflict.
  if (observer_.auto_change && step.action() != Action::EXHAUSTED) {
    entry.AfterCommit([this, action = step.action()] { observer_.auto_change(action); });
  }
  return absl::OkStatus();
}

// ------------------------------------------------------- other services' API

std::string Escalations::IdForSource(absl::string_view source_key) {
  return absl::StrCat("src-", Hex64(FilterHash({source_key})),
                      Hex64(FilterHash({"escalation-source", source_key})));
}

absl::Status Escalations::OpenInTxn(storage::Txn& txn, const OpenRequest& r, absl::Time now) const {
  RETURN_IF_ERROR(CheckLength("source_key", r.source_key, 1, 500));
  RETURN_IF_ERROR(CheckEnum("source", v1::Escalation::Source_descriptor(), r.source, true));
  v1::Escalation e;
  e.set_relationship(r.relationship);
  e.set_service(r.service);
  e.set_ticket(r.ticket);
  e.set_agreement(r.agreement);
  e.set_title(r.title);
  e.set_description(r.description);
  e.set_severity(r.severity);
  e.set_type(r.type);
  e.set_policy(r.policy.empty() ? default_policy_ : r.policy);
  if (e.policy().empty()) {
    return absl::FailedPreconditionError(
        "no escalation policy: the request names none and no default policy is set");
  }
  RETURN_IF_ERROR(ValidateEscalation(e));
  const std::string id = IdForSource(r.source_key);
  ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kEscalations, keys::Escalation(id)));
  if (existing) return OpenAgainInTxn(txn, r, *existing, now);
  if (admit_relationship_) {
    RETURN_IF_ERROR(admit_relationship_(txn, "relationship", IdOf(e.relationship())));
  }
  ASSIGN_OR_RETURN(v1::EscalationPolicy policy, ReadPolicyTracked(txn, "policy", e.policy()));
  e.set_name(EscName(id));
  e.set_source(r.source);
  e.set_source_key(r.source_key);
  *e.mutable_create_time() = ToProtoTime(now);
  StartPolicy(e, policy, now);
  v1::EscalationTimelineEntry entry;
  entry.set_actor(r.actor.empty() ? kSystemActor : r.actor);
  entry.set_action(Action::OPENED);
  entry.set_note(r.source_key);
  RETURN_IF_ERROR(Write(txn, v1::Escalation(), e, entry, now));
  // Counted once the write that asked for it commits: its body may run again
  // on a conflict.
  if (observer_.opened) {
    txn.AfterCommit([this, source = e.source(), severity = e.severity()] {
      observer_.opened(source, severity);
    });
  }
  return absl::OkStatus();
}

absl::Status Escalations::RedactInTxn(storage::Txn& txn, absl::string_view source_key,
                                      absl::string_view reason, absl::Time now) const {
  v1::Escalation e;
  ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kEscalations,
                                            keys::Escalation(IdForSource(source_key)), &e));
  if (!found || e.description().empty()) return absl::OkStatus();
  const v1::Escalation before = FieldsBefore(e);
  e.clear_description();
  v1::EscalationTimelineEntry entry;
  entry.set_actor(kSystemActor);
  entry.set_action(Action::NOTE_ADDED);
  entry.set_note(std::string(reason));
  return Write(txn, before, e, entry, now);
}

absl::Status Escalations::OpenAgainInTxn(storage::Txn& txn, const OpenRequest& r,
                                         absl::string_view existing, absl::Time now) const {
  if (r.source != v1::Escalation::SLA_BREACH) return absl::OkStatus();  // Opened already.
  v1::Escalation e;
  if (!e.ParseFromArray(existing.data(), static_cast<int>(existing.size()))) {
    return absl::DataLossError("escalation record does not parse");
  }
  if (e.source() != v1::Escalation::SLA_WARNING) return absl::OkStatus();  // Marked already.
  if (!IsOpen(e.state())) {
    // The warning's escalation was dealt with; the breach is news.
    OpenRequest again = r;
    again.source_key = absl::StrCat(r.source_key, "|breach");
    return OpenInTxn(txn, again, now);
  }
  const v1::Escalation before = FieldsBefore(e);
  e.set_source(v1::Escalation::SLA_BREACH);
  // SEV1 is the highest.
  if (r.severity != v1::SEVERITY_UNSPECIFIED && r.severity < e.severity()) {
    e.set_severity(r.severity);
  }
  v1::EscalationTimelineEntry entry;
  entry.set_actor(kSystemActor);
  entry.set_action(Action::BREACHED);
  entry.set_note(r.title);
  return Write(txn, before, e, entry, now);
}

absl::StatusOr<OpenSummary> Escalations::Summarize(absl::string_view relationship_id,
                                                   absl::Time now) const {
  OpenSummary summary;
  storage::ScanOptions options;
  options.prefix = keys::OpenByRelationshipPrefix(relationship_id);
  absl::Status error;
  RETURN_IF_ERROR(
      store_->ForEach(Cf::kIndex, options, [&](absl::string_view key, absl::string_view) {
        auto id = keys::EscalationFromOpen(key);
        if (!id) return true;
        v1::Escalation e;
        auto found = store_->GetProto(Cf::kEscalations, keys::Escalation(*id), &e);
        if (!found.ok()) {
          error = found.status();
          return false;
        }
        if (!*found || !IsOpen(e.state())) return true;
        ++summary.open;
        if (e.severity() != v1::SEVERITY_UNSPECIFIED) {
          summary.highest_severity =
              std::min(summary.highest_severity, static_cast<int>(e.severity()));
        }
        absl::Duration held = FromProtoDuration(e.held_duration());
        if (e.state() == State::ON_HOLD) held += now - FromProtoTime(e.hold_time());
        summary.oldest_age =
            std::max(summary.oldest_age, now - FromProtoTime(e.create_time()) - held);
        return true;
      }));
  RETURN_IF_ERROR(error);
  return summary;
}

absl::StatusOr<std::vector<OpenCount>> Escalations::CountOpen() const {
  std::vector<OpenCount> counts;
  storage::ScanOptions options;
  options.prefix = keys::OpenCountPrefix();
  RETURN_IF_ERROR(store_->ForEach(
      Cf::kAggregates, options, [&](absl::string_view key, absl::string_view value) {
        auto k = keys::DecodeOpenCount(key);
        auto n = storage::DecodeCounter(value);
        if (k && n && *n > 0) {
          counts.push_back({static_cast<v1::Escalation::State>(k->state),
                            static_cast<int>(k->level), static_cast<v1::Severity>(k->severity),
                            *n});
        }
        return true;
      }));
  return counts;
}

absl::StatusOr<std::map<v1::Severity, absl::Time>> Escalations::OldestUnacknowledged() const {
  std::map<v1::Severity, absl::Time> oldest;
  storage::ScanOptions options;
  options.prefix = keys::OpenEscalationsPrefix();
  absl::Status error;
  RETURN_IF_ERROR(
      store_->ForEach(Cf::kIndex, options, [&](absl::string_view key, absl::string_view) {
        auto id = keys::EscalationFromOpen(key);
        if (!id) return true;
        v1::Escalation e;
        auto found = store_->GetProto(Cf::kEscalations, keys::Escalation(*id), &e);
        if (!found.ok()) {
          error = found.status();
          return false;
        }
        if (!*found || e.state() != v1::Escalation::OPEN) return true;
        // The latest entry into OPEN; an escalation's first entry is OPENED.
        absl::Time since = FromProtoTime(e.create_time());
        for (auto it = e.timeline().rbegin(); it != e.timeline().rend(); ++it) {
          if (it->state_after() == v1::Escalation::OPEN &&
              it->state_before() != v1::Escalation::OPEN) {
            since = FromProtoTime(it->time());
            break;
          }
        }
        auto [slot, inserted] = oldest.emplace(e.severity(), since);
        if (!inserted) slot->second = std::min(slot->second, since);
        return true;
      }));
  RETURN_IF_ERROR(error);
  return oldest;
}

// ---------------------------------------------------------------- change log

absl::StatusOr<std::vector<v1::EscalationChange>> Escalations::ReadChanges(uint64_t after,
                                                                           int limit) const {
  storage::ScanOptions options;
  options.prefix = keys::ChangePrefix();
  options.start_after = keys::Change(after);
  options.limit = static_cast<size_t>(std::max(limit, 1));
  ASSIGN_OR_RETURN(storage::ScanResult result, store_->Scan(Cf::kEscalations, options));
  std::vector<v1::EscalationChange> changes;
  for (const auto& kv : result.entries) {
    v1::EscalationChange change;
    const auto sequence = keys::SequenceOfChange(kv.key);
    if (!sequence || !change.ParseFromString(kv.value))
      return absl::DataLossError("escalation change does not parse");
    change.set_sequence(static_cast<int64_t>(*sequence));  // Numbered by its key.
    changes.push_back(std::move(change));
  }
  return changes;
}

// ------------------------------------------------------ change log retention

namespace {
constexpr char kRetentionKey[] = "changes";
// Changes deleted per firing; a backlog is worked off a firing per second.
constexpr int kRetentionBatch = 2000;
constexpr absl::Duration kRetentionEvery = absl::Hours(1);

std::string EncodeDue(absl::Time due) {
  std::string value;
  storage::AppendInt64(&value, absl::ToUnixMicros(due));
  return value;
}
}  // namespace

absl::Status Escalations::StartRetention() {
  return store_->TransactSync([this](storage::Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(auto scheduled, txn.Get(Cf::kEscalations, keys::RetentionDue()));
    if (scheduled) return absl::OkStatus();
    const absl::Time due = clock_->Now() + absl::Minutes(1);
    txn.batch().Schedule(due, kRetentionScheduleKind, kRetentionKey);
    txn.batch().Put(Cf::kEscalations, keys::RetentionDue(), EncodeDue(due));
    return absl::OkStatus();
  });
}

absl::Status Escalations::OnRetention(const storage::ScheduledEntry& entry, storage::Txn& txn) {
  const absl::Time now = std::max(clock_->Now(), entry.due);
  bool more = false;
  if (retention_ > absl::ZeroDuration()) {
    const absl::Time cutoff = now - retention_;
    storage::ScanOptions scan;
    scan.prefix = keys::ChangePrefix();
    scan.limit = kRetentionBatch;
    ASSIGN_OR_RETURN(storage::ScanResult oldest, store_->Scan(Cf::kEscalations, scan));
    uint64_t last_deleted = 0;
    size_t deleted = 0;
    for (const auto& kv : oldest.entries) {
      v1::EscalationChange change;
      const auto sequence = keys::SequenceOfChange(kv.key);
      if (!sequence || !change.ParseFromString(kv.value)) {
        return absl::DataLossError("escalation change does not parse");
      }
      if (FromProtoTime(change.change_time()) >= cutoff) break;
      txn.batch().Delete(Cf::kEscalations, kv.key);
      last_deleted = *sequence;
      ++deleted;
    }
    if (last_deleted != 0) {
      txn.batch().Put(Cf::kEscalations, keys::FirstKeptSequence(),
                      keys::EncodeSequence(last_deleted + 1));
      more = oldest.more && deleted == oldest.entries.size();
    }
  }
  const absl::Time next = now + (more ? absl::Seconds(1) : kRetentionEvery);
  txn.batch().Schedule(next, kRetentionScheduleKind, kRetentionKey);
  txn.batch().Put(Cf::kEscalations, keys::RetentionDue(), EncodeDue(next));
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Escalations::FirstKeptSequence() const {
  ASSIGN_OR_RETURN(auto value, store_->Get(Cf::kEscalations, keys::FirstKeptSequence()));
  if (!value) return uint64_t{1};
  auto decoded = keys::DecodeSequence(*value);
  if (!decoded) return absl::DataLossError("first kept escalation change is malformed");
  return *decoded;
}

absl::StatusOr<uint64_t> Escalations::LastSequence() const {
  ASSIGN_OR_RETURN(auto value, store_->Get(Cf::kEscalations, keys::LastSequence()));
  if (!value) return uint64_t{0};
  auto decoded = keys::DecodeSequence(*value);
  if (!decoded) return absl::DataLossError("escalation change sequence is malformed");
  return *decoded;
}

absl::Status Escalations::ValidateWatch(const v1::WatchEscalationsRequest& request) {
  if (request.after_sequence() < 0)
    return absl::InvalidArgumentError("after_sequence must not be negative");
  if (!request.relationship().empty()) {
    RETURN_IF_ERROR(ParseName("relationship", request.relationship(), "relationships").status());
  }
  if (!request.service().empty()) {
    RETURN_IF_ERROR(ParseName("service", request.service(), "services").status());
  }
  return CheckEnum("state", v1::Escalation::State_descriptor(), request.state(), false);
}

bool Escalations::MatchesWatch(const v1::WatchEscalationsRequest& request,
                               const v1::EscalationChange& change) {
  const auto& e = change.escalation();
  return (request.relationship().empty() || e.relationship() == request.relationship()) &&
         (request.service().empty() || e.service() == request.service()) &&
         (request.state() == 0 || e.state() == request.state());
}

uint64_t Escalations::AddWatcher(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(watchers_mu_);
  const uint64_t handle = next_watcher_++;
  watchers_[handle] = std::move(wake);
  return handle;
}

void Escalations::RemoveWatcher(uint64_t handle) {
  std::lock_guard<std::mutex> lock(watchers_mu_);
  watchers_.erase(handle);
}

void Escalations::Wake() {
  std::lock_guard<std::mutex> lock(watchers_mu_);
  for (auto& [handle, wake] : watchers_) wake();
}

}  // namespace rapport::escalations
