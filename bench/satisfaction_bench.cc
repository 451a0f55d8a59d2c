// GetTrend's cost against the number of answers stored: two years of daily
// points over a store holding --small answers (default 10,000) and one holding
// --large answers (default 1,000,000; the target is 10,000,000, which
// takes a while to load on a small machine), in UTC, in Europe/Berlin (whose
// local days also need hour slots at each edge) and in Asia/Kolkata (UTC+5:30:
// a block and two quarter hours per edge). The target: the large store's time
// within 1.5x of the small one's. GetScore over 365 days is measured alongside.
//
// Answers are loaded through the domain API (Satisfaction::SubmitResponse, the
// real write path with its records, index entries and counters), 256 in
// flight, with sync_writes off, spread evenly over the two years with scores
// 0-10 in turn, to one NPS survey of one service and relationship. Each store
// is then closed and reopened so reads go through table files, as they do for
// data that is not brand new. At the end the ratios large / small are printed.
//
//   build/bench/rapport_satisfaction_bench [--small=N] [--large=N] [benchmark flags]
//
// Stores live in fresh directories under $TMPDIR (default /tmp), removed at
// exit; with --store_dir=DIR they live in DIR/answers-N instead and are kept,
// and a later run reuses them rather than loading again (loading a million
// answers takes minutes on a small machine).
//
// Each benchmark's time is the minimum over its repetitions (pass
// --benchmark_repetitions): on a shared machine the minimum is the figure
// least disturbed by other work. Ratios are printed for real and CPU time.

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "services/common/proto_time.h"
#include "services/satisfaction/satisfaction.h"
#include "storage/key_codec.h"

namespace rapport::satisfaction {
namespace {

const absl::Time kEnd = absl::FromCivil(absl::CivilDay(2026, 11, 20), absl::UTCTimeZone());
const absl::Time kStart = kEnd - absl::Hours(24 * 730);

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "rapport_satisfaction_bench: %s\n", message.c_str());
  std::exit(1);
}

// A store loaded with `answers` answers, in its own temporary directory.
class LoadedStore final {
 public:
  // In a fresh temporary directory when `keep_in` is empty; otherwise in
  // keep_in/answers-N, loaded only if it does not exist yet, and kept.
  LoadedStore(int64_t answers, const std::string& keep_in) : answers_(answers) {
    bool load = true;
    if (keep_in.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      std::string dir = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                     "/rapport_satisfaction_bench.XXXXXX");
      if (mkdtemp(dir.data()) == nullptr) Die(absl::StrCat("mkdtemp ", dir, " failed"));
      dir_ = dir;
      remove_ = true;
    } else {
      dir_ = absl::StrCat(keep_in, "/answers-", answers);
      load = !std::filesystem::exists(dir_ + "/loaded");
      if (load) {
        std::error_code error;
        std::filesystem::remove_all(dir_, error);
        std::filesystem::create_directories(dir_, error);
        if (error) Die(absl::StrCat("cannot create ", dir_));
      }
    }
    Open();
    if (load) {
      Load();
      // Reopen: the memtables become table files.
      domain_.reset();
      store_.reset();
      Open();
      if (!keep_in.empty()) {
        std::FILE* mark = std::fopen((dir_ + "/loaded").c_str(), "w");
        if (mark == nullptr) Die(absl::StrCat("cannot mark ", dir_, " loaded"));
        std::fclose(mark);
      }
    } else {
      std::fprintf(stderr, "reusing %s\n", dir_.c_str());
    }
  }

  ~LoadedStore() {
    domain_.reset();
    store_.reset();
    if (!remove_) return;
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
  }

  Satisfaction& domain() { return *domain_; }

  // How many day and quarter-hour counters every answer together has, against
  // the most there can be (every slot of the two years with each of the six
  // NPS lanes): once every counter exists, more answers only change values, so
  // a read touches the same keys.
  void PrintCounterDensity() const {
    auto count = [this](char level, int slots) {
      int64_t n = 0;
      for (int slot = 0; slot < slots; ++slot) {
        storage::ScanOptions scan;
        scan.prefix =
            storage::satkeys::TallyNodePrefix('E', "", level, static_cast<uint32_t>(slot));
        auto status = store_->ForEach(storage::Cf::kAggregates, scan,
                                      [&n](absl::string_view, absl::string_view) {
                                        ++n;
                                        return true;
                                      });
        if (!status.ok()) Die(std::string(status.message()));
      }
      return n;
    };
    const int64_t days = 730, lanes = 6;
    std::fprintf(
        stderr,
        "%lld answers: %lld of %lld day counters, %lld of %lld hour counters, %lld of %lld "
        "quarter-hour counters exist\n",
        static_cast<long long>(answers_), static_cast<long long>(count('D', 1)),
        static_cast<long long>(days * lanes), static_cast<long long>(count('H', 24)),
        static_cast<long long>(days * 24 * lanes), static_cast<long long>(count('Q', 96)),
        static_cast<long long>(days * 96 * lanes));
  }

 private:
  void Open() {
    storage::StoreOptions options;
    options.data_dir = dir_;
    options.sync_writes = false;
    auto store = storage::Store::Open(options);
    if (!store.ok()) Die(std::string(store.status().message()));
    store_ = std::move(store).value();
    auto domain = Satisfaction::Open(store_.get(), &clock_, &references_);
    if (!domain.ok()) Die(std::string(domain.status().message()));
    domain_ = std::move(domain).value();
  }

  void Load() {
    v1::CreateSurveyRequest create;
    create.set_survey_id("bench");
    create.mutable_survey()->set_display_name("Bench");
    create.mutable_survey()->set_question("How likely are you to recommend IT?");
    create.mutable_survey()->set_kind(v1::Survey::NPS);
    create.mutable_survey()->set_state(v1::Survey::OPEN);
    create.mutable_survey()->set_service("services/email");
    create.mutable_survey()->set_relationship("relationships/acme");
    auto created = Await<v1::Survey>(
        [&](Callback<v1::Survey> done) { domain_->CreateSurvey(create, std::move(done)); });
    if (!created.ok()) Die(std::string(created.status().message()));

    constexpr int kInFlight = 256;
    std::mutex mu;
    std::condition_variable cv;
    int in_flight = 0;
    int64_t failed = 0;
    std::string first_error;
    const absl::Time started = absl::Now();
    const int64_t span = absl::ToInt64Seconds(kEnd - kStart);
    for (int64_t i = 0; i < answers_; ++i) {
      v1::SubmitResponseRequest request;
      request.set_parent("surveys/bench");
      request.set_respondent(absl::StrCat("respondent-", i));
      request.mutable_response()->set_score(static_cast<int>(i % 11));
      *request.mutable_response()->mutable_submit_time() =
          ToProtoTime(kStart + absl::Seconds(i * span / answers_));
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return in_flight < kInFlight; });
        ++in_flight;
      }
      domain_->SubmitResponse(request, [&](absl::StatusOr<v1::Response> result) {
        std::lock_guard<std::mutex> lock(mu);
        if (!result.ok()) {
          if (failed++ == 0) first_error = std::string(result.status().message());
        }
        --in_flight;
        cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
    if (failed > 0) Die(absl::StrCat(failed, " answers failed, e.g.: ", first_error));
    const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
    std::fprintf(stderr, "loaded %lld answers in %.1f s (%.0f answers/s)\n",
                 static_cast<long long>(answers_), seconds,
                 static_cast<double>(answers_) / seconds);
  }

  const int64_t answers_;
  std::string dir_;
  bool remove_ = false;
  FakeClock clock_{kEnd};
  References references_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Satisfaction> domain_;
};

void BM_GetTrend(benchmark::State& state, LoadedStore* store, std::string zone) {
  v1::GetTrendRequest request;
  request.set_bucket(v1::GetTrendRequest::DAY);
  request.set_time_zone(zone);
  *request.mutable_start_time() = ToProtoTime(kStart);
  *request.mutable_end_time() = ToProtoTime(kEnd);
  int64_t answers = 0;
  for (auto _ : state) {
    auto trend = store->domain().GetTrend(request);
    if (!trend.ok()) {
      state.SkipWithError(std::string(trend.status().message()).c_str());
      return;
    }
    answers = 0;
    for (const auto& p : trend->points()) answers += p.nps().count();
    benchmark::DoNotOptimize(trend);
  }
  state.counters["points"] = 730;
  state.counters["answers_counted"] = static_cast<double>(answers);
}

void BM_GetScore365(benchmark::State& state, LoadedStore* store) {
  v1::GetScoreRequest request;
  request.set_rolling_days(365);
  *request.mutable_end_time() = ToProtoTime(kEnd - absl::Minutes(7));  // Off the quarter hour.
  for (auto _ : state) {
    auto score = store->domain().GetScore(request);
    if (!score.ok()) {
      state.SkipWithError(std::string(score.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(score);
  }
}

// Remembers each benchmark's least real and CPU time per iteration over its
// repetitions (or, with --benchmark_report_aggregates_only, its median), to
// print ratios.
class RatioReporter final : public benchmark::ConsoleReporter {
 public:
  struct Times {
    double real = 0;
    double cpu = 0;
  };
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.error_occurred) continue;
      const Times t{run.GetAdjustedRealTime(), run.GetAdjustedCPUTime()};
      const std::string name = run.run_name.str();
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") medians_[name] = t;
        continue;
      }
      auto [it, fresh] = least_.try_emplace(name, t);
      if (!fresh) {
        it->second.real = std::min(it->second.real, t.real);
        it->second.cpu = std::min(it->second.cpu, t.cpu);
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // The figure of `name`; nullopt if it did not run.
  std::optional<Times> Get(const std::string& name) const {
    if (auto it = least_.find(name); it != least_.end()) return it->second;
    if (auto it = medians_.find(name); it != medians_.end()) return it->second;
    return std::nullopt;
  }

 private:
  std::map<std::string, Times> least_;
  std::map<std::string, Times> medians_;
};

}  // namespace
}  // namespace rapport::satisfaction

int main(int argc, char** argv) {
  using rapport::satisfaction::LoadedStore;
  int64_t small = 10'000, large = 1'000'000;
  std::string store_dir;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (absl::StartsWith(argv[i], "--store_dir=")) {
      store_dir = std::string(argv[i] + std::strlen("--store_dir="));
    } else if (absl::StartsWith(argv[i], "--small=")) {
      small = rapport::bench::ParseCount("rapport_satisfaction_bench", argv[i], "--small=");
    } else if (absl::StartsWith(argv[i], "--large=")) {
      large = rapport::bench::ParseCount("rapport_satisfaction_bench", argv[i], "--large=");
    } else {
      args.push_back(argv[i]);
    }
  }
  int args_count = static_cast<int>(args.size());
  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;

  std::map<int64_t, std::unique_ptr<LoadedStore>> stores;
  for (int64_t n : {small, large}) {
    stores[n] = std::make_unique<LoadedStore>(n, store_dir);
    stores[n]->PrintCounterDensity();
  }
  const std::vector<std::string> zones = {"UTC", "Europe/Berlin", "Asia/Kolkata"};
  for (int64_t n : {small, large}) {
    for (const auto& zone : zones) {
      benchmark::RegisterBenchmark(
          absl::StrCat("BM_GetTrend/days:730/zone:", zone, "/answers:", n).c_str(),
          rapport::satisfaction::BM_GetTrend, stores[n].get(), zone)
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(absl::StrCat("BM_GetScore/days:365/answers:", n).c_str(),
                                 rapport::satisfaction::BM_GetScore365, stores[n].get())
        ->Unit(benchmark::kMicrosecond);
  }
  rapport::satisfaction::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\nTime with %lld answers / time with %lld answers (target: at most 1.5):\n",
              static_cast<long long>(large), static_cast<long long>(small));
  std::printf("  %-40s %6s %6s\n", "", "real", "cpu");
  auto ratio = [&](const std::string& name) {
    auto a = reporter.Get(absl::StrCat(name, "/answers:", large));
    auto b = reporter.Get(absl::StrCat(name, "/answers:", small));
    if (!a || !b || b->real <= 0 || b->cpu <= 0) return;
    std::printf("  %-40s %6.2f %6.2f\n", name.c_str(), a->real / b->real, a->cpu / b->cpu);
  };
  for (const auto& zone : zones) ratio(absl::StrCat("BM_GetTrend/days:730/zone:", zone));
  ratio("BM_GetScore/days:365");
  return 0;
}
