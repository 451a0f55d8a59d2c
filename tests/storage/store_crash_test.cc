// A process killed at any moment loses no acknowledged write.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport::storage {
namespace {

TEST(StoreCrashTest, KilledWriterLosesNoAcknowledgedWrite) {
  rapport::testing::TempDir dir;
  for (int round = 0; round < 3; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::close(pipe_fds[0]);
      ::execl(CRASH_WRITER_PATH, CRASH_WRITER_PATH, dir.path().c_str(), nullptr);
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    FILE* in = ::fdopen(pipe_fds[0], "r");
    int last_acked = -1;
    char line[64];
    // Let it write a while (more each round), then kill it mid-stream.
    while (std::fgets(line, sizeof(line), in) != nullptr) {
      std::sscanf(line, "acked %d", &last_acked);
      if (last_acked >= 200 * (round + 1)) break;
    }
    ::kill(pid, SIGKILL);
    // Acknowledgements already in the pipe count too.
    while (std::fgets(line, sizeof(line), in) != nullptr) std::sscanf(line, "acked %d", &last_acked);
    std::fclose(in);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus));
    ASSERT_GE(last_acked, 0);

    StoreOptions options;
    options.data_dir = dir.path();
    ASSERT_OK_AND_ASSIGN(auto store, Store::Open(options));
    ASSERT_OK_AND_ASSIGN(int64_t count, store->GetCounter(Cf::kAggregates, "count"));
    EXPECT_GE(count, last_acked + 1);
    for (int i = 0; i <= last_acked; ++i) {
      ASSERT_TRUE(store->Get(Cf::kIndex, absl::StrCat("rec/", i)).value().has_value())
          << "acknowledged record " << i << " lost in round " << round;
    }
  }
}

}  // namespace
}  // namespace rapport::storage
