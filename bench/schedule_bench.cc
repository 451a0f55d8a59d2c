// Cost of firing due schedule entries (SLA crossings, escalation waits) with
// few or many entries pending later: the scheduler seeks to the head of the
// due-time ordered column family, so the cost per fired entry must not grow
// with the number pending. Each iteration adds 100 due entries (untimed) and
// times FireDue() firing them, with 1,000 or 100,000 entries pending in the
// future; items_per_second is fired entries per second.
//
//   build/bench/rapport_schedule_bench
// and compare BM_FireDue/1000 with BM_FireDue/100000 (same run).

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "storage/clock.h"
#include "storage/scheduler.h"
#include "storage/store.h"

namespace rapport::storage {
namespace {

constexpr int kDuePerIteration = 100;

void BM_FireDue(benchmark::State& state) {
  const int pending = static_cast<int>(state.range(0));
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/rapport_schedule_bench.XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    StoreOptions options;
    options.data_dir = dir;
    options.sync_writes = false;  // The cost measured is the scheduler's, not the disk's.
    auto store = Store::Open(options);
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    const absl::Time t0 = absl::FromUnixSeconds(1795000000);
    FakeClock clock(t0);
    Scheduler scheduler(store->get(), &clock);
    scheduler.RegisterHandler("bench", [](const ScheduledEntry& e, Txn& txn) {
      txn.batch().Put(Cf::kIndex, "fired/" + e.key, "");
      return absl::OkStatus();
    });
    // Entries pending far in the future.
    for (int i = 0; i < pending; i += 1000) {
      WriteBatch batch;
      for (int j = i; j < std::min(pending, i + 1000); ++j) {
        batch.Schedule(t0 + absl::Hours(24 * 365) + absl::Seconds(j), "bench", absl::StrCat("p", j));
      }
      if (!(*store)->CommitSync(std::move(batch)).ok()) state.SkipWithError("load failed");
    }
    int64_t round = 0;
    for (auto _ : state) {
      state.PauseTiming();
      WriteBatch batch;
      const absl::Time due = clock.Now() + absl::Seconds(1);
      for (int j = 0; j < kDuePerIteration; ++j) {
        batch.Schedule(due, "bench", absl::StrCat("d", round, "-", j));
      }
      if (!(*store)->CommitSync(std::move(batch)).ok()) state.SkipWithError("schedule failed");
      clock.Advance(absl::Seconds(1));
      ++round;
      state.ResumeTiming();
      auto fired = scheduler.FireDue();
      if (!fired.ok() || *fired != kDuePerIteration) state.SkipWithError("fired the wrong count");
    }
    state.SetItemsProcessed(state.iterations() * kDuePerIteration);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_FireDue)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace rapport::storage
