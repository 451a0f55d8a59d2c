// Micro-benchmarks of storage::Store, below gRPC: the cost of a durable small
// write under 1, 8 and 64 concurrent writers with and without WAL sync (how
// well group commit shares one fsync), a point read and a 100-key prefix scan.
//
// Each benchmark run opens its own store in a fresh directory under $TMPDIR
// (default /tmp) and removes it afterwards. The default minimum time per
// benchmark is 0.5 s; --benchmark_min_time overrides it.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "storage/store.h"

namespace rapport::storage {
namespace {

// Write size of a "small write": about one record.
constexpr size_t kValueBytes = 100;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "rapport_store_bench: %s\n", message.c_str());
  std::exit(1);
}

// A Store in a fresh temporary directory, removed when this is destroyed.
class TempStore final {
 public:
  // Opens the store; exits the process with a message if it cannot.
  explicit TempStore(bool sync_writes) {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir =
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/rapport_store_bench.XXXXXX");
    if (mkdtemp(dir.data()) == nullptr) Die(absl::StrCat("mkdtemp ", dir, " failed"));
    dir_ = dir;
    Open(sync_writes);
  }

  ~TempStore() {
    store_.reset();
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
  }

  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  // Closes and reopens the store: RocksDB flushes the recovered log into
  // table files, so reads afterwards go through SSTs and the block cache
  // rather than the memtable, as they do for data that is not brand new.
  void Reopen() {
    const bool sync_writes = store_->options().sync_writes;
    store_.reset();
    Open(sync_writes);
  }

  Store& store() { return *store_; }

 private:
  void Open(bool sync_writes) {
    StoreOptions options;
    options.data_dir = dir_;
    options.sync_writes = sync_writes;
    auto store = Store::Open(options);
    if (!store.ok()) Die(absl::StrCat("cannot open a store: ", store.status().ToString()));
    store_ = *std::move(store);
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

// The store of the running benchmark, shared by its threads: thread 0 sets it
// up before the loop and tears it down after. Benchmark holds every thread at
// the loop's start until all arrive, and at its end until all finish, so the
// other threads only touch it inside the loop.
std::unique_ptr<TempStore> shared_store;

void CommitOrDie(Store& store, WriteBatch batch) {
  if (absl::Status status = store.CommitSync(std::move(batch)); !status.ok()) {
    Die(absl::StrCat("commit failed: ", status.ToString()));
  }
}

// One Put of kValueBytes under a new key per commit, CommitSync per thread.
void BM_Commit(benchmark::State& state, bool sync_writes) {
  if (state.thread_index() == 0) shared_store = std::make_unique<TempStore>(sync_writes);
  const std::string value(kValueBytes, 'v');
  const std::string prefix = absl::StrFormat("commit/%03d/", state.thread_index());
  uint64_t next = 0;
  for (auto _ : state) {
    WriteBatch batch;
    batch.Put(Cf::kIndex, absl::StrCat(prefix, next++), value);
    if (absl::Status status = shared_store->store().CommitSync(std::move(batch)); !status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) shared_store.reset();
}
BENCHMARK_CAPTURE(BM_Commit, sync, true)->Threads(1)->Threads(8)->Threads(64)->UseRealTime();
BENCHMARK_CAPTURE(BM_Commit, nosync, false)->Threads(1)->Threads(8)->Threads(64)->UseRealTime();

// Keys of the read benchmarks: kReadKeys under "get/", flushed to table files.
constexpr int kReadKeys = 10000;

std::string ReadKey(int i) { return absl::StrFormat("get/%08d", i); }

// Point read of an existing key, cycling over kReadKeys keys.
void BM_Get(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared_store = std::make_unique<TempStore>(/*sync_writes=*/false);
    const std::string value(kValueBytes, 'v');
    WriteBatch batch;
    for (int i = 0; i < kReadKeys; ++i) batch.Put(Cf::kIndex, ReadKey(i), value);
    CommitOrDie(shared_store->store(), std::move(batch));
    shared_store->Reopen();
  }
  std::vector<std::string> keys;
  keys.reserve(kReadKeys);
  for (int i = 0; i < kReadKeys; ++i) keys.push_back(ReadKey(i));
  // Threads start at different keys so they do not read in lockstep.
  size_t i = static_cast<size_t>(state.thread_index()) * 997;
  for (auto _ : state) {
    auto value = shared_store->store().Get(Cf::kIndex, keys[i++ % keys.size()]);
    if (!value.ok() || !value->has_value()) {
      state.SkipWithError("a key written in setup is missing");
      break;
    }
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) shared_store.reset();
}
BENCHMARK(BM_Get)->Threads(1)->Threads(8)->UseRealTime();

// Number of keys a scan returns.
constexpr int kScanKeys = 100;

// Scan of the kScanKeys keys under "scan/", between kReadKeys keys sorting
// before the prefix and kReadKeys after it. Items are scans.
void BM_Scan(benchmark::State& state) {
  shared_store = std::make_unique<TempStore>(/*sync_writes=*/false);
  const std::string value(kValueBytes, 'v');
  WriteBatch batch;
  for (int i = 0; i < kReadKeys; ++i) {
    batch.Put(Cf::kIndex, absl::StrFormat("a/%08d", i), value);
    batch.Put(Cf::kIndex, absl::StrFormat("z/%08d", i), value);
  }
  for (int i = 0; i < kScanKeys; ++i) batch.Put(Cf::kIndex, absl::StrFormat("scan/%04d", i), value);
  CommitOrDie(shared_store->store(), std::move(batch));
  shared_store->Reopen();

  ScanOptions options;
  options.prefix = "scan/";
  for (auto _ : state) {
    auto result = shared_store->store().Scan(Cf::kIndex, options);
    if (!result.ok() || result->entries.size() != kScanKeys) {
      state.SkipWithError("the scan did not return the keys written in setup");
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keys_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kScanKeys), benchmark::Counter::kIsRate);
  shared_store.reset();
}
BENCHMARK(BM_Scan);

}  // namespace
}  // namespace rapport::storage

int main(int argc, char** argv) {
  // A short default minimum time; a --benchmark_min_time given by the user
  // comes later on the command line and wins.
  static char default_min_time[] = "--benchmark_min_time=0.5";
  std::vector<char*> args = {argv[0], default_min_time};
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
