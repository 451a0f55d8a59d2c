#include "services/sla/catalog.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/common/idempotency.h"
#include "services/common/pagination.h"
#include "services/common/proto_time.h"
#include "services/common/scan_page.h"
#include "services/common/resource.h"
#include "storage/key_codec.h"
#include "storage/status_macros.h"

namespace rapport::sla {

using storage::Cf;
namespace keys = storage::catkeys;
using Action = v1::CatalogChange::Action;

namespace {

constexpr absl::Duration kMaxComputeDuration = absl::Hours(100000);
// Fields whose change creates a new agreement revision: they change how
// tickets are measured.
const std::set<std::string>& MeasurementFields() {
  static const auto* const fields = new std::set<std::string>{
      "calendar",           "targets",     "warning_thresholds", "availability_target",
      "availability_period", "on_breach", "on_warning"};
  return *fields;
}
const std::set<std::string>& OutputOnly() {
  static const auto* const fields = new std::set<std::string>{
      "name", "create_time", "update_time", "etag", "revision", "state"};
  return *fields;
}

std::string IdOf(absl::string_view name) {
  return std::string(name.substr(name.find('/') + 1));
}

absl::Status NotFound(absl::string_view field, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(field, " ", name, " does not exist"));
}

// The user-settable fields that differ between two records.
std::vector<std::string> ChangedFields(const google::protobuf::Message& a,
                                       const google::protobuf::Message& b) {
  std::vector<std::string> changed;
  const auto* descriptor = a.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (OutputOnly().count(field->name()) > 0) continue;
    std::unique_ptr<google::protobuf::Message> x(a.New()), y(b.New());
    std::vector<const google::protobuf::FieldDescriptor*> one = {field};
    x->CopyFrom(a);
    y->CopyFrom(b);
    for (int j = 0; j < descriptor->field_count(); ++j) {
      if (j == i) continue;
      x->GetReflection()->ClearField(x.get(), descriptor->field(j));
      y->GetReflection()->ClearField(y.get(), descriptor->field(j));
    }
    if (!google::protobuf::util::MessageDifferencer::Equals(*x, *y)) changed.push_back(field->name());
  }
  return changed;
}

absl::StatusOr<int> ParseClock(absl::string_view field, absl::string_view hhmm, bool allow_24) {
  int h = 0, m = 0;
  if (hhmm.size() != 5 || hhmm[2] != ':' || !absl::SimpleAtoi(hhmm.substr(0, 2), &h) ||
      !absl::SimpleAtoi(hhmm.substr(3, 2), &m) || h < 0 || m < 0 || m > 59 ||
      h > 24 || (h == 24 && (m != 0 || !allow_24))) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be HH:MM between 00:00 and ",
                                                   allow_24 ? "24:00" : "23:59", ", got '", hhmm,
                                                   "'"));
  }
  return h * 60 + m;
}

absl::Status ValidateService(const v1::Service& s) {
  RETURN_IF_ERROR(CheckLength("service.display_name", s.display_name(), 1, 200));
  RETURN_IF_ERROR(CheckLength("service.description", s.description(), 0, 10000));
  RETURN_IF_ERROR(CheckLength("service.owner", s.owner(), 0, 200));
  RETURN_IF_ERROR(CheckEnum("service.lifecycle", v1::Service::Lifecycle_descriptor(), s.lifecycle(), false));
  return CheckEnum("service.criticality", v1::Service::Criticality_descriptor(), s.criticality(), false);
}

void NormalizeService(v1::Service* s) {
  if (s->lifecycle() == v1::Service::LIFECYCLE_UNSPECIFIED) s->set_lifecycle(v1::Service::LIVE);
  if (s->criticality() == v1::Service::CRITICALITY_UNSPECIFIED) s->set_criticality(v1::Service::MEDIUM);
}

void NormalizeAgreement(v1::Agreement* a) {
  if (a->warning_thresholds().empty()) a->add_warning_thresholds(75);
  std::sort(a->mutable_warning_thresholds()->begin(), a->mutable_warning_thresholds()->end());
  if (a->availability_period() == v1::Agreement::PERIOD_UNSPECIFIED) {
    a->set_availability_period(v1::Agreement::MONTH);
  }
}

// Targets in priority order, after validation (whose messages use the
// caller's positions).
void SortTargets(v1::Agreement* a) {
  std::sort(a->mutable_targets()->begin(), a->mutable_targets()->end(),
            [](const v1::PriorityTarget& x, const v1::PriorityTarget& y) {
              return x.priority() < y.priority();
            });
}

absl::Status ValidateEscalationRule(absl::string_view field, const v1::EscalationRule& rule) {
  RETURN_IF_ERROR(CheckEnum(absl::StrCat(field, ".severity"), v1::Severity_descriptor(),
                            rule.severity(), rule.open_escalation()));
  return absl::OkStatus();
}

// Checks an agreement on its own (references are checked against the store).
absl::Status ValidateAgreement(const v1::Agreement& a) {
  RETURN_IF_ERROR(CheckLength("agreement.display_name", a.display_name(), 1, 200));
  RETURN_IF_ERROR(CheckEnum("agreement.type", v1::Agreement::Type_descriptor(), a.type(), true));
  RETURN_IF_ERROR(ParseName("agreement.service", a.service(), "services").status());
  if (!a.relationship().empty()) {
    RETURN_IF_ERROR(ParseName("agreement.relationship", a.relationship(), "relationships").status());
  }
  RETURN_IF_ERROR(CheckLength("agreement.provider", a.provider(), a.type() == v1::Agreement::SLA ? 0 : 1, 200));
  if (!a.has_effective_from()) return absl::InvalidArgumentError("agreement.effective_from is required");
  if (a.has_effective_to() && FromProtoTime(a.effective_to()) <= FromProtoTime(a.effective_from())) {
    return absl::InvalidArgumentError("agreement.effective_to must be after agreement.effective_from");
  }
  RETURN_IF_ERROR(ParseName("agreement.calendar", a.calendar(), "calendars").status());
  if (a.targets().empty()) return absl::InvalidArgumentError("agreement.targets needs at least one priority");
  std::set<int> priorities;
  for (int i = 0; i < a.targets_size(); ++i) {
    const auto& t = a.targets(i);
    const std::string field = absl::StrCat("agreement.targets[", i, "]");
    RETURN_IF_ERROR(CheckEnum(absl::StrCat(field, ".priority"), v1::Priority_descriptor(), t.priority(), true));
    if (!priorities.insert(t.priority()).second) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".priority ", v1::Priority_Name(t.priority()),
                                                     " has another target already"));
    }
    const absl::Duration response = FromProtoDuration(t.first_response());
    const absl::Duration resolution = FromProtoDuration(t.resolution());
    if (response <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".first_response must be positive"));
    }
    if (resolution <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".resolution must be positive"));
    }
    if (resolution < response) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".resolution must not be shorter than first_response"));
    }
    if (t.has_periodic_update() && FromProtoDuration(t.periodic_update()) <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".periodic_update must be positive"));
    }
  }
  std::set<int> thresholds;
  for (int i = 0; i < a.warning_thresholds_size(); ++i) {
    const int v = a.warning_thresholds(i);
    if (v < 1 || v > 99) {
      return absl::InvalidArgumentError(absl::StrCat("agreement.warning_thresholds[", i,
                                                     "] must be between 1 and 99, got ", v));
    }
    if (!thresholds.insert(v).second) {
      return absl::InvalidArgumentError(absl::StrCat("agreement.warning_thresholds[", i, "] ", v,
                                                     " is listed twice"));
    }
  }
  if (a.availability_target() != 0 && (a.availability_target() <= 0 || a.availability_target() >= 100)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agreement.availability_target must be in (0, 100), got ", a.availability_target()));
  }
  RETURN_IF_ERROR(CheckEnum("agreement.availability_period", v1::Agreement::Period_descriptor(),
                            a.availability_period(), false));
  RETURN_IF_ERROR(ValidateEscalationRule("agreement.on_breach", a.on_breach()));
  return ValidateEscalationRule("agreement.on_warning", a.on_warning());
}

v1::Agreement::State StateAt(const v1::Agreement& a, absl::Time t) {
  if (FromProtoTime(a.effective_from()) > t) return v1::Agreement::SCHEDULED;
  if (a.has_effective_to() && FromProtoTime(a.effective_to()) <= t) return v1::Agreement::EXPIRED;
  return v1::Agreement::EFFECTIVE;
}

template <typename T>
absl::StatusOr<bool> ReadRecord(const storage::Store& store, char tag, absl::string_view id, T* out) {
  return store.GetProto(Cf::kCatalog, keys::Record(tag, id), out);
}

}  // namespace

absl::StatusOr<BusinessCalendar> ToBusinessCalendar(const v1::Calendar& calendar,
                                                    absl::string_view field_prefix) {
  CalendarSpec spec;
  spec.time_zone = calendar.time_zone();
  spec.round_the_clock = calendar.round_the_clock();
  if (calendar.time_zone().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field_prefix, ".time_zone is required"));
  }
  std::array<std::vector<std::pair<WorkingInterval, int>>, 7> by_day;
  for (int i = 0; i < calendar.working_hours_size(); ++i) {
    const auto& w = calendar.working_hours(i);
    const std::string field = absl::StrCat(field_prefix, ".working_hours[", i, "]");
    RETURN_IF_ERROR(CheckEnum(absl::StrCat(field, ".day"), v1::Weekday_descriptor(), w.day(), true));
    ASSIGN_OR_RETURN(int start, ParseClock(absl::StrCat(field, ".start"), w.start(), false));
    ASSIGN_OR_RETURN(int end, ParseClock(absl::StrCat(field, ".end"), w.end(), true));
    if (end <= start) {
      return absl::InvalidArgumentError(absl::StrCat(field, " ends (", w.end(), ") before it starts (",
                                                     w.start(), ")"));
    }
    auto& day = by_day[w.day() - 1];
    for (const auto& [other, j] : day) {
      if (start < other.end_minute && other.start_minute < end) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, " overlaps ", field_prefix, ".working_hours[", j, "] on ", v1::Weekday_Name(w.day())));
      }
    }
    day.push_back({WorkingInterval{start, end}, i});
    spec.week[w.day() - 1].push_back(WorkingInterval{start, end});
  }
  for (int i = 0; i < calendar.holidays_size(); ++i) {
    const auto& h = calendar.holidays(i);
    RETURN_IF_ERROR(CheckLength(absl::StrCat(field_prefix, ".holidays[", i, "].name"), h.name(), 0, 200));
    spec.holidays.push_back(Holiday{h.year(), h.month(), h.day(), h.name()});
  }
  auto built = BusinessCalendar::Create(std::move(spec));
  if (!built.ok() && absl::StartsWith(built.status().message(), "calendar") && field_prefix != "calendar") {
    return absl::Status(built.status().code(),
                        absl::StrCat(field_prefix, built.status().message().substr(8)));
  }
  return built;
}

Catalog::Catalog(storage::Store* store, Clock* clock, RelationshipLookup relationship_exists)
    : store_(store), clock_(clock), relationship_exists_(std::move(relationship_exists)) {}

// ------------------------------------------------------------------ staging

absl::Status Catalog::StageService(storage::Txn& txn, const v1::Service& in, absl::Time now,
                                   v1::Service* out, std::vector<std::string>* changed) const {
  const std::string id = IdOf(in.name());
  v1::Service desired = in;
  NormalizeService(&desired);
  RETURN_IF_ERROR(ValidateService(desired));
  v1::Service existing;
  ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kCatalog, keys::Record(keys::kService, id), &existing));
  if (found) {
    *changed = ChangedFields(existing, desired);
    if (changed->empty()) {
      *out = existing;
      return absl::OkStatus();
    }
    *desired.mutable_create_time() = existing.create_time();
    desired.set_etag(NextEtag(existing.etag()));
  } else {
    changed->assign({"*"});
    *desired.mutable_create_time() = ToProtoTime(now);
    desired.set_etag("1");
  }
  *desired.mutable_update_time() = ToProtoTime(now);
  txn.batch().PutProto(Cf::kCatalog, keys::Record(keys::kService, id), desired);
  *out = std::move(desired);
  return absl::OkStatus();
}

absl::Status Catalog::StageCalendar(storage::Txn& txn, const v1::Calendar& in, absl::Time now,
                                    v1::Calendar* out, std::vector<std::string>* changed) const {
  const std::string id = IdOf(in.name());
  v1::Calendar desired = in;
  RETURN_IF_ERROR(CheckLength("calendar.display_name", desired.display_name(), 1, 200));
  RETURN_IF_ERROR(ToBusinessCalendar(desired).status());
  v1::Calendar existing;
  ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kCatalog, keys::Record(keys::kCalendar, id), &existing));
  if (found) {
    *changed = ChangedFields(existing, desired);
    if (changed->empty()) {
      *out = existing;
      return absl::OkStatus();
    }
    *desired.mutable_create_time() = existing.create_time();
    desired.set_etag(NextEtag(existing.etag()));
  } else {
    changed->assign({"*"});
    *desired.mutable_create_time() = ToProtoTime(now);
    desired.set_etag("1");
  }
  *desired.mutable_update_time() = ToProtoTime(now);
  txn.batch().PutProto(Cf::kCatalog, keys::Record(keys::kCalendar, id), desired);
  *out = std::move(desired);
  return absl::OkStatus();
}

absl::Status Catalog::StageAgreement(storage::Txn& txn, const v1::Agreement& in, absl::Time now,
                                     v1::Agreement* out, std::vector<std::string>* changed) const {
  const std::string id = IdOf(in.name());
  v1::Agreement desired = in;
  desired.clear_state();
  NormalizeAgreement(&desired);
  RETURN_IF_ERROR(ValidateAgreement(desired));
  SortTargets(&desired);
  // References, read through the transaction (so a service or calendar
  // staged in the same catalog counts, and a concurrent delete conflicts).
  ASSIGN_OR_RETURN(auto service, txn.Get(Cf::kCatalog, keys::Record(keys::kService, IdOf(desired.service()))));
  if (!service) return NotFound("agreement.service", desired.service());
  v1::Calendar calendar;
  ASSIGN_OR_RETURN(bool calendar_found, txn.GetProto(Cf::kCatalog,
                                                     keys::Record(keys::kCalendar, IdOf(desired.calendar())), &calendar));
  if (!calendar_found) return NotFound("agreement.calendar", desired.calendar());
  if (!desired.relationship().empty()) {
    RETURN_IF_ERROR(relationship_exists_("agreement.relationship", IdOf(desired.relationship())));
  }

  v1::Agreement existing;
  ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kCatalog, keys::Record(keys::kAgreement, id), &existing));
  bool new_revision = !found;
  std::string reason = "created";
  if (found) {
    *changed = ChangedFields(existing, desired);
    if (std::find(changed->begin(), changed->end(), "service") != changed->end()) {
      return absl::InvalidArgumentError(
          "agreement.service cannot change; create a new agreement for the other service");
    }
    std::vector<std::string> measured;
    for (const auto& f : *changed) {
      if (MeasurementFields().count(f) > 0) measured.push_back(f);
    }
    // The calendar's hours may have changed since the current revision.
    v1::AgreementRevision current;
    ASSIGN_OR_RETURN(bool has_revision, txn.GetProto(Cf::kCatalog,
                                                   keys::Revision(id, static_cast<uint32_t>(existing.revision())), &current));
    // Only the hours count (zone, round the clock, intervals, holidays), not
    // the calendar's name.
    auto hours = [](v1::Calendar c) {
      c.clear_display_name();
      return c;
    };
    const bool calendar_changed =
        has_revision && desired.calendar() == existing.calendar() &&
        !ChangedFields(hours(current.calendar()), hours(calendar)).empty();
    if (calendar_changed) measured.push_back("calendar hours");
    if (changed->empty() && !calendar_changed) {
      *out = existing;
      return absl::OkStatus();
    }
    new_revision = !measured.empty();
    reason = absl::StrCat("changed: ", absl::StrJoin(measured, ", "));
    *desired.mutable_create_time() = existing.create_time();
    desired.set_etag(NextEtag(existing.etag()));
    desired.set_revision(existing.revision() + (new_revision ? 1 : 0));
    if (existing.calendar() != desired.calendar()) {
      txn.batch().Delete(Cf::kIndex, keys::AgreementByCalendar(IdOf(existing.calendar()), id));
    }
    if (changed->empty()) changed->push_back("calendar hours");
  } else {
    changed->assign({"*"});
    *desired.mutable_create_time() = ToProtoTime(now);
    desired.set_etag("1");
    desired.set_revision(1);
  }
  *desired.mutable_update_time() = ToProtoTime(now);
  txn.batch().PutProto(Cf::kCatalog, keys::Record(keys::kAgreement, id), desired);
  txn.batch().Put(Cf::kIndex, keys::AgreementByService(IdOf(desired.service()), id), "");
  txn.batch().Put(Cf::kIndex, keys::AgreementByCalendar(IdOf(desired.calendar()), id), "");
  if (new_revision) {
    v1::AgreementRevision revision;
    revision.set_agreement(desired.name());
    revision.set_revision(desired.revision());
    *revision.mutable_snapshot() = desired;
    *revision.mutable_calendar() = calendar;
    *revision.mutable_create_time() = ToProtoTime(now);
    revision.set_reason(reason);
    txn.batch().PutProto(Cf::kCatalog, keys::Revision(id, static_cast<uint32_t>(desired.revision())), revision);
  }
  *out = std::move(desired);
  return absl::OkStatus();
}

// ----------------------------------------------------------------- services

void Catalog::CreateService(const v1::CreateServiceRequest& request, Callback<v1::Service> done) {
  absl::Status valid = CheckRequestId(request.request_id());
  if (valid.ok() && !request.service_id().empty()) valid = ValidateId("service_id", request.service_id());
  if (valid.ok()) {
    v1::Service s = request.service();
    NormalizeService(&s);
    valid = ValidateService(s);
  }
  if (!valid.ok()) return done(valid);
  const std::string id = request.service_id().empty() ? NewId() : request.service_id();
  const absl::Time now = clock_->Now();
  Write<v1::Service>(
      [this, request, id, now](storage::Txn& txn, v1::Service* out) -> absl::Status {
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay, FindPriorResult(txn, "CreateService", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kCatalog, keys::Record(keys::kService, id)));
        if (existing) return absl::AlreadyExistsError(absl::StrCat("service services/", id, " already exists"));
        v1::Service s = request.service();
        s.set_name(absl::StrCat("services/", id));
        std::vector<std::string> changed;
        RETURN_IF_ERROR(StageService(txn, s, now, out, &changed));
        RecordResult(txn, "CreateService", request.request_id(), fingerprint, *out);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::Service> Catalog::GetService(const v1::GetServiceRequest& request) const {
  ASSIGN_OR_RETURN(std::string id, ParseName("name", request.name(), "services"));
  v1::Service s;
  ASSIGN_OR_RETURN(bool found, ReadRecord(*store_, keys::kService, id, &s));
  if (!found) return NotFound("service", request.name());
  return s;
}

absl::StatusOr<v1::ListServicesResponse> Catalog::ListServices(
    const v1::ListServicesRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  RETURN_IF_ERROR(CheckEnum("lifecycle", v1::Service::Lifecycle_descriptor(), request.lifecycle(), false));
  const uint64_t hash = FilterHash({"services", absl::StrCat(request.lifecycle())});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  v1::ListServicesResponse response;
  std::vector<v1::Service> items;
  RETURN_IF_ERROR(ScanRecordPage<v1::Service>(*store_, Cf::kCatalog, std::string(1, keys::kService), page_size, hash, resume,
      [&](v1::Service& s) { return request.lifecycle() == 0 || s.lifecycle() == request.lifecycle(); },
      &items, response.mutable_next_page_token()));
  for (auto& s : items) *response.add_services() = std::move(s);
  return response;
}

void Catalog::UpdateService(const v1::UpdateServiceRequest& request, Callback<v1::Service> done) {
  absl::Status valid = CheckMask(request.update_mask(),
                                 {"display_name", "description", "owner", "lifecycle", "criticality"});
  auto id = ParseName("service.name", request.service().name(), "services");
  if (valid.ok()) valid = id.status();
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  Write<v1::Service>(
      [this, request, id = *id, now](storage::Txn& txn, v1::Service* out) -> absl::Status {
        v1::Service current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kCatalog, keys::Record(keys::kService, id), &current));
        if (!found) return NotFound("service", request.service().name());
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.service().etag()));
        v1::Service next = current;
        const auto& in = request.service();
        for (const auto& path : request.update_mask().paths()) {
          if (path == "display_name") next.set_display_name(in.display_name());
          if (path == "description") next.set_description(in.description());
          if (path == "owner") next.set_owner(in.owner());
          if (path == "lifecycle") next.set_lifecycle(in.lifecycle());
          if (path == "criticality") next.set_criticality(in.criticality());
        }
        std::vector<std::string> changed;
        return StageService(txn, next, now, out, &changed);
      },
      std::move(done));
}

void Catalog::DeleteService(const v1::DeleteServiceRequest& request, Callback<bool> done) {
  auto id = ParseName("name", request.name(), "services");
  if (!id.ok()) return done(id.status());
  Write<bool>(
      [this, request, id = *id](storage::Txn& txn, bool* out) -> absl::Status {
        v1::Service current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kCatalog, keys::Record(keys::kService, id), &current));
        if (!found) return NotFound("service", request.name());
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.etag()));
        storage::ScanOptions scan;
        scan.prefix = keys::AgreementByServicePrefix(id);
        scan.limit = 1;
        ASSIGN_OR_RETURN(auto refs, store_->Scan(Cf::kIndex, scan));
        if (!refs.entries.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              request.name(), " is referenced by agreements/",
              keys::AgreementFromIndex(refs.entries[0].key).value_or("?"), "; delete its agreements first"));
        }
        txn.batch().Delete(Cf::kCatalog, keys::Record(keys::kService, id));
        *out = true;
        return absl::OkStatus();
      },
      std::move(done));
}

// ---------------------------------------------------------------- calendars

void Catalog::CreateCalendar(const v1::CreateCalendarRequest& request, Callback<v1::Calendar> done) {
  absl::Status valid = CheckRequestId(request.request_id());
  if (valid.ok() && !request.calendar_id().empty()) valid = ValidateId("calendar_id", request.calendar_id());
  if (valid.ok()) valid = CheckLength("calendar.display_name", request.calendar().display_name(), 1, 200);
  if (valid.ok()) valid = ToBusinessCalendar(request.calendar()).status();
  if (!valid.ok()) return done(valid);
  const std::string id = request.calendar_id().empty() ? NewId() : request.calendar_id();
  const absl::Time now = clock_->Now();
  Write<v1::Calendar>(
      [this, request, id, now](storage::Txn& txn, v1::Calendar* out) -> absl::Status {
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay, FindPriorResult(txn, "CreateCalendar", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kCatalog, keys::Record(keys::kCalendar, id)));
        if (existing) return absl::AlreadyExistsError(absl::StrCat("calendar calendars/", id, " already exists"));
        v1::Calendar c = request.calendar();
        c.set_name(absl::StrCat("calendars/", id));
        std::vector<std::string> changed;
        RETURN_IF_ERROR(StageCalendar(txn, c, now, out, &changed));
        RecordResult(txn, "CreateCalendar", request.request_id(), fingerprint, *out);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::Calendar> Catalog::GetCalendar(const v1::GetCalendarRequest& request) const {
  ASSIGN_OR_RETURN(std::string id, ParseName("name", request.name(), "calendars"));
  v1::Calendar c;
  ASSIGN_OR_RETURN(bool found, ReadRecord(*store_, keys::kCalendar, id, &c));
  if (!found) return NotFound("calendar", request.name());
  return c;
}

absl::StatusOr<v1::ListCalendarsResponse> Catalog::ListCalendars(
    const v1::ListCalendarsRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const uint64_t hash = FilterHash({"calendars"});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  v1::ListCalendarsResponse response;
  std::vector<v1::Calendar> items;
  RETURN_IF_ERROR(ScanRecordPage<v1::Calendar>(*store_, Cf::kCatalog, std::string(1, keys::kCalendar), page_size, hash,
                                            resume, [](v1::Calendar&) { return true; }, &items,
                                            response.mutable_next_page_token()));
  for (auto& c : items) *response.add_calendars() = std::move(c);
  return response;
}

void Catalog::UpdateCalendar(const v1::UpdateCalendarRequest& request, Callback<v1::Calendar> done) {
  absl::Status valid = CheckMask(request.update_mask(), {"display_name", "time_zone", "round_the_clock",
                                                         "working_hours", "holidays"});
  auto id = ParseName("calendar.name", request.calendar().name(), "calendars");
  if (valid.ok()) valid = id.status();
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  Write<v1::Calendar>(
      [this, request, id = *id, now](storage::Txn& txn, v1::Calendar* out) -> absl::Status {
        v1::Calendar current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kCatalog, keys::Record(keys::kCalendar, id), &current));
        if (!found) return NotFound("calendar", request.calendar().name());
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.calendar().etag()));
        v1::Calendar next = current;
        const auto& in = request.calendar();
        for (const auto& path : request.update_mask().paths()) {
          if (path == "display_name") next.set_display_name(in.display_name());
          if (path == "time_zone") next.set_time_zone(in.time_zone());
          if (path == "round_the_clock") next.set_round_the_clock(in.round_the_clock());
          if (path == "working_hours") *next.mutable_working_hours() = in.working_hours();
          if (path == "holidays") *next.mutable_holidays() = in.holidays();
        }
        std::vector<std::string> changed;
        RETURN_IF_ERROR(StageCalendar(txn, next, now, out, &changed));
        // Every agreement on this calendar gets a revision with the new hours.
        storage::ScanOptions scan;
        scan.prefix = keys::AgreementByCalendarPrefix(id);
        ASSIGN_OR_RETURN(auto users, store_->Scan(Cf::kIndex, scan));
        for (const auto& entry : users.entries) {
          const std::string agreement_id = keys::AgreementFromIndex(entry.key).value_or("");
          v1::Agreement agreement;
          ASSIGN_OR_RETURN(bool exists, txn.GetProto(Cf::kCatalog, keys::Record(keys::kAgreement, agreement_id), &agreement));
          if (!exists) continue;
          v1::Agreement staged;
          std::vector<std::string> agreement_changed;
          RETURN_IF_ERROR(StageAgreement(txn, agreement, now, &staged, &agreement_changed));
        }
        return absl::OkStatus();
      },
      std::move(done));
}

void Catalog::DeleteCalendar(const v1::DeleteCalendarRequest& request, Callback<bool> done) {
  auto id = ParseName("name", request.name(), "calendars");
  if (!id.ok()) return done(id.status());
  Write<bool>(
      [this, request, id = *id](storage::Txn& txn, bool* out) -> absl::Status {
        v1::Calendar current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kCatalog, keys::Record(keys::kCalendar, id), &current));
        if (!found) return NotFound("calendar", request.name());
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.etag()));
        storage::ScanOptions scan;
        scan.prefix = keys::AgreementByCalendarPrefix(id);
        scan.limit = 1;
        ASSIGN_OR_RETURN(auto refs, store_->Scan(Cf::kIndex, scan));
        if (!refs.entries.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              request.name(), " is used by agreements/",
              keys::AgreementFromIndex(refs.entries[0].key).value_or("?"),
              "; move its agreements to another calendar first"));
        }
        txn.batch().Delete(Cf::kCatalog, keys::Record(keys::kCalendar, id));
        *out = true;
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::ComputeDueTimeResponse> Catalog::ComputeDueTime(
    const v1::ComputeDueTimeRequest& request) const {
  v1::GetCalendarRequest get;
  get.set_name(request.calendar());
  if (request.calendar().empty()) return absl::InvalidArgumentError("calendar is required");
  if (!request.has_start_time()) return absl::InvalidArgumentError("start_time is required");
  if (!request.has_business_duration()) return absl::InvalidArgumentError("business_duration is required");
  const absl::Duration d = FromProtoDuration(request.business_duration());
  if (d < absl::ZeroDuration() || d > kMaxComputeDuration) {
    return absl::InvalidArgumentError("business_duration must be between 0 and 100000h");
  }
  ASSIGN_OR_RETURN(v1::Calendar calendar, GetCalendar(get));
  ASSIGN_OR_RETURN(BusinessCalendar engine, ToBusinessCalendar(calendar));
  const absl::Time due = engine.AddBusinessTime(FromProtoTime(request.start_time()), d);
  if (due == absl::InfiniteFuture()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "calendar ", request.calendar(), " has too little business time for ",
        absl::FormatDuration(d), " before the year ", BusinessCalendar::kLastYear));
  }
  v1::ComputeDueTimeResponse response;
  *response.mutable_due_time() = ToProtoTime(due);
  return response;
}

absl::StatusOr<v1::ComputeBusinessDurationResponse> Catalog::ComputeBusinessDuration(
    const v1::ComputeBusinessDurationRequest& request) const {
  if (request.calendar().empty()) return absl::InvalidArgumentError("calendar is required");
  if (!request.has_start_time()) return absl::InvalidArgumentError("start_time is required");
  if (!request.has_end_time()) return absl::InvalidArgumentError("end_time is required");
  const absl::Time start = FromProtoTime(request.start_time());
  const absl::Time end = FromProtoTime(request.end_time());
  if (end < start) return absl::InvalidArgumentError("end_time must not be before start_time");
  if (end - start > absl::Hours(24 * 366 * 20)) {
    return absl::InvalidArgumentError("end_time must be within 20 years of start_time");
  }
  v1::GetCalendarRequest get;
  get.set_name(request.calendar());
  ASSIGN_OR_RETURN(v1::Calendar calendar, GetCalendar(get));
  ASSIGN_OR_RETURN(BusinessCalendar engine, ToBusinessCalendar(calendar));
  v1::ComputeBusinessDurationResponse response;
  *response.mutable_business_duration() = ToProtoDuration(engine.BusinessTimeBetween(start, end));
  return response;
}

// --------------------------------------------------------------- agreements

void Catalog::CreateAgreement(const v1::CreateAgreementRequest& request, Callback<v1::Agreement> done) {
  absl::Status valid = CheckRequestId(request.request_id());
  if (valid.ok() && !request.agreement_id().empty()) valid = ValidateId("agreement_id", request.agreement_id());
  if (valid.ok()) {
    v1::Agreement a = request.agreement();
    NormalizeAgreement(&a);
    valid = ValidateAgreement(a);
  }
  if (!valid.ok()) return done(valid);
  const std::string id = request.agreement_id().empty() ? NewId() : request.agreement_id();
  const absl::Time now = clock_->Now();
  Write<v1::Agreement>(
      [this, request, id, now](storage::Txn& txn, v1::Agreement* out) -> absl::Status {
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay, FindPriorResult(txn, "CreateAgreement", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kCatalog, keys::Record(keys::kAgreement, id)));
        ASSIGN_OR_RETURN(auto old_revision, txn.Get(Cf::kCatalog, keys::Revision(id, 1)));
        if (existing || old_revision) {
          return absl::AlreadyExistsError(absl::StrCat("agreement agreements/", id,
                                                       existing ? " already exists"
                                                                : " existed before; its revisions are kept, choose another id"));
        }
        v1::Agreement a = request.agreement();
        a.set_name(absl::StrCat("agreements/", id));
        std::vector<std::string> changed;
        RETURN_IF_ERROR(StageAgreement(txn, a, now, out, &changed));
        out->set_state(StateAt(*out, now));
        RecordResult(txn, "CreateAgreement", request.request_id(), fingerprint, *out);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::Agreement> Catalog::GetAgreement(const v1::GetAgreementRequest& request) const {
  ASSIGN_OR_RETURN(std::string id, ParseName("name", request.name(), "agreements"));
  v1::Agreement a;
  ASSIGN_OR_RETURN(bool found, ReadRecord(*store_, keys::kAgreement, id, &a));
  if (!found) return NotFound("agreement", request.name());
  a.set_state(StateAt(a, clock_->Now()));
  return a;
}

absl::StatusOr<v1::ListAgreementsResponse> Catalog::ListAgreements(
    const v1::ListAgreementsRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  if (!request.service().empty()) RETURN_IF_ERROR(ParseName("service", request.service(), "services").status());
  if (!request.relationship().empty()) {
    RETURN_IF_ERROR(ParseName("relationship", request.relationship(), "relationships").status());
  }
  RETURN_IF_ERROR(CheckEnum("type", v1::Agreement::Type_descriptor(), request.type(), false));
  RETURN_IF_ERROR(CheckEnum("state", v1::Agreement::State_descriptor(), request.state(), false));
  const uint64_t hash = FilterHash({"agreements", request.service(), request.relationship(),
                                    absl::StrCat(request.type()), absl::StrCat(request.state())});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  const absl::Time now = clock_->Now();
  v1::ListAgreementsResponse response;
  std::vector<v1::Agreement> items;
  RETURN_IF_ERROR(ScanRecordPage<v1::Agreement>(*store_, Cf::kCatalog, std::string(1, keys::kAgreement), page_size, hash, resume,
      [&](v1::Agreement& a) {
        a.set_state(StateAt(a, now));
        return (request.service().empty() || a.service() == request.service()) &&
               (request.relationship().empty() || a.relationship() == request.relationship()) &&
               (request.type() == 0 || a.type() == request.type()) &&
               (request.state() == 0 || a.state() == request.state());
      },
      &items, response.mutable_next_page_token()));
  for (auto& a : items) *response.add_agreements() = std::move(a);
  return response;
}

void Catalog::UpdateAgreement(const v1::UpdateAgreementRequest& request, Callback<v1::Agreement> done) {
  absl::Status valid = CheckMask(
      request.update_mask(),
      {"display_name", "relationship", "provider", "effective_from", "effective_to", "calendar", "targets",
       "warning_thresholds", "availability_target", "availability_period", "on_breach", "on_warning"});
  auto id = ParseName("agreement.name", request.agreement().name(), "agreements");
  if (valid.ok()) valid = id.status();
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  Write<v1::Agreement>(
      [this, request, id = *id, now](storage::Txn& txn, v1::Agreement* out) -> absl::Status {
        v1::Agreement current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kCatalog, keys::Record(keys::kAgreement, id), &current));
        if (!found) return NotFound("agreement", request.agreement().name());
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.agreement().etag()));
        v1::Agreement next = current;
        const auto* descriptor = next.GetDescriptor();
        for (const auto& path : request.update_mask().paths()) {
          const auto* field = descriptor->FindFieldByName(path);
          next.GetReflection()->ClearField(&next, field);
          if (field->is_repeated()) {
            for (int i = 0; i < request.agreement().GetReflection()->FieldSize(request.agreement(), field); ++i) {
              if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
                next.GetReflection()->AddMessage(&next, field)->CopyFrom(
                    request.agreement().GetReflection()->GetRepeatedMessage(request.agreement(), field, i));
              } else {
                next.GetReflection()->AddInt32(
                    &next, field, request.agreement().GetReflection()->GetRepeatedInt32(request.agreement(), field, i));
              }
            }
          } else if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
                     request.agreement().GetReflection()->HasField(request.agreement(), field)) {
            // Copy one singular field: swap it in through a scratch message.
            v1::Agreement scratch = request.agreement();
            next.GetReflection()->SwapFields(&next, &scratch, {field});
          }
        }
        std::vector<std::string> changed;
        RETURN_IF_ERROR(StageAgreement(txn, next, now, out, &changed));
        out->set_state(StateAt(*out, now));
        return absl::OkStatus();
      },
      std::move(done));
}

void Catalog::DeleteAgreement(const v1::DeleteAgreementRequest& request, Callback<bool> done) {
  auto id = ParseName("name", request.name(), "agreements");
  if (!id.ok()) return done(id.status());
  Write<bool>(
      [request, id = *id](storage::Txn& txn, bool* out) -> absl::Status {
        v1::Agreement current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kCatalog, keys::Record(keys::kAgreement, id), &current));
        if (!found) return NotFound("agreement", request.name());
        RETURN_IF_ERROR(CheckEtag(current.name(), current.etag(), request.etag()));
        // Revisions stay: reports and tickets measured under them read them.
        txn.batch().Delete(Cf::kCatalog, keys::Record(keys::kAgreement, id));
        txn.batch().Delete(Cf::kIndex, keys::AgreementByService(IdOf(current.service()), id));
        txn.batch().Delete(Cf::kIndex, keys::AgreementByCalendar(IdOf(current.calendar()), id));
        *out = true;
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::ListAgreementRevisionsResponse> Catalog::ListAgreementRevisions(
    const v1::ListAgreementRevisionsRequest& request) const {
  ASSIGN_OR_RETURN(std::string id, ParseName("agreement", request.agreement(), "agreements"));
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const uint64_t hash = FilterHash({"revisions", id});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  v1::ListAgreementRevisionsResponse response;
  std::vector<v1::AgreementRevision> items;
  RETURN_IF_ERROR(ScanRecordPage<v1::AgreementRevision>(*store_, Cf::kCatalog, keys::RevisionPrefix(id), page_size, hash, resume,
      [](v1::AgreementRevision&) { return true; }, &items, response.mutable_next_page_token()));
  if (items.empty() && resume.empty()) return NotFound("agreement", request.agreement());
  for (auto& r : items) *response.add_revisions() = std::move(r);
  return response;
}

absl::StatusOr<v1::ResolveAgreementsResponse> Catalog::ResolveAgreements(
    const v1::ResolveAgreementsRequest& request) const {
  ASSIGN_OR_RETURN(std::string service_id, ParseName("service", request.service(), "services"));
  if (!request.relationship().empty()) {
    RETURN_IF_ERROR(ParseName("relationship", request.relationship(), "relationships").status());
  }
  RETURN_IF_ERROR(CheckEnum("priority", v1::Priority_descriptor(), request.priority(), true));
  ASSIGN_OR_RETURN(std::shared_ptr<const ServiceAgreements> service, AgreementsOf(service_id));
  if (!service->service_found) return NotFound("service", request.service());
  const absl::Time at = request.has_at_time() ? FromProtoTime(request.at_time()) : clock_->Now();

  using Candidate = ServiceAgreements::Candidate;
  std::vector<const Candidate*> own, defaults, others;
  for (const Candidate& c : service->candidates) {
    const v1::Agreement& a = c.agreement;
    if (StateAt(a, at) != v1::Agreement::EFFECTIVE) continue;
    if (a.type() != v1::Agreement::SLA) {
      others.push_back(&c);
    } else if (!a.relationship().empty() && a.relationship() == request.relationship()) {
      own.push_back(&c);
    } else if (a.relationship().empty()) {
      defaults.push_back(&c);
    }
  }
  // The most recently effective SLA wins when several overlap.
  auto latest = [](const std::vector<const Candidate*>& v) {
    return *std::max_element(v.begin(), v.end(), [](const Candidate* x, const Candidate* y) {
      return FromProtoTime(x->agreement.effective_from()) < FromProtoTime(y->agreement.effective_from());
    });
  };
  std::vector<const Candidate*> chosen;
  if (!own.empty()) {
    chosen.push_back(latest(own));
  } else if (!defaults.empty()) {
    chosen.push_back(latest(defaults));
  }
  chosen.insert(chosen.end(), others.begin(), others.end());

  v1::ResolveAgreementsResponse response;
  for (const Candidate* c : chosen) {
    // The revision in force at `at`: the latest made at or before it, else the first.
    const v1::AgreementRevision* pick = nullptr;
    for (const auto& r : c->revisions) {
      if (pick != nullptr && FromProtoTime(r.create_time()) > at) break;
      pick = &r;
    }
    if (pick == nullptr) return absl::DataLossError(absl::StrCat(c->agreement.name(), " has no revisions"));
    auto* resolved = response.add_agreements();
    for (const auto& t : pick->snapshot().targets()) {
      if (t.priority() == request.priority()) *resolved->mutable_target() = t;
    }
    *resolved->mutable_revision() = *pick;
  }
  return response;
}

absl::StatusOr<std::shared_ptr<const Catalog::ServiceAgreements>> Catalog::AgreementsOf(
    const std::string& service_id) const {
  // Read in this order, a write that starts or ends while the entry is read
  // keeps it out of the cache.
  const bool quiet = writing_.load() == 0;
  const uint64_t generation = generation_.load();
  if (quiet) {
    std::lock_guard<std::mutex> lock(agreements_mu_);
    auto it = agreements_.find(service_id);
    if (it != agreements_.end() && it->second->generation == generation) return it->second;
  }
  auto entry = std::make_shared<ServiceAgreements>();
  entry->generation = generation;
  v1::Service service;
  ASSIGN_OR_RETURN(entry->service_found, ReadRecord(*store_, keys::kService, service_id, &service));
  storage::ScanOptions scan;
  scan.prefix = keys::AgreementByServicePrefix(service_id);
  absl::Status error;
  RETURN_IF_ERROR(store_->ForEach(Cf::kIndex, scan, [&](absl::string_view key, absl::string_view) {
    ServiceAgreements::Candidate c;
    auto read = ReadRecord(*store_, keys::kAgreement, keys::AgreementFromIndex(key).value_or(""), &c.agreement);
    if (!read.ok()) {
      error = read.status();
      return false;
    }
    if (*read) entry->candidates.push_back(std::move(c));
    return true;
  }));
  RETURN_IF_ERROR(error);
  for (auto& c : entry->candidates) {
    storage::ScanOptions revisions;
    revisions.prefix = keys::RevisionPrefix(IdOf(c.agreement.name()));
    RETURN_IF_ERROR(store_->ForEach(Cf::kCatalog, revisions, [&](absl::string_view, absl::string_view value) {
      v1::AgreementRevision r;
      if (r.ParseFromArray(value.data(), static_cast<int>(value.size()))) c.revisions.push_back(std::move(r));
      return true;
    }));
  }
  if (quiet && writing_.load() == 0 && generation_.load() == generation) {
    std::lock_guard<std::mutex> lock(agreements_mu_);
    if (agreements_.size() >= 1024) agreements_.clear();
    agreements_[service_id] = entry;
  }
  return entry;
}

void Catalog::WriteEnded() const {
  // The generation first: a reader that sees no write running also sees it.
  generation_.fetch_add(1);
  writing_.fetch_sub(1);
}

template <typename T>
void Catalog::Write(std::function<absl::Status(storage::Txn&, T*)> body, Callback<T> done) {
  writing_.fetch_add(1);
  TransactFor<T>(store_, std::move(body), [this, done = std::move(done)](absl::StatusOr<T> result) {
    WriteEnded();
    done(std::move(result));
  });
}

void Catalog::Write(std::function<absl::Status(storage::Txn&)> body,
                    std::function<void(absl::Status)> done) {
  writing_.fetch_add(1);
  Transact(store_, std::move(body), [this, done = std::move(done)](absl::Status status) {
    WriteEnded();
    done(std::move(status));
  });
}

// ---------------------------------------------------------- catalog as code

void Catalog::ApplyCatalog(const v1::ApplyCatalogRequest& request,
                           Callback<v1::ApplyCatalogResponse> done) {
  // Names first: every resource must say which one it is.
  std::set<std::string> seen;
  auto check_name = [&seen](const std::string& field, const std::string& name,
                            absl::string_view collection) -> absl::Status {
    RETURN_IF_ERROR(ParseName(absl::StrCat(field, ".name"), name, collection).status());
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".name ", name, " appears twice"));
    }
    return absl::OkStatus();
  };
  const auto& catalog = request.catalog();
  for (int i = 0; i < catalog.services_size(); ++i) {
    if (auto s = check_name(absl::StrCat("catalog.services[", i, "]"), catalog.services(i).name(), "services");
        !s.ok()) {
      return done(s);
    }
  }
  for (int i = 0; i < catalog.calendars_size(); ++i) {
    if (auto s = check_name(absl::StrCat("catalog.calendars[", i, "]"), catalog.calendars(i).name(), "calendars");
        !s.ok()) {
      return done(s);
    }
  }
  for (int i = 0; i < catalog.agreements_size(); ++i) {
    if (auto s = check_name(absl::StrCat("catalog.agreements[", i, "]"), catalog.agreements(i).name(), "agreements");
        !s.ok()) {
      return done(s);
    }
  }
  const absl::Time now = clock_->Now();
  const bool dry_run = request.dry_run();
  auto response = std::make_shared<v1::ApplyCatalogResponse>();
  Write(
      [this, request, now, dry_run, response](storage::Txn& txn) -> absl::Status {
        response->Clear();
        response->set_dry_run(dry_run);
        const auto& c = request.catalog();
        auto record = [&](const std::string& name, const std::vector<std::string>& changed) {
          auto* change = response->add_changes();
          change->set_name(name);
          if (changed.empty()) {
            change->set_action(v1::CatalogChange::UNCHANGED);
          } else if (changed.size() == 1 && changed[0] == "*") {
            change->set_action(v1::CatalogChange::CREATE);
          } else {
            change->set_action(v1::CatalogChange::UPDATE);
            for (const auto& f : changed) change->add_changed_fields(f);
          }
        };
        auto prefix_error = [](const std::string& where, const absl::Status& s) {
          return absl::Status(s.code(), absl::StrCat(where, ": ", s.message()));
        };
        std::set<std::string> changed_calendars;
        for (const auto& s : c.services()) {
          v1::Service out;
          std::vector<std::string> changed;
          if (auto st = StageService(txn, s, now, &out, &changed); !st.ok()) return prefix_error(s.name(), st);
          record(s.name(), changed);
        }
        for (const auto& cal : c.calendars()) {
          v1::Calendar out;
          std::vector<std::string> changed;
          if (auto st = StageCalendar(txn, cal, now, &out, &changed); !st.ok()) return prefix_error(cal.name(), st);
          if (!changed.empty()) changed_calendars.insert(IdOf(cal.name()));
          record(cal.name(), changed);
        }
        for (const auto& a : c.agreements()) {
          v1::Agreement out;
          std::vector<std::string> changed;
          if (auto st = StageAgreement(txn, a, now, &out, &changed); !st.ok()) {
            return prefix_error(a.name(), st);
          }
          record(a.name(), changed);
        }
        // Agreements outside the catalog on a changed calendar get a revision too.
        for (const auto& calendar_id : changed_calendars) {
          storage::ScanOptions scan;
          scan.prefix = keys::AgreementByCalendarPrefix(calendar_id);
          ASSIGN_OR_RETURN(auto users, store_->Scan(Cf::kIndex, scan));
          for (const auto& entry : users.entries) {
            v1::Agreement agreement;
            ASSIGN_OR_RETURN(bool exists, txn.GetProto(Cf::kCatalog,
                                                       keys::Record(keys::kAgreement,
                                                                    keys::AgreementFromIndex(entry.key).value_or("")),
                                                       &agreement));
            if (!exists) continue;
            v1::Agreement staged;
            std::vector<std::string> changed;
            RETURN_IF_ERROR(StageAgreement(txn, agreement, now, &staged, &changed));
          }
        }
        if (dry_run) txn.batch() = storage::WriteBatch();
        return absl::OkStatus();
      },
      [response, done = std::move(done)](absl::Status status) {
        if (!status.ok()) return done(status);
        done(std::move(*response));
      });
}

absl::Status Catalog::CheckConsumedService(absl::string_view field, absl::string_view service,
                                           absl::string_view agreement) const {
  v1::Service s;
  ASSIGN_OR_RETURN(bool found, ReadRecord(*store_, keys::kService, IdOf(service), &s));
  if (!found) return NotFound(absl::StrCat(field, ".service"), service);
  if (agreement.empty()) return absl::OkStatus();
  v1::Agreement a;
  ASSIGN_OR_RETURN(bool agreement_found, ReadRecord(*store_, keys::kAgreement, IdOf(agreement), &a));
  if (!agreement_found) return NotFound(absl::StrCat(field, ".agreement"), agreement);
  if (a.service() != service) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".agreement ", agreement, " is for ",
                                                   a.service(), ", not ", service));
  }
  return absl::OkStatus();
}

}  // namespace rapport::sla
