#include "storage/scheduler.h"

#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/status_macros.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport::storage {
namespace {

using ::rapport::testing::TempDir;
using ::testing::ElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1795000000);

std::unique_ptr<Store> OpenOrDie(const std::string& dir) {
  StoreOptions options;
  options.data_dir = dir;
  auto store = Store::Open(options);
  EXPECT_OK(store.status());
  return store.ok() ? std::move(store).value() : nullptr;
}

absl::Status AddEntry(Store& store, absl::Time due, const std::string& key,
                      const std::string& payload = "") {
  WriteBatch batch;
  batch.Schedule(due, "test", key, payload);
  return store.CommitSync(std::move(batch));
}

// A handler that records what fired and writes a marker record in the same
// transaction as the entry's removal.
ScheduleHandler Recorder(std::vector<std::string>* fired) {
  return [fired](const ScheduledEntry& e, Txn& txn) {
    fired->push_back(e.key);
    txn.batch().Put(Cf::kIndex, "fired/" + e.key, e.payload);
    return absl::OkStatus();
  };
}

TEST(SchedulerTest, FiresAtTheDueTimeOnceAndInOrder) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  FakeClock clock(kT0);
  Scheduler scheduler(store.get(), &clock);
  std::vector<std::string> fired;
  scheduler.RegisterHandler("test", Recorder(&fired));

  ASSERT_OK(AddEntry(*store, kT0 + absl::Seconds(30), "c"));
  ASSERT_OK(AddEntry(*store, kT0 + absl::Seconds(10), "a", "payload-a"));
  ASSERT_OK(AddEntry(*store, kT0 + absl::Seconds(20), "b"));

  EXPECT_EQ(scheduler.FireDue().value(), 0);
  clock.Advance(absl::Seconds(10) - absl::Microseconds(1));
  EXPECT_EQ(scheduler.FireDue().value(), 0);  // One microsecond early.
  clock.Advance(absl::Microseconds(1));
  EXPECT_EQ(scheduler.FireDue().value(), 1);  // Exactly at the due instant.
  clock.Advance(absl::Seconds(15));
  EXPECT_EQ(scheduler.FireDue().value(), 1);
  EXPECT_EQ(scheduler.FireDue().value(), 0);  // Never twice.
  EXPECT_THAT(fired, ElementsAre("a", "b"));
  EXPECT_EQ(*store->Get(Cf::kIndex, "fired/a").value(), "payload-a");
  EXPECT_EQ(scheduler.NextDue().value(), kT0 + absl::Seconds(30));

  clock.Advance(absl::Hours(1));
  EXPECT_EQ(scheduler.FireDue().value(), 1);
  EXPECT_THAT(fired, ElementsAre("a", "b", "c"));
  EXPECT_FALSE(scheduler.NextDue().value().has_value());
}

TEST(SchedulerTest, AnEntryAddedInThePastAfterAFiringStillFires) {
  // Firings scan from where the last one ended, not from the head of the
  // schedule; an entry due before that (a late event's crossing, a handler's
  // follow-up) lowers the start again.
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  FakeClock clock(kT0);
  Scheduler scheduler(store.get(), &clock);
  std::vector<std::string> fired;
  scheduler.RegisterHandler("test", Recorder(&fired));
  ASSERT_OK(AddEntry(*store, kT0 + absl::Seconds(10), "a"));
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ(scheduler.FireDue().value(), 1);
  EXPECT_FALSE(scheduler.NextDue().value().has_value());

  ASSERT_OK(AddEntry(*store, kT0 + absl::Seconds(5), "earlier"));
  EXPECT_EQ(scheduler.NextDue().value(), kT0 + absl::Seconds(5));
  EXPECT_EQ(scheduler.FireDue().value(), 1);
  ASSERT_OK(AddEntry(*store, kT0 - absl::Hours(1), "much-earlier"));
  EXPECT_EQ(scheduler.FireDue().value(), 1);
  EXPECT_THAT(fired, ElementsAre("a", "earlier", "much-earlier"));
}

TEST(SchedulerTest, FiresManyDueEntriesInDueOrder) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  FakeClock clock(kT0);
  Scheduler scheduler(store.get(), &clock);
  std::vector<std::string> fired;
  scheduler.RegisterHandler("test", Recorder(&fired));
  WriteBatch batch;
  std::vector<std::string> expected;
  for (int i = 999; i >= 0; --i) {
    char key[16];
    std::snprintf(key, sizeof(key), "%04d", i);
    batch.Schedule(kT0 + absl::Milliseconds(i), "test", key);
  }
  for (int i = 0; i < 1000; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "%04d", i);
    expected.push_back(key);
  }
  ASSERT_OK(store->CommitSync(std::move(batch)));
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(scheduler.FireDue().value(), 1000);
  EXPECT_EQ(fired, expected);
}

TEST(SchedulerTest, UnscheduledEntryNeverFires) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  FakeClock clock(kT0);
  Scheduler scheduler(store.get(), &clock);
  std::vector<std::string> fired;
  scheduler.RegisterHandler("test", Recorder(&fired));
  ASSERT_OK(AddEntry(*store, kT0 + absl::Seconds(5), "gone"));
  WriteBatch remove;
  remove.Unschedule(kT0 + absl::Seconds(5), "test", "gone");
  ASSERT_OK(store->CommitSync(std::move(remove)));
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ(scheduler.FireDue().value(), 0);
  EXPECT_TRUE(fired.empty());
}

TEST(SchedulerTest, OverdueEntriesFireAfterReopen) {
  TempDir dir;
  FakeClock clock(kT0);
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_OK(AddEntry(*store, kT0 + absl::Minutes(5), "while-down"));
  }
  clock.Advance(absl::Hours(2));  // The server was down when it fell due.
  auto store = OpenOrDie(dir.path());
  Scheduler scheduler(store.get(), &clock);
  std::vector<std::string> fired;
  scheduler.RegisterHandler("test", Recorder(&fired));
  EXPECT_EQ(scheduler.FireDue().value(), 1);
  EXPECT_THAT(fired, ElementsAre("while-down"));
}

TEST(SchedulerTest, FailedHandlerLeavesTheEntryToRetryAndWritesNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  FakeClock clock(kT0);
  Scheduler scheduler(store.get(), &clock);
  scheduler.set_retry_delay(absl::Seconds(30));
  int attempts = 0;
  scheduler.RegisterHandler("test", [&attempts](const ScheduledEntry& e, Txn& txn) {
    ++attempts;
    txn.batch().Put(Cf::kIndex, "effect/" + e.key, "1");
    if (attempts == 1) return absl::UnavailableError("downstream not ready");
    return absl::OkStatus();
  });
  ASSERT_OK(AddEntry(*store, kT0, "flaky"));

  EXPECT_EQ(scheduler.FireDue().value(), 0);
  EXPECT_EQ(attempts, 1);
  EXPECT_FALSE(store->Get(Cf::kIndex, "effect/flaky").value().has_value());
  EXPECT_TRUE(scheduler.NextDue().value().has_value());

  clock.Advance(absl::Seconds(10));  // Within the retry delay: not retried yet.
  EXPECT_EQ(scheduler.FireDue().value(), 0);
  EXPECT_EQ(attempts, 1);

  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(scheduler.FireDue().value(), 1);
  EXPECT_EQ(attempts, 2);
  EXPECT_TRUE(store->Get(Cf::kIndex, "effect/flaky").value().has_value());
  EXPECT_FALSE(scheduler.NextDue().value().has_value());
}

// A handler's run whose write does not commit (a write conflict, a failure)
// leaves no effect; the run that commits leaves its effects, once.
TEST(SchedulerTest, EffectsRunOnlyAfterTheFiringCommits) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  FakeClock clock(kT0);
  Scheduler scheduler(store.get(), &clock);
  scheduler.set_retry_delay(absl::Seconds(30));
  int runs = 0;
  std::vector<int> effects;
  Store* raw = store.get();
  scheduler.RegisterHandler("test", [&runs, &effects, raw](const ScheduledEntry& e, Txn& txn) {
    const int run = ++runs;
    e.AfterCommit([&effects, run] { effects.push_back(run); });
    // The first run's read is overwritten before its write commits, which
    // makes it run again; the second run fails; the third commits.
    RETURN_IF_ERROR(txn.Get(Cf::kIndex, "contended").status());
    if (run == 1) {
      WriteBatch other;
      other.Put(Cf::kIndex, "contended", "changed");
      raw->Commit(std::move(other), [](absl::Status) {});
    }
    if (run == 2) return absl::UnavailableError("downstream not ready");
    txn.batch().Put(Cf::kIndex, "effect/" + e.key, "1");
    return absl::OkStatus();
  });
  ASSERT_OK(AddEntry(*store, kT0, "k"));

  EXPECT_EQ(scheduler.FireDue().value(), 0);
  EXPECT_EQ(runs, 2);
  EXPECT_TRUE(effects.empty());
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(scheduler.FireDue().value(), 1);
  EXPECT_EQ(runs, 3);
  EXPECT_THAT(effects, ElementsAre(3));
  EXPECT_TRUE(store->Get(Cf::kIndex, "effect/k").value().has_value());
}

TEST(SchedulerTest, EntryWithoutHandlerStays) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  FakeClock clock(kT0);
  Scheduler scheduler(store.get(), &clock);
  WriteBatch batch;
  batch.Schedule(kT0, "unknown-kind", "k");
  ASSERT_OK(store->CommitSync(std::move(batch)));
  EXPECT_EQ(scheduler.FireDue().value(), 0);
  EXPECT_TRUE(scheduler.NextDue().value().has_value());
}

TEST(SchedulerTest, BackgroundThreadFiresOverdueEntryWhenNotified) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  FakeClock clock(kT0);
  Scheduler scheduler(store.get(), &clock);
  absl::Notification done;
  scheduler.RegisterHandler("test", [&done](const ScheduledEntry&, Txn&) {
    done.Notify();
    return absl::OkStatus();
  });
  scheduler.Start();
  ASSERT_OK(AddEntry(*store, kT0 - absl::Seconds(1), "overdue"));
  scheduler.Notify(kT0 - absl::Seconds(1));
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  scheduler.Stop();
  EXPECT_FALSE(scheduler.NextDue().value().has_value());
}

TEST(SchedulerTest, NothingFiresAfterStop) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  FakeClock clock(kT0);
  Scheduler scheduler(store.get(), &clock);
  std::vector<std::string> fired;
  scheduler.RegisterHandler("test", Recorder(&fired));
  scheduler.Start();
  scheduler.Stop();
  ASSERT_OK(AddEntry(*store, kT0 - absl::Seconds(1), "late"));
  scheduler.Notify(kT0 - absl::Seconds(1));
  EXPECT_TRUE(fired.empty());
  EXPECT_TRUE(scheduler.NextDue().value().has_value());
}

}  // namespace
}  // namespace rapport::storage
