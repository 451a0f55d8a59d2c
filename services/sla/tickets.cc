#include "services/sla/tickets.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/pagination.h"
#include "services/common/proto_time.h"
#include "services/common/resource.h"
#include "storage/key_codec.h"
#include "storage/status_macros.h"

namespace rapport::sla {

using storage::Cf;
namespace keys = storage::ticketkeys;

namespace {

constexpr absl::Duration kMaxFutureSkew = absl::Hours(24);
// Upper bounds of the elapsed business time histogram (per completion).
const std::vector<absl::Duration>& Buckets() {
  static const auto* const buckets = new std::vector<absl::Duration>{
      absl::Minutes(5),  absl::Minutes(15), absl::Minutes(30), absl::Hours(1),  absl::Hours(2),
      absl::Hours(4),    absl::Hours(8),    absl::Hours(16),   absl::Hours(24), absl::Hours(48),
      absl::Hours(72),   absl::Hours(120),  absl::Hours(168),  absl::Hours(336), absl::Hours(720),
      absl::InfiniteDuration()};
  return *buckets;
}

int BucketOf(absl::Duration d) {
  const auto& b = Buckets();
  for (size_t i = 0; i < b.size(); ++i) {
    if (d <= b[i]) return static_cast<int>(i);
  }
  return static_cast<int>(b.size() - 1);
}

std::string IdOf(absl::string_view name) { return std::string(name.substr(name.find('/') + 1)); }

int64_t DayNumber(absl::Time t, const absl::TimeZone& tz) {
  const absl::CivilDay day(absl::ToCivilDay(t, tz));
  return day - absl::CivilDay(1970, 1, 1);
}

absl::Status ValidateTicketId(absl::string_view id) {
  bool ok = !id.empty() && id.size() <= 128;
  for (char c : id) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError("ticket_id must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', '-'");
}

std::string CompletionKeyOf(const v1::SlaTimer& t) {
  return absl::StrCat(t.agreement(), "|", t.kind(), "|", t.cycle());
}

// A crossing is recorded once per agreement, timer, cycle and threshold. The
// cycle is known by its start: its number moves when a late event adds a
// cycle before it (an update sent earlier than those recorded). Crossings
// recorded before their start was kept are known by number.
std::string CrossingKeyOf(const v1::ThresholdCrossing& c) {
  return c.has_cycle_start_time()
             ? absl::StrCat(c.agreement(), "|", c.kind(), "|@", absl::ToUnixMicros(FromProtoTime(c.cycle_start_time())),
                            "|", c.threshold())
             : absl::StrCat(c.agreement(), "|", c.kind(), "|", c.cycle(), "|", c.threshold());
}

// Whether `c`, as evaluated, is among the `recorded` crossing keys.
bool IsRecorded(const std::set<std::string>& recorded, v1::ThresholdCrossing c) {
  if (recorded.count(CrossingKeyOf(c)) > 0) return true;
  c.clear_cycle_start_time();  // As it would have been recorded before.
  return recorded.count(CrossingKeyOf(c)) > 0;
}

// The scopes a ticket's completion under `agreement` counts in.
std::vector<std::pair<char, std::string>> ScopesOf(const internal::v1::CountedCompletion& c,
                                                   const v1::Ticket& ticket) {
  std::vector<std::pair<char, std::string>> scopes = {
      {'A', c.agreement_id()},
      {'S', IdOf(ticket.service())},
      {'Y', absl::StrCat(IdOf(ticket.service()), "|",
                         v1::Agreement::Type_Name(static_cast<v1::Agreement::Type>(c.agreement_type())))}};
  if (!ticket.relationship().empty()) scopes.push_back({'R', IdOf(ticket.relationship())});
  return scopes;
}

void CountCompletion(storage::WriteBatch& batch, const internal::v1::CountedCompletion& c,
                     const v1::Ticket& ticket, int delta) {
  // SLA-type completions count for the relationship; OLAs and UCs only for
  // the agreement and service scopes.
  for (const auto& [scope, id] : ScopesOf(c, ticket)) {
    if (scope == 'R' && c.agreement_type() != v1::Agreement::SLA) continue;
    const std::string row = keys::CompletionRow(scope, id, static_cast<uint32_t>(c.kind()), c.day());
    batch.AddCounterCell(Cf::kAggregates, row,
                         c.breached() ? keys::kCompletionBreachedCell : keys::kCompletionMetCell, delta);
    batch.AddCounterCell(Cf::kAggregates, row,
                         keys::kCompletionFirstBucketCell + static_cast<size_t>(c.bucket()), delta);
  }
}

// Open tickets at risk (field 0) and breached (field 1) of the ticket's
// service and relationship.
void CountOpen(storage::WriteBatch& batch, const v1::Ticket& ticket, int field, int delta) {
  batch.AddCounter(Cf::kAggregates, keys::OpenCount('S', IdOf(ticket.service()), field), delta);
  if (!ticket.relationship().empty()) {
    batch.AddCounter(Cf::kAggregates, keys::OpenCount('R', IdOf(ticket.relationship()), field), delta);
  }
}

// The same of agreements (ids).
template <typename Ids>
void CountOpenUnder(storage::WriteBatch& batch, const Ids& agreement_ids, int field, int delta) {
  for (const auto& id : agreement_ids) {
    batch.AddCounter(Cf::kAggregates, keys::OpenCount('A', id, field), delta);
  }
}

absl::Status ValidateEvent(const v1::TicketEvent& e, absl::Time now) {
  RETURN_IF_ERROR(CheckLength("event.event_id", e.event_id(), 1, 128));
  if (!e.has_event_time()) return absl::InvalidArgumentError("event.event_time is required");
  if (FromProtoTime(e.event_time()) > now + kMaxFutureSkew) {
    return absl::InvalidArgumentError("event.event_time is more than a day in the future");
  }
  switch (e.kind_case()) {
    case v1::TicketEvent::kOpened:
      RETURN_IF_ERROR(ParseName("event.opened.service", e.opened().service(), "services").status());
      if (!e.opened().relationship().empty()) {
        RETURN_IF_ERROR(
            ParseName("event.opened.relationship", e.opened().relationship(), "relationships").status());
      }
      return CheckEnum("event.opened.priority", v1::Priority_descriptor(), e.opened().priority(), true);
    case v1::TicketEvent::kPriorityChanged:
      return CheckEnum("event.priority_changed.priority", v1::Priority_descriptor(),
                       e.priority_changed().priority(), true);
    case v1::TicketEvent::kPaused:
      return CheckEnum("event.paused.reason", v1::PauseReason_descriptor(), e.paused().reason(), false);
    case v1::TicketEvent::kReevaluated:
      return absl::InvalidArgumentError("event.reevaluated is recorded by Rapport, not by callers");
    case v1::TicketEvent::KIND_NOT_SET:
      return absl::InvalidArgumentError("event needs one kind (opened, responded, resolved, ...)");
    default:
      return absl::OkStatus();
  }
}

// [start, end) of the period a report covers.
absl::Status PeriodBounds(const v1::GetComplianceReportRequest& r, absl::Time at, const absl::TimeZone& tz,
                          absl::Time* start, absl::Time* end) {
  const absl::CivilDay day = absl::ToCivilDay(at, tz);
  switch (r.period()) {
    case v1::GetComplianceReportRequest::MONTH: {
      const absl::CivilMonth m(day);
      *start = absl::FromCivil(m, tz);
      *end = absl::FromCivil(m + 1, tz);
      return absl::OkStatus();
    }
    case v1::GetComplianceReportRequest::QUARTER: {
      const absl::CivilMonth m(day.year(), ((day.month() - 1) / 3) * 3 + 1);
      *start = absl::FromCivil(m, tz);
      *end = absl::FromCivil(m + 3, tz);
      return absl::OkStatus();
    }
    case v1::GetComplianceReportRequest::YEAR: {
      const absl::CivilYear y(day);
      *start = absl::FromCivil(y, tz);
      *end = absl::FromCivil(y + 1, tz);
      return absl::OkStatus();
    }
    case v1::GetComplianceReportRequest::ROLLING:
      if (r.rolling_days() < 1 || r.rolling_days() > 3660) {
        return absl::InvalidArgumentError("rolling_days must be between 1 and 3660");
      }
      // Whole local days, as completions are counted by day: `at - N * 24h`
      // falls inside a day, and counting from that day's start took N + 1.
      *start = absl::FromCivil(day - (r.rolling_days() - 1), tz);
      *end = absl::FromCivil(day + 1, tz);
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("period is required (MONTH, QUARTER, YEAR or ROLLING)");
  }
}

// Median and p90 from histogram counts (upper bound of the bucket holding the rank).
void FillPercentiles(const std::vector<int64_t>& hist, v1::TargetCompliance* out) {
  int64_t total = 0;
  for (int64_t n : hist) total += n;
  if (total == 0) return;
  auto at_rank = [&](double q) {
    const int64_t rank = static_cast<int64_t>(std::ceil(q * total));
    int64_t seen = 0;
    for (size_t i = 0; i < hist.size(); ++i) {
      seen += hist[i];
      if (seen >= rank) {
        const absl::Duration bound = Buckets()[i];
        return bound == absl::InfiniteDuration() ? Buckets()[i - 1] : bound;
      }
    }
    return Buckets()[hist.size() - 2];
  };
  *out->mutable_median() = ToProtoDuration(at_rank(0.5));
  *out->mutable_p90() = ToProtoDuration(at_rank(0.9));
}

struct Span {
  absl::Time start;
  absl::Time end;
};

std::vector<Span> Union(std::vector<Span> spans) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
  std::vector<Span> out;
  for (const auto& s : spans) {
    if (!out.empty() && s.start <= out.back().end) {
      out.back().end = std::max(out.back().end, s.end);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

// Parts of `spans` not covered by `minus` (both unions).
std::vector<Span> Subtract(const std::vector<Span>& spans, const std::vector<Span>& minus) {
  std::vector<Span> out;
  for (Span s : spans) {
    for (const auto& m : minus) {
      if (m.end <= s.start || m.start >= s.end) continue;
      if (m.start > s.start) out.push_back({s.start, m.start});
      s.start = std::max(s.start, m.end);
      if (s.start >= s.end) break;
    }
    if (s.start < s.end) out.push_back(s);
  }
  return out;
}

// The key of Tickets::revisions_.
std::string RevisionKey(absl::string_view agreement, int32_t number) {
  return absl::StrCat(agreement, "#", number);
}

}  // namespace

Tickets::Tickets(storage::Store* store, Clock* clock, const Catalog* catalog,
                 Catalog::RelationshipLookup relationship_exists)
    : store_(store), clock_(clock), catalog_(catalog), relationship_exists_(std::move(relationship_exists)) {}

std::shared_ptr<const Tickets::Revision> Tickets::Cached(const std::string& key) const {
  std::lock_guard<std::mutex> lock(revisions_mu_);
  auto it = revisions_.find(key);
  return it == revisions_.end() ? nullptr : it->second;
}

absl::StatusOr<std::shared_ptr<const Tickets::Revision>> Tickets::Remember(
    const v1::AgreementRevision& revision) const {
  const std::string key = RevisionKey(revision.agreement(), revision.revision());
  if (auto cached = Cached(key)) return cached;
  auto built = std::make_shared<Revision>();
  built->revision = revision;
  ASSIGN_OR_RETURN(BusinessCalendar calendar, ToBusinessCalendar(revision.calendar()));
  built->calendar = std::make_shared<const BusinessCalendar>(std::move(calendar));
  if (!absl::LoadTimeZone(revision.calendar().time_zone(), &built->zone)) {
    built->zone = absl::UTCTimeZone();
  }
  std::lock_guard<std::mutex> lock(revisions_mu_);
  // Tickets are measured under a few revisions at a time; a bound keeps a
  // long-lived server's cache from holding every revision ever made.
  if (revisions_.size() >= 4096) revisions_.clear();
  return revisions_.emplace(key, std::move(built)).first->second;
}

absl::StatusOr<std::shared_ptr<const Tickets::Revision>> Tickets::RevisionOf(
    const std::string& agreement, int32_t number) const {
  if (auto cached = Cached(RevisionKey(agreement, number))) return cached;
  // Read outside any transaction: a revision is never rewritten.
  v1::AgreementRevision revision;
  ASSIGN_OR_RETURN(bool found,
                   store_->GetProto(Cf::kCatalog,
                                    storage::catkeys::Revision(IdOf(agreement), static_cast<uint32_t>(number)),
                                    &revision));
  if (!found) {
    return absl::DataLossError(absl::StrCat(agreement, " revision ", number,
                                            ", which a ticket is measured under, is missing"));
  }
  return Remember(revision);
}

absl::StatusOr<bool> Tickets::ReadRecord(storage::Txn* txn, absl::string_view ticket_id,
                                         internal::v1::TicketRecord* record) const {
  const std::string key = keys::Ticket(ticket_id);
  ASSIGN_OR_RETURN(bool found, txn != nullptr ? txn->GetProto(Cf::kTickets, key, record)
                                              : store_->GetProto(Cf::kTickets, key, record));
  if (found) RETURN_IF_ERROR(UseReferences(record));
  return found;
}

absl::Status Tickets::UseReferences(internal::v1::TicketRecord* record) const {
  for (const auto& revision : record->agreements()) {
    RETURN_IF_ERROR(Remember(revision).status());
    auto* ref = record->add_revisions();
    ref->set_agreement(revision.agreement());
    ref->set_revision(revision.revision());
  }
  record->clear_agreements();
  return absl::OkStatus();
}

absl::StatusOr<Tickets::Measures> Tickets::Applied(const internal::v1::TicketRecord& record) const {
  Measures measures;
  for (const auto& ref : record.revisions()) {
    ASSIGN_OR_RETURN(auto revision, RevisionOf(ref.agreement(), ref.revision()));
    measures.revisions.push_back(std::move(revision));
  }
  for (const auto& r : measures.revisions) measures.applied.push_back({&r->revision, r->calendar});
  return measures;
}

absl::StatusOr<v1::Ticket> Tickets::Evaluated(const internal::v1::TicketRecord& record,
                                              absl::Time now) const {
  ASSIGN_OR_RETURN(Measures measures, Applied(record));
  TimerEvaluation eval = EvaluateTimers(record.ticket().events(), measures.applied, now);
  v1::Ticket ticket = record.ticket();
  ticket.clear_timers();
  for (auto& t : eval.timers) *ticket.add_timers() = std::move(t);
  ticket.set_state(eval.state);
  ticket.set_priority(eval.priority);
  ticket.set_at_risk(eval.at_risk);
  ticket.set_breached(eval.breached);
  *ticket.mutable_evaluate_time() = ToProtoTime(now);
  return ticket;
}

Tickets::Prior Tickets::PriorOf(const internal::v1::TicketRecord& record) {
  Prior prior;
  prior.stored = record.has_ticket();
  prior.open = record.has_ticket() && (record.ticket().state() == v1::Ticket::OPEN ||
                                       record.ticket().state() == v1::Ticket::PAUSED);
  for (const auto& r : record.revisions()) prior.agreement_ids.push_back(IdOf(r.agreement()));
  return prior;
}

absl::Status Tickets::Persist(storage::Txn& txn, internal::v1::TicketRecord& record,
                              const Prior& before, absl::Time now, Crossings take,
                              std::vector<v1::ThresholdCrossing>* new_crossings,
                              std::vector<v1::SlaTimer>* new_completions) const {
  ASSIGN_OR_RETURN(const Measures measures, Applied(record));
  const std::vector<AppliedAgreement>& applied = measures.applied;
  TimerEvaluation eval = EvaluateTimers(record.ticket().events(), applied, now);
  v1::Ticket& ticket = *record.mutable_ticket();
  const std::string ticket_id = IdOf(ticket.name());
  ticket.clear_timers();
  for (auto& t : eval.timers) *ticket.add_timers() = std::move(t);
  ticket.set_state(eval.state);
  ticket.set_priority(eval.priority);
  *ticket.mutable_open_time() = ToProtoTime(eval.open_time);
  ticket.set_at_risk(eval.at_risk);
  ticket.set_breached(eval.breached);
  *ticket.mutable_evaluate_time() = ToProtoTime(now);
  *ticket.mutable_update_time() = ToProtoTime(now);

  // Crossings are recorded once, when first seen; those older than the
  // settling time wait for the history to settle (Crossings::kSettled).
  std::set<std::string> recorded;
  for (const auto& c : ticket.crossings()) recorded.insert(CrossingKeyOf(c));
  bool settling = false;
  for (const auto& c : eval.crossings) {
    if (IsRecorded(recorded, c)) continue;
    if (take == Crossings::kSettled && FromProtoTime(c.crossing_time()) < now - backfill_settle_) {
      settling = true;
      continue;
    }
    recorded.insert(CrossingKeyOf(c));
    *ticket.add_crossings() = c;
    new_crossings->push_back(c);
    if (!open_escalation_ || ticket.relationship().empty()) continue;
    for (const auto& a : applied) {
      if (a.revision->agreement() != c.agreement()) continue;
      const auto& snapshot = a.revision->snapshot();
      const v1::EscalationRule& rule = c.threshold() == 100 ? snapshot.on_breach() : snapshot.on_warning();
      if (!rule.open_escalation()) continue;
      EscalationOpening opening;
      // One escalation per ticket, agreement, timer and cycle: a breach
      // after a warning marks the warning's escalation (OpenInTxn).
      opening.source_key = absl::StrCat("sla|", ticket.name(), "|", c.agreement(), "|",
                                        v1::TimerKind_Name(c.kind()), "|", c.cycle());
      opening.breach = c.threshold() == 100;
      opening.relationship = ticket.relationship();
      opening.service = ticket.service();
      opening.ticket = ticket.name();
      opening.agreement = c.agreement();
      opening.severity = rule.severity();
      opening.title = absl::StrCat(v1::TimerKind_Name(c.kind()),
                                   opening.breach ? " breached" : absl::StrCat(" at ", c.threshold(), "%"),
                                   " on ", ticket.name());
      RETURN_IF_ERROR(open_escalation_(txn, opening, now));
    }
  }

  // Compliance counters: completed response and resolution timers, each
  // counted once; a late event that changes one moves its count.
  std::map<std::string, internal::v1::CountedCompletion> wanted;
  for (const auto& t : ticket.timers()) {
    if (t.kind() == v1::PERIODIC_UPDATE) continue;
    if (t.stage() != v1::MET && t.stage() != v1::BREACHED) continue;
    // The day in the zone of the agreement's calendar (UTC if none matches).
    absl::TimeZone zone = absl::UTCTimeZone();
    for (const auto& r : measures.revisions) {
      if (r->revision.agreement() == t.agreement()) zone = r->zone;
    }
    internal::v1::CountedCompletion c;
    c.set_key(CompletionKeyOf(t));
    c.set_breached(t.breached());
    c.set_day(DayNumber(FromProtoTime(t.stop_time()), zone));
    c.set_bucket(BucketOf(FromProtoDuration(t.elapsed())));
    c.set_agreement_id(IdOf(t.agreement()));
    c.set_kind(t.kind());
    c.set_agreement_type(t.agreement_type());
    wanted[c.key()] = c;
  }
  std::map<std::string, internal::v1::CountedCompletion> counted;
  for (const auto& c : record.completions()) counted[c.key()] = c;
  for (const auto& [key, c] : counted) {
    auto it = wanted.find(key);
    if (it == wanted.end() || it->second.SerializeAsString() != c.SerializeAsString()) {
      CountCompletion(txn.batch(), c, ticket, -1);
    }
  }
  record.clear_completions();
  for (const auto& [key, c] : wanted) {
    auto it = counted.find(key);
    if (it == counted.end() || it->second.SerializeAsString() != c.SerializeAsString()) {
      CountCompletion(txn.batch(), c, ticket, +1);
      for (const auto& t : ticket.timers()) {
        if (CompletionKeyOf(t) == key) new_completions->push_back(t);
      }
    }
    *record.add_completions() = c;
  }

  // Open tickets at risk / breached, by scope.
  // A ticket's service and relationship never change once it is open: the
  // counts it had before are under the same ones.
  std::vector<std::string> agreement_ids;
  for (const auto& r : record.revisions()) agreement_ids.push_back(IdOf(r.agreement()));
  const bool open = eval.state == v1::Ticket::OPEN || eval.state == v1::Ticket::PAUSED;
  // At risk: a warning crossed and no breach (a breached ticket is counted
  // as breached only).
  const bool at_risk = open && eval.at_risk && !eval.breached;
  const bool breached_open = open && eval.breached;
  const bool was_at_risk = record.counted_at_risk();
  const bool was_breached = record.counted_breached();
  if (was_at_risk) CountOpen(txn.batch(), ticket, 0, -1);
  if (was_breached) CountOpen(txn.batch(), ticket, 1, -1);
  if (at_risk) CountOpen(txn.batch(), ticket, 0, +1);
  if (breached_open) CountOpen(txn.batch(), ticket, 1, +1);
  record.set_counted_at_risk(at_risk);
  record.set_counted_breached(breached_open);
  // An agreement's own counts follow its own timers: a breach of an OLA
  // is not one of the SLA.
  if (record.counted_by_agreement()) {
    CountOpenUnder(txn.batch(), record.at_risk_agreements(), 0, -1);
    CountOpenUnder(txn.batch(), record.breached_agreements(), 1, -1);
  } else {
    if (was_at_risk) CountOpenUnder(txn.batch(), before.agreement_ids, 0, -1);
    if (was_breached) CountOpenUnder(txn.batch(), before.agreement_ids, 1, -1);
  }
  record.clear_at_risk_agreements();
  record.clear_breached_agreements();
  record.set_counted_by_agreement(true);
  if (open) {
    for (const auto& id : agreement_ids) {
      bool warned = false, breached = false;
      for (const auto& t : ticket.timers()) {
        if (IdOf(t.agreement()) != id) continue;
        breached = breached || t.breached();
        warned = warned || (t.stage() == v1::RUNNING && t.thresholds_crossed_size() > 0);
      }
      if (breached) {
        record.add_breached_agreements(id);
      } else if (warned) {
        record.add_at_risk_agreements(id);
      }
    }
  }
  CountOpenUnder(txn.batch(), record.at_risk_agreements(), 0, +1);
  CountOpenUnder(txn.batch(), record.breached_agreements(), 1, +1);

  // Indexes. A ticket's service and relationship never change: their
  // entries are written once, when it is opened; the open-ticket entry when
  // it becomes open, and removed when it stops being open.
  const std::string service_id = IdOf(ticket.service());
  if (!before.stored) {
    txn.batch().Put(Cf::kIndex, keys::Index("ts", service_id, ticket_id), "");
    if (!ticket.relationship().empty()) {
      txn.batch().Put(Cf::kIndex, keys::Index("tr", IdOf(ticket.relationship()), ticket_id), "");
    }
  }
  if (open && !before.open) {
    txn.batch().Put(Cf::kIndex, keys::Index("to", service_id, ticket_id), "");
  } else if (!open && before.open) {
    txn.batch().Delete(Cf::kIndex, keys::Index("to", service_id, ticket_id));
  }

  // One schedule entry per ticket: the next crossing, the time of an event
  // recorded ahead of now (a portal's clock runs ahead; up to a day is
  // accepted), which starts or stops timers when it comes, or the end of the
  // settling time, whichever is first.
  std::optional<absl::Time> next_due = eval.next_crossing;
  for (const auto& e : ticket.events()) {  // In time order.
    const absl::Time at = FromProtoTime(e.event_time());
    if (at <= now) continue;
    if (!next_due || at < *next_due) next_due = at;
    break;
  }
  if (settling && (!next_due || now + backfill_settle_ < *next_due)) {
    next_due = now + backfill_settle_;
  }
  const int64_t next = next_due ? absl::ToUnixMicros(*next_due) : 0;
  if (record.scheduled_micros() != next) {
    if (record.scheduled_micros() != 0) {
      txn.batch().Unschedule(absl::FromUnixMicros(record.scheduled_micros()), kTicketScheduleKind, ticket_id);
    }
    if (next != 0) txn.batch().Schedule(*next_due, kTicketScheduleKind, ticket_id);
    record.set_scheduled_micros(next);
  }
  txn.batch().PutProto(Cf::kTickets, keys::Ticket(ticket_id), record);
  return absl::OkStatus();
}

void Tickets::RecordTicketEvent(const v1::RecordTicketEventRequest& request, Callback<v1::Ticket> done) {
  const absl::Time now = clock_->Now();
  absl::Status valid = ValidateTicketId(request.ticket_id());
  if (valid.ok()) valid = ValidateEvent(request.event(), now);
  if (!valid.ok()) return done(valid);
  // The agreements of a new ticket are resolved outside the transaction
  // (they read the catalog, not the ticket).
  std::vector<internal::v1::RevisionRef> resolved;
  if (request.event().has_opened()) {
    const auto& opened = request.event().opened();
    if (!opened.relationship().empty()) {
      if (auto s = relationship_exists_("event.opened.relationship", IdOf(opened.relationship())); !s.ok()) {
        return done(s);
      }
    }
    v1::ResolveAgreementsRequest resolve;
    resolve.set_relationship(opened.relationship());
    resolve.set_service(opened.service());
    resolve.set_priority(opened.priority());
    *resolve.mutable_at_time() = request.event().event_time();
    auto r = catalog_->ResolveAgreements(resolve);
    if (!r.ok()) {
      return done(absl::Status(r.status().code(), absl::StrCat("event.opened: ", r.status().message())));
    }
    for (const auto& a : r->agreements()) {
      if (auto cached = Remember(a.revision()); !cached.ok()) return done(cached.status());
      auto& ref = resolved.emplace_back();
      ref.set_agreement(a.revision().agreement());
      ref.set_revision(a.revision().revision());
    }
  }
  auto news = std::make_shared<std::pair<std::vector<v1::ThresholdCrossing>, std::vector<v1::SlaTimer>>>();
  auto observer = observer_;
  TransactFor<v1::Ticket>(
      store_,
      [this, ticket_id = request.ticket_id(), event = request.event(), now, resolved = std::move(resolved),
       news](storage::Txn& txn, v1::Ticket* out) -> absl::Status {
        news->first.clear();
        news->second.clear();
        internal::v1::TicketRecord record;
        ASSIGN_OR_RETURN(bool found, ReadRecord(&txn, ticket_id, &record));
        const Prior before = PriorOf(record);
        if (found) {
          for (const auto& e : record.ticket().events()) {
            if (e.event_id() == event.event_id()) {
              // Already applied: answer with the ticket as it is now.
              ASSIGN_OR_RETURN(*out, Evaluated(record, now));
              return absl::OkStatus();
            }
          }
          if (event.has_opened()) {
            return absl::AlreadyExistsError(absl::StrCat("ticket tickets/", ticket_id, " is already open"));
          }
        } else {
          if (!event.has_opened()) {
            return absl::NotFoundError(absl::StrCat("ticket tickets/", ticket_id,
                                                    " does not exist; its first event must be opened"));
          }
          auto* ticket = record.mutable_ticket();
          ticket->set_name(absl::StrCat("tickets/", ticket_id));
          ticket->set_relationship(event.opened().relationship());
          ticket->set_service(event.opened().service());
          for (const auto& ref : resolved) *record.add_revisions() = ref;
        }
        v1::TicketEvent recorded = event;
        *recorded.mutable_record_time() = ToProtoTime(now);
        InsertEvent(std::move(recorded), record.mutable_ticket()->mutable_events());
        RETURN_IF_ERROR(ValidateLog(record.ticket().events()));
        RETURN_IF_ERROR(Persist(txn, record, before, now, Crossings::kSettled, &news->first,
                                &news->second));
        // Persist staged the record: its ticket can go to the caller as is.
        *out = std::move(*record.mutable_ticket());
        return absl::OkStatus();
      },
      [done = std::move(done), news, observer](absl::StatusOr<v1::Ticket> result) {
        if (result.ok()) {
          observer.Report(news->first, news->second, result->service(), result->priority());
        }
        done(std::move(result));
      });
}

absl::Status Tickets::OnScheduled(const storage::ScheduledEntry& entry, storage::Txn& txn) {
  internal::v1::TicketRecord record;
  ASSIGN_OR_RETURN(bool found, ReadRecord(&txn, entry.key, &record));
  if (!found) return absl::OkStatus();
  const Prior before = PriorOf(record);
  // The entry itself is removed by the scheduler in this transaction.
  if (record.scheduled_micros() == absl::ToUnixMicros(entry.due)) record.set_scheduled_micros(0);
  std::vector<v1::ThresholdCrossing> crossings;
  std::vector<v1::SlaTimer> completions;
  const absl::Time now = std::max(clock_->Now(), entry.due);
  RETURN_IF_ERROR(Persist(txn, record, before, now, Crossings::kAll, &crossings, &completions));
  // Counted once the firing's write commits: this body may run again after
  // a write conflict, or fail and be retried.
  if (crossings.empty() && completions.empty()) return absl::OkStatus();
  entry.AfterCommit([this, crossings = std::move(crossings), completions = std::move(completions),
                     service = record.ticket().service(), priority = record.ticket().priority()] {
    observer_.Report(crossings, completions, service, priority);
  });
  return absl::OkStatus();
}

absl::StatusOr<v1::Ticket> Tickets::GetTicket(const v1::GetTicketRequest& request) const {
  if (request.name().empty()) return absl::InvalidArgumentError("name is required");
  if (!absl::StartsWith(request.name(), "tickets/")) {
    return absl::InvalidArgumentError(absl::StrCat("name must look like 'tickets/{id}'; got '", request.name(), "'"));
  }
  internal::v1::TicketRecord record;
  ASSIGN_OR_RETURN(bool found, ReadRecord(nullptr, IdOf(request.name()), &record));
  if (!found) return absl::NotFoundError(absl::StrCat("ticket ", request.name(), " does not exist"));
  return Evaluated(record, clock_->Now());
}

absl::StatusOr<v1::ListTicketsResponse> Tickets::ListTickets(const v1::ListTicketsRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  RETURN_IF_ERROR(CheckEnum("state", v1::Ticket::State_descriptor(), request.state(), false));
  if (!request.service().empty()) RETURN_IF_ERROR(ParseName("service", request.service(), "services").status());
  if (!request.relationship().empty()) {
    RETURN_IF_ERROR(ParseName("relationship", request.relationship(), "relationships").status());
  }
  if (request.has_open_after() && request.has_open_before() &&
      FromProtoTime(request.open_before()) <= FromProtoTime(request.open_after())) {
    return absl::InvalidArgumentError("open_before must be after open_after");
  }
  const uint64_t hash = FilterHash({"tickets", request.service(), request.relationship(),
                                    absl::StrCat(request.state()), request.at_risk() ? "r" : "",
                                    request.breached() ? "b" : "", request.open_after().SerializeAsString(),
                                    request.open_before().SerializeAsString()});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  storage::ScanOptions options;
  Cf cf = Cf::kIndex;
  if (!request.service().empty()) {
    options.prefix = keys::IndexPrefix("ts", IdOf(request.service()));
  } else if (!request.relationship().empty()) {
    options.prefix = keys::IndexPrefix("tr", IdOf(request.relationship()));
  } else {
    cf = Cf::kTickets;
    options.prefix = keys::TicketPrefix();
  }
  options.start_after = resume;
  const absl::Time now = clock_->Now();
  v1::ListTicketsResponse response;
  std::string last;
  bool more = false;
  absl::Status error;
  RETURN_IF_ERROR(store_->ForEach(cf, options, [&](absl::string_view key, absl::string_view value) {
    if (response.tickets_size() == page_size) {
      more = true;
      return false;
    }
    internal::v1::TicketRecord record;
    if (cf == Cf::kIndex) {
      auto id = keys::TicketFromIndex(key);
      auto read = ReadRecord(nullptr, id.value_or(""), &record);
      if (!read.ok()) {
        error = read.status();
        return false;
      }
      if (!*read) return true;
    } else if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      error = absl::DataLossError("ticket record does not parse");
      return false;
    } else if (auto current = UseReferences(&record); !current.ok()) {
      error = current;
      return false;
    }
    auto ticket = Evaluated(record, now);
    if (!ticket.ok()) {
      error = ticket.status();
      return false;
    }
    const absl::Time opened = FromProtoTime(ticket->open_time());
    const bool match =
        (request.relationship().empty() || ticket->relationship() == request.relationship()) &&
        (request.state() == 0 || ticket->state() == request.state()) &&
        (!request.at_risk() || ticket->at_risk()) && (!request.breached() || ticket->breached()) &&
        (!request.has_open_after() || opened >= FromProtoTime(request.open_after())) &&
        (!request.has_open_before() || opened < FromProtoTime(request.open_before()));
    if (match) {
      ticket->clear_events();
      *response.add_tickets() = *std::move(ticket);
      last = std::string(key);
    }
    return true;
  }));
  RETURN_IF_ERROR(error);
  if (more) response.set_next_page_token(EncodePageToken(last, hash));
  return response;
}

void Tickets::ReevaluateTickets(const v1::ReevaluateTicketsRequest& request,
                                Callback<v1::ReevaluateTicketsResponse> done) {
  std::string service_id;
  std::string only_agreement;
  // An unknown scope is NOT_FOUND, not a re-evaluation that finds nothing.
  auto in_scope = [](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("scope: ", s.message()));
  };
  if (absl::StartsWith(request.scope(), "services/")) {
    auto id = ParseName("scope", request.scope(), "services");
    if (!id.ok()) return done(id.status());
    v1::GetServiceRequest get;
    get.set_name(request.scope());
    if (auto service = catalog_->GetService(get); !service.ok()) return done(in_scope(service.status()));
    service_id = *id;
  } else if (absl::StartsWith(request.scope(), "agreements/")) {
    if (auto id = ParseName("scope", request.scope(), "agreements"); !id.ok()) return done(id.status());
    v1::GetAgreementRequest get;
    get.set_name(request.scope());
    auto agreement = catalog_->GetAgreement(get);
    if (!agreement.ok()) return done(in_scope(agreement.status()));
    service_id = IdOf(agreement->service());
    only_agreement = request.scope();
  } else {
    return done(absl::InvalidArgumentError("scope must be services/{id} or agreements/{id}"));
  }
  const absl::Time now = clock_->Now();
  auto response = std::make_shared<v1::ReevaluateTicketsResponse>();
  // What the re-measured tickets newly crossed and completed, for the
  // observer once the write commits (the body may run more than once).
  struct News {
    std::vector<v1::ThresholdCrossing> crossings;
    std::vector<v1::SlaTimer> completions;
    std::string service;
    v1::Priority priority = v1::PRIORITY_UNSPECIFIED;
  };
  auto news = std::make_shared<std::vector<News>>();
  Transact(
      store_,
      [this, request, service_id, only_agreement, now, response, news](storage::Txn& txn) -> absl::Status {
        response->Clear();
        news->clear();
        response->set_dry_run(request.dry_run());
        storage::ScanOptions scan;
        scan.prefix = keys::IndexPrefix("to", service_id);
        ASSIGN_OR_RETURN(auto open, store_->Scan(Cf::kIndex, scan));
        for (const auto& entry : open.entries) {
          const std::string ticket_id = keys::TicketFromIndex(entry.key).value_or("");
          internal::v1::TicketRecord record;
          ASSIGN_OR_RETURN(bool found, ReadRecord(&txn, ticket_id, &record));
          if (!found) continue;
          const Prior before = PriorOf(record);
          std::string change;
          for (auto& ref : *record.mutable_revisions()) {
            if (!only_agreement.empty() && ref.agreement() != only_agreement) continue;
            ASSIGN_OR_RETURN(auto history, catalog_->ListAgreementRevisions([&] {
              v1::ListAgreementRevisionsRequest r;
              r.set_agreement(ref.agreement());
              r.set_page_size(1000);
              return r;
            }()));
            if (history.revisions().empty()) continue;
            const auto& latest = history.revisions(history.revisions_size() - 1);
            if (latest.revision() == ref.revision()) continue;
            absl::StrAppend(&change, change.empty() ? "" : "; ", ref.agreement(), " revision ",
                            ref.revision(), " -> ", latest.revision());
            RETURN_IF_ERROR(Remember(latest).status());
            ref.set_revision(latest.revision());
          }
          if (change.empty()) continue;
          auto* item = response->add_changes();
          item->set_ticket(record.ticket().name());
          item->set_change(change);
          if (request.dry_run()) continue;
          v1::TicketEvent event;
          event.set_event_id(absl::StrCat("reevaluated-", absl::ToUnixMicros(now)));
          *event.mutable_event_time() = ToProtoTime(now);
          *event.mutable_record_time() = ToProtoTime(now);
          event.mutable_reevaluated()->set_note(change);
          InsertEvent(std::move(event), record.mutable_ticket()->mutable_events());
          News n;
          RETURN_IF_ERROR(
              Persist(txn, record, before, now, Crossings::kAll, &n.crossings, &n.completions));
          if (n.crossings.empty() && n.completions.empty()) continue;
          n.service = record.ticket().service();
          n.priority = record.ticket().priority();
          news->push_back(std::move(n));
        }
        return absl::OkStatus();
      },
      [response, news, observer = observer_, done = std::move(done)](absl::Status s) {
        if (!s.ok()) return done(s);
        for (const auto& n : *news) observer.Report(n.crossings, n.completions, n.service, n.priority);
        done(std::move(*response));
      });
}

void Tickets::Observer::Report(const std::vector<v1::ThresholdCrossing>& crossings,
                               const std::vector<v1::SlaTimer>& completions,
                               const std::string& service, v1::Priority priority) const {
  for (const auto& c : crossings) {
    if (crossing) crossing(c, service, priority);
  }
  for (const auto& t : completions) {
    if (completion) completion(t, service, priority);
  }
}

void Tickets::RecordOutage(const v1::RecordOutageRequest& request, Callback<v1::Outage> done) {
  const auto& o = request.outage();
  const absl::Time now = clock_->Now();
  auto service = ParseName("outage.service", o.service(), "services");
  absl::Status valid = service.status();
  if (valid.ok()) valid = ValidateId("outage_id", request.outage_id());
  if (valid.ok()) valid = CheckEnum("outage.kind", v1::Outage::Kind_descriptor(), o.kind(), true);
  if (valid.ok() && !o.has_start_time()) valid = absl::InvalidArgumentError("outage.start_time is required");
  if (valid.ok() && FromProtoTime(o.start_time()) > now + kMaxFutureSkew) {
    valid = absl::InvalidArgumentError("outage.start_time is more than a day in the future");
  }
  if (valid.ok() && o.has_end_time() && FromProtoTime(o.end_time()) > now + kMaxFutureSkew) {
    valid = absl::InvalidArgumentError("outage.end_time is more than a day in the future");
  }
  if (valid.ok() && o.has_end_time() && FromProtoTime(o.end_time()) <= FromProtoTime(o.start_time())) {
    valid = absl::InvalidArgumentError("outage.end_time must be after outage.start_time");
  }
  if (valid.ok()) valid = CheckLength("outage.description", o.description(), 0, 5000);
  if (valid.ok()) {
    v1::GetServiceRequest get;
    get.set_name(o.service());
    valid = catalog_->GetService(get).status();
  }
  if (!valid.ok()) return done(valid);
  TransactFor<v1::Outage>(
      store_,
      [request, service_id = *service](storage::Txn& txn, v1::Outage* out) -> absl::Status {
        const std::string key = keys::Outage(service_id, request.outage_id());
        v1::Outage existing;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kTickets, key, &existing));
        v1::Outage next = request.outage();
        next.set_name(absl::StrCat("services/", service_id, "/outages/", request.outage_id()));
        if (found && next.has_end_time()) {
          // Closing: only the end is new; the outage keeps the start, kind
          // and description it was recorded with. (A repeated close with the
          // same end finds the outage as it would leave it.)
          v1::Outage closed = existing;
          *closed.mutable_end_time() = next.end_time();
          next = std::move(closed);
        }
        if (found) {
          if (existing.SerializeAsString() == next.SerializeAsString()) {
            *out = existing;
            return absl::OkStatus();
          }
          if (existing.has_end_time()) {
            return absl::AlreadyExistsError(absl::StrCat("outage ", next.name(), " is already closed"));
          }
          if (!next.has_end_time()) {
            // Not a retry, and not a close: recorded history is not rewritten.
            return absl::AlreadyExistsError(absl::StrCat(
                "outage ", next.name(), " is already recorded, open since ",
                absl::FormatTime(absl::RFC3339_sec, FromProtoTime(existing.start_time()),
                                 absl::UTCTimeZone()),
                "; send its end_time to close it"));
          }
          if (FromProtoTime(next.end_time()) <= FromProtoTime(next.start_time())) {
            return absl::InvalidArgumentError(
                absl::StrCat("outage.end_time must be after the start_time of ", next.name(), " (",
                             absl::FormatTime(absl::RFC3339_sec, FromProtoTime(next.start_time()),
                                              absl::UTCTimeZone()),
                             ")"));
          }
        }
        txn.batch().PutProto(Cf::kTickets, key, next);
        *out = std::move(next);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status Tickets::SumCompletions(char scope, absl::string_view scope_id, v1::TimerKind kind,
                                    int64_t from_day, int64_t to_day, ComplianceCounts* counts,
                                    std::vector<int64_t>* histogram) const {
  const auto k = static_cast<uint32_t>(kind);
  const std::string prefix = keys::CompletionPrefix(scope, scope_id, k);
  storage::ScanOptions scan;
  scan.prefix = prefix;
  scan.lower = keys::CompletionRow(scope, scope_id, k, from_day);
  scan.upper = keys::CompletionRow(scope, scope_id, k, to_day + 1);
  histogram->assign(Buckets().size(), 0);
  absl::Status status;
  RETURN_IF_ERROR(store_->ForEach(Cf::kAggregates, scan, [&](absl::string_view key, absl::string_view row) {
    auto cells = storage::CounterCellCount(row);
    if (!keys::DecodeCompletionRowSuffix(key.substr(prefix.size())) || !cells) {
      status = absl::DataLossError("a completion counter row is malformed");
      return false;
    }
    // A row is as long as its highest cell written: the missing ones are 0.
    auto cell = [&](size_t i) { return i < *cells ? storage::CounterCell(row, i) : int64_t{0}; };
    counts->met += cell(keys::kCompletionMetCell);
    counts->breached += cell(keys::kCompletionBreachedCell);
    for (size_t b = 0; b < histogram->size(); ++b) (*histogram)[b] += cell(keys::kCompletionFirstBucketCell + b);
    return true;
  }));
  return status;
}

absl::StatusOr<ComplianceCounts> Tickets::CountCompletions(char scope, absl::string_view scope_id,
                                                           v1::TimerKind kind, int64_t from_day,
                                                           int64_t to_day) const {
  ComplianceCounts counts;
  std::vector<int64_t> histogram;
  RETURN_IF_ERROR(SumCompletions(scope, scope_id, kind, from_day, to_day, &counts, &histogram));
  return counts;
}

absl::StatusOr<int64_t> Tickets::OpenCount(char scope, absl::string_view scope_id, int field) const {
  return store_->GetCounter(Cf::kAggregates, keys::OpenCount(scope, scope_id, static_cast<uint32_t>(field)));
}

absl::StatusOr<v1::ComplianceReport> Tickets::GetComplianceReport(
    const v1::GetComplianceReportRequest& request) const {
  char scope = 0;
  std::string scope_id;
  std::optional<v1::Agreement> agreement;
  std::string service;
  if (absl::StartsWith(request.scope(), "agreements/")) {
    scope = 'A';
    ASSIGN_OR_RETURN(scope_id, ParseName("scope", request.scope(), "agreements"));
    v1::GetAgreementRequest get;
    get.set_name(request.scope());
    ASSIGN_OR_RETURN(agreement, catalog_->GetAgreement(get));
    service = agreement->service();
  } else if (absl::StartsWith(request.scope(), "services/")) {
    scope = 'S';
    ASSIGN_OR_RETURN(scope_id, ParseName("scope", request.scope(), "services"));
    v1::GetServiceRequest get;
    get.set_name(request.scope());
    RETURN_IF_ERROR(catalog_->GetService(get).status());
    service = request.scope();
    // Availability is measured against the service's default SLA, if any,
    // as it is now (as an agreement's own report uses the agreement as it
    // is now), however many relationship SLAs the service has.
    v1::ResolveAgreementsRequest resolve;
    resolve.set_service(request.scope());
    resolve.set_priority(v1::P1);  // Any: only the agreement is wanted.
    ASSIGN_OR_RETURN(auto resolved, catalog_->ResolveAgreements(resolve));
    for (const auto& a : resolved.agreements()) {
      const v1::Agreement& snapshot = a.revision().snapshot();
      if (snapshot.type() == v1::Agreement::SLA && snapshot.relationship().empty()) agreement = snapshot;
    }
  } else if (absl::StartsWith(request.scope(), "relationships/")) {
    scope = 'R';
    ASSIGN_OR_RETURN(scope_id, ParseName("scope", request.scope(), "relationships"));
    RETURN_IF_ERROR(relationship_exists_("scope", scope_id));
  } else {
    return absl::InvalidArgumentError(
        "scope must be agreements/{id}, services/{id} or relationships/{id}");
  }
  std::string zone = request.time_zone();
  std::optional<BusinessCalendar> calendar;
  if (agreement) {
    v1::GetCalendarRequest get;
    get.set_name(agreement->calendar());
    auto c = catalog_->GetCalendar(get);
    if (c.ok()) {
      if (zone.empty() && scope == 'A') zone = c->time_zone();
      auto built = ToBusinessCalendar(*c);
      if (built.ok()) calendar = std::move(*built);
    }
  }
  if (zone.empty()) zone = "UTC";
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(zone, &tz)) {
    return absl::InvalidArgumentError(absl::StrCat("time_zone '", zone, "' is not an IANA time zone"));
  }
  const absl::Time now = clock_->Now();
  const absl::Time at = request.has_at_time() ? FromProtoTime(request.at_time()) : now;
  absl::Time start, end;
  RETURN_IF_ERROR(PeriodBounds(request, at, tz, &start, &end));

  v1::ComplianceReport report;
  report.set_scope(request.scope());
  *report.mutable_start_time() = ToProtoTime(start);
  *report.mutable_end_time() = ToProtoTime(end);
  const int64_t from_day = DayNumber(start, tz);
  const int64_t to_day = DayNumber(end - absl::Nanoseconds(1), tz);
  std::vector<int64_t> combined_hist(Buckets().size(), 0);
  for (auto [kind, out] : {std::pair{v1::FIRST_RESPONSE, report.mutable_response()},
                           std::pair{v1::RESOLUTION, report.mutable_resolution()}}) {
    ComplianceCounts counts;
    std::vector<int64_t> hist;
    RETURN_IF_ERROR(SumCompletions(scope, scope_id, kind, from_day, to_day, &counts, &hist));
    out->set_met(counts.met);
    out->set_breached(counts.breached);
    out->set_completed(out->met() + out->breached());
    out->set_compliance_percent(out->completed() == 0 ? 100.0 : 100.0 * out->met() / out->completed());
    FillPercentiles(hist, out);
    for (size_t i = 0; i < hist.size(); ++i) combined_hist[i] += hist[i];
  }
  auto* combined = report.mutable_combined();
  combined->set_met(report.response().met() + report.resolution().met());
  combined->set_breached(report.response().breached() + report.resolution().breached());
  combined->set_completed(combined->met() + combined->breached());
  combined->set_compliance_percent(combined->completed() == 0 ? 100.0
                                                              : 100.0 * combined->met() / combined->completed());
  FillPercentiles(combined_hist, combined);
  ASSIGN_OR_RETURN(int64_t at_risk, OpenCount(scope == 'Y' ? 'S' : scope, scope_id, 0));
  ASSIGN_OR_RETURN(int64_t breached, OpenCount(scope == 'Y' ? 'S' : scope, scope_id, 1));
  report.set_open_at_risk(at_risk);
  report.set_open_breached(breached);

  // Availability: outages of the service in the period, overlaps merged;
  // planned maintenance counts only inside the agreement's business hours.
  if (agreement && agreement->availability_target() > 0) {
    const absl::Time until = std::min(end, now);
    std::vector<Span> unplanned, planned;
    storage::ScanOptions scan;
    scan.prefix = keys::OutagePrefix(IdOf(service));
    RETURN_IF_ERROR(store_->ForEach(Cf::kTickets, scan, [&](absl::string_view, absl::string_view value) {
      v1::Outage o;
      if (!o.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
      const absl::Time s = std::max(FromProtoTime(o.start_time()), start);
      const absl::Time e = std::min(o.has_end_time() ? FromProtoTime(o.end_time()) : now, until);
      if (s >= e) return true;
      if (o.kind() == v1::Outage::PLANNED_MAINTENANCE) {
        planned.push_back({s, e});
      } else {
        unplanned.push_back({s, e});
      }
      return true;
    }));
    // Overlapping unplanned outages are one interruption: the outage count,
    // MTTR and MTBF are of the merged spans, like the downtime.
    const std::vector<Span> down = Union(unplanned);
    absl::Duration unplanned_downtime = absl::ZeroDuration();
    for (const auto& s : down) unplanned_downtime += s.end - s.start;
    absl::Duration downtime = unplanned_downtime;
    for (const auto& s : Subtract(Union(planned), down)) {
      downtime += calendar ? calendar->BusinessTimeBetween(s.start, s.end) : s.end - s.start;
    }
    const absl::Duration period = end - start;
    const double target = agreement->availability_target();
    // Whole milliseconds: 0.1% of 30 days is 43m12s, not 43m11.999999999s.
    const absl::Duration budget =
        absl::Milliseconds(std::llround(absl::ToDoubleMilliseconds(period) * (100.0 - target) / 100.0));
    report.set_has_availability(true);
    report.set_availability_target(target);
    report.set_availability_percent(100.0 * (1.0 - absl::FDivDuration(downtime, period)));
    *report.mutable_downtime() = ToProtoDuration(downtime);
    *report.mutable_error_budget() = ToProtoDuration(budget);
    *report.mutable_error_budget_remaining() = ToProtoDuration(budget - downtime);
    report.set_error_budget_remaining_percent(
        budget > absl::ZeroDuration() ? 100.0 * absl::FDivDuration(budget - downtime, budget) : 0);
    report.set_outages(static_cast<int32_t>(down.size()));
    if (!down.empty()) {
      const auto failures = static_cast<int64_t>(down.size());
      *report.mutable_mttr() = ToProtoDuration(unplanned_downtime / failures);
      *report.mutable_mtbf() = ToProtoDuration(((until - start) - downtime) / failures);
    }
  }
  return report;
}

}  // namespace rapport::sla
