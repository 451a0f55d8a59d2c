// The schedule shared by SLA timers and escalation waits: entries (due time,
// kind, key, payload) in Cf::kSchedule ordered by due time, fired once each.
//
// Services add and remove entries inside their own batches
// (WriteBatch::Schedule / Unschedule) and register one handler per kind. When
// an entry is due, the scheduler runs the handler in a transaction that also
// deletes the entry: the handler's changes and the removal are one atomic
// write, so a crash never loses or repeats a firing. A handler that fails
// leaves the entry in place to be retried. After a restart, entries that fell
// due while the server was down fire at once.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/clock.h"
#include "storage/store.h"

namespace rapport::storage {

// One schedule entry, as handed to its handler.
struct ScheduledEntry {
  absl::Time due;
  std::string kind;
  std::string key;
  std::string payload;

  // Has `effect` run once this firing's write has committed, and never if it
  // does not: for what happens outside the store, such as metrics. A handler
  // may run more than once for one firing (its transaction runs again after
  // a write conflict; a failed firing is retried later), so anything it does
  // outside `txn` directly may happen twice, or without the write. Effects
  // of the run that committed run on the thread that called FireDue, in the
  // order registered. Outside a firing (`effects` unset) they are dropped.
  void AfterCommit(std::function<void()> effect) const {
    if (effects != nullptr) effects->push_back(std::move(effect));
  }
  // Where AfterCommit keeps the effects of the current run; set and cleared
  // before each run by the scheduler.
  std::vector<std::function<void()>>* effects = nullptr;
};

// Applies the effects of a due entry by reading and writing through `txn`
// (and entry.AfterCommit for anything outside the store). Returning an
// error leaves the entry to be retried later.
using ScheduleHandler = std::function<absl::Status(const ScheduledEntry& entry, Txn& txn)>;

class Scheduler final {
 public:
  // `store` and `clock` must outlive the scheduler. Registers a commit
  // listener on `store` (construct before traffic starts).
  Scheduler(Store* store, Clock* clock);
  // Stops the background thread if it runs.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Registers the handler of `kind`. Call before Start() or FireDue().
  void RegisterHandler(const std::string& kind, ScheduleHandler handler);

  // Registers `listener`, told about every firing (kind and how late it fired)
  // for metrics. Call before Start().
  void SetFiredListener(std::function<void(const std::string& kind, absl::Duration lateness)> listener);

  // Fires every entry due at or before clock->Now(), in due order, and returns
  // how many fired. Entries whose handler failed are retried by a later call
  // once `retry_delay` has passed. Tests call this directly with a fake clock.
  absl::StatusOr<int> FireDue();

  // The earliest pending due time, if any entry is pending.
  absl::StatusOr<std::optional<absl::Time>> NextDue() const;

  // Starts a thread that fires entries as they fall due (waiting on the real
  // time implied by the clock) and at once for overdue ones.
  void Start();
  // Stops the thread; nothing fires after it returns.
  void Stop();
  // Tells the thread an entry due at `due` was added (wired to the store's
  // commit listener), so it wakes earlier if needed.
  void Notify(absl::Time due);

  // How long a failed entry waits before its next attempt.
  void set_retry_delay(absl::Duration d) { retry_delay_ = d; }

 private:
  void Loop();
  // Whether an entry due at `due` failed and waits for its retry.
  bool WaitingForRetry(absl::Time due);

  // No pending entry is due before `floor`: FireDue and NextDue scan from it,
  // not from the head of the schedule, where fired entries leave tombstones
  // until compaction (the cost per firing would grow with every entry fired
  // before). A pass raises it to the end of what it handled; the store's
  // commit listener lowers it to every new entry's due time. Shared with
  // that listener, which may outlive the scheduler.
  struct Floor {
    std::mutex mu;
    absl::Time floor = absl::InfinitePast();  // Guarded by mu.
    void Lower(absl::Time t) {
      std::lock_guard<std::mutex> lock(mu);
      if (t < floor) floor = t;
    }
    absl::Time Get() {
      std::lock_guard<std::mutex> lock(mu);
      return floor;
    }
  };
  const std::shared_ptr<Floor> floor_ = std::make_shared<Floor>();

  Store* const store_;
  Clock* const clock_;
  std::map<std::string, ScheduleHandler> handlers_;
  std::function<void(const std::string&, absl::Duration)> fired_listener_;
  absl::Duration retry_delay_ = absl::Seconds(5);

  std::mutex fire_mu_;  // One FireDue at a time.
  std::map<std::string, absl::Time> retry_at_;  // Encoded key -> next attempt; guarded by fire_mu_.

  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;      // Guarded by mu_.
  bool stopping_ = false;     // Guarded by mu_.
  absl::Time wake_at_;        // Guarded by mu_.
  std::thread thread_;
};

}  // namespace rapport::storage
