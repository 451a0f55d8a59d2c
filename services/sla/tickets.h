// SLA timers on tickets, availability and compliance reports: the domain
// behind RecordTicketEvent, GetTicket, ListTickets, ReevaluateTickets,
// RecordOutage and GetComplianceReport (SlaCatalogService).
//
// A ticket stores its event log and references to the agreement revisions
// it is measured under (revisions never change, so every ticket under one
// shares it in memory); timers are derived from them (timers.h). Every write re-derives the
// timers and, in the same atomic write, records new crossings, keeps the
// compliance counters and the open-at-risk gauges exact, and replaces the
// ticket's one schedule entry with the next crossing instant, so warnings
// and breaches fire when they happen, also after a restart.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "rapport/internal/v1/internal.pb.h"
#include "rapport/v1/sla.pb.h"
#include "services/common/transact.h"
#include "services/sla/catalog.h"
#include "services/sla/timers.h"
#include "storage/clock.h"
#include "storage/scheduler.h"
#include "storage/store.h"

namespace rapport::sla {

// The schedule kind of ticket re-evaluations.
inline constexpr char kTicketScheduleKind[] = "sla.ticket";
// How long crossings that were already past when an event was recorded wait
// for further events before they are recorded, by default (Tickets::Persist).
inline constexpr absl::Duration kBackfillSettle = absl::Minutes(1);

// Compliance counts over a period, for reports and gauges.
struct ComplianceCounts {
  int64_t met = 0;
  int64_t breached = 0;
};

class Tickets final {
 public:
  // What happened, for metrics (and, later, escalations).
  struct Observer {
    // A warning (threshold < 100) or breach (100) was crossed.
    std::function<void(const v1::ThresholdCrossing&, const std::string& service, v1::Priority)> crossing;
    // A response or resolution timer completed, met or breached.
    std::function<void(const v1::SlaTimer&, const std::string& service, v1::Priority)> completion;
    // Calls both for what a committed write of one ticket newly crossed and
    // completed.
    void Report(const std::vector<v1::ThresholdCrossing>& crossings,
                const std::vector<v1::SlaTimer>& completions, const std::string& service,
                v1::Priority priority) const;
  };

  // `store`, `clock` and `catalog` must outlive this object.
  Tickets(storage::Store* store, Clock* clock, const Catalog* catalog,
          Catalog::RelationshipLookup relationship_exists);

  void SetObserver(Observer observer) { observer_ = std::move(observer); }
  // See Crossings::kSettled (default kBackfillSettle).
  void SetBackfillSettle(absl::Duration settle) { backfill_settle_ = settle; }

  // What a crossing asks the escalation workflow to open (when the
  // agreement's on_breach / on_warning rule says so).
  struct EscalationOpening {
    // Identifies the ticket, agreement, timer, cycle and threshold: one
    // crossing opens at most one escalation.
    std::string source_key;
    bool breach = false;
    std::string relationship, service, ticket, agreement, title;
    v1::Severity severity = v1::SEV3;
  };
  // Opens an escalation inside the crossing's transaction (set by the
  // server; the escalation workflow's domain API).
  using EscalationOpener =
      std::function<absl::Status(storage::Txn&, const EscalationOpening&, absl::Time)>;
  void SetEscalationOpener(EscalationOpener opener) { open_escalation_ = std::move(opener); }

  // The schedule handler of kTicketScheduleKind (register it with the scheduler).
  absl::Status OnScheduled(const storage::ScheduledEntry& entry, storage::Txn& txn);

  void RecordTicketEvent(const v1::RecordTicketEventRequest& request, Callback<v1::Ticket> done);
  absl::StatusOr<v1::Ticket> GetTicket(const v1::GetTicketRequest& request) const;
  absl::StatusOr<v1::ListTicketsResponse> ListTickets(const v1::ListTicketsRequest& request) const;
  void ReevaluateTickets(const v1::ReevaluateTicketsRequest& request,
                         Callback<v1::ReevaluateTicketsResponse> done);
  void RecordOutage(const v1::RecordOutageRequest& request, Callback<v1::Outage> done);
  absl::StatusOr<v1::ComplianceReport> GetComplianceReport(
      const v1::GetComplianceReportRequest& request) const;

  // Completions of `kind` in [from_day, to_day] (local day numbers) for a
  // scope ('A', 'S', 'R', 'Y') — what gauges read.
  absl::StatusOr<ComplianceCounts> CountCompletions(char scope, absl::string_view scope_id,
                                                    v1::TimerKind kind, int64_t from_day,
                                                    int64_t to_day) const;
  // Open tickets at risk (field 0) or breached (field 1) in a scope, now.
  absl::StatusOr<int64_t> OpenCount(char scope, absl::string_view scope_id, int field) const;

 private:
  // The completion rows (keys::CompletionRow) of `kind` in [from_day,
  // to_day] summed: met and breached into `counts`, the business-time buckets
  // into `histogram` (one per Buckets() entry); DATA_LOSS for a malformed row.
  absl::Status SumCompletions(char scope, absl::string_view scope_id, v1::TimerKind kind,
                              int64_t from_day, int64_t to_day, ComplianceCounts* counts,
                              std::vector<int64_t>* histogram) const;
  // How the crossings the timers show at `now` are taken.
  enum class Crossings {
    // All of them (the schedule's firing).
    kAll,
    // Those of the last backfill_settle_ only (a recorded event). Older ones
    // come from events placed in the past: a portal back-filling a ticket's
    // history event by event would otherwise record the warnings and the
    // breach the `opened` event alone implies, before the `responded` and
    // `resolved` events that follow show the timers met. They are taken by
    // a firing of the ticket's schedule entry backfill_settle_ later, moved on
    // by every event in between, when the history is complete.
    kSettled,
  };
  // Re-derives the record's timers at `now` and stages everything that
  // follows into `txn`: the record, indexes, crossings, counters, schedule.
  // What Persist needs to know of a record as it was before the change.
  struct Prior {
    bool stored = false;  // The ticket existed before this change.
    bool open = false;
    std::vector<std::string> agreement_ids;
  };
  static Prior PriorOf(const internal::v1::TicketRecord& record);
  absl::Status Persist(storage::Txn& txn, internal::v1::TicketRecord& record, const Prior& before,
                       absl::Time now, Crossings take,
                       std::vector<v1::ThresholdCrossing>* new_crossings,
                       std::vector<v1::SlaTimer>* new_completions) const;

  // An agreement revision with its calendar built and its zone loaded,
  // shared by every ticket measured under it: a revision never changes once
  // made, and building a calendar (zone lookup, holiday tables) costs more
  // than using it.
  struct Revision {
    v1::AgreementRevision revision;
    std::shared_ptr<const BusinessCalendar> calendar;
    absl::TimeZone zone;
  };
  // The revisions a record is measured under, and the AppliedAgreements
  // (pointing into them) that EvaluateTimers takes.
  struct Measures {
    std::vector<std::shared_ptr<const Revision>> revisions;
    std::vector<AppliedAgreement> applied;
  };
  absl::StatusOr<Measures> Applied(const internal::v1::TicketRecord& record) const;
  // The revision `number` of `agreement` (`agreements/{id}`), from the cache
  // or the catalog; DATA_LOSS if the catalog does not have it.
  absl::StatusOr<std::shared_ptr<const Revision>> RevisionOf(const std::string& agreement,
                                                             int32_t number) const;
  // Caches `revision` (already read) and returns its cached form.
  absl::StatusOr<std::shared_ptr<const Revision>> Remember(const v1::AgreementRevision& revision) const;
  // The cached revision under `key` (RevisionKey), or null.
  std::shared_ptr<const Revision> Cached(const std::string& key) const;
  // Reads the record of `ticket_id` into `record` (through `txn` if given),
  // in the current layout: a record written before TicketRecord.revisions
  // has its embedded revisions turned into references (and cache entries).
  // Whether it exists.
  absl::StatusOr<bool> ReadRecord(storage::Txn* txn, absl::string_view ticket_id,
                                  internal::v1::TicketRecord* record) const;
  // That turn, for a record read otherwise (a scan).
  absl::Status UseReferences(internal::v1::TicketRecord* record) const;
  absl::StatusOr<v1::Ticket> Evaluated(const internal::v1::TicketRecord& record, absl::Time now) const;

  absl::Duration backfill_settle_ = kBackfillSettle;
  storage::Store* const store_;
  Clock* const clock_;
  const Catalog* const catalog_;
  const Catalog::RelationshipLookup relationship_exists_;
  Observer observer_;
  EscalationOpener open_escalation_;
  mutable std::mutex revisions_mu_;
  // By "agreements/{id}#revision".
  mutable std::unordered_map<std::string, std::shared_ptr<const Revision>> revisions_;
};

}  // namespace rapport::sla
