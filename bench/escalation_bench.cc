// Cost of firing automatic escalations against the number of acknowledgement
// waits pending (the target: firing an automatic escalation with
// 100,000 waits pending costs the same as with 1,000).
//
// BM_FireEscalations: a store holds --pending_small (default 1,000) or
// --pending_large (default 100,000) OPEN escalations of policy "slow", whose
// first level waits 7 days for an acknowledgement: each has its wait in the
// schedule (kind esc.ack), opened one after the other over the day before.
// Each round
// opens --batch (100) escalations of policy "fast" (first level: 1 minute;
// untimed), moves the FakeClock on by that minute and times
// Scheduler::FireDue() running Escalations::OnScheduled for them, as rapportd
// does: each moves to level 1 (AUTO_ESCALATED) with its record, timeline,
// indexes, counters, next wait and change log entry in one write. Then
// (untimed) it checks that every one of them is at level 1 and cancels them,
// so the pending count stays put. --rounds (200) rounds per run, the same in
// both cases so that both build up the same history. Everything goes through
// the domain API (Escalations::Create, Cancel) with sync_writes off.
//
// cpu_us_per_fire is the CPU time of the whole process (the committer and
// completer threads write and answer the firings) per fired wait, of which
// bg_cpu_us_per_fire ran in RocksDB's flush and compaction threads and
// fg_cpu_us_per_fire in the others (the firing path itself); real_us_per_fire
// the wall time; handler_runs_per_fire how many times OnScheduled ran per
// fired wait (above 1: transactions reran after write conflicts).
//
//   build/bench/rapport_escalation_bench [--pending_small=N] [--pending_large=N]
//       [--batch=N] [--rounds=N] [benchmark flags]
//
// Every run (each repetition too) loads a fresh store in a new directory under
// $TMPDIR (default /tmp), removed after the run: the cost per fire grows with
// the rounds a store has fired (the tombstones of fired entries at the head of
// the schedule), so runs on one store would not compare. Each benchmark's
// figure is the minimum over its repetitions (pass --benchmark_repetitions).
// At the end the ratio large / small is printed.

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "services/common/proto_time.h"
#include "services/common/transact.h"
#include "services/escalations/escalations.h"
#include "storage/clock.h"
#include "storage/scheduler.h"
#include "storage/store.h"

namespace rapport::escalations {
namespace {

using bench::Flight;

// A Monday morning: the pending escalations were opened in the day before.
const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 11, 2, 8, 0, 0), absl::UTCTimeZone());
constexpr absl::Duration kLoadSpan = absl::Hours(24);
constexpr absl::Duration kSlowWait = absl::Hours(24 * 7);
constexpr absl::Duration kFastWait = absl::Minutes(1);

// Flags (main() sets them before any benchmark runs).
int64_t g_pending_small = 1'000;
int64_t g_pending_large = 100'000;
int g_batch = 100;
int g_rounds = 200;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "rapport_escalation_bench: %s\n", message.c_str());
  std::exit(1);
}

v1::EscalationPolicy Policy(absl::string_view display_name, absl::Duration wait) {
  v1::EscalationPolicy p;
  p.set_display_name(std::string(display_name));
  for (const char* level : {"l1", "l2", "l3"}) {
    auto* l = p.add_levels();
    l->set_name(level);
    l->add_targets(absl::StrCat("team:", level));
    *l->mutable_ack_wait() = ToProtoDuration(wait);
  }
  return p;
}

// A store with pending escalations, the domain over it and a Scheduler
// running Escalations::OnScheduled for kAckScheduleKind, in a fresh
// directory.
class PendingStore final {
 public:
  explicit PendingStore(int64_t pending) : pending_(pending), clock_(kT0 - kLoadSpan) {
    const char* tmp = std::getenv("TMPDIR");
    dir_ = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/rapport_escalation_bench.pending-",
                        pending, ".XXXXXX");
    if (mkdtemp(dir_.data()) == nullptr) Die(absl::StrCat("mkdtemp ", dir_, " failed"));
    Open();
    for (auto [id, wait] : {std::pair{"slow", kSlowWait}, std::pair{"fast", kFastWait}}) {
      v1::CreateEscalationPolicyRequest request;
      request.set_policy_id(id);
      *request.mutable_policy() = Policy(id, wait);
      auto created = Await<v1::EscalationPolicy>([&](Callback<v1::EscalationPolicy> done) {
        domain_->CreatePolicy(request, std::move(done));
      });
      if (!created.ok()) Die(absl::StrCat("CreatePolicy: ", created.status().ToString()));
    }
    // Evenly over the day up to kT0, over 100 relationships.
    const absl::Duration step = kLoadSpan / pending;
    const absl::Time started = absl::Now();
    Flight flight(256);
    int64_t next_report = pending >= 100'000 ? pending / 10 : pending;
    for (int64_t i = 0; i < pending; ++i) {
      if (i == next_report) {
        std::fprintf(stderr, "  %lld of %lld escalations opened, %.0f s\n", static_cast<long long>(i),
                     static_cast<long long>(pending), absl::ToDoubleSeconds(absl::Now() - started));
        next_report += pending / 10;
      }
      auto request = CreateRequest(absl::StrFormat("p%08d", i), absl::StrCat("relationships/r", i % 100), "slow");
      flight.Acquire();
      domain_->Create(request, "bench", [&flight](absl::StatusOr<v1::Escalation> r) { flight.Release(r.status()); });
      clock_.Advance(step);
    }
    clock_.Set(kT0);
    if (auto s = flight.Wait(); !s.ok()) Die(absl::StrCat("opening pending escalations: ", s.ToString()));
    std::fprintf(stderr, "opened %lld pending escalations in %.1f s\n", static_cast<long long>(pending),
                 absl::ToDoubleSeconds(absl::Now() - started));
    // Reopen: the memtables become table files; then let compactions finish
    // (up to a minute) so that they do not run inside a measurement.
    Close();
    Open();
    const absl::Time deadline = absl::Now() + absl::Minutes(1);
    while (store_->Stats().pending_compaction_bytes > 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(200));
    }
    int64_t entries = 0;
    auto status = store_->ForEach(storage::Cf::kSchedule, storage::ScanOptions(),
                                  [&entries](absl::string_view, absl::string_view) {
                                    ++entries;
                                    return true;
                                  });
    if (!status.ok() || entries != pending) {
      Die(absl::StrCat(entries, " schedule entries pending, expected ", pending, " ", status.ToString()));
    }
  }

  ~PendingStore() {
    Close();
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
  }

  static v1::CreateEscalationRequest CreateRequest(const std::string& id, const std::string& relationship,
                                                   absl::string_view policy) {
    v1::CreateEscalationRequest request;
    request.set_escalation_id(id);
    auto* e = request.mutable_escalation();
    e->set_relationship(relationship);
    e->set_service("services/email");
    e->set_title("E-mail down for the sales floor");
    e->set_severity(v1::SEV2);
    e->set_policy(absl::StrCat("escalation_policies/", policy));
    return request;
  }

  int64_t pending() const { return pending_; }
  FakeClock& clock() { return clock_; }
  Escalations& domain() { return *domain_; }
  storage::Scheduler& scheduler() { return *scheduler_; }
  int64_t handler_runs() const { return handler_runs_.load(); }
  int64_t NextRound() { return round_++; }

 private:
  void Open() {
    storage::StoreOptions options;
    options.data_dir = dir_;
    options.sync_writes = false;
    auto store = storage::Store::Open(options);
    if (!store.ok()) Die(std::string(store.status().message()));
    store_ = std::move(store).value();
    domain_ = std::make_unique<Escalations>(store_.get(), &clock_);
    Escalations::Observer observer;
    observer.auto_change = [this](v1::EscalationTimelineEntry::Action) {
      handler_runs_.fetch_add(1, std::memory_order_relaxed);
    };
    domain_->SetObserver(std::move(observer));
    scheduler_ = std::make_unique<storage::Scheduler>(store_.get(), &clock_);
    Escalations* domain = domain_.get();
    scheduler_->RegisterHandler(kAckScheduleKind,
                                [domain](const storage::ScheduledEntry& entry, storage::Txn& txn) {
                                  return domain->OnScheduled(entry, txn);
                                });
  }

  // The store goes before the domain: its commit listener calls the domain.
  void Close() {
    scheduler_.reset();
    store_.reset();
    domain_.reset();
  }

  const int64_t pending_;
  std::string dir_;
  FakeClock clock_;
  std::atomic<int64_t> handler_runs_{0};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Escalations> domain_;
  std::unique_ptr<storage::Scheduler> scheduler_;
  int64_t round_ = 0;
};

// Runs `call(id, done)` for every id, all in flight together.
absl::Status ForAll(const std::vector<std::string>& ids,
                    const std::function<void(const std::string&, Callback<v1::Escalation>)>& call) {
  Flight flight(static_cast<int>(ids.size()));
  for (const auto& id : ids) {
    flight.Acquire();
    call(id, [&flight](absl::StatusOr<v1::Escalation> r) { flight.Release(r.status()); });
  }
  return flight.Wait();
}

// A fresh store per run, so that repetitions start alike (the cost per fire
// grows with the rounds a store has fired).
void BM_FireEscalations(benchmark::State& state, int64_t pending) {
  auto fresh = std::make_unique<PendingStore>(pending);
  PendingStore& store = *fresh;
  Escalations& domain = store.domain();
  FakeClock& clock = store.clock();
  rapport::bench::FiringCost cost;
  int64_t fired_total = 0, handler_runs = 0;
  std::vector<std::string> ids(g_batch);
  for (auto _ : state) {
    state.PauseTiming();
    // The pending escalations' waits end from kT0 - kLoadSpan + kSlowWait on.
    if (clock.Now() + kFastWait >= kT0 - kLoadSpan + kSlowWait) {
      state.SkipWithError("the clock reached the pending escalations' waits: fewer rounds");
      break;
    }
    const int64_t round = store.NextRound();
    for (int j = 0; j < g_batch; ++j) ids[j] = absl::StrFormat("r%06d-%04d", round, j);
    if (auto s = ForAll(ids,
                        [&domain](const std::string& id, Callback<v1::Escalation> done) {
                          domain.Create(PendingStore::CreateRequest(id, "relationships/acme", "fast"), "bench",
                                        std::move(done));
                        });
        !s.ok()) {
      state.SkipWithError(absl::StrCat("opening: ", s.ToString()).c_str());
      break;
    }
    clock.Advance(kFastWait);
    const int64_t runs_before = store.handler_runs();
    state.ResumeTiming();

    auto fired = cost.Measure([&] { return store.scheduler().FireDue(); });

    state.PauseTiming();
    if (!fired.ok() || *fired != g_batch) {
      state.SkipWithError(absl::StrCat("fired ", fired.ok() ? absl::StrCat(*fired) : fired.status().ToString(),
                                       " entries; expected ", g_batch)
                              .c_str());
      break;
    }
    fired_total += *fired;
    handler_runs += store.handler_runs() - runs_before;
    std::string wrong;
    for (const auto& id : ids) {
      v1::GetEscalationRequest get;
      get.set_name(absl::StrCat("escalations/", id));
      auto e = domain.Get(get);
      if (!e.ok() || e->level() != 1 || e->state() != v1::Escalation::OPEN) {
        wrong = e.ok() ? absl::StrCat(id, " is ", v1::Escalation::State_Name(e->state()), " at level ", e->level())
                       : e.status().ToString();
        break;
      }
    }
    if (!wrong.empty()) {
      state.SkipWithError(absl::StrCat("not escalated: ", wrong).c_str());
      break;
    }
    if (auto s = ForAll(ids,
                        [&domain](const std::string& id, Callback<v1::Escalation> done) {
                          v1::CancelEscalationRequest cancel;
                          cancel.set_name(absl::StrCat("escalations/", id));
                          cancel.set_reason("benchmark round over");
                          domain.Cancel(cancel, "bench", std::move(done));
                        });
        !s.ok()) {
      state.SkipWithError(absl::StrCat("cancelling: ", s.ToString()).c_str());
      break;
    }
    state.ResumeTiming();
  }
  if (fired_total == 0) return;
  cost.Report(state, fired_total, store.pending(), handler_runs);
}

}  // namespace
}  // namespace rapport::escalations

int main(int argc, char** argv) {
  namespace esc = rapport::escalations;
  if (!rapport::bench::Flags("rapport_escalation_bench")
           .Count("--pending_small=", &esc::g_pending_small)
           .Count("--pending_large=", &esc::g_pending_large)
           .Count("--batch=", &esc::g_batch)
           .Count("--rounds=", &esc::g_rounds)
           .Initialize(argc, argv)) {
    return 1;
  }

  auto name = [](int64_t p) { return absl::StrCat("BM_FireEscalations/pending:", p); };
  for (int64_t p : std::set<int64_t>{esc::g_pending_small, esc::g_pending_large}) {
    benchmark::RegisterBenchmark(name(p).c_str(), esc::BM_FireEscalations, p)
        ->Iterations(esc::g_rounds)
        ->MeasureProcessCPUTime()
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  rapport::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  auto large = reporter.Get(name(esc::g_pending_large));
  auto small = reporter.Get(name(esc::g_pending_small));
  if (large && small) {
    std::printf("\nCost per automatic escalation with %lld waits pending / with %lld (target: about 1)\n",
                static_cast<long long>(esc::g_pending_large), static_cast<long long>(esc::g_pending_small));
    for (const char* key : {"real_us_per_fire", "cpu_us_per_fire", "fg_cpu_us_per_fire"}) {
      const double a = (*large)[key], b = (*small)[key];
      std::printf("  %-18s %8.1f / %8.1f = %5.2f\n", key, a, b, b > 0 ? a / b : 0.0);
    }
  }
  return 0;
}
