// `rapportd --config=FILE` through the real binary: the file's settings
// apply, command-line flags override them, a bad file stops rapportd with
// exit code 2 and a message naming the line, and deploy/rapportd.conf.example
// documents every flag and starts rapportd as it is.
#include <signal.h>

#include <regex>
#include <set>

#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "server/config_file.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::rapport::testing::ReadFile;
using ::rapport::testing::RunRapportd;
using ::rapport::testing::ServerProcess;
using ::rapport::testing::SourcePath;
using ::rapport::testing::TempDir;
using ::rapport::testing::WriteFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

grpc::Status GetServerInfo(const ServerProcess& server, v1::ServerInfo* info) {
  auto stub = v1::AdminService::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return stub->GetServerInfo(&ctx, v1::GetServerInfoRequest(), info);
}

// The flags `rapportd --help` lists (those of its main.cc).
std::set<std::string> RapportdFlags(const TempDir& dir) {
  std::string help;
  RunRapportd({"--help"}, dir.Sub("help.txt"), &help);
  std::set<std::string> flags;
  const std::regex flag_line(R"(\n    --([a-z0-9_]+) \()");
  for (std::sregex_iterator it(help.begin(), help.end(), flag_line), end; it != end; ++it) {
    flags.insert((*it)[1]);
  }
  EXPECT_THAT(flags, ::testing::Contains("data_dir")) << "cannot read the flags from:\n" << help;
  return flags;
}

class RapportdConfigTest : public ::testing::Test {
 protected:
  std::string Config(const std::string& text) {
    const std::string path = dir_.Sub("rapportd.conf");
    WriteFile(path, text);
    return path;
  }
  // Runs rapportd to completion with --config=`path` and `flags`.
  int RunWithConfig(const std::string& path, std::string* output) {
    return RunRapportd({"--config=" + path, "--data_dir=" + dir_.Sub("data"),
                        "--listen=127.0.0.1:0", "--metrics_listen=", "--allow_plaintext",
                        "--allow_unauthenticated", "--auth_tokens_file="},
                       dir_.Sub("run" + std::to_string(++runs_) + ".log"), output);
  }
  TempDir dir_;
  int runs_ = 0;
};

TEST_F(RapportdConfigTest, FileSettingsApplyAndFlagsOverrideThem) {
  const std::string path = Config(
      "# sync_writes comes from the file; data_dir is overridden by the flag.\n"
      "sync_writes = false\n"
      "data_dir = " + dir_.Sub("from-file") + "\n"
      "grace_period = 2s\n");
  // ServerProcess gives --listen, --metrics_listen and --data_dir as flags.
  auto server = ServerProcess::Start(dir_.Sub("from-flag"), dir_.Sub("rapportd.log"),
                                     {"--config=" + path});
  ASSERT_NE(server, nullptr);
  v1::ServerInfo info;
  ASSERT_OK(GetServerInfo(*server, &info));
  EXPECT_FALSE(info.sync_writes());
  EXPECT_EQ(info.data_dir(), dir_.Sub("from-flag"));
  EXPECT_THAT(server->Log(), HasSubstr("sync_writes=false"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(RapportdConfigTest, UnknownKeyExitsWithCode2NamingKeyAndLine) {
  const std::string path = Config("listen = 127.0.0.1:0\n\n# typo below\ncolour = blue\n");
  std::string output;
  EXPECT_EQ(RunWithConfig(path, &output), 2);
  EXPECT_THAT(output, HasSubstr(path + ": line 4: unknown key 'colour'"));
  EXPECT_THAT(output, Not(HasSubstr("serving")));
}

TEST_F(RapportdConfigTest, BadValueExitsWithCode2NamingKeyAndLine) {
  std::string output;
  EXPECT_EQ(RunWithConfig(Config("sync_writes = true\ngrace_period = soon\n"), &output), 2);
  EXPECT_THAT(output, HasSubstr("line 2: grace_period:"));
  EXPECT_EQ(RunWithConfig(Config("health_bands = 90,10\n"), &output), 2);
  EXPECT_THAT(output, HasSubstr("health_bands"));
}

TEST_F(RapportdConfigTest, SyntaxErrorExitsWithCode2) {
  std::string output;
  EXPECT_EQ(RunWithConfig(Config("listen 127.0.0.1:0\n"), &output), 2);
  EXPECT_THAT(output, AllOf(HasSubstr("line 1"), HasSubstr("expected 'key = value'")));
}

TEST_F(RapportdConfigTest, MissingFileExitsWithCode2) {
  std::string output;
  EXPECT_EQ(RunWithConfig(dir_.Sub("missing.conf"), &output), 2);
  EXPECT_THAT(output, HasSubstr("cannot read configuration file " + dir_.Sub("missing.conf")));
}

TEST_F(RapportdConfigTest, ExampleDocumentsEveryFlagAndNothingElse) {
  auto entries = ParseConfig(ReadFile(SourcePath("deploy/rapportd.conf.example")));
  ASSERT_OK(entries);
  std::set<std::string> keys;
  for (const auto& entry : *entries) keys.insert(entry.key);
  std::set<std::string> flags = RapportdFlags(dir_);
  flags.erase("config");
  EXPECT_EQ(keys, flags) << "deploy/rapportd.conf.example should set every flag of rapportd "
                            "but --config, with a comment saying what it does";
}

TEST_F(RapportdConfigTest, ExampleStartsRapportd) {
  // Its listen, metrics_listen and data_dir are overridden to run here.
  auto server = ServerProcess::Start(dir_.Sub("data"), dir_.Sub("rapportd.log"),
                                     {"--config=" + SourcePath("deploy/rapportd.conf.example")});
  ASSERT_NE(server, nullptr);
  v1::ServerInfo info;
  ASSERT_OK(GetServerInfo(*server, &info));
  EXPECT_TRUE(info.sync_writes());
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace rapport
