#include "storage/scheduler.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "storage/logging.h"
#include "storage/status_macros.h"

namespace rapport::storage {
namespace {

// Entries fired together; their commits share syncs.
constexpr size_t kFireChunk = 256;
// The background thread re-checks at least this often (guards against clock jumps).
constexpr absl::Duration kMaxSleep = absl::Seconds(1);

}  // namespace

Scheduler::Scheduler(Store* store, Clock* clock) : store_(store), clock_(clock) {
  store_->AddCommitListener([floor = floor_](const CommitGroupInfo& info) {
    if (info.earliest_schedule) floor->Lower(*info.earliest_schedule);
  });
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::RegisterHandler(const std::string& kind, ScheduleHandler handler) {
  handlers_[kind] = std::move(handler);
}

void Scheduler::SetFiredListener(
    std::function<void(const std::string& kind, absl::Duration lateness)> listener) {
  fired_listener_ = std::move(listener);
}

absl::StatusOr<std::optional<absl::Time>> Scheduler::NextDue() const {
  ScanOptions options;
  options.limit = 1;
  AppendTime(&options.lower, floor_->Get());
  ASSIGN_OR_RETURN(ScanResult first, store_->Scan(Cf::kSchedule, options));
  if (first.entries.empty()) return std::optional<absl::Time>();
  auto key = DecodeScheduleKey(first.entries[0].key);
  if (!key) return absl::DataLossError("malformed schedule key");
  return std::optional<absl::Time>(key->due);
}

absl::StatusOr<int> Scheduler::FireDue() {
  std::lock_guard<std::mutex> fire_lock(fire_mu_);
  const absl::Time now = clock_->Now();
  const absl::Time end = now + absl::Nanoseconds(1000);  // Due at or before now (µs precision).
  std::string upper;
  AppendTime(&upper, end);
  // Everything this pass does not leave pending is handled up to `end`;
  // entries committed from here on lower the floor again themselves.
  std::string lower;
  {
    std::lock_guard<std::mutex> lock(floor_->mu);
    AppendTime(&lower, floor_->floor);
    floor_->floor = std::max(floor_->floor, end);
  }
  absl::Time left_pending = absl::InfiniteFuture();  // Earliest entry this pass leaves.

  int fired = 0;
  std::string resume;
  for (;;) {
    ScanOptions options;
    options.lower = lower;
    options.upper = upper;
    options.start_after = resume;
    options.limit = kFireChunk;
    ASSIGN_OR_RETURN(ScanResult chunk, store_->Scan(Cf::kSchedule, options));
    if (chunk.entries.empty()) break;
    resume = chunk.entries.back().key;

    std::vector<std::pair<std::string, ScheduledEntry>> due;
    for (auto& kv : chunk.entries) {
      auto key = DecodeScheduleKey(kv.key);
      if (!key) {
        LogError("scheduler: skipping a malformed schedule key");
        continue;
      }
      auto retry = retry_at_.find(kv.key);
      if (retry != retry_at_.end() && retry->second > now) {
        left_pending = std::min(left_pending, key->due);
        continue;
      }
      due.push_back({kv.key, ScheduledEntry{key->due, key->kind, key->key, kv.value}});
    }

    // Fire the chunk concurrently so the commits share group syncs; the queue
    // keeps them in due order.
    absl::BlockingCounter pending(static_cast<int>(due.size()));
    std::vector<absl::Status> results(due.size());
    std::vector<std::vector<std::function<void()>>> effects(due.size());
    for (size_t i = 0; i < due.size(); ++i) {
      const std::string& encoded = due[i].first;
      due[i].second.effects = &effects[i];
      const ScheduledEntry& entry = due[i].second;
      auto handler = handlers_.find(entry.kind);
      if (handler == handlers_.end()) {
        results[i] = absl::FailedPreconditionError(
            absl::StrCat("no handler for schedule kind '", entry.kind, "'"));
        pending.DecrementCount();
        continue;
      }
      // By value: the body runs again on a write conflict, after this loop
      // has moved on (a reference to `handler` would dangle then).
      const ScheduleHandler* run = &handler->second;
      store_->Transact(
          [&encoded, &entry, run](Txn& txn) -> absl::Status {
            // Only the effects of the run that commits are kept.
            entry.effects->clear();
            // Still pending? Another firing or a service may have removed it.
            ASSIGN_OR_RETURN(auto current, txn.Get(Cf::kSchedule, encoded));
            if (!current) return absl::OkStatus();
            RETURN_IF_ERROR((*run)(entry, txn));
            txn.batch().Delete(Cf::kSchedule, encoded);
            return absl::OkStatus();
          },
          [&results, &pending, i](absl::Status s) {
            results[i] = std::move(s);
            pending.DecrementCount();
          });
    }
    pending.Wait();

    for (size_t i = 0; i < due.size(); ++i) {
      const auto& [encoded, entry] = due[i];
      if (results[i].ok()) {
        for (auto& effect : effects[i]) effect();
        retry_at_.erase(encoded);
        ++fired;
        if (fired_listener_) fired_listener_(entry.kind, now - entry.due);
      } else {
        left_pending = std::min(left_pending, entry.due);
        LogWarning(absl::StrCat("scheduler: ", entry.kind, " entry failed, retrying in ",
                                absl::FormatDuration(retry_delay_), ": ",
                                results[i].ToString()));
        retry_at_[encoded] = now + retry_delay_;
      }
    }
    if (!chunk.more) break;
  }
  floor_->Lower(left_pending);
  return fired;
}

bool Scheduler::WaitingForRetry(absl::Time due) {
  std::lock_guard<std::mutex> lock(fire_mu_);
  for (const auto& [encoded, at] : retry_at_) {
    auto key = DecodeScheduleKey(encoded);
    if (key && key->due == due) return true;
  }
  return false;
}

void Scheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rapport-sched");
    Loop();
  });
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
}

void Scheduler::Notify(absl::Time due) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_ || due >= wake_at_) return;
    wake_at_ = due;
  }
  cv_.notify_all();
}

void Scheduler::Loop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    auto fired = FireDue();
    if (!fired.ok()) LogError(absl::StrCat("scheduler: ", fired.status().ToString()));

    const absl::Time now = clock_->Now();
    absl::Time next = now + kMaxSleep;
    auto next_due = NextDue();
    if (next_due.ok() && next_due->has_value() && **next_due < next) {
      if (**next_due > now) {
        next = **next_due;
      } else if (!fired.ok() || WaitingForRetry(**next_due)) {
        // Due but waiting for its retry (or the store failed): do not spin.
        next = now + std::min(retry_delay_, kMaxSleep);
      } else {
        continue;  // Committed after this firing's scan: fire it now.
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    wake_at_ = next;
    // Wait in real time for the clock's distance to the next due time.
    while (!stopping_) {
      const absl::Duration left = wake_at_ - clock_->Now();
      if (left <= absl::ZeroDuration()) break;
      cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
    }
    if (stopping_) return;
  }
}

}  // namespace rapport::storage
