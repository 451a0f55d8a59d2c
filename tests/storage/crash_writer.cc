// Test helper: opens a store and commits records one by one, printing
// "acked N" after each commit returns. store_crash_test kills it with SIGKILL
// at an arbitrary moment and checks that every acknowledged record survived.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: crash_writer DATA_DIR\n");
    return 2;
  }
  rapport::storage::StoreOptions options;
  options.data_dir = argv[1];
  auto store = rapport::storage::Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  for (int i = 0;; ++i) {
    rapport::storage::WriteBatch batch;
    batch.Put(rapport::storage::Cf::kIndex, absl::StrCat("rec/", i), std::string(200, 'x'));
    batch.AddCounter(rapport::storage::Cf::kAggregates, "count", 1);
    if (!(*store)->CommitSync(std::move(batch)).ok()) return 1;
    std::printf("acked %d\n", i);
    std::fflush(stdout);
  }
}
