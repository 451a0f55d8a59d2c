#include "services/sla/timers.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "services/common/proto_time.h"

namespace rapport::sla {
namespace {

// A stretch of time during which the ticket's clock runs: [start, end).
struct Interval {
  absl::Time start;
  absl::Time end;  // InfiniteFuture() while still running.
};

// What the log says, flattened.
struct Timeline {
  absl::Time open_time;
  // Clock-running intervals of the whole ticket (outside pauses).
  std::vector<Interval> running;
  // Open periods: opening or reopening to resolution/cancellation.
  std::vector<Interval> periods;
  // Whether each period ended by cancellation.
  std::vector<bool> period_cancelled;
  // First response (responded, or resolved before any response).
  std::optional<absl::Time> first_response;
  // Update instants (responded or update_sent), in order.
  std::vector<absl::Time> updates;
  // Priority changes in time order (the opening priority first).
  std::vector<std::pair<absl::Time, v1::Priority>> priorities;
  bool paused = false;
  v1::Ticket::State state = v1::Ticket::STATE_UNSPECIFIED;
};

Timeline Flatten(const EventLog& events) {
  Timeline t;
  std::optional<absl::Time> run_start;
  for (const auto& e : events) {
    const absl::Time at = FromProtoTime(e.event_time());
    switch (e.kind_case()) {
      case v1::TicketEvent::kOpened:
        t.open_time = at;
        t.priorities.push_back({at, e.opened().priority()});
        t.periods.push_back({at, absl::InfiniteFuture()});
        t.period_cancelled.push_back(false);
        run_start = at;
        t.state = v1::Ticket::OPEN;
        break;
      case v1::TicketEvent::kPriorityChanged:
        t.priorities.push_back({at, e.priority_changed().priority()});
        break;
      case v1::TicketEvent::kResponded:
        if (!t.first_response) t.first_response = at;
        t.updates.push_back(at);
        break;
      case v1::TicketEvent::kUpdateSent:
        t.updates.push_back(at);
        break;
      case v1::TicketEvent::kPaused:
        if (run_start) t.running.push_back({*run_start, at});
        run_start.reset();
        t.paused = true;
        t.state = v1::Ticket::PAUSED;
        break;
      case v1::TicketEvent::kResumed:
        run_start = at;
        t.paused = false;
        t.state = v1::Ticket::OPEN;
        break;
      case v1::TicketEvent::kResolved:
      case v1::TicketEvent::kCancelled: {
        const bool cancelled = e.kind_case() == v1::TicketEvent::kCancelled;
        if (run_start) t.running.push_back({*run_start, at});
        run_start.reset();
        t.paused = false;
        if (!t.periods.empty()) {
          t.periods.back().end = at;
          t.period_cancelled.back() = cancelled;
        }
        if (!cancelled && !t.first_response) t.first_response = at;
        t.state = cancelled ? v1::Ticket::CANCELLED : v1::Ticket::RESOLVED;
        break;
      }
      case v1::TicketEvent::kReopened:
        t.periods.push_back({at, absl::InfiniteFuture()});
        t.period_cancelled.push_back(false);
        run_start = at;
        t.state = v1::Ticket::OPEN;
        break;
      default:
        break;
    }
  }
  if (run_start) t.running.push_back({*run_start, absl::InfiniteFuture()});
  return t;
}

v1::Priority PriorityAt(const Timeline& t, absl::Time at) {
  v1::Priority p = v1::PRIORITY_UNSPECIFIED;
  for (const auto& [when, priority] : t.priorities) {
    if (when <= at || p == v1::PRIORITY_UNSPECIFIED) p = priority;
  }
  return p;
}

// Running pieces of [start, stop) (stop may be infinite).
std::vector<Interval> Clip(const std::vector<Interval>& running, absl::Time start, absl::Time stop) {
  std::vector<Interval> out;
  for (const auto& r : running) {
    const absl::Time s = std::max(r.start, start);
    const absl::Time e = std::min(r.end, stop);
    if (s < e) out.push_back({s, e});
  }
  return out;
}

// The instant business time over `pieces` reaches `amount`, if it does
// before `limit` (pieces' ends may be infinite).
std::optional<absl::Time> InstantReaching(const BusinessCalendar& calendar,
                                          const std::vector<Interval>& pieces,
                                          absl::Duration amount) {
  absl::Duration before = absl::ZeroDuration();
  for (const auto& p : pieces) {
    const absl::Duration here = p.end == absl::InfiniteFuture()
                                    ? absl::InfiniteDuration()
                                    : calendar.BusinessTimeBetween(p.start, p.end);
    if (before + here >= amount) {
      // Reaching `amount` exactly at the end of a piece counts as within it.
      return calendar.AddBusinessTime(p.start, amount - before);
    }
    before += here;
  }
  return std::nullopt;
}

struct TimerSpec {
  const AppliedAgreement* agreement;
  v1::TimerKind kind;
  int cycle;
  absl::Time start;
  absl::Time stop;  // InfiniteFuture() while not completed.
  bool cancelled;   // Stopped by a cancellation.
};

absl::Duration TargetOf(const v1::PriorityTarget& t, v1::TimerKind kind) {
  switch (kind) {
    case v1::FIRST_RESPONSE: return FromProtoDuration(t.first_response());
    case v1::RESOLUTION: return FromProtoDuration(t.resolution());
    case v1::PERIODIC_UPDATE:
      return t.has_periodic_update() ? FromProtoDuration(t.periodic_update()) : absl::ZeroDuration();
    default: return absl::ZeroDuration();
  }
}

}  // namespace

void InsertEvent(v1::TicketEvent event, EventLog* events) {
  const absl::Time at = FromProtoTime(event.event_time());
  *events->Add() = std::move(event);
  // Late events are rare and logs short: bubble it back into place.
  for (int i = events->size() - 1; i > 0 && at < FromProtoTime(events->Get(i - 1).event_time()); --i) {
    events->SwapElements(i, i - 1);
  }
}

absl::Status ValidateLog(const EventLog& events) {
  enum class S { kNone, kOpen, kPaused, kResolved, kCancelled } s = S::kNone;
  for (const auto& e : events) {
    auto refuse = [&](absl::string_view why) {
      return absl::FailedPreconditionError(
          absl::StrCat("event ", e.event_id(), " at ", absl::FormatTime(FromProtoTime(e.event_time())),
                       ": ", why));
    };
    const auto kind = e.kind_case();
    if (kind == v1::TicketEvent::kOpened) {
      if (s != S::kNone) return refuse("the ticket is already open");
      s = S::kOpen;
      continue;
    }
    if (s == S::kNone) return refuse("comes before the ticket opened");
    if (kind == v1::TicketEvent::kReevaluated) continue;
    if (s == S::kCancelled && kind != v1::TicketEvent::kReopened) {
      return refuse("the ticket is cancelled; only reopened is accepted");
    }
    switch (kind) {
      case v1::TicketEvent::kPaused:
        if (s != S::kOpen) return refuse("paused, but the ticket is not open and running");
        s = S::kPaused;
        break;
      case v1::TicketEvent::kResumed:
        if (s != S::kPaused) return refuse("resumed, but the ticket is not paused");
        s = S::kOpen;
        break;
      case v1::TicketEvent::kResolved:
        if (s != S::kOpen && s != S::kPaused) return refuse("resolved, but the ticket is not open");
        s = S::kResolved;
        break;
      case v1::TicketEvent::kCancelled:
        if (s != S::kOpen && s != S::kPaused) return refuse("cancelled, but the ticket is not open");
        s = S::kCancelled;
        break;
      case v1::TicketEvent::kReopened:
        if (s != S::kResolved && s != S::kCancelled) return refuse("reopened, but the ticket is open");
        s = S::kOpen;
        break;
      case v1::TicketEvent::kResponded:
      case v1::TicketEvent::kUpdateSent:
      case v1::TicketEvent::kPriorityChanged:
        if (s == S::kResolved) return refuse("the ticket is resolved; reopen it first");
        break;
      default:
        return refuse("has no kind");
    }
  }
  return absl::OkStatus();
}

TimerEvaluation EvaluateTimers(const EventLog& events,
                               const std::vector<AppliedAgreement>& agreements, absl::Time now) {
  TimerEvaluation out;
  const Timeline t = Flatten(events);
  out.state = t.state;
  out.open_time = t.open_time;
  out.priority = PriorityAt(t, absl::InfiniteFuture());

  for (const auto& applied : agreements) {
    std::vector<TimerSpec> specs;
    // First response: from opening to the first response, or cancelled with
    // the first period.
    std::optional<absl::Time> first_stop = t.first_response;
    bool first_cancelled = false;
    if (!first_stop && !t.periods.empty() && t.period_cancelled.front()) {
      first_stop = t.periods.front().end;
      first_cancelled = true;
    }
    specs.push_back({&applied, v1::FIRST_RESPONSE, 1, t.open_time,
                     first_stop.value_or(absl::InfiniteFuture()), first_cancelled});
    for (size_t i = 0; i < t.periods.size(); ++i) {
      specs.push_back({&applied, v1::RESOLUTION, static_cast<int>(i + 1), t.periods[i].start,
                       t.periods[i].end, t.period_cancelled[i]});
    }
    // Periodic updates: intervals between updates inside open periods.
    int update_cycle = 0;
    for (size_t i = 0; i < t.periods.size(); ++i) {
      absl::Time start = t.periods[i].start;
      for (absl::Time u : t.updates) {
        if (u <= start || u >= t.periods[i].end) continue;
        specs.push_back({&applied, v1::PERIODIC_UPDATE, ++update_cycle, start, u, false});
        start = u;
      }
      specs.push_back({&applied, v1::PERIODIC_UPDATE, ++update_cycle, start, t.periods[i].end,
                       t.period_cancelled[i]});
    }

    const auto& snapshot = applied.revision->snapshot();
    for (const auto& spec : specs) {
      const absl::Time priority_at = spec.stop == absl::InfiniteFuture() ? now : std::min(spec.stop, now);
      const v1::Priority priority = PriorityAt(t, priority_at);
      const v1::PriorityTarget* target = nullptr;
      for (const auto& candidate : snapshot.targets()) {
        if (candidate.priority() == priority) target = &candidate;
      }
      if (target == nullptr) continue;
      const absl::Duration goal = TargetOf(*target, spec.kind);
      if (goal <= absl::ZeroDuration()) continue;
      // A timer that starts in the future (a late event not yet reached) is skipped.
      if (spec.start > now) continue;

      v1::SlaTimer timer;
      timer.set_agreement(snapshot.name());
      timer.set_revision(applied.revision->revision());
      timer.set_agreement_type(snapshot.type());
      timer.set_kind(spec.kind);
      timer.set_cycle(spec.cycle);
      *timer.mutable_target() = ToProtoDuration(goal);
      *timer.mutable_start_time() = ToProtoTime(spec.start);

      const bool completed = spec.stop <= now;
      const absl::Time until = completed ? spec.stop : now;
      const std::vector<Interval> pieces = Clip(t.running, spec.start, spec.stop);
      absl::Duration elapsed = absl::ZeroDuration();
      bool running_now = false;
      for (const auto& p : pieces) {
        running_now = running_now || (!completed && p.start <= now && now < p.end);
        if (p.start >= until) break;
        elapsed += applied.calendar->BusinessTimeBetween(p.start, std::min(p.end, until));
      }
      *timer.mutable_elapsed() = ToProtoDuration(elapsed);
      *timer.mutable_remaining() = ToProtoDuration(goal - elapsed);
      timer.set_percent_used(100.0 * absl::FDivDuration(elapsed, goal));

      // Crossing instants: warning thresholds, then the breach.
      std::vector<int> thresholds(snapshot.warning_thresholds().begin(),
                                  snapshot.warning_thresholds().end());
      thresholds.push_back(100);
      for (int threshold : thresholds) {
        const absl::Duration amount = goal * threshold / 100;
        const std::optional<absl::Time> at = InstantReaching(*applied.calendar, pieces, amount);
        if (!at) continue;
        if (threshold == 100) *timer.mutable_due_time() = ToProtoTime(*at);
        // Completing exactly at the instant is in time; running timers cross
        // at the instant itself.
        const bool crossed = completed ? *at < spec.stop : *at <= now;
        if (crossed) {
          if (threshold == 100) {
            timer.set_breached(true);
            *timer.mutable_breach_time() = ToProtoTime(*at);
          } else {
            timer.add_thresholds_crossed(threshold);
          }
          v1::ThresholdCrossing crossing;
          crossing.set_agreement(snapshot.name());
          crossing.set_kind(spec.kind);
          crossing.set_cycle(spec.cycle);
          *crossing.mutable_cycle_start_time() = ToProtoTime(spec.start);
          crossing.set_threshold(threshold);
          *crossing.mutable_crossing_time() = ToProtoTime(*at);
          out.crossings.push_back(std::move(crossing));
        } else if (!completed && running_now) {
          if (!out.next_crossing || *at < *out.next_crossing) out.next_crossing = *at;
        }
      }
      if (completed) {
        *timer.mutable_stop_time() = ToProtoTime(spec.stop);
        timer.set_stage(spec.cancelled ? v1::CANCELLED : timer.breached() ? v1::BREACHED : v1::MET);
      } else {
        timer.set_stage(running_now ? v1::RUNNING : v1::PAUSED);
        if (!running_now) timer.clear_due_time();
        if (running_now && !timer.breached() && timer.thresholds_crossed_size() > 0) out.at_risk = true;
      }
      if (timer.breached()) out.breached = true;
      out.timers.push_back(std::move(timer));
    }
  }
  std::stable_sort(out.crossings.begin(), out.crossings.end(),
                   [](const v1::ThresholdCrossing& a, const v1::ThresholdCrossing& b) {
                     return FromProtoTime(a.crossing_time()) < FromProtoTime(b.crossing_time());
                   });
  return out;
}

}  // namespace rapport::sla
