// The source of time for everything that depends on it (SLA timers, the
// schedule, escalation waits). Production code uses RealClock(); tests inject a
// FakeClock and move time by hand, so no test sleeps to wait for a timer.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace rapport {

// Tells the time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // The current time.
  virtual absl::Time Now() const = 0;
};

// The system's wall clock. Never destroyed.
Clock& RealClock();

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override;
  // Moves time forward by `d` (which must not be negative).
  void Advance(absl::Duration d);
  // Sets the time; may move it backwards, as a real clock sometimes does.
  void Set(absl::Time t);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rapport
