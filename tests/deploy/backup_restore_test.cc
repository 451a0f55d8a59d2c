// The backup and restore runbook of the README, step by step, through the
// real rapportd and rapportctl and the same shell tools (cp -a, mv), in a
// temporary directory standing for /var/lib/rapport and /var/backups/rapport:
// an online backup while rapportd serves, a check of the backup on a copy,
// and a restore by starting rapportd on a copy of the backup.
#include <signal.h>

#include <filesystem>
#include <map>

#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::rapport::testing::CommandResult;
using ::rapport::testing::ReadFile;
using ::rapport::testing::RunCommand;
using ::rapport::testing::RunRapportctl;
using ::rapport::testing::ServerProcess;
using ::rapport::testing::SourcePath;
using ::rapport::testing::StatusIs;
using ::rapport::testing::TempDir;
using ::testing::HasSubstr;

std::unique_ptr<v1::RelationshipService::Stub> Stub(const ServerProcess& server) {
  return v1::RelationshipService::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

grpc::Status Create(const ServerProcess& server, const std::string& id, v1::Relationship* out) {
  v1::CreateRelationshipRequest request;
  request.set_relationship_id(id);
  request.mutable_relationship()->set_display_name("Customer " + id);
  request.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
  return Stub(server)->CreateRelationship(Ctx().get(), request, out);
}

grpc::Status Get(const ServerProcess& server, const std::string& id, v1::Relationship* out) {
  v1::GetRelationshipRequest request;
  request.set_name("relationships/" + id);
  return Stub(server)->GetRelationship(Ctx().get(), request, out);
}

// Every file under `dir` with its contents, to see that nothing changed it.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), dir).string()] = ReadFile(entry.path().string());
    }
  }
  return files;
}

void Shell(const std::vector<std::string>& argv) {
  const CommandResult r = RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << ": " << r.output;
}

class BackupRestoreRunbookTest : public ::testing::Test {
 protected:
  // rapportd as the package runs it: the packaged configuration, with
  // ServerProcess's flags for the addresses and the data directory.
  std::unique_ptr<ServerProcess> Start(const std::string& data_dir) {
    return ServerProcess::Start(data_dir, dir_.Sub("rapportd.log"),
                                {"--config=" + SourcePath("deploy/rapportd.conf.example")});
  }
  TempDir dir_;
  const std::string live_ = dir_.Sub("var-lib-rapport");
  const std::string backups_ = dir_.Sub("var-backups-rapport");
  const std::string backup_ = backups_ + "/2026-11-23-0200";
};

TEST_F(BackupRestoreRunbookTest, OnlineBackupCheckAndRestore) {
  fs::create_directories(backups_);
  v1::Relationship acme, globex, out;
  auto server = Start(live_);
  ASSERT_NE(server, nullptr);
  ASSERT_OK(Create(*server, "acme", &acme));
  ASSERT_OK(Create(*server, "globex", &globex));

  // 1. Online backup: rapportd keeps serving.
  std::string output;
  ASSERT_EQ(RunRapportctl({"--server", server->address(), "admin", "backup", backup_}, &output), 0)
      << output;
  EXPECT_THAT(output, HasSubstr("backup written to " + backup_));
  ASSERT_OK(Create(*server, "initech", &out));  // After the backup: not in it.
  EXPECT_EQ(RunRapportctl({"--server", server->address(), "health"}, &output), 0) << output;
  // A backup never overwrites: the directory must not exist yet.
  EXPECT_EQ(RunRapportctl({"--server", server->address(), "admin", "backup", backup_}, &output), 1)
      << output;
  const auto backup_files = Snapshot(backup_);
  ASSERT_FALSE(backup_files.empty());

  // 2. Check the backup on a copy, beside the live server.
  const std::string check = dir_.Sub("rapport-check");
  Shell({"cp", "-a", backup_, check});
  {
    auto checker = Start(check);
    ASSERT_NE(checker, nullptr);
    EXPECT_OK(Get(*checker, "acme", &out));
    EXPECT_EQ(RunRapportctl({"--server", checker->address(), "admin", "info"}, &output), 0)
        << output;
    EXPECT_EQ(checker->Stop(SIGTERM), 0);
  }

  // 3. Restore: stop, move the data aside, copy the backup in, start.
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  Shell({"mv", live_, live_ + ".before-restore"});
  Shell({"cp", "-a", backup_, live_});
  auto restored = Start(live_);
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(RunRapportctl({"--server", restored->address(), "health"}, &output), 0) << output;
  EXPECT_THAT(output, HasSubstr("SERVING"));
  ASSERT_OK(Get(*restored, "acme", &out));
  EXPECT_EQ(out.SerializeAsString(), acme.SerializeAsString());
  ASSERT_OK(Get(*restored, "globex", &out));
  EXPECT_EQ(out.SerializeAsString(), globex.SerializeAsString());
  // Writes after the backup are gone: the store is back at the backup's moment.
  EXPECT_THAT(Get(*restored, "initech", &out), StatusIs(grpc::StatusCode::NOT_FOUND));
  // The restored store is an ordinary store: it takes writes and keeps them.
  ASSERT_OK(Create(*restored, "hooli", &out));
  EXPECT_EQ(restored->Stop(SIGTERM), 0);
  auto again = Start(live_);
  ASSERT_NE(again, nullptr);
  EXPECT_OK(Get(*again, "hooli", &out));
  EXPECT_EQ(again->Stop(SIGTERM), 0);

  // The backup itself is untouched, ready for another restore; the data moved
  // aside still holds everything, should the restore have been a mistake.
  EXPECT_EQ(Snapshot(backup_), backup_files);
  auto before = Start(live_ + ".before-restore");
  ASSERT_NE(before, nullptr);
  EXPECT_OK(Get(*before, "initech", &out));
  EXPECT_EQ(before->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace rapport
