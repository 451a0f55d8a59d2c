#include "storage/store.h"

#include <atomic>
#include <functional>
#include <future>
#include <limits>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/internal/v1/internal.pb.h"
#include "storage/status_macros.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport::storage {
namespace {

using ::rapport::testing::StatusIs;
using ::rapport::testing::TempDir;
using ::testing::HasSubstr;

std::unique_ptr<Store> OpenOrDie(const std::string& dir, bool sync = true) {
  StoreOptions options;
  options.data_dir = dir;
  options.sync_writes = sync;
  auto store = Store::Open(options);
  EXPECT_OK(store.status());
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string Key(int i) { return absl::StrFormat("k%06d", i); }

TEST(StoreTest, ProtoRecordRoundTrip) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  internal::v1::PageToken record;
  record.set_resume_key("resume");
  record.set_filter_hash(42);
  WriteBatch batch;
  batch.PutProto(Cf::kIndex, "r/1", record);
  ASSERT_OK(store->CommitSync(std::move(batch)));

  internal::v1::PageToken read;
  ASSERT_OK_AND_ASSIGN(bool found, store->GetProto(Cf::kIndex, "r/1", &read));
  EXPECT_TRUE(found);
  EXPECT_EQ(read.resume_key(), "resume");
  EXPECT_EQ(read.filter_hash(), 42u);
  ASSERT_OK_AND_ASSIGN(bool missing, store->GetProto(Cf::kIndex, "r/2", &read));
  EXPECT_FALSE(missing);
}

TEST(StoreTest, UnparsableRecordIsDataLoss) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  WriteBatch batch;
  batch.Put(Cf::kIndex, "bad", "\xff\xff\xff");
  ASSERT_OK(store->CommitSync(std::move(batch)));
  internal::v1::PageToken read;
  EXPECT_THAT(store->GetProto(Cf::kIndex, "bad", &read), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(StoreTest, ColumnFamiliesAreSeparate) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  WriteBatch batch;
  batch.Put(Cf::kIndex, "same", "index");
  batch.Put(Cf::kChanges, "same", "changes");
  ASSERT_OK(store->CommitSync(std::move(batch)));
  EXPECT_EQ(*store->Get(Cf::kIndex, "same").value(), "index");
  EXPECT_EQ(*store->Get(Cf::kChanges, "same").value(), "changes");
  EXPECT_FALSE(store->Get(Cf::kIdempotency, "same").value().has_value());
}

TEST(StoreTest, PagedScanReturnsEveryKeyOnceInOrder) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  WriteBatch batch;
  for (int i = 0; i < 1000; ++i) batch.Put(Cf::kIndex, "p/" + Key(i), "v");
  batch.Put(Cf::kIndex, "o/outside", "v");  // Other prefixes stay out.
  batch.Put(Cf::kIndex, "q/outside", "v");
  ASSERT_OK(store->CommitSync(std::move(batch)));

  std::vector<std::string> seen;
  ScanOptions options;
  options.prefix = "p/";
  options.limit = 37;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(ScanResult page, store->Scan(Cf::kIndex, options));
    ASSERT_LE(page.entries.size(), 37u);
    for (const auto& kv : page.entries) seen.push_back(kv.key);
    if (!page.more) break;
    options.start_after = page.entries.back().key;
  }
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[i], "p/" + Key(i));
}

TEST(StoreTest, PagedScanWhileInsertingReturnsExistingKeysExactlyOnce) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  WriteBatch batch;
  for (int i = 0; i < 2000; i += 2) batch.Put(Cf::kIndex, Key(i), "v");
  ASSERT_OK(store->CommitSync(std::move(batch)));

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 1; i < 2000 && !stop; i += 2) {
      WriteBatch b;
      b.Put(Cf::kIndex, Key(i), "v");
      EXPECT_OK(store->CommitSync(std::move(b)));
    }
  });
  std::multiset<std::string> seen;
  ScanOptions options;
  options.limit = 50;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(ScanResult page, store->Scan(Cf::kIndex, options));
    for (const auto& kv : page.entries) seen.insert(kv.key);
    if (!page.more) break;
    options.start_after = page.entries.back().key;
  }
  stop = true;
  writer.join();
  for (int i = 0; i < 2000; i += 2) EXPECT_EQ(seen.count(Key(i)), 1u) << Key(i);
  for (const auto& k : seen) EXPECT_EQ(seen.count(k), 1u) << k;
}

TEST(StoreTest, RangeBoundsAndLimit) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  WriteBatch batch;
  for (int i = 0; i < 10; ++i) batch.Put(Cf::kIndex, Key(i), "v");
  ASSERT_OK(store->CommitSync(std::move(batch)));
  ScanOptions options;
  options.lower = Key(3);
  options.upper = Key(7);
  ASSERT_OK_AND_ASSIGN(ScanResult all, store->Scan(Cf::kIndex, options));
  ASSERT_EQ(all.entries.size(), 4u);
  EXPECT_EQ(all.entries.front().key, Key(3));
  EXPECT_EQ(all.entries.back().key, Key(6));
  EXPECT_FALSE(all.more);
  options.limit = 4;
  ASSERT_OK_AND_ASSIGN(ScanResult exact, store->Scan(Cf::kIndex, options));
  EXPECT_EQ(exact.entries.size(), 4u);
  EXPECT_FALSE(exact.more);
}

TEST(StoreTest, FailedPreconditionWritesNothingOfTheBatch) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  WriteBatch setup;
  setup.Put(Cf::kIndex, "guard", "v1");
  ASSERT_OK(store->CommitSync(std::move(setup)));

  WriteBatch batch;
  batch.ExpectValue(Cf::kIndex, "guard", std::string("stale"));
  batch.Put(Cf::kIndex, "a", "1");
  batch.AddCounter(Cf::kAggregates, "count", 1);
  batch.Schedule(absl::FromUnixSeconds(10), "kind", "key");
  const absl::Status status = store->CommitSync(std::move(batch));
  EXPECT_TRUE(IsWriteConflict(status)) << status;
  EXPECT_FALSE(store->Get(Cf::kIndex, "a").value().has_value());
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "count").value(), 0);
  ASSERT_OK_AND_ASSIGN(ScanResult schedule, store->Scan(Cf::kSchedule, ScanOptions()));
  EXPECT_TRUE(schedule.entries.empty());

  WriteBatch absent;
  absent.ExpectValue(Cf::kIndex, "guard", std::nullopt);  // It exists: conflict.
  absent.Put(Cf::kIndex, "b", "1");
  EXPECT_TRUE(IsWriteConflict(store->CommitSync(std::move(absent))));
  EXPECT_FALSE(store->Get(Cf::kIndex, "b").value().has_value());
}

TEST(StoreTest, ConcurrentReadersSeeBatchesWhole) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 500; ++i) {
      WriteBatch b;
      b.Put(Cf::kIndex, "x", std::to_string(i));
      b.Put(Cf::kIndex, "y", std::to_string(i));
      b.AddCounter(Cf::kAggregates, "n", 1);
      EXPECT_OK(store->CommitSync(std::move(b)));
    }
    stop = true;
  });
  int torn = 0;
  while (!stop) {
    // One scan reads both keys from one snapshot-consistent iterator.
    auto both = store->Scan(Cf::kIndex, ScanOptions());
    ASSERT_OK(both.status());
    if (both->entries.size() == 2 && both->entries[0].value != both->entries[1].value) ++torn;
  }
  writer.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "n").value(), 500);
}

TEST(StoreTest, ConcurrentReadModifyWriteLosesNoUpdate) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  constexpr int kThreads = 8;
  constexpr int kIncrements = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        EXPECT_OK(store->TransactSync([](Txn& txn) -> absl::Status {
          auto current = txn.Get(Cf::kIndex, "counter");
          if (!current.ok()) return current.status();
          const int value = current->has_value() ? std::stoi(**current) : 0;
          txn.batch().Put(Cf::kIndex, "counter", std::to_string(value + 1));
          return absl::OkStatus();
        }));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(*store->Get(Cf::kIndex, "counter").value(), std::to_string(kThreads * kIncrements));
}

TEST(StoreTest, TransactBodyErrorWritesNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  const absl::Status status = store->TransactSync([](Txn& txn) {
    txn.batch().Put(Cf::kIndex, "a", "1");
    return absl::InvalidArgumentError("name is required");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  EXPECT_FALSE(store->Get(Cf::kIndex, "a").value().has_value());
}

TEST(StoreTest, CountersAddUp) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  for (int delta : {5, -2, 10}) {
    WriteBatch b;
    b.AddCounter(Cf::kAggregates, "c", delta);
    ASSERT_OK(store->CommitSync(std::move(b)));
  }
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "c").value(), 13);
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "absent").value(), 0);
}

TEST(StoreTest, CounterAdditionsOfManyConcurrentBatchesSumExactly) {
  // Batches of one commit group adding to the same counters are written as
  // one merge per counter; every addition must still count once.
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  constexpr int kThreads = 32;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        WriteBatch b;
        b.AddCounter(Cf::kAggregates, "shared", 1);
        b.AddCounter(Cf::kAggregates, "signed", t % 2 == 0 ? 3 : -5);
        b.AddCounter(Cf::kAggregates, absl::StrCat("own", t), i);
        b.Put(Cf::kIndex, absl::StrCat("t", t, "/", i), "");
        ASSERT_OK(store->CommitSync(std::move(b)));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "shared").value(), kThreads * kPerThread);
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "signed").value(),
            (kThreads / 2) * kPerThread * 3 - (kThreads / 2) * kPerThread * 5);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(store->GetCounter(Cf::kAggregates, absl::StrCat("own", t)).value(),
              kPerThread * (kPerThread - 1) / 2);
  }
}

TEST(StoreTest, PutOrDeleteOfACounterKeepsItsPlaceAmongAdditions) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  WriteBatch b;
  b.AddCounter(Cf::kAggregates, "reset", 5);
  b.Put(Cf::kAggregates, "reset", EncodeCounter(100));
  b.AddCounter(Cf::kAggregates, "reset", 2);
  b.AddCounter(Cf::kAggregates, "cleared", 7);
  b.Delete(Cf::kAggregates, "cleared");
  b.AddCounter(Cf::kAggregates, "cleared", 3);
  b.AddCounter(Cf::kAggregates, "wraps", std::numeric_limits<int64_t>::max());
  b.AddCounter(Cf::kAggregates, "wraps", 2);
  ASSERT_OK(store->CommitSync(std::move(b)));
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "reset").value(), 102);
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "cleared").value(), 3);
  // Two's complement, as the merge operator adds.
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "wraps").value(),
            std::numeric_limits<int64_t>::min() + 1);
}

TEST(StoreTest, TheLastWriteOfAKeyInABatchWins) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  WriteBatch b;
  b.Put(Cf::kIndex, "put-put", "first");
  b.Put(Cf::kIndex, "put-put", "second");
  b.Put(Cf::kIndex, "put-delete", "gone");
  b.Delete(Cf::kIndex, "put-delete");
  b.Delete(Cf::kIndex, "delete-put");
  b.Put(Cf::kIndex, "delete-put", "back");
  b.Put(Cf::kIndex, "put-delete-put", "one");
  b.Delete(Cf::kIndex, "put-delete-put");
  b.Put(Cf::kIndex, "put-delete-put", "three");
  b.AddCounter(Cf::kAggregates, "add-put-add-put-add", 1);
  b.Put(Cf::kAggregates, "add-put-add-put-add", EncodeCounter(10));
  b.AddCounter(Cf::kAggregates, "add-put-add-put-add", 100);
  b.Put(Cf::kAggregates, "add-put-add-put-add", EncodeCounter(1000));
  b.AddCounter(Cf::kAggregates, "add-put-add-put-add", 4);
  b.AddCounter(Cf::kAggregates, "add-put-add-put-add", 5);
  ASSERT_OK(store->CommitSync(std::move(b)));
  EXPECT_EQ(store->Get(Cf::kIndex, "put-put").value(), std::optional<std::string>("second"));
  EXPECT_EQ(store->Get(Cf::kIndex, "put-delete").value(), std::nullopt);
  EXPECT_EQ(store->Get(Cf::kIndex, "delete-put").value(), std::optional<std::string>("back"));
  EXPECT_EQ(store->Get(Cf::kIndex, "put-delete-put").value(), std::optional<std::string>("three"));
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "add-put-add-put-add").value(), 1009);
}

TEST(StoreTest, CounterRowsAddCellByCellInAGroupAndAcrossCommits) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    WriteBatch b;
    b.AddCounterCell(Cf::kAggregates, "row", 2, 3);
    b.AddCounterCell(Cf::kAggregates, "row", 0, 1);  // Summed in the group.
    ASSERT_OK(store->CommitSync(std::move(b)));
    WriteBatch later;
    later.AddCounterCell(Cf::kAggregates, "row", 1, -2);  // Merged by RocksDB.
    later.AddCounterCell(Cf::kAggregates, "row", 2, 1);
    ASSERT_OK(store->CommitSync(std::move(later)));
  }
  auto store = OpenOrDie(dir.path());
  auto row = store->Get(Cf::kAggregates, "row");
  ASSERT_OK(row.status());
  ASSERT_TRUE(row->has_value());
  ASSERT_EQ(CounterCellCount(**row), 3u);
  EXPECT_EQ(CounterCell(**row, 0), 1);
  EXPECT_EQ(CounterCell(**row, 1), -2);
  EXPECT_EQ(CounterCell(**row, 2), 4);
  // A row is not a plain counter.
  EXPECT_THAT(store->GetCounter(Cf::kAggregates, "row"),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(StoreTest, SchemaOneSatisfactionCountersMoveIntoRows) {
  TempDir dir;
  const std::string row_a = satkeys::Tally('S', "email", 'D', 0, 20000, 1);
  const std::string row_b = satkeys::Tally('E', "", 'H', 23, -1, 2);
  auto legacy = [](const std::string& row, uint32_t lane) {
    std::string key = row;
    AppendUint32(&key, lane);
    return key;
  };
  {
    auto store = OpenOrDie(dir.path());
    std::string one;
    AppendUint32(&one, 1);
    WriteBatch b;
    b.Put(Cf::kMeta, kMetaSchemaVersionKey, one);
    b.AddCounter(Cf::kAggregates, legacy(row_a, 0), 4);
    b.AddCounter(Cf::kAggregates, legacy(row_a, 5), (int64_t{3} << 32) | 2);
    b.AddCounter(Cf::kAggregates, legacy(row_b, 1), 6);
    b.AddCounter(Cf::kAggregates, "other", 8);  // Not a tally: left alone.
    ASSERT_OK(store->CommitSync(std::move(b)));
    WriteBatch more;  // A second operand of one legacy counter.
    more.AddCounter(Cf::kAggregates, legacy(row_a, 0), 1);
    ASSERT_OK(store->CommitSync(std::move(more)));
  }
  for (int open = 0; open < 2; ++open) {  // The second open finds nothing to move.
    auto store = OpenOrDie(dir.path());
    auto version = store->Get(Cf::kMeta, kMetaSchemaVersionKey);
    ASSERT_OK(version.status());
    absl::string_view in = **version;
    EXPECT_EQ(ConsumeUint32(&in), kSchemaVersion);

    auto a = store->Get(Cf::kAggregates, row_a);
    ASSERT_OK(a.status());
    ASSERT_TRUE(a->has_value());
    ASSERT_EQ(CounterCellCount(**a), 6u);
    EXPECT_EQ(CounterCell(**a, 0), 5);
    for (size_t cell = 1; cell < 5; ++cell) EXPECT_EQ(CounterCell(**a, cell), 0);
    EXPECT_EQ(CounterCell(**a, 5), (int64_t{3} << 32) | 2);
    auto b = store->Get(Cf::kAggregates, row_b);
    ASSERT_OK(b.status());
    ASSERT_TRUE(b->has_value());
    ASSERT_EQ(CounterCellCount(**b), 2u);
    EXPECT_EQ(CounterCell(**b, 1), 6);
    EXPECT_EQ(store->GetCounter(Cf::kAggregates, "other").value(), 8);

    int tallies = 0;
    ScanOptions scan;
    scan.prefix = std::string(satkeys::kTallyPrefix);
    ASSERT_OK(store->ForEach(Cf::kAggregates, scan, [&](absl::string_view key, absl::string_view) {
      EXPECT_FALSE(satkeys::DecodeLegacyTally(key).has_value()) << "legacy key left";
      ++tallies;
      return true;
    }));
    EXPECT_EQ(tallies, 2);
  }
}

TEST(StoreTest, SchemaTwoCompletionCountersMoveIntoRows) {
  TempDir dir;
  const std::string row_a = ticketkeys::CompletionRow('A', "gold", 2, 20400);
  const std::string row_b = ticketkeys::CompletionRow('S', "email", 1, -3);
  auto legacy = [](const std::string& row, uint32_t field) {
    std::string key = row;
    AppendUint32(&key, field);
    return key;
  };
  {
    auto store = OpenOrDie(dir.path());
    std::string two;
    AppendUint32(&two, 2);
    WriteBatch b;
    b.Put(Cf::kMeta, kMetaSchemaVersionKey, two);
    b.AddCounter(Cf::kAggregates, legacy(row_a, 0), 7);    // met
    b.AddCounter(Cf::kAggregates, legacy(row_a, 1), 2);    // breached
    b.AddCounter(Cf::kAggregates, legacy(row_a, 103), 9);  // bucket 3
    b.AddCounter(Cf::kAggregates, legacy(row_b, 115), 1);  // bucket 15
    b.AddCounter(Cf::kAggregates, ticketkeys::OpenCount('S', "email", 0), 4);  // Not one.
    ASSERT_OK(store->CommitSync(std::move(b)));
    WriteBatch more;  // A second operand of one legacy counter.
    more.AddCounter(Cf::kAggregates, legacy(row_a, 0), 1);
    ASSERT_OK(store->CommitSync(std::move(more)));
  }
  for (int open = 0; open < 2; ++open) {  // The second open finds nothing to move.
    auto store = OpenOrDie(dir.path());
    auto version = store->Get(Cf::kMeta, kMetaSchemaVersionKey);
    ASSERT_OK(version.status());
    absl::string_view in = **version;
    EXPECT_EQ(ConsumeUint32(&in), kSchemaVersion);

    auto a = store->Get(Cf::kAggregates, row_a);
    ASSERT_OK(a.status());
    ASSERT_TRUE(a->has_value());
    ASSERT_EQ(CounterCellCount(**a), ticketkeys::kCompletionFirstBucketCell + 4);
    EXPECT_EQ(CounterCell(**a, ticketkeys::kCompletionMetCell), 8);
    EXPECT_EQ(CounterCell(**a, ticketkeys::kCompletionBreachedCell), 2);
    EXPECT_EQ(CounterCell(**a, ticketkeys::kCompletionFirstBucketCell + 2), 0);
    EXPECT_EQ(CounterCell(**a, ticketkeys::kCompletionFirstBucketCell + 3), 9);
    auto b = store->Get(Cf::kAggregates, row_b);
    ASSERT_OK(b.status());
    ASSERT_TRUE(b->has_value());
    ASSERT_EQ(CounterCellCount(**b), ticketkeys::kCompletionFirstBucketCell + 16);
    EXPECT_EQ(CounterCell(**b, ticketkeys::kCompletionFirstBucketCell + 15), 1);
    EXPECT_EQ(CounterCell(**b, ticketkeys::kCompletionMetCell), 0);
    EXPECT_EQ(store->GetCounter(Cf::kAggregates, ticketkeys::OpenCount('S', "email", 0)).value(), 4);

    int rows = 0;
    ScanOptions scan;
    scan.prefix = std::string(ticketkeys::kCompletionPrefix);
    ASSERT_OK(store->ForEach(Cf::kAggregates, scan, [&](absl::string_view key, absl::string_view) {
      EXPECT_FALSE(ticketkeys::DecodeLegacyCompletion(key).has_value()) << "legacy key left";
      ++rows;
      return true;
    }));
    EXPECT_EQ(rows, 2);
  }
}

TEST(StoreTest, ABatchOfManyWritesOfEveryKindKeepsEachKeyAndValue) {
  // A batch keeps its bytes in one buffer that grows as writes come: every
  // write must come out with its own key and value after many regrowths.
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  internal::v1::TicketRecord record;
  record.mutable_ticket()->set_name("tickets/in-the-batch");
  record.set_scheduled_micros(42);
  WriteBatch b;
  for (int i = 0; i < 300; ++i) {
    b.Put(Cf::kIndex, Key(i), std::string(static_cast<size_t>(i % 97) * 13, static_cast<char>('a' + i % 26)));
    if (i % 50 == 0) b.PutProto(Cf::kTickets, Key(i), record);
    if (i % 7 == 0) b.AddCounterCell(Cf::kAggregates, "row", static_cast<size_t>(i % 3), 1);
    if (i % 60 == 0) b.AppendToLog(Cf::kIndex, "log/last", "log/e", Key(i));
  }
  b.Delete(Cf::kIndex, Key(5));
  ASSERT_OK(store->CommitSync(std::move(b)));

  for (int i = 0; i < 300; ++i) {
    auto value = store->Get(Cf::kIndex, Key(i));
    ASSERT_OK(value.status());
    if (i == 5) {
      EXPECT_FALSE(value->has_value());
      continue;
    }
    ASSERT_TRUE(value->has_value()) << Key(i);
    EXPECT_EQ(**value, std::string(static_cast<size_t>(i % 97) * 13, static_cast<char>('a' + i % 26)));
  }
  internal::v1::TicketRecord read;
  ASSERT_TRUE(store->GetProto(Cf::kTickets, Key(250), &read).value());
  EXPECT_EQ(read.ticket().name(), "tickets/in-the-batch");
  EXPECT_EQ(read.scheduled_micros(), 42);
  auto row = store->Get(Cf::kAggregates, "row");
  ASSERT_OK(row.status());
  ASSERT_TRUE(row->has_value());
  // i = 0, 7, ..., 294: 43 additions, by i % 3 into cells 0, 1 and 2.
  int cells[3] = {0, 0, 0};
  for (int i = 0; i < 300; i += 7) ++cells[i % 3];
  for (int c = 0; c < 3; ++c) EXPECT_EQ(CounterCell(**row, static_cast<size_t>(c)), cells[c]) << c;
  ScanOptions scan;
  scan.prefix = "log/e";
  auto log = store->Scan(Cf::kIndex, scan);
  ASSERT_OK(log.status());
  ASSERT_EQ(log->entries.size(), 5u);
  EXPECT_EQ(log->entries[0].value, Key(0));
  EXPECT_EQ(log->entries[4].value, Key(240));
  std::string last;
  AppendUint64(&last, 5);
  EXPECT_EQ(store->Get(Cf::kIndex, "log/last").value(), std::optional<std::string>(last));
}

TEST(StoreTest, LogAppendsAreNumberedInCommitOrderWithoutGapsAcrossReopen) {
  TempDir dir;
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  {
    auto store = OpenOrDie(dir.path());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          WriteBatch b;
          b.AppendToLog(Cf::kIndex, "log/last", "log/e", absl::StrCat(t, "/", i));
          ASSERT_OK(store->CommitSync(std::move(b)));
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  auto store = OpenOrDie(dir.path());
  WriteBatch b;
  b.AppendToLog(Cf::kIndex, "log/last", "log/e", "after reopen");
  ASSERT_OK(store->CommitSync(std::move(b)));

  ScanOptions scan;
  scan.prefix = "log/e";
  auto entries = store->Scan(Cf::kIndex, scan);
  ASSERT_OK(entries.status());
  constexpr int kTotal = kThreads * kPerThread + 1;
  ASSERT_EQ(entries->entries.size(), static_cast<size_t>(kTotal));
  std::set<std::string> values;
  for (int n = 1; n <= kTotal; ++n) {
    const auto& entry = entries->entries[static_cast<size_t>(n - 1)];
    std::string expected_key = "log/e";
    AppendUint64(&expected_key, static_cast<uint64_t>(n));
    EXPECT_EQ(entry.key, expected_key);
    values.insert(entry.value);
  }
  EXPECT_EQ(values.size(), static_cast<size_t>(kTotal));  // Each append once.
  EXPECT_EQ(entries->entries.back().value, "after reopen");
  std::string last;
  AppendUint64(&last, kTotal);
  EXPECT_EQ(*store->Get(Cf::kIndex, "log/last").value(), last);
}

TEST(StoreTest, ReopenKeepsData) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    WriteBatch b;
    b.Put(Cf::kIndex, "kept", "yes");
    b.AddCounter(Cf::kAggregates, "c", 3);
    ASSERT_OK(store->CommitSync(std::move(b)));
  }
  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(*store->Get(Cf::kIndex, "kept").value(), "yes");
  EXPECT_EQ(store->GetCounter(Cf::kAggregates, "c").value(), 3);
}

TEST(StoreTest, SecondOpenOfTheSameDirIsRefused) {
  TempDir dir;
  auto first = OpenOrDie(dir.path());
  StoreOptions options;
  options.data_dir = dir.path();
  EXPECT_THAT(Store::Open(options),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in use by another")));
}

TEST(StoreTest, NewerSchemaIsRefused) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    std::string newer;
    AppendUint32(&newer, kSchemaVersion + 1);
    WriteBatch b;
    b.Put(Cf::kMeta, kMetaSchemaVersionKey, newer);
    ASSERT_OK(store->CommitSync(std::move(b)));
  }
  StoreOptions options;
  options.data_dir = dir.path();
  EXPECT_THAT(Store::Open(options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("schema version ", kSchemaVersion + 1))));
  // The refusal released the directory: an open after it is not "in use".
  EXPECT_THAT(Store::Open(options),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newer")));
}

TEST(StoreTest, CheckpointHoldsExactlyTheWritesBeforeIt) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  WriteBatch before;
  before.Put(Cf::kIndex, "before", "1");
  before.AddCounter(Cf::kAggregates, "c", 7);
  ASSERT_OK(store->CommitSync(std::move(before)));
  ASSERT_OK_AND_ASSIGN(CheckpointInfo info, store->Checkpoint(dir.Sub("backup")));
  EXPECT_GT(info.file_count, 0u);
  EXPECT_GT(info.size_bytes, 0u);
  WriteBatch after;
  after.Put(Cf::kIndex, "after", "1");
  ASSERT_OK(store->CommitSync(std::move(after)));

  auto restored = OpenOrDie(dir.Sub("backup"));
  ASSERT_NE(restored, nullptr);
  EXPECT_TRUE(restored->Get(Cf::kIndex, "before").value().has_value());
  EXPECT_FALSE(restored->Get(Cf::kIndex, "after").value().has_value());
  EXPECT_EQ(restored->GetCounter(Cf::kAggregates, "c").value(), 7);
  // A checkpoint into an existing directory fails and leaves it alone.
  EXPECT_FALSE(store->Checkpoint(dir.Sub("backup")).ok());
}

TEST(StoreTest, GroupCommitAnswersOnlyAfterTheSyncAndSharesSyncs) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/true);
  std::atomic<int> groups{0};
  std::atomic<int> synced_batches{0};
  std::atomic<bool> unsynced_group{false};
  store->AddCommitListener([&](const CommitGroupInfo& info) {
    if (!info.synced) unsynced_group = true;
    groups.fetch_add(1);
    synced_batches.fetch_add(static_cast<int>(info.batches));
  });
  constexpr int kThreads = 32;
  constexpr int kPerThread = 20;
  std::atomic<int> answered_before_sync{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        WriteBatch b;
        b.Put(Cf::kIndex, absl::StrCat("t", t, "/", i), "v");
        const int synced_before = synced_batches.load();
        ASSERT_OK(store->CommitSync(std::move(b)));
        // Our batch was counted by a synced group before we were answered.
        if (synced_batches.load() <= synced_before) answered_before_sync.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered_before_sync.load(), 0);
  EXPECT_FALSE(unsynced_group.load());
  EXPECT_EQ(synced_batches.load(), kThreads * kPerThread);
  // Concurrent callers shared syncs: fewer groups than batches.
  EXPECT_LT(groups.load(), kThreads * kPerThread);
}

TEST(StoreTest, CommitAfterPreconditionConflictInSameGroupSeesEarlierWrite) {
  // Two transactions read the same key concurrently; both cannot win with
  // the same read, so the second reruns on the first's result.
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      EXPECT_OK(store->TransactSync([](Txn& txn) -> absl::Status {
        auto v = txn.Get(Cf::kIndex, "seq");
        if (!v.ok()) return v.status();
        txn.batch().Put(Cf::kIndex, "seq", (*v).value_or("") + "x");
        return absl::OkStatus();
      }));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(*store->Get(Cf::kIndex, "seq").value(), "xx");
}

// Runs a read-modify-write of `key` (appending "!" to what it read). On its
// first attempt, between the read and the commit, `meanwhile` runs (it may
// commit other writes). Returns the number of attempts.
int AppendWithInterference(Store& store, const std::string& key,
                           const std::function<void()>& meanwhile) {
  int attempts = 0;
  EXPECT_OK(store.TransactSync([&](Txn& txn) -> absl::Status {
    ++attempts;
    auto v = txn.Get(Cf::kIndex, key);
    if (!v.ok()) return v.status();
    if (attempts == 1) meanwhile();
    txn.batch().Put(Cf::kIndex, key, (*v).value_or("") + "!");
    return absl::OkStatus();
  }));
  return attempts;
}

void PutOrDie(Store& store, const std::string& key, const std::string& value) {
  WriteBatch b;
  b.Put(Cf::kIndex, key, value);
  ASSERT_OK(store.CommitSync(std::move(b)));
}

// Commits one batch of `count` keys no transaction reads: more than the
// committer remembers, so it forgets every earlier write.
void ChurnOrDie(Store& store, int count) {
  WriteBatch b;
  for (int i = 0; i < count; ++i) b.Put(Cf::kIndex, absl::StrCat("churn/", i), "");
  ASSERT_OK(store.CommitSync(std::move(b)));
}

TEST(StoreTxnTest, AWriteBetweenReadAndCommitMakesTheTransactionRerun) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  PutOrDie(*store, "k", "a");
  EXPECT_EQ(AppendWithInterference(*store, "k", [&] { PutOrDie(*store, "k", "b"); }), 2);
  EXPECT_EQ(*store->Get(Cf::kIndex, "k").value(), "b!");
}

TEST(StoreTxnTest, OnlyTheEffectsOfTheRunThatCommitsHappen) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  PutOrDie(*store, "k", "a");
  std::vector<int> effects;
  int runs = 0;
  ASSERT_OK(store->TransactSync([&](Txn& txn) -> absl::Status {
    const int run = ++runs;
    txn.AfterCommit([&effects, run] { effects.push_back(run); });
    ASSIGN_OR_RETURN(auto v, txn.Get(Cf::kIndex, "k"));
    if (run == 1) PutOrDie(*store, "k", "b");
    txn.batch().Put(Cf::kIndex, "k", v.value_or("") + "!");
    return absl::OkStatus();
  }));
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(effects, std::vector<int>{2});
  // A body that fails has none.
  EXPECT_THAT(store->TransactSync([&](Txn& txn) -> absl::Status {
    txn.AfterCommit([&effects] { effects.push_back(-1); });
    txn.batch().Put(Cf::kIndex, "k", "never");
    return absl::InvalidArgumentError("refused");
  }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(effects, std::vector<int>{2});
}

TEST(StoreTxnTest, WritesOfOtherKeysBetweenReadAndCommitDoNotConflict) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  PutOrDie(*store, "k", "a");
  EXPECT_EQ(AppendWithInterference(*store, "k",
                                   [&] {
                                     for (int i = 0; i < 20; ++i) PutOrDie(*store, Key(i), "x");
                                   }),
            1);
  EXPECT_EQ(*store->Get(Cf::kIndex, "k").value(), "a!");
}

TEST(StoreTxnTest, ATransactionOlderThanTheRememberedWritesStillSeesTheirConflict) {
  // The write of k is forgotten by the time the transaction commits: the
  // committer must read k again rather than take it for unchanged.
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  PutOrDie(*store, "k", "a");
  EXPECT_EQ(AppendWithInterference(*store, "k",
                                   [&] {
                                     PutOrDie(*store, "k", "b");
                                     ChurnOrDie(*store, 100000);
                                   }),
            2);
  EXPECT_EQ(*store->Get(Cf::kIndex, "k").value(), "b!");
  // And an unchanged key read before the churn commits at the first attempt.
  EXPECT_EQ(AppendWithInterference(*store, "k", [&] { ChurnOrDie(*store, 100000); }), 1);
  EXPECT_EQ(*store->Get(Cf::kIndex, "k").value(), "b!!");
}

// A body that reads "a" and then "b", where another write puts both between
// the two reads on its first run only: that run sees b without a, a state
// the store was never in. It fails on it, or (`fail` false) answers with how
// many of the two keys it saw.
struct TornReads {
  Store* store;
  bool fail;
  int runs = 0;
  int seen = 0;
  absl::Status operator()(Txn& txn) {
    ++runs;
    ASSIGN_OR_RETURN(std::optional<std::string> a, txn.Get(Cf::kIndex, "a"));
    if (runs == 1) {
      WriteBatch both;
      both.Put(Cf::kIndex, "a", "1");
      both.Put(Cf::kIndex, "b", "1");
      RETURN_IF_ERROR(store->CommitSync(std::move(both)));
    }
    ASSIGN_OR_RETURN(std::optional<std::string> b, txn.Get(Cf::kIndex, "b"));
    seen = (a ? 1 : 0) + (b ? 1 : 0);
    if (fail && b && !a) return absl::FailedPreconditionError("b without a");
    return absl::OkStatus();
  }
};

TEST(StoreTxnTest, AFailureFromReadsThatChangedUnderTheBodyRunsItAgain) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  TornReads body{store.get(), /*fail=*/true};
  EXPECT_OK(store->TransactSync([&](Txn& txn) { return body(txn); }));
  EXPECT_EQ(body.runs, 2);
}

TEST(StoreTxnTest, AReadOnlyOutcomeFromReadsThatChangedRunsAgain) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  TornReads body{store.get(), /*fail=*/false};
  EXPECT_OK(store->TransactSync([&](Txn& txn) { return body(txn); }));
  EXPECT_EQ(body.runs, 2);
  EXPECT_EQ(body.seen, 2);
}

TEST(StoreTxnTest, OnlyAFailureAfterSeveralReadsWaitsForTheCommitter) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  // The committer is held in a listener after the write of "hold".
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> holding{false};
  store->AddCommitListener([&](const CommitGroupInfo&) {
    if (holding.exchange(false)) released.wait();
  });
  holding = true;
  WriteBatch hold;
  hold.Put(Cf::kIndex, "hold", "1");
  std::promise<absl::Status> held;
  store->Commit(std::move(hold), [&](absl::Status s) { held.set_value(s); });
  while (holding) std::this_thread::yield();  // The committer is in the listener.

  const auto fail_after = [](int reads) {
    return [reads](Txn& txn) -> absl::Status {
      for (int i = 0; i < reads; ++i) RETURN_IF_ERROR(txn.Get(Cf::kIndex, Key(i)).status());
      return absl::NotFoundError("nothing there");
    };
  };
  // One read: answered on this thread, committer or not.
  absl::Status one_read = absl::UnknownError("not answered");
  store->Transact(fail_after(1), [&](absl::Status s) { one_read = s; });
  EXPECT_THAT(one_read, StatusIs(absl::StatusCode::kNotFound));
  // Two reads: checked by the committer first, so not answered while it is held.
  std::promise<absl::Status> two_reads;
  store->Transact(fail_after(2), [&](absl::Status s) { two_reads.set_value(s); });
  auto answer = two_reads.get_future();
  EXPECT_EQ(answer.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  release.set_value();
  EXPECT_THAT(answer.get(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("nothing there")));
  EXPECT_OK(held.get_future().get());
}

TEST(StoreTxnTest, AFailureFromReadsThatStillHoldIsAnsweredAtOnce) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), /*sync=*/false);
  PutOrDie(*store, "b", "1");
  std::atomic<int> commits{0};
  store->AddCommitListener([&](const CommitGroupInfo&) { ++commits; });
  int runs = 0;
  const absl::Status status = store->TransactSync([&](Txn& txn) -> absl::Status {
    ++runs;
    ASSIGN_OR_RETURN(std::optional<std::string> a, txn.Get(Cf::kIndex, "a"));
    ASSIGN_OR_RETURN(std::optional<std::string> b, txn.Get(Cf::kIndex, "b"));
    // A write of a key the body did not read: no reason to run it again.
    PutOrDie(*store, "c", "1");
    if (b && !a) return absl::FailedPreconditionError("b without a");
    return absl::OkStatus();
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("b without a")));
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(store->Get(Cf::kIndex, "a").value().has_value());
  // The write of c was a commit; checking the body's reads was not.
  EXPECT_EQ(commits.load(), 1);
}

}  // namespace
}  // namespace rapport::storage

namespace rapport::storage {
namespace {

TEST(StoreTxnTest, ReadsItsOwnWrites) {
  rapport::testing::TempDir dir;
  StoreOptions options;
  options.data_dir = dir.path();
  auto store = Store::Open(options);
  ASSERT_OK(store.status());
  WriteBatch setup;
  setup.Put(Cf::kIndex, "a", "stored");
  ASSERT_OK((*store)->CommitSync(std::move(setup)));
  ASSERT_OK((*store)->TransactSync([](Txn& txn) -> absl::Status {
    EXPECT_EQ(txn.Get(Cf::kIndex, "a").value(), "stored");
    txn.batch().Put(Cf::kIndex, "a", "mine");
    EXPECT_EQ(txn.Get(Cf::kIndex, "a").value(), "mine");
    txn.batch().Delete(Cf::kIndex, "a");
    EXPECT_FALSE(txn.Get(Cf::kIndex, "a").value().has_value());
    txn.batch().Put(Cf::kIndex, "b", "new");
    EXPECT_EQ(txn.Get(Cf::kIndex, "b").value(), "new");
    return absl::OkStatus();
  }));
  EXPECT_FALSE((*store)->Get(Cf::kIndex, "a").value().has_value());
  EXPECT_EQ((*store)->Get(Cf::kIndex, "b").value(), "new");
}

}  // namespace
}  // namespace rapport::storage
