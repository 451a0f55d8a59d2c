// The real rapportd binary on a temporary data dir and port 0, driven through
// real gRPC channels, an HTTP scrape of /metrics and signals.
#include <signal.h>

#include <filesystem>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <atomic>
#include <mutex>
#include <thread>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/escalations.grpc.pb.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::rapport::testing::HttpGet;
using ::rapport::testing::RunProgram;
using ::rapport::testing::RunRapportctl;
using ::rapport::testing::RunRapportd;
using ::rapport::testing::ServerProcess;
using ::rapport::testing::StatusIs;
using ::rapport::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

std::shared_ptr<grpc::Channel> Connect(const ServerProcess& server) {
  return grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

HealthCheckResponse::ServingStatus Health(const ServerProcess& server, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(Connect(server));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  auto ctx = Ctx();
  const grpc::Status status = stub->Check(ctx.get(), request, &response);
  return status.ok() ? response.status() : HealthCheckResponse::UNKNOWN;
}

// Parses the Prometheus text format strictly enough to catch a broken page:
// every sample line is `name{labels} value` with a TYPE declared for its family.
// Returns samples by their full series text (name plus labels).
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> samples;
  std::set<std::string> typed;
  const std::regex type_line(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  const std::regex sample_line(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? ([-+]?([0-9.eE+-]+|Nan|NaN|Inf|\+Inf|-Inf))( [0-9]+)?$)");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::smatch m;
    if (line[0] == '#') {
      if (std::regex_match(line, m, type_line)) typed.insert(m[1]);
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, sample_line)) << "not a valid sample line: " << line;
    if (m.empty()) continue;
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (!typed.count(family) && family.size() > s.size() &&
          family.compare(family.size() - s.size(), s.size(), s) == 0) {
        family = family.substr(0, family.size() - s.size());
      }
    }
    EXPECT_TRUE(typed.count(family)) << "no # TYPE for " << family;
    samples[line.substr(0, line.rfind(' '))] = std::strtod(m[5].str().c_str(), nullptr);
  }
  return samples;
}

class ServerTest : public ::testing::Test {
 protected:
  std::string data_dir() const { return dir_.Sub("data"); }
  std::string log() const { return dir_.Sub("rapportd.log"); }
  TempDir dir_;
};

TEST_F(ServerTest, HealthBecomesServingForTheServerAndEachService) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(Health(*server, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(*server, "rapport.v1.AdminService"), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(*server, "grpc.health.v1.Health"), HealthCheckResponse::SERVING);
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(ServerTest, ReflectionListsAndDescribesTheServices) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(Connect(*server));
  auto ctx = Ctx();
  auto stream = stub->ServerReflectionInfo(ctx.get());
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.push_back(s.name());
  EXPECT_THAT(services, Contains("rapport.v1.AdminService"));
  EXPECT_THAT(services, Contains("grpc.health.v1.Health"));

  // A generic client can fetch the schema of a service to call it.
  request.set_file_containing_symbol("rapport.v1.AdminService");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0)
      << response.DebugString();
  google::protobuf::FileDescriptorProto file;
  bool found_admin = false;
  for (const auto& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    ASSERT_TRUE(file.ParseFromString(bytes));
    if (file.name() == "rapport/v1/admin.proto") found_admin = file.service_size() == 1;
  }
  EXPECT_TRUE(found_admin);
  stream->WritesDone();
  EXPECT_OK(stream->Finish());
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(ServerTest, MetricsPageIsValidAndCountsTheCallsMade) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server->metrics_port(), 0);
  const std::string series =
      R"(rapport_grpc_server_handled_total{grpc_code="OK",grpc_method="GetServerInfo",grpc_service="rapport.v1.AdminService"})";
  const std::string errors =
      R"(rapport_grpc_server_handled_total{grpc_code="INVALID_ARGUMENT",grpc_method="CreateBackup",grpc_service="rapport.v1.AdminService"})";
  auto before = ParseMetrics(HttpGet(server->metrics_port(), "/metrics"));
  EXPECT_EQ(before.count(series), 0u);
  EXPECT_EQ(before[R"(rapport_build_info{version="0.1.0"})"], 1);

  auto stub = v1::AdminService::NewStub(Connect(*server));
  for (int i = 0; i < 5; ++i) {
    v1::ServerInfo info;
    auto ctx = Ctx();
    ASSERT_OK(stub->GetServerInfo(ctx.get(), v1::GetServerInfoRequest(), &info));
  }
  v1::CreateBackupRequest relative;
  relative.set_directory("relative/path");
  v1::Backup backup;
  auto ctx = Ctx();
  EXPECT_THAT(stub->CreateBackup(ctx.get(), relative, &backup),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("directory")));

  // A made-up method is counted, but its name never becomes a label value.
  grpc::GenericStub generic(Connect(*server));
  for (const char* made_up : {"/rapport.v1.AdminService/Nope", "/no.Such/Method"}) {
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    auto call = Ctx();
    generic.UnaryCall(call.get(), made_up, grpc::StubOptions(), &request, &response,
                      [&done](grpc::Status status) { done.set_value(std::move(status)); });
    EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }

  const std::string page = HttpGet(server->metrics_port(), "/metrics");
  auto after = ParseMetrics(page);
  EXPECT_EQ(after[series], 5);
  EXPECT_EQ(after[errors], 1);
  EXPECT_EQ(after[R"(rapport_grpc_server_handled_total{grpc_code="UNIMPLEMENTED",grpc_method="unknown",grpc_service="unknown"})"], 2);
  EXPECT_THAT(page, Not(HasSubstr("Nope")));
  EXPECT_THAT(page, Not(HasSubstr("no.Such")));
  EXPECT_EQ(after[R"(rapport_grpc_server_handling_seconds_count{grpc_method="GetServerInfo",grpc_service="rapport.v1.AdminService"})"], 5);
  EXPECT_THAT(page, HasSubstr("rapport_store_live_data_bytes"));
  EXPECT_THAT(page, HasSubstr("rapport_store_commit_group_batches"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(ServerTest, SigtermAndSigintExitZeroAndTheDirReopens) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  EXPECT_THAT(server->Log(), HasSubstr("rapportd stopped"));
  auto again = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Health(*again, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(again->Stop(SIGINT), 0);
}

TEST_F(ServerTest, AnOpenWatchStreamDoesNotHoldTheShutdown) {
  // A grace period far longer than the test allows: the stop must not wait
  // for the watch stream to end by itself.
  auto server = ServerProcess::Start(data_dir(), log(), {"--grace_period=120s"});
  ASSERT_NE(server, nullptr);
  auto escalations = rapport::v1::EscalationService::NewStub(Connect(*server));
  grpc::ClientContext ctx;
  rapport::v1::WatchEscalationsRequest request;
  auto stream = escalations->WatchEscalations(&ctx, request);
  stream->WaitForInitialMetadata();  // The watch is established.
  std::thread stopper([&server] { EXPECT_EQ(server->Stop(SIGTERM), 0); });
  rapport::v1::EscalationChange change;
  while (stream->Read(&change)) {
  }
  const grpc::Status status = stream->Finish();
  stopper.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("resume after the last sequence"));
}

TEST_F(ServerTest, KilledServerRestartsOnItsDir) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->Stop(SIGKILL), 128 + SIGKILL);
  auto again = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Health(*again, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(again->Stop(SIGTERM), 0);
}

TEST_F(ServerTest, SecondInstanceOnTheSameDirIsRefused) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  std::string output;
  const int code = RunRapportd({"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                                "--data_dir=" + data_dir(), "--allow_plaintext",
                                "--allow_unauthenticated"},
                               dir_.Sub("second.log"), &output);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(output, HasSubstr("in use by another rapportd"));
  EXPECT_THAT(output, HasSubstr(std::to_string(server->pid())));
  // The first one is unaffected.
  EXPECT_EQ(Health(*server, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(ServerTest, BusyPortFailsFastWithAClearMessage) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  std::string output;
  const int code = RunRapportd({"--listen=" + server->address(), "--metrics_listen=",
                                "--data_dir=" + dir_.Sub("other"), "--allow_plaintext",
                                "--allow_unauthenticated"},
                               dir_.Sub("busy.log"), &output);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(output, HasSubstr("cannot listen on " + server->address()));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(ServerTest, OnlineBackupStartsAsAServer) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  std::string output;
  const std::string backup_dir = dir_.Sub("backup");
  EXPECT_EQ(RunRapportctl({"--server", server->address(), "admin", "backup", backup_dir}, &output),
            0)
      << output;
  EXPECT_THAT(output, HasSubstr("backup written to " + backup_dir));
  // The same directory again is refused, and the server says why.
  EXPECT_EQ(RunRapportctl({"--server", server->address(), "admin", "backup", backup_dir}, &output),
            1);
  EXPECT_THAT(output, HasSubstr("ALREADY_EXISTS"));
  // Not inside the live data dir (a copy of it would carry the backup).
  EXPECT_EQ(RunRapportctl({"--server", server->address(), "admin", "backup", data_dir() + "/inside"},
                          &output),
            1);
  EXPECT_THAT(output, HasSubstr("is inside the data dir"));
  EXPECT_FALSE(std::filesystem::exists(data_dir() + "/inside"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  auto restored = ServerProcess::Start(backup_dir, dir_.Sub("restored.log"));
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(Health(*restored, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(restored->Stop(SIGTERM), 0);
}

TEST_F(ServerTest, RapportctlHealthAndExitCodes) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  std::string output;
  EXPECT_EQ(RunRapportctl({"--server", server->address(), "health"}, &output), 0);
  EXPECT_EQ(output, "SERVING\n");
  EXPECT_EQ(RunRapportctl({"--server=" + server->address(), "-o", "json", "admin", "info"}, &output),
            0);
  EXPECT_THAT(output, HasSubstr("\"data_dir\": \"" + data_dir() + "\""));
  EXPECT_EQ(RunRapportctl({"--server", server->address(), "frobnicate"}, &output), 2);
  EXPECT_THAT(output, HasSubstr("unknown command"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  // Nothing listens there now.
  EXPECT_EQ(RunRapportctl({"--server", server->address(), "--timeout=2s", "health"}, &output), 3);
  EXPECT_THAT(output, HasSubstr("cannot reach rapportd"));
}

grpc::Status CreateRelationship(const ServerProcess& server, const std::string& id,
                                v1::Relationship* out) {
  auto stub = v1::RelationshipService::NewStub(Connect(server));
  v1::CreateRelationshipRequest request;
  request.set_relationship_id(id);
  request.mutable_relationship()->set_display_name("Customer " + id);
  request.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
  auto ctx = Ctx();
  return stub->CreateRelationship(ctx.get(), request, out);
}

grpc::Status GetRelationship(const ServerProcess& server, const std::string& id,
                             v1::Relationship* out) {
  auto stub = v1::RelationshipService::NewStub(Connect(server));
  v1::GetRelationshipRequest request;
  request.set_name("relationships/" + id);
  auto ctx = Ctx();
  return stub->GetRelationship(ctx.get(), request, out);
}

TEST_F(ServerTest, LoadGeneratorOnceReportsTheStatusOfItsOneCall) {
#ifndef RAPPORT_LOAD_PATH
  GTEST_SKIP() << "built without the benchmarks (RAPPORT_BUILD_BENCH=OFF)";
#else
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  const std::vector<std::string> create = {
      "--server=" + server->address(), "--once", "--connect_timeout=60s", "--call_timeout=60s",
      "--method=rapport.v1.RelationshipService/CreateRelationship",
      R"(--request={"relationship_id":"r-{{seq}}","relationship":{"display_name":"Once",)"
      R"("kind":"EXTERNAL_CUSTOMER"}})",
      "--seq_start=7"};
  std::string output;
  EXPECT_EQ(RunProgram(RAPPORT_LOAD_PATH, create, &output), 0) << output;
  EXPECT_THAT(output, HasSubstr("CreateRelationship OK"));
  // Exactly one call: the relationship exists, under the first sequence number.
  v1::Relationship created;
  EXPECT_TRUE(GetRelationship(*server, "r-7", &created).ok());
  EXPECT_EQ(GetRelationship(*server, "r-8", &created).error_code(), grpc::StatusCode::NOT_FOUND);
  // The same again fails, and says how.
  EXPECT_EQ(RunProgram(RAPPORT_LOAD_PATH, create, &output), 3);
  EXPECT_THAT(output, HasSubstr("ALREADY_EXISTS"));
  // A request that does not parse is a usage error, and nothing is called.
  EXPECT_EQ(RunProgram(RAPPORT_LOAD_PATH,
                       {"--server=" + server->address(), "--once", "--connect_timeout=60s",
                        "--method=rapport.v1.RelationshipService/CreateRelationship",
                        R"(--request={"relationship_id":"r-9","no_such_field":1})"},
                       &output),
            2);
  EXPECT_EQ(GetRelationship(*server, "r-9", &created).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(server->Stop(SIGTERM), 0);
#endif
}

TEST_F(ServerTest, LoadGeneratorReadsTheServersCpuWhenGivenItsPid) {
#ifndef RAPPORT_LOAD_PATH
  GTEST_SKIP() << "built without the benchmarks (RAPPORT_BUILD_BENCH=OFF)";
#else
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  std::vector<std::string> load = {
      "--server=" + server->address(), "--connect_timeout=60s", "--call_timeout=60s",
      "--concurrency=8", "--warmup=0s", "--duration=1s", "--json",
      "--method=rapport.v1.RelationshipService/CreateRelationship",
      R"(--request={"relationship_id":"r-{{seq}}","relationship":{"display_name":"Load",)"
      R"("kind":"EXTERNAL_CUSTOMER"}})"};
  // CPU per call: "client":X,"server":Y, once for the baseline, once for the target.
  const std::regex cpu(R"re("cpu_us_per_call":\{"client":([0-9.]+),"server":([0-9.]+|null)\})re");
  const auto cpu_figures = [&](const std::string& output) {
    std::vector<std::pair<double, std::string>> figures;
    for (auto it = std::sregex_iterator(output.begin(), output.end(), cpu);
         it != std::sregex_iterator(); ++it) {
      figures.emplace_back(std::stod((*it)[1]), (*it)[2]);
    }
    return figures;
  };

  std::string output;
  ASSERT_EQ(RunProgram(RAPPORT_LOAD_PATH, load, &output), 0) << output;
  auto figures = cpu_figures(output);
  ASSERT_EQ(figures.size(), 2u) << output;
  for (const auto& [client, server_cpu] : figures) {
    EXPECT_GT(client, 0) << output;
    EXPECT_EQ(server_cpu, "null") << output;  // Without the pid, the server's is unknown.
  }
  EXPECT_THAT(output, Not(HasSubstr("\ncpu ")));
  EXPECT_THAT(output, HasSubstr(R"("cpu_ratio":null)"));

  load.push_back("--server_pid=" + std::to_string(server->pid()));
  load.push_back("--seq_start=1000000");
  ASSERT_EQ(RunProgram(RAPPORT_LOAD_PATH, load, &output), 0) << output;
  figures = cpu_figures(output);
  ASSERT_EQ(figures.size(), 2u) << output;
  for (const auto& [client, server_cpu] : figures) {
    EXPECT_GT(client, 0) << output;
    ASSERT_NE(server_cpu, "null") << output;
    EXPECT_GT(std::stod(server_cpu), 0) << output;
  }
  EXPECT_THAT(output, HasSubstr("\ncpu "));
  EXPECT_TRUE(std::regex_search(output, std::regex(R"re("cpu_ratio":[0-9]+\.[0-9]+\})re"))) << output;
  EXPECT_EQ(server->Stop(SIGTERM), 0);
#endif
}

TEST_F(ServerTest, DataSurvivesAGracefulRestart) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  v1::Relationship created;
  ASSERT_OK(CreateRelationship(*server, "acme", &created));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  auto again = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(again, nullptr);
  v1::Relationship read;
  ASSERT_OK(GetRelationship(*again, "acme", &read));
  EXPECT_EQ(read.SerializeAsString(), created.SerializeAsString());
  EXPECT_EQ(again->Stop(SIGTERM), 0);
}

TEST_F(ServerTest, AcknowledgedWritesSurviveSigkill) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  // Writers keep going while the server is killed; every acknowledged
  // create must be there after the restart.
  std::vector<std::thread> writers;
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<bool> stop{false};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const std::string id = "w" + std::to_string(t) + "-" + std::to_string(i);
        v1::Relationship out;
        if (CreateRelationship(*server, id, &out).ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(id);
        }
      }
    });
  }
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (acked.size() >= 200) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server->Stop(SIGKILL), 128 + SIGKILL);
  stop = true;
  for (auto& w : writers) w.join();

  auto again = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(again, nullptr);
  for (const auto& id : acked) {
    v1::Relationship read;
    ASSERT_OK(GetRelationship(*again, id, &read)) << id << " was acknowledged but lost";
  }
  EXPECT_EQ(again->Stop(SIGTERM), 0);
}

TEST_F(ServerTest, BackupHoldsTheDataWrittenBeforeIt) {
  auto server = ServerProcess::Start(data_dir(), log());
  ASSERT_NE(server, nullptr);
  v1::Relationship out;
  ASSERT_OK(CreateRelationship(*server, "before", &out));
  std::string output;
  ASSERT_EQ(RunRapportctl({"--server", server->address(), "admin", "backup", dir_.Sub("bk")}, &output), 0)
      << output;
  ASSERT_OK(CreateRelationship(*server, "after", &out));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  auto restored = ServerProcess::Start(dir_.Sub("bk"), dir_.Sub("restored.log"));
  ASSERT_NE(restored, nullptr);
  EXPECT_OK(GetRelationship(*restored, "before", &out));
  EXPECT_THAT(GetRelationship(*restored, "after", &out), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(restored->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace rapport
