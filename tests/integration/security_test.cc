// Security of rapportd: every method of every service walked with no token, a
// wrong token and each role, against the access table (server/access.h); TLS
// and mutual TLS with certificates made here by openssl (a wrong CA and an
// expired certificate refused); the audit log of mutations; request limits;
// the tokens file reloaded on SIGHUP by the real binary.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/escalations.grpc.pb.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "rapport/v1/satisfaction.grpc.pb.h"
#include "rapport/v1/sla.grpc.pb.h"
#include "server/access.h"
#include "server/access_gate.h"
#include "server/server.h"
#include "server/tokens.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::grpc::StatusCode;
using ::rapport::testing::StatusIs;
using ::testing::HasSubstr;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// One principal per role, and their tokens.
const std::map<std::string, std::string> kTokens = {
    {"viewer", "rpt_viewer_token_0123456789"},
    {"portal", "rpt_portal_token_0123456789"},
    {"operator", "rpt_operator_token_0123456789"},
    {"admin", "rpt_admin_token_0123456789"},
};

std::string TokensFile() {
  std::string text = "# principal  sha256:HASH  roles\n";
  for (const auto& [role, token] : kTokens) {
    absl::StrAppend(&text, role, "-user sha256:", access::Sha256Hex(token), " ", role, "\n");
  }
  return text;
}

// The services rapportd serves behind its gate.
std::vector<const google::protobuf::ServiceDescriptor*> GatedServices() {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<const google::protobuf::ServiceDescriptor*> out;
  for (const char* name : {"rapport.v1.AdminService", "rapport.v1.RelationshipService",
                           "rapport.v1.SlaCatalogService", "rapport.v1.EscalationService",
                           "rapport.v1.SatisfactionService"}) {
    out.push_back(pool->FindServiceByName(name));
  }
  return out;
}

TEST(AccessTableTest, EveryServedMethodHasExactlyOneRuleAndEveryRuleAServedMethod) {
  std::set<std::string> served;
  for (const auto* service : GatedServices()) {
    ASSERT_NE(service, nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method = absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
      served.insert(method);
      EXPECT_NE(access::FindRule(method), nullptr) << method << " has no entry in server/access.cc";
    }
  }
  std::set<std::string> ruled;
  for (const auto& rule : access::MethodRules()) {
    EXPECT_TRUE(ruled.insert(std::string(rule.method)).second) << rule.method << " twice";
    EXPECT_EQ(served.count(std::string(rule.method)), 1u) << rule.method << " is not served";
  }
}

TEST(AccessTableTest, AdminGetsEverythingPortalAndOperatorAlsoRead) {
  using access::Grants;
  using access::Role;
  const auto set = [](Role r) { return static_cast<access::RoleSet>(r); };
  EXPECT_TRUE(Grants(set(Role::kAdmin), Role::kOperator));
  EXPECT_TRUE(Grants(set(Role::kPortal), Role::kViewer));
  EXPECT_TRUE(Grants(set(Role::kOperator), Role::kViewer));
  EXPECT_FALSE(Grants(set(Role::kPortal), Role::kOperator));
  EXPECT_FALSE(Grants(set(Role::kOperator), Role::kPortal));
  EXPECT_FALSE(Grants(set(Role::kViewer), Role::kPortal));
  EXPECT_FALSE(Grants(set(Role::kPortal), Role::kAdmin));
  EXPECT_FALSE(Grants(0, Role::kViewer));
}

TEST(TokensFileTest, ParsesPrincipalsAndNamesTheBadLine) {
  auto table = access::TokenTable::Parse(TokensFile());
  ASSERT_OK(table);
  EXPECT_EQ(table->size(), 4u);
  const auto* portal = table->Find(kTokens.at("portal"));
  ASSERT_NE(portal, nullptr);
  EXPECT_EQ(portal->name, "portal-user");
  EXPECT_EQ(table->Find("rpt_nobody"), nullptr);

  const std::string hash = access::Sha256Hex("x");
  EXPECT_THAT(access::TokenTable::Parse("\n# c\nbob sha256:" + hash + " viewer,superuser\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 3: unknown role 'superuser'")));
  EXPECT_THAT(access::TokenTable::Parse("bob " + hash + " viewer\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(access::TokenTable::Parse("bob sha256:" + hash + " viewer\nann sha256:" + hash +
                                        " admin\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_EQ(access::Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SizeLimitsTest, NamesTheFieldByItsPathThroughListsAndMessages) {
  v1::ApplyCatalogRequest request;
  request.mutable_catalog()->add_agreements()->set_display_name("short");
  request.mutable_catalog()->add_agreements()->set_display_name(std::string(11, 'x'));
  EXPECT_THAT(access::CheckSizeLimits(request, 10, 5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("catalog.agreements[1].display_name is 11 bytes; at most 10")));
  EXPECT_THAT(access::CheckSizeLimits(request, 11, 1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("catalog.agreements has 2 entries; at most 1")));
  EXPECT_OK(access::CheckSizeLimits(request, 11, 5));

  v1::CreateRelationshipRequest create;
  (*create.mutable_relationship()->mutable_labels())["team"] = std::string(11, 'y');
  EXPECT_THAT(access::CheckSizeLimits(create, 10, 5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("relationship.labels[0].value is 11 bytes")));
}

class SecuredServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Sub("tokens"), TokensFile());
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "";
    config.data_dir = dir_.Sub("data");
    config.auth_tokens_file = dir_.Sub("tokens");
    config.default_escalation_policy = "escalation_policies/oncall";
    ASSERT_OK_AND_ASSIGN(server_, RapportServer::Start(config));
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
  }

  // A context carrying `role`'s token ("" for none, "wrong" for an unknown one).
  static std::unique_ptr<grpc::ClientContext> As(const std::string& role) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (role == "wrong") {
      ctx->AddMetadata("authorization", "Bearer rpt_not_a_known_token");
    } else if (!role.empty()) {
      ctx->AddMetadata("authorization", "Bearer " + kTokens.at(role));
    }
    return ctx;
  }

  // Calls `method` with an empty request as `role`; returns the status.
  grpc::Status CallEmpty(const std::string& method, const std::string& role, bool streaming) {
    grpc::GenericStub stub(channel_);
    auto ctx = As(role);
    if (streaming) {
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    }
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(ctx.get(), method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

  testing::TempDir dir_;
  std::unique_ptr<RapportServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(SecuredServerTest, EveryMethodAgainstNoTokenAWrongTokenAndEachRole) {
  int walked = 0;
  for (const auto* service : GatedServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* m = service->method(i);
      const std::string method = absl::StrCat("/", service->full_name(), "/", m->name());
      const auto* rule = access::FindRule(method);
      ASSERT_NE(rule, nullptr) << method;
      const bool streaming = m->server_streaming();
      for (const char* who : {"", "wrong"}) {
        const grpc::Status status = CallEmpty(method, who, streaming);
        EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED)
            << method << " with token '" << who << "': " << status.error_message();
      }
      for (const auto& [role, token] : kTokens) {
        const auto held = static_cast<access::RoleSet>(*access::ParseRole(role));
        const grpc::Status status = CallEmpty(method, role, streaming);
        if (access::Grants(held, rule->role)) {
          EXPECT_NE(status.error_code(), StatusCode::UNAUTHENTICATED) << method << " as " << role;
          EXPECT_NE(status.error_code(), StatusCode::PERMISSION_DENIED)
              << method << " as " << role << ": " << status.error_message();
        } else {
          EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED)
              << method << " as " << role << ": " << status.error_message();
          EXPECT_THAT(status.error_message(),
                      HasSubstr(absl::StrCat("needs the ", access::RoleName(rule->role))));
        }
      }
      ++walked;
    }
  }
  EXPECT_EQ(walked, static_cast<int>(access::MethodRules().size()));
}

TEST_F(SecuredServerTest, HealthCheckingStaysOpen) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_OK(health->Check(&ctx, request, &response));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(SecuredServerTest, MutationsAreAuditedWithPrincipalOutcomeAndResource) {
  auto relationships = v1::RelationshipService::NewStub(channel_);
  auto admin = v1::AdminService::NewStub(channel_);
  v1::CreateRelationshipRequest create;
  create.set_relationship_id("acme");
  create.mutable_relationship()->set_display_name("Acme");
  create.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
  v1::Relationship created;
  ASSERT_OK(relationships->CreateRelationship(As("portal").get(), create, &created));
  // Refused by role, refused by validation, and a read (not audited).
  EXPECT_EQ(relationships->CreateRelationship(As("viewer").get(), create, &created).error_code(),
            StatusCode::PERMISSION_DENIED);
  v1::CreateRelationshipRequest invalid = create;
  invalid.set_relationship_id("Not An Id");
  EXPECT_EQ(relationships->CreateRelationship(As("portal").get(), invalid, &created).error_code(),
            StatusCode::INVALID_ARGUMENT);
  v1::GetRelationshipRequest get;
  get.set_name("relationships/acme");
  ASSERT_OK(relationships->GetRelationship(As("viewer").get(), get, &created));

  v1::ListAuditEntriesRequest list;
  v1::ListAuditEntriesResponse entries;
  EXPECT_EQ(admin->ListAuditEntries(As("portal").get(), list, &entries).error_code(),
            StatusCode::PERMISSION_DENIED);
  // Refusals are written on their own, just after the reply: wait for them.
  for (int attempt = 0; attempt < 100; ++attempt) {
    entries.Clear();
    ASSERT_OK(admin->ListAuditEntries(As("admin").get(), list, &entries));
    if (entries.audit_entries_size() >= 3) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::map<std::string, const v1::AuditEntry*> by_outcome;
  for (const auto& e : entries.audit_entries()) {
    EXPECT_EQ(e.method().find("/rapport.v1."), 0u) << e.method();
    EXPECT_NE(e.method(), "/rapport.v1.RelationshipService/GetRelationship");
    by_outcome[absl::StrCat(e.principal(), " ", e.outcome())] = &e;
  }
  // Reading the audit log, even refused, changes nothing and is not audited.
  ASSERT_EQ(entries.audit_entries_size(), 3) << entries.DebugString();
  ASSERT_EQ(by_outcome.count("portal-user OK"), 1u) << entries.DebugString();
  EXPECT_EQ(by_outcome["portal-user OK"]->method(), "/rapport.v1.RelationshipService/CreateRelationship");
  EXPECT_EQ(by_outcome["portal-user OK"]->resource(), "relationships/acme");
  ASSERT_EQ(by_outcome.count("viewer-user PERMISSION_DENIED"), 1u);
  ASSERT_EQ(by_outcome.count("portal-user INVALID_ARGUMENT"), 1u);
  EXPECT_THAT(by_outcome["portal-user INVALID_ARGUMENT"]->message(), HasSubstr("relationship_id"));

  // Filters: by principal and outcome, and newest first with pages of one.
  list.set_principal("portal-user");
  list.set_outcome("FAILED");
  entries.Clear();
  ASSERT_OK(admin->ListAuditEntries(As("admin").get(), list, &entries));
  EXPECT_EQ(entries.audit_entries_size(), 1);
  v1::ListAuditEntriesRequest paged;
  paged.set_page_size(1);
  std::vector<absl::Time> times;
  for (;;) {
    entries.Clear();
    ASSERT_OK(admin->ListAuditEntries(As("admin").get(), paged, &entries));
    for (const auto& e : entries.audit_entries()) {
      times.push_back(absl::FromUnixSeconds(e.time().seconds()) + absl::Nanoseconds(e.time().nanos()));
    }
    if (entries.next_page_token().empty()) break;
    paged.set_page_token(entries.next_page_token());
  }
  ASSERT_EQ(times.size(), 3u);
  for (size_t i = 1; i < times.size(); ++i) EXPECT_LE(times[i], times[i - 1]);
}

TEST_F(SecuredServerTest, TheCallersPrincipalIsTheActorInEscalationTimelines) {
  auto escalations = v1::EscalationService::NewStub(channel_);
  auto relationships = v1::RelationshipService::NewStub(channel_);
  v1::CreateRelationshipRequest rel;
  rel.set_relationship_id("acme");
  rel.mutable_relationship()->set_display_name("Acme");
  rel.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
  v1::Relationship r;
  ASSERT_OK(relationships->CreateRelationship(As("portal").get(), rel, &r));
  v1::CreateEscalationPolicyRequest policy;
  policy.set_policy_id("oncall");
  policy.mutable_policy()->set_display_name("On call");
  auto* level = policy.mutable_policy()->add_levels();
  level->set_name("l1");
  level->add_targets("team-desk");
  level->mutable_ack_wait()->set_seconds(600);
  v1::EscalationPolicy p;
  ASSERT_OK(escalations->CreateEscalationPolicy(As("admin").get(), policy, &p));
  v1::CreateEscalationRequest create;
  create.set_escalation_id("e1");
  create.mutable_escalation()->set_relationship("relationships/acme");
  create.mutable_escalation()->set_title("VPN down");
  create.mutable_escalation()->set_severity(v1::SEV2);
  create.mutable_escalation()->set_policy("escalation_policies/oncall");
  v1::Escalation e;
  ASSERT_OK(escalations->CreateEscalation(As("operator").get(), create, &e));
  v1::AcknowledgeEscalationRequest ack;
  ack.set_name("escalations/e1");
  ASSERT_OK(escalations->AcknowledgeEscalation(As("admin").get(), ack, &e));
  ASSERT_GE(e.timeline_size(), 2);
  EXPECT_EQ(e.timeline(0).actor(), "operator-user");
  EXPECT_EQ(e.timeline(e.timeline_size() - 1).actor(), "admin-user");
}

TEST_F(SecuredServerTest, RequestsOverALimitAreRefusedAndWriteNothing) {
  auto relationships = v1::RelationshipService::NewStub(channel_);
  v1::CreateRelationshipRequest create;
  create.set_relationship_id("big");
  create.mutable_relationship()->set_display_name("Big");
  create.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
  create.mutable_relationship()->set_description(std::string(70000, 'x'));
  v1::Relationship out;
  grpc::Status status = relationships->CreateRelationship(As("portal").get(), create, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("relationship.description is 70000 bytes"));

  create.mutable_relationship()->clear_description();
  for (int i = 0; i < 10001; ++i) {
    (*create.mutable_relationship()->mutable_labels())[absl::StrCat("k", i)] = "v";
  }
  status = relationships->CreateRelationship(As("portal").get(), create, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("relationship.labels has 10001 entries"));

  create.mutable_relationship()->clear_labels();
  for (int i = 0; i < 60; ++i) create.mutable_relationship()->add_consumed_services()->set_service(std::string(65000, 's'));
  status = relationships->CreateRelationship(As("portal").get(), create, &out);
  EXPECT_EQ(status.error_code(), StatusCode::RESOURCE_EXHAUSTED) << status.error_message();

  // Nothing was written (read on a channel of its own: the oversized message
  // may have ended the first one's connection).
  auto reader = v1::RelationshipService::NewStub(server_->InProcessChannel());
  v1::GetRelationshipRequest get;
  get.set_name("relationships/big");
  EXPECT_EQ(reader->GetRelationship(As("viewer").get(), get, &out).error_code(),
            StatusCode::NOT_FOUND);
}

TEST(DefaultDeadlineTest, AWriteNotStartedBeforeTheDeadlineIsNotApplied) {
  testing::TempDir dir;
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "";
  config.data_dir = dir.Sub("data");
  config.default_deadline = absl::Nanoseconds(1);  // Passed before any write starts.
  ASSERT_OK_AND_ASSIGN(auto server, RapportServer::Start(config));
  auto relationships = v1::RelationshipService::NewStub(server->InProcessChannel());
  v1::CreateRelationshipRequest create;
  create.set_relationship_id("late");
  create.mutable_relationship()->set_display_name("Late");
  create.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
  v1::Relationship out;
  {
    grpc::ClientContext ctx;  // No deadline: the server's default applies.
    EXPECT_EQ(relationships->CreateRelationship(&ctx, create, &out).error_code(),
              StatusCode::DEADLINE_EXCEEDED);
  }
  {
    grpc::ClientContext ctx;
    v1::GetRelationshipRequest get;
    get.set_name("relationships/late");
    EXPECT_EQ(relationships->GetRelationship(&ctx, get, &out).error_code(), StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext ctx;  // The caller's own deadline wins.
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    EXPECT_OK(relationships->CreateRelationship(&ctx, create, &out));
  }
}

// ---- TLS: certificates made by openssl in a temporary directory.

class Certificates {
 public:
  explicit Certificates(const std::string& dir) : dir_(dir) {}

  // A self-signed CA `name`.
  void MakeCa(const std::string& name) {
    Run(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -keyout ", Path(name, "key"),
                     " -out ", Path(name, "crt"), " -subj /CN=", name, " -days 2"));
  }
  // A certificate `name` signed by `ca`, valid for `days` (negative: expired),
  // for 127.0.0.1 and localhost.
  void MakeSigned(const std::string& name, const std::string& ca, int days) {
    WriteFile(Path(name, "ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Run(absl::StrCat("openssl req -newkey rsa:2048 -nodes -keyout ", Path(name, "key"), " -out ",
                     Path(name, "csr"), " -subj /CN=", name));
    Run(absl::StrCat("openssl x509 -req -in ", Path(name, "csr"), " -CA ", Path(ca, "crt"),
                     " -CAkey ", Path(ca, "key"), " -CAcreateserial -out ", Path(name, "crt"),
                     " -days ", days, " -extfile ", Path(name, "ext")));
  }
  std::string Path(const std::string& name, const std::string& ext) const {
    return absl::StrCat(dir_, "/", name, ".", ext);
  }
  std::string Pem(const std::string& name, const std::string& ext) const {
    return ReadFile(Path(name, ext));
  }

 private:
  void Run(const std::string& command) {
    ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
  }
  std::string dir_;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_.MakeCa("ca");
    certs_.MakeCa("other-ca");
    certs_.MakeSigned("server", "ca", 2);
    certs_.MakeSigned("client", "ca", 2);
    certs_.MakeSigned("stranger", "other-ca", 2);
    certs_.MakeSigned("expired-client", "ca", -1);
    certs_.MakeSigned("expired-server", "ca", -1);
  }

  void Start(const std::string& server_cert, bool mutual) {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "";
    config.data_dir = dir_.Sub("data");
    config.tls_cert = certs_.Path(server_cert, "crt");
    config.tls_key = certs_.Path(server_cert, "key");
    if (mutual) config.tls_client_ca = certs_.Path("ca", "crt");
    ASSERT_OK_AND_ASSIGN(server_, RapportServer::Start(config));
  }

  // GetServerInfo over TLS trusting `root` and presenting `client` ("" for no
  // client certificate).
  grpc::Status Call(const std::string& root, const std::string& client) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = certs_.Pem(root, "crt");
    if (!client.empty()) {
      options.pem_cert_chain = certs_.Pem(client, "crt");
      options.pem_private_key = certs_.Pem(client, "key");
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                                             grpc::SslCredentials(options), args);
    auto admin = v1::AdminService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::GetServerInfoRequest request;
    v1::ServerInfo info;
    return admin->GetServerInfo(&ctx, request, &info);
  }

  testing::TempDir dir_;
  Certificates certs_{dir_.path()};
  std::unique_ptr<RapportServer> server_;
};

TEST_F(TlsTest, ServesTlsToClientsTrustingItsCaOnly) {
  Start("server", /*mutual=*/false);
  EXPECT_OK(Call("ca", ""));
  EXPECT_EQ(Call("other-ca", "").error_code(), StatusCode::UNAVAILABLE);
  // A plaintext client gets nowhere.
  auto plain = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::ServerInfo info;
  EXPECT_EQ(v1::AdminService::NewStub(plain)->GetServerInfo(&ctx, {}, &info).error_code(),
            StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsRefusesClientsWithoutAValidCertificateFromItsCa) {
  Start("server", /*mutual=*/true);
  EXPECT_OK(Call("ca", "client"));
  EXPECT_EQ(Call("ca", "").error_code(), StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call("ca", "stranger").error_code(), StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call("ca", "expired-client").error_code(), StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AnExpiredServerCertificateIsRefusedByClients) {
  Start("expired-server", /*mutual=*/false);
  EXPECT_EQ(Call("ca", "").error_code(), StatusCode::UNAVAILABLE);
}

// ---- The real binary.

TEST(RapportdSecurityTest, RefusesToStartWithoutTlsOrTokensUnlessToldSo) {
  testing::TempDir dir;
  std::string output;
  const std::vector<std::string> base = {"--listen=127.0.0.1:0", "--metrics_listen=",
                                         "--data_dir=" + dir.Sub("data")};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::RunRapportd(args, dir.Sub("log"), &output);
  };
  EXPECT_EQ(with({"--allow_unauthenticated"}), 2);
  EXPECT_THAT(output, HasSubstr("--allow_plaintext"));
  EXPECT_EQ(with({"--allow_plaintext"}), 2);
  EXPECT_THAT(output, HasSubstr("--allow_unauthenticated"));
  EXPECT_EQ(with({"--allow_plaintext", "--tls_client_ca=/nonexistent"}), 2);
  WriteFile(dir.Sub("tokens"), "bob sha256:nothex viewer\n");
  EXPECT_NE(with({"--allow_plaintext", "--auth_tokens_file=" + dir.Sub("tokens")}), 0);
  EXPECT_THAT(output, HasSubstr("tokens file line 1"));
}

TEST(RapportdSecurityTest, TokensFileIsReloadedOnSighupAndABrokenOneKeepsTheOld) {
  testing::TempDir dir;
  const std::string tokens = dir.Sub("tokens");
  WriteFile(tokens, absl::StrCat("alice sha256:", access::Sha256Hex("rpt_first"), " viewer\n"));
  auto server = testing::ServerProcess::Start(dir.Sub("data"), dir.Sub("log"),
                                              {"--auth_tokens_file=" + tokens});
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  auto admin = v1::AdminService::NewStub(channel);
  auto call = [&](const std::string& token) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::ServerInfo info;
    return admin->GetServerInfo(&ctx, {}, &info).error_code();
  };
  EXPECT_EQ(call("rpt_first"), StatusCode::OK);
  EXPECT_EQ(call("rpt_second"), StatusCode::UNAUTHENTICATED);

  WriteFile(tokens, absl::StrCat("alice sha256:", access::Sha256Hex("rpt_second"), " viewer\n"));
  ::kill(server->pid(), SIGHUP);
  for (int i = 0; i < 250 && call("rpt_second") != StatusCode::OK; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(call("rpt_second"), StatusCode::OK);
  EXPECT_EQ(call("rpt_first"), StatusCode::UNAUTHENTICATED);

  WriteFile(tokens, "this line is broken\n");
  ::kill(server->pid(), SIGHUP);
  for (int i = 0; i < 250 && server->Log().find("kept its tokens") == std::string::npos; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(server->Log(), HasSubstr("kept its tokens"));
  EXPECT_EQ(call("rpt_second"), StatusCode::OK);
  EXPECT_THAT(server->Log(), ::testing::Not(HasSubstr("rpt_second")));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace rapport
