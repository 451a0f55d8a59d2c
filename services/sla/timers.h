// SLA timers derived from a ticket's event log: a pure function of the
// events, the agreement revisions the ticket is measured under, and "now".
// Nothing here reads the store or the clock, so late events, restarts and
// re-evaluations all come down to evaluating the log again.
//
// Model. The ticket's clock runs from `opened` until `resolved` or
// `cancelled`, stopping between `paused` and `resumed`; `reopened` starts it
// again. Per agreement and target kind:
//   FIRST_RESPONSE  from opening to the first `responded` (or `resolved`).
//   RESOLUTION      one cycle per open period: opening (or reopening) to
//                   `resolved`; a reopen starts cycle n+1, older cycles stay.
//   PERIODIC_UPDATE one cycle per interval between updates: from opening, a
//                   `responded` or an `update_sent` to the next of those or
//                   to the end of the open period.
// Targets are the ones of the ticket's priority at the end of the timer (a
// priority change retargets from the start; pauses keep counting as pauses).
// Elapsed time is business time of the agreement's calendar over the running
// intervals; crossings (warning thresholds and the breach at 100%) get the
// exact instant they happened.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "rapport/v1/sla.pb.h"
#include "services/sla/calendar.h"

namespace rapport::sla {

// An agreement revision a ticket is measured under, with its calendar built.
// Neither is owned: the revision lives in the ticket's record, the calendar
// in a cache shared by tickets on the same calendar.
struct AppliedAgreement {
  const v1::AgreementRevision* revision;
  std::shared_ptr<const BusinessCalendar> calendar;
};

// Everything the timers say at an instant.
struct TimerEvaluation {
  std::vector<v1::SlaTimer> timers;
  // Every crossing that happened at or before `now`, in time order.
  std::vector<v1::ThresholdCrossing> crossings;
  // The earliest future crossing of a running timer: when to look again.
  std::optional<absl::Time> next_crossing;
  v1::Ticket::State state = v1::Ticket::STATE_UNSPECIFIED;
  v1::Priority priority = v1::PRIORITY_UNSPECIFIED;
  absl::Time open_time;
  // A running timer crossed a warning and has not breached.
  bool at_risk = false;
  // Some timer breached.
  bool breached = false;
};

// A ticket's event log, sorted by event_time; equal times in arrival order.
using EventLog = google::protobuf::RepeatedPtrField<v1::TicketEvent>;

// Adds `event` to a sorted log after every event at or before its time.
void InsertEvent(v1::TicketEvent event, EventLog* events);

// Checks that the sorted log is a possible life of a ticket: it starts with
// exactly one `opened`; pauses and resumes alternate; nothing but `reopened`
// follows `cancelled` or `resolved`... FAILED_PRECONDITION naming the event.
absl::Status ValidateLog(const EventLog& events);

// Evaluates the timers of a valid, sorted log at `now`.
TimerEvaluation EvaluateTimers(const EventLog& events,
                               const std::vector<AppliedAgreement>& agreements, absl::Time now);

}  // namespace rapport::sla
