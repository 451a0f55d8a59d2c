#include "bench/bench_util.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rapport::bench {

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double BackgroundCpuSeconds() {
  double total = 0;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (!std::getline(comm, name) || !absl::StartsWith(name, "rocksdb:")) continue;
    std::ifstream schedstat(task.path() / "schedstat");
    double ns = 0;
    if (schedstat >> ns) total += ns * 1e-9;
  }
  return total;
}

// ------------------------------------------------------------ Flight

void Flight::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return in_flight_ < limit_; });
  ++in_flight_;
}

void Flight::Release(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!status.ok() && failed_++ == 0) first_error_ = status.ToString();
  --in_flight_;
  cv_.notify_all();
}

absl::Status Flight::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return in_flight_ == 0; });
  if (failed_ == 0) return absl::OkStatus();
  absl::Status status = absl::InternalError(absl::StrCat(failed_, " calls failed, e.g.: ", first_error_));
  failed_ = 0;
  return status;
}

// ------------------------------------------------------------ RatioReporter

void RatioReporter::ReportRuns(const std::vector<Run>& runs) {
  for (const auto& run : runs) {
    if (run.error_occurred) continue;
    Figures f{{"real", run.GetAdjustedRealTime()}, {"cpu", run.GetAdjustedCPUTime()}};
    for (const auto& [name, counter] : run.counters) f[name] = counter.value;
    if (derive_) derive_(f);
    const std::string& name = run.run_name.function_name;
    if (run.run_type == Run::RT_Aggregate) {
      if (run.aggregate_name == "median") medians_[name] = f;
      continue;
    }
    auto [it, fresh] = least_.try_emplace(name, f);
    if (!fresh) {
      for (const auto& [key, value] : f) {
        auto& kept = it->second[key];
        kept = std::min(kept, value);
      }
    }
  }
  ConsoleReporter::ReportRuns(runs);
}

std::optional<RatioReporter::Figures> RatioReporter::Get(const std::string& name) const {
  if (auto it = least_.find(name); it != least_.end()) return it->second;
  if (auto it = medians_.find(name); it != medians_.end()) return it->second;
  return std::nullopt;
}

void PrintRatio(const RatioReporter& reporter, const std::string& label, const std::string& a,
                const std::string& b, const std::vector<std::string>& keys) {
  auto fa = reporter.Get(a);
  auto fb = reporter.Get(b);
  if (!fa || !fb) return;
  std::printf("  %-40s", label.c_str());
  for (const auto& key : keys) {
    const double x = (*fa)[key], y = (*fb)[key];
    if (y > 0) {
      std::printf(" %11.2f", x / y);
    } else {
      std::printf(" %11s", "-");
    }
  }
  std::printf("\n");
}

// ------------------------------------------------------------ flags

int64_t ParseCount(absl::string_view program, const char* arg, absl::string_view flag) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(absl::string_view(arg).substr(flag.size()), &n) || n < 1) {
    std::fprintf(stderr, "%s: bad %s\n", std::string(program).c_str(), arg);
    std::exit(1);
  }
  return n;
}

Flags& Flags::Count(std::string flag, int64_t* out) {
  flags_.emplace_back(flag, [program = program_, flag, out](const char* arg) {
    *out = ParseCount(program, arg, flag);
  });
  return *this;
}

Flags& Flags::Count(std::string flag, int* out) {
  flags_.emplace_back(flag, [program = program_, flag, out](const char* arg) {
    *out = static_cast<int>(ParseCount(program, arg, flag));
  });
  return *this;
}

Flags& Flags::Text(std::string flag, std::string* out) {
  flags_.emplace_back(flag, [flag, out](const char* arg) { *out = std::string(arg + flag.size()); });
  return *this;
}

bool Flags::Initialize(int argc, char** argv) const {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const auto own = std::find_if(flags_.begin(), flags_.end(),
                                  [arg = argv[i]](const auto& f) { return absl::StartsWith(arg, f.first); });
    if (own != flags_.end()) {
      own->second(argv[i]);
    } else {
      args.push_back(argv[i]);
    }
  }
  int args_count = static_cast<int>(args.size());
  benchmark::Initialize(&args_count, args.data());
  return !benchmark::ReportUnrecognizedArguments(args_count, args.data());
}

void FiringCost::Report(benchmark::State& state, int64_t fired, int64_t pending,
                        int64_t handler_runs) const {
  const double n = static_cast<double>(fired);
  state.SetItemsProcessed(fired);
  state.counters["pending"] = static_cast<double>(pending);
  state.counters["cpu_us_per_fire"] = cpu_seconds_ * 1e6 / n;
  state.counters["real_us_per_fire"] = real_seconds_ * 1e6 / n;
  state.counters["bg_cpu_us_per_fire"] = background_seconds_ * 1e6 / n;
  state.counters["fg_cpu_us_per_fire"] = (cpu_seconds_ - background_seconds_) * 1e6 / n;
  state.counters["handler_runs_per_fire"] = static_cast<double>(handler_runs) / n;
}

}  // namespace rapport::bench
