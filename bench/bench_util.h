// Helpers shared by the Google Benchmark programs under bench/: CPU time of
// the whole process and of RocksDB's background threads, a bound on
// asynchronous calls in flight, a reporter that keeps each benchmark's figures
// to print large / small ratios, and the programs' own --flags.

#ifndef RAPPORT_BENCH_BENCH_UTIL_H_
#define RAPPORT_BENCH_BENCH_UTIL_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"

namespace rapport::bench {

// CPU time of the whole process so far (every thread), in seconds.
double ProcessCpuSeconds();

// CPU time of RocksDB's flush and compaction threads ("rocksdb:low",
// "rocksdb:high"), from /proc/self/task/*/schedstat (nanoseconds run); 0 where
// the kernel does not provide it.
double BackgroundCpuSeconds();

// The cost of firing scheduled entries: real time, CPU time of the whole
// process and of RocksDB's background threads, summed over the measured
// calls, reported per fired entry.
class FiringCost final {
 public:
  // Runs `fire` (a Scheduler::FireDue call), adding its cost; returns its result.
  template <typename Fire>
  auto Measure(Fire&& fire) {
    const double background0 = BackgroundCpuSeconds();
    const double cpu0 = ProcessCpuSeconds();
    const auto real0 = std::chrono::steady_clock::now();
    auto result = fire();
    real_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - real0).count();
    cpu_seconds_ += ProcessCpuSeconds() - cpu0;
    background_seconds_ += BackgroundCpuSeconds() - background0;
    return result;
  }
  // Sets the items processed and the per-fire counters of `state`: pending,
  // cpu_us_per_fire, real_us_per_fire, bg_cpu_us_per_fire (RocksDB's flush
  // and compaction threads), fg_cpu_us_per_fire (the rest), and
  // handler_runs_per_fire (above 1 when conflicts reran handlers).
  void Report(benchmark::State& state, int64_t fired, int64_t pending, int64_t handler_runs) const;

 private:
  double cpu_seconds_ = 0;
  double real_seconds_ = 0;
  double background_seconds_ = 0;
};

// Up to `limit` asynchronous calls at a time; remembers the first failure.
class Flight final {
 public:
  explicit Flight(int limit) : limit_(limit) {}
  // Waits until fewer than `limit` calls are in flight, then counts one more.
  void Acquire();
  // A call is done (from its callback), with `status`.
  void Release(const absl::Status& status);
  // Waits for every call; the first error, if any.
  absl::Status Wait();

 private:
  const int limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  int64_t failed_ = 0;
  std::string first_error_;
};

// Remembers each benchmark's least value of every figure (real and CPU time
// per iteration, counters, and any figure `derive` adds) over its repetitions
// (or, with --benchmark_report_aggregates_only, its median), by registered
// name.
class RatioReporter final : public benchmark::ConsoleReporter {
 public:
  using Figures = std::map<std::string, double>;  // "real", "cpu", counters.

  RatioReporter() = default;
  // `derive` adds figures of its own to each run's (before the minimum is
  // taken, so a derived figure is the least over the repetitions too).
  explicit RatioReporter(std::function<void(Figures&)> derive) : derive_(std::move(derive)) {}

  void ReportRuns(const std::vector<Run>& runs) override;
  // The figures of `name`; nullopt if it did not run.
  std::optional<Figures> Get(const std::string& name) const;

 private:
  std::function<void(Figures&)> derive_;
  std::map<std::string, Figures> least_;
  std::map<std::string, Figures> medians_;
};

// Prints `a`'s figures over `b`'s for `keys` ("-" where `b`'s is not above
// 0), on one line labelled `label`; nothing if either did not run.
void PrintRatio(const RatioReporter& reporter, const std::string& label, const std::string& a,
                const std::string& b, const std::vector<std::string>& keys);

// The count in `arg`, which starts with `flag` ("--large="): at least 1. On
// anything else prints "<program>: bad <arg>" and exits with 1.
int64_t ParseCount(absl::string_view program, const char* arg, absl::string_view flag);

// A benchmark program's own flags, taken out of argv before Google Benchmark
// reads the rest:
//
//   if (!Flags("rapport_x_bench").Count("--large=", &g_large).Initialize(argc, argv)) return 1;
class Flags final {
 public:
  // `program` starts the error messages.
  explicit Flags(std::string program) : program_(std::move(program)) {}

  // `flag`N (e.g. "--large=" N): a count of at least 1 (see ParseCount),
  // narrowed to the type of *out.
  Flags& Count(std::string flag, int64_t* out);
  Flags& Count(std::string flag, int* out);
  // `flag`TEXT: the text as it is.
  Flags& Text(std::string flag, std::string* out);

  // Sets the flags given in argv and hands every other argument to
  // benchmark::Initialize. False when Google Benchmark did not recognize some
  // of them (it has reported them): the program should exit with 1.
  bool Initialize(int argc, char** argv) const;

 private:
  std::string program_;
  // Prefix ("--large=") and what to do with an argument starting with it.
  std::vector<std::pair<std::string, std::function<void(const char*)>>> flags_;
};

}  // namespace rapport::bench

#endif  // RAPPORT_BENCH_BENCH_UTIL_H_
