// The fixture of rapportctl's integration tests: a real rapportd on port 0
// with its own data directory, gRPC stubs to make data with, and RunCli
// against it. Shared by the test files of tests/cli.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/cli.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "rapport/v1/escalations.grpc.pb.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "rapport/v1/sla.grpc.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {

using ::rapport::testing::ServerProcess;
using ::rapport::testing::TempDir;

inline std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

inline google::protobuf::Timestamp Ago(absl::Duration d) {
  google::protobuf::Timestamp t;
  t.set_seconds(absl::ToUnixSeconds(absl::Now() - d));
  return t;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ =
        ServerProcess::Start(dir_.Sub("data"), dir_.Sub("rapportd.log"), {"--sync_writes=false"});
    ASSERT_NE(server_, nullptr);
    MakeStubs();
  }
  void TearDown() override {
    // Close the stubs' channel first: rapportd then stops without waiting on it.
    relationships_.reset();
    catalog_.reset();
    escalations_.reset();
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop(SIGTERM), 0);
    }
  }

  void MakeStubs() {
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    relationships_ = v1::RelationshipService::NewStub(channel);
    catalog_ = v1::SlaCatalogService::NewStub(channel);
    escalations_ = v1::EscalationService::NewStub(channel);
  }

  // Kills rapportd with SIGKILL and starts it again on the same data
  // directory and port, as after a crash.
  void Restart() {
    const int port = server_->grpc_port();
    relationships_.reset();
    catalog_.reset();
    escalations_.reset();
    EXPECT_EQ(server_->Stop(SIGKILL), 128 + SIGKILL);
    server_ =
        ServerProcess::Start(dir_.Sub("data"), dir_.Sub("rapportd.log"),
                             {"--sync_writes=false", absl::StrCat("--listen=127.0.0.1:", port)});
    ASSERT_NE(server_, nullptr);
    ASSERT_EQ(server_->grpc_port(), port);
    MakeStubs();
  }

  // RunCli against the server; fills `out` and `err`.
  int Run(std::vector<std::string> args, std::string* out, std::string* err = nullptr) {
    std::ostringstream o, e;
    const int code = cli::RunCli(args, o, e, server_->address());
    *out = o.str();
    if (err != nullptr) *err = e.str();
    return code;
  }
  // RunCli that must succeed; returns stdout.
  std::string Ok(const std::vector<std::string>& args) {
    std::string out, err;
    const int code = Run(args, &out, &err);
    EXPECT_EQ(code, 0) << "rapportctl " << absl::StrJoin(args, " ") << ":\n" << err;
    return out;
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path) << content;
    return path;
  }

  // Whether `json` parses as JSON for Python's json module.
  bool PythonParses(const std::string& json) {
    const std::string path = WriteFile("out.json", json);
    const std::string command =
        "python3 -c 'import json,sys; json.load(sys.stdin)' < '" + path + "'";
    return std::system(command.c_str()) == 0;
  }

  void CreateRelationship(const std::string& id, const std::string& display_name,
                          v1::Relationship::Tier tier, const std::string& manager = "",
                          const std::string& parent = "") {
    v1::CreateRelationshipRequest request;
    request.set_relationship_id(id);
    auto* r = request.mutable_relationship();
    r->set_display_name(display_name);
    r->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
    r->set_tier(tier);
    r->set_status(v1::Relationship::ACTIVE);
    r->set_manager(manager);
    r->set_parent(parent);
    (*r->mutable_labels())["region"] = "emea";
    v1::Relationship out;
    auto ctx = Ctx();
    ASSERT_OK(relationships_->CreateRelationship(ctx.get(), request, &out));
  }
  void CreateInteraction(const std::string& id, v1::Interaction::Kind kind,
                         const std::string& summary, absl::Duration ago) {
    v1::CreateInteractionRequest request;
    request.set_parent("relationships/" + id);
    auto* i = request.mutable_interaction();
    i->set_kind(kind);
    i->set_summary(summary);
    *i->mutable_occur_time() = Ago(ago);
    v1::Interaction out;
    auto ctx = Ctx();
    ASSERT_OK(relationships_->CreateInteraction(ctx.get(), request, &out));
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::RelationshipService::Stub> relationships_;
  std::unique_ptr<v1::SlaCatalogService::Stub> catalog_;
  std::unique_ptr<v1::EscalationService::Stub> escalations_;
};

}  // namespace rapport
