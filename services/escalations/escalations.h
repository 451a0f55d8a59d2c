// The escalation workflow's domain: policies, escalations with their state
// machine and timeline, automatic escalation through the shared schedule, the
// change log behind WatchEscalations, and the API other services use to open
// escalations inside their own writes. escalations_grpc.h is the thin gRPC
// adapter. Reads return at once; writes run as store transactions and report
// through a callback once durable (services/common/transact.h).
//
// Every change of an escalation, in one atomic write: the record (with a new
// timeline entry and etag), its index entries, the open-escalation counters,
// its one schedule entry (kind kAckScheduleKind: the current level's wait
// while OPEN, the re-trigger while ACKNOWLEDGED), and a change log entry
// whose sequence comes from a counter read and written in the same
// transaction (so sequences are committed in order, without gaps).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rapport/v1/escalations.pb.h"
#include "services/common/transact.h"
#include "storage/clock.h"
#include "storage/scheduler.h"
#include "storage/store.h"

namespace rapport::escalations {

// The schedule kind of escalation waits (register OnScheduled for it).
inline constexpr char kAckScheduleKind[] = "esc.ack";
// The schedule kind of the change log's retention (register OnRetention).
inline constexpr char kRetentionScheduleKind[] = "esc.retention";
// The actor of automatic steps.
inline constexpr char kSystemActor[] = "system";
// The longest escalation title, in characters.
inline constexpr int kMaxTitleChars = 200;

// What another service asks for when it opens an escalation (OpenInTxn).
struct OpenRequest {
  // Identifies the cause, so one cause opens exactly one escalation, e.g.
  // "sla|tickets/42|agreements/gold|RESOLUTION|1|100" for a breach of a
  // ticket's resolution timer (cycle 1), "complaint|relationships/acme/
  // interactions/x", "survey|<answer name>". Required, up to 500 characters.
  std::string source_key;
  v1::Escalation::Source source = v1::Escalation::SLA_BREACH;
  // `relationships/{id}` (required), `services/{id}`, `tickets/{id}`,
  // `agreements/{id}` (optional).
  std::string relationship;
  std::string service;
  std::string ticket;
  std::string agreement;
  std::string title;
  std::string description;
  v1::Severity severity = v1::SEV3;
  v1::Escalation::Type type = v1::Escalation::FUNCTIONAL;
  // `escalation_policies/{id}`; empty: the default policy set with
  // SetDefaultPolicy(). With neither, OpenInTxn fails FAILED_PRECONDITION.
  std::string policy;
  // Recorded as the timeline's actor; default "system".
  std::string actor = kSystemActor;
};

// The open escalations of one relationship (OPEN, ACKNOWLEDGED, ON_HOLD).
struct OpenSummary {
  int open = 0;
  // 1 (SEV1, the most severe) .. 4; 4 when none is open.
  int highest_severity = 4;
  // Age of the oldest open one; zero when none is open.
  absl::Duration oldest_age;
};

// Open escalations by state, level and severity (for the gauge).
struct OpenCount {
  v1::Escalation::State state;
  int level = 0;
  v1::Severity severity;
  int64_t count = 0;
};

class Escalations final {
 public:
  // What happened, for metrics. Called after the write is durable (RPC
  // writes) or inside the firing's transaction (automatic steps: may be
  // called again if that transaction reruns).
  struct Observer {
    std::function<void(v1::Escalation::Source, v1::Severity)> opened;
    // An automatic level change (AUTO_ESCALATED, REPEATED, RETRIGGERED).
    std::function<void(v1::EscalationTimelineEntry::Action)> auto_change;
    // First acknowledgement: seconds since opening.
    std::function<void(double seconds)> acknowledged;
    // Resolution: seconds since opening.
    std::function<void(double seconds)> resolved;
  };

  // `store` and `clock` must outlive this object. Registers a commit
  // listener on `store` (construct before traffic starts) that wakes
  // change-log watchers.
  Escalations(storage::Store* store, Clock* clock);

  void SetObserver(Observer observer) { observer_ = std::move(observer); }
  // Checks that a relationship exists (NOT_FOUND naming `field` if not);
  // Create calls it outside its transaction. Unset: only the form is checked.
  using RelationshipLookup =
      std::function<absl::Status(absl::string_view field, absl::string_view relationship_id)>;
  void SetRelationshipLookup(RelationshipLookup lookup) {
    relationship_exists_ = std::move(lookup);
  }
  // Checks that a manual escalation's service and agreement, when given, are
  // in the SLA catalog (NOT_FOUND naming `field`.service or
  // `field`.agreement; the agreement must be the service's). Unset: only
  // their form is checked.
  using CatalogCheck = std::function<absl::Status(
      absl::string_view field, absl::string_view service, absl::string_view agreement)>;
  void SetCatalogCheck(CatalogCheck check) { catalog_check_ = std::move(check); }
  // Checks through an opening escalation's transaction that its relationship
  // exists (NOT_FOUND naming `field`) and marks it, so that the escalation
  // and a concurrent delete of the relationship cannot both commit. Create
  // and OpenInTxn call it when set (then Create skips the lookup above).
  using RelationshipAdmission = std::function<absl::Status(
      storage::Txn& txn, absl::string_view field, absl::string_view relationship_id)>;
  void SetRelationshipAdmission(RelationshipAdmission admit) {
    admit_relationship_ = std::move(admit);
  }
  // Business hours for policies that name a calendar (`calendars/{id}`):
  // `check` says whether the calendar exists (NOT_FOUND naming `field`);
  // `add` gives the instant `wait` of its business time after `from`;
  // `between` the business time from `from` to `to`. Every wait of such a
  // policy (acknowledgement, re-trigger, what is left at a hold) counts in
  // them, under the calendar's hours when the wait starts. Unset, or for a
  // policy without a calendar, waits are wall-clock time; a wait whose
  // calendar was deleted meanwhile falls back to wall-clock time rather than
  // never firing.
  struct BusinessHours {
    std::function<absl::Status(absl::string_view field, absl::string_view calendar)> check;
    std::function<absl::StatusOr<absl::Time>(absl::string_view calendar, absl::Time from,
                                             absl::Duration wait)>
        add;
    std::function<absl::StatusOr<absl::Duration>(absl::string_view calendar, absl::Time from,
                                                 absl::Time to)>
        between;
  };
  void SetBusinessHours(BusinessHours hours) { business_hours_ = std::move(hours); }
  // The policy OpenInTxn uses when the request names none
  // (`escalation_policies/{id}`).
  void SetDefaultPolicy(std::string policy) { default_policy_ = std::move(policy); }

  // The schedule handler of kAckScheduleKind: moves an unacknowledged
  // escalation to its next level (repeat, exhausted) or re-triggers an
  // acknowledged one. An entry that no longer matches the record is ignored.
  absl::Status OnScheduled(const storage::ScheduledEntry& entry, storage::Txn& txn);

  // Policies. Status codes as documented in escalations.proto.
  void CreatePolicy(const v1::CreateEscalationPolicyRequest& request,
                    Callback<v1::EscalationPolicy> done);
  absl::StatusOr<v1::EscalationPolicy> GetPolicy(
      const v1::GetEscalationPolicyRequest& request) const;
  absl::StatusOr<v1::ListEscalationPoliciesResponse> ListPolicies(
      const v1::ListEscalationPoliciesRequest& request) const;
  void UpdatePolicy(const v1::UpdateEscalationPolicyRequest& request,
                    Callback<v1::EscalationPolicy> done);
  void DeletePolicy(const v1::DeleteEscalationPolicyRequest& request, Callback<bool> done);

  // Escalations. `actor` is the caller's identity, recorded in the timeline.
  void Create(const v1::CreateEscalationRequest& request, absl::string_view actor,
              Callback<v1::Escalation> done);
  absl::StatusOr<v1::Escalation> Get(const v1::GetEscalationRequest& request) const;
  absl::StatusOr<v1::ListEscalationsResponse> List(const v1::ListEscalationsRequest& request) const;
  void Acknowledge(const v1::AcknowledgeEscalationRequest& request, absl::string_view actor,
                   Callback<v1::Escalation> done);
  void Escalate(const v1::EscalateEscalationRequest& request, absl::string_view actor,
                Callback<v1::Escalation> done);
  void Reassign(const v1::ReassignEscalationRequest& request, absl::string_view actor,
                Callback<v1::Escalation> done);
  void AddNote(const v1::AddEscalationNoteRequest& request, absl::string_view actor,
               Callback<v1::Escalation> done);
  void Hold(const v1::HoldEscalationRequest& request, absl::string_view actor,
            Callback<v1::Escalation> done);
  void Resume(const v1::ResumeEscalationRequest& request, absl::string_view actor,
              Callback<v1::Escalation> done);
  void Resolve(const v1::ResolveEscalationRequest& request, absl::string_view actor,
               Callback<v1::Escalation> done);
  void Reopen(const v1::ReopenEscalationRequest& request, absl::string_view actor,
              Callback<v1::Escalation> done);
  void Close(const v1::CloseEscalationRequest& request, absl::string_view actor,
             Callback<v1::Escalation> done);
  void Cancel(const v1::CancelEscalationRequest& request, absl::string_view actor,
              Callback<v1::Escalation> done);

  // ---- Domain API for other services.

  // Opens an escalation for `request.source_key` inside the caller's
  // transaction `txn` (its reads are tracked, its writes go into the
  // caller's batch, so the escalation exists exactly when the caller's
  // write commits). The id is derived from source_key: a second call for
  // the same source (a retry, a re-evaluation, a rerun transaction) finds
  // it and writes nothing, except that an SLA_BREACH for an SLA_WARNING's
  // escalation marks it BREACHED if it is still open (one escalation per
  // ticket and timer), or opens another if it is not. Errors: INVALID_ARGUMENT (a field of `request`,
  // named); FAILED_PRECONDITION (no policy given and no default);
  // NOT_FOUND (the policy). The caller's batch is then unusable for the
  // escalation but the caller may still commit its own changes.
  // Observer::opened is told once the caller's write commits (Txn::AfterCommit).
  absl::Status OpenInTxn(storage::Txn& txn, const OpenRequest& request, absl::Time now) const;
  // Clears the description of the escalation `source_key` opened, if any,
  // inside the caller's transaction, with a system note giving `reason`:
  // the answer it quoted was withdrawn, say. Change-log entries written
  // before keep the description until --escalation_change_retention.
  absl::Status RedactInTxn(storage::Txn& txn, absl::string_view source_key,
                           absl::string_view reason, absl::Time now) const;
  // What OpenInTxn does when `source_key`'s escalation exists as `existing`.
  absl::Status OpenAgainInTxn(storage::Txn& txn, const OpenRequest& request,
                              absl::string_view existing, absl::Time now) const;
  // The id OpenInTxn gives the escalation of `source_key`.
  static std::string IdForSource(absl::string_view source_key);

  // The open escalations of `relationship_id` (a bare id), from the
  // per-relationship index: cost proportional to their number.
  absl::StatusOr<OpenSummary> Summarize(absl::string_view relationship_id, absl::Time now) const;

  // Open escalations by state, level and severity, from write-time counters.
  absl::StatusOr<std::vector<OpenCount>> CountOpen() const;
  // Per severity with an escalation in state OPEN: the earliest instant
  // since which one of them has waited for acknowledgement, that is, when it
  // last entered OPEN (opened, reopened, resumed or re-triggered; moving to
  // another level while OPEN does not restart the wait). Severities without
  // an OPEN escalation are absent. From the index of open escalations: cost
  // proportional to their number. DATA_LOSS if a record does not parse.
  absl::StatusOr<std::map<v1::Severity, absl::Time>> OldestUnacknowledged() const;

  // ---- Change log retention. Changes older than `retention` are deleted
  // (zero: kept forever): a few thousand per firing of the retention's
  // schedule entry, hourly, sooner while a backlog remains. A watch resuming
  // after a deleted change gets OUT_OF_RANGE.
  void SetChangeRetention(absl::Duration retention) { retention_ = retention; }
  // Schedules the retention's entry if it is not scheduled (call at start).
  absl::Status StartRetention();
  // The schedule handler of kRetentionScheduleKind.
  absl::Status OnRetention(const storage::ScheduledEntry& entry, storage::Txn& txn);
  // The first change still kept (1 when none was ever deleted).
  absl::StatusOr<uint64_t> FirstKeptSequence() const;

  // ---- Change log (WatchEscalations).

  // Up to `limit` changes with a sequence greater than `after`, in order.
  absl::StatusOr<std::vector<v1::EscalationChange>> ReadChanges(uint64_t after, int limit) const;
  // INVALID_ARGUMENT naming the field if a watch filter is malformed.
  static absl::Status ValidateWatch(const v1::WatchEscalationsRequest& request);
  // Whether `change` passes the watch's filters.
  static bool MatchesWatch(const v1::WatchEscalationsRequest& request,
                           const v1::EscalationChange& change);
  // The last assigned sequence (0 if none).
  absl::StatusOr<uint64_t> LastSequence() const;
  // Registers `wake`, called (quickly, on a store thread) after writes that
  // may have added changes; returns a handle for RemoveWatcher. Wake-ups
  // carry no data: a watcher reads the log after the last sequence it sent.
  uint64_t AddWatcher(std::function<void()> wake);
  // After it returns, `wake` of `handle` is not running and not called again.
  void RemoveWatcher(uint64_t handle);
  // Calls every registered `wake` (after writes, and when streams must end).
  void Wake();

 private:
  using Mutation = std::function<absl::Status(storage::Txn& txn, v1::Escalation& e,
                                              v1::EscalationTimelineEntry& entry, absl::Time now)>;
  // Shared body of every state change: request_id replay, read, etag, the
  // mutation, then Write(). `method` keys request_id results; `fingerprint`
  // is the request's (RequestFingerprint).
  void Mutate(absl::string_view method, absl::string_view name, absl::string_view etag,
              absl::string_view request_id, uint64_t fingerprint, absl::string_view actor,
              Mutation mutation, Callback<v1::Escalation> done);
  // Stages `after` (changed from `before`; `before` empty for a new one)
  // and the entry into the transaction: timeline, etag, indexes, counters,
  // schedule, change log. Reads `before`'s own fields only: neither its
  // timeline nor its policy snapshot.
  absl::Status Write(storage::Txn& txn, const v1::Escalation& before, v1::Escalation& after,
                     v1::EscalationTimelineEntry entry, absl::Time now) const;
  // Starts `e` at the first level of `policy` (OPEN, wait scheduled by Write).
  void StartPolicy(v1::Escalation& e, const v1::EscalationPolicy& policy, absl::Time now) const;
  // OPEN at the current level with its wait running (none once exhausted).
  void OpenAtLevel(v1::Escalation& e, absl::Time now) const;
  // The end of `wait` started at `from`, in the business hours of e's policy.
  absl::Time WaitEnd(const v1::Escalation& e, absl::Time from, absl::Duration wait) const;
  // What is left at `now` of a wait of e's policy ending at `due`, in the
  // same time (business or wall-clock) as WaitEnd counts.
  absl::Duration WaitLeft(const v1::Escalation& e, absl::Time now, absl::Time due) const;
  // Checks that a policy's calendar exists, if it names one.
  absl::Status CheckCalendar(const v1::EscalationPolicy& policy) const;
  absl::StatusOr<v1::EscalationPolicy> ReadPolicyTracked(storage::Txn& txn, absl::string_view field,
                                                         absl::string_view name) const;
  // What Observe() needs of a record before a change.
  struct Before {
    bool acknowledged = false;  // It had an acknowledge time.
    v1::Escalation::State state = v1::Escalation::STATE_UNSPECIFIED;
  };
  // Reports a committed change to the observer (first acknowledgement, resolution).
  void Observe(const Before& before, const v1::Escalation& after) const;

  storage::Store* const store_;
  Clock* const clock_;
  Observer observer_;
  std::string default_policy_;
  RelationshipLookup relationship_exists_;
  CatalogCheck catalog_check_;
  RelationshipAdmission admit_relationship_;
  BusinessHours business_hours_;
  absl::Duration retention_ = absl::ZeroDuration();

  std::mutex watchers_mu_;
  uint64_t next_watcher_ = 1;                           // Guarded by watchers_mu_.
  std::map<uint64_t, std::function<void()>> watchers_;  // Guarded by watchers_mu_.
};

}  // namespace rapport::escalations
