// rapportctl's side of connection security against the real rapportd:
// tokens made by `admin token create` in rapportd's tokens file, sent by
// --token and RAPPORT_TOKEN, refusals with their own messages and exit codes,
// the principal as the actor; TLS with --tls_ca, the server name override,
// and mutual TLS with --tls_cert/--tls_key, with certificates made by openssl.
#include <cstdlib>

#include "absl/strings/str_split.h"
#include "tests/cli/cli_fixture.h"

namespace rapport {
namespace {

using ::rapport::testing::RunRapportctl;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Runs `command` in a shell; fails the test if it fails.
void Shell(const std::string& command) {
  ASSERT_EQ(std::system((command + " > /dev/null 2>&1").c_str()), 0) << command;
}

// rapportctl with `env` (RAPPORT_SERVER included) and no other variable.
int RunWith(const std::vector<std::string>& args, const cli::Environment& env, std::string* out,
            std::string* err) {
  std::ostringstream o, e;
  const int code = cli::RunCli(args, o, e, env);
  *out = o.str();
  *err = e.str();
  return code;
}

class TokenCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The tokens file holds what `admin token create` prints.
    std::string file = "# made by rapportctl admin token create\n";
    for (const auto& [name, roles] :
         std::vector<std::pair<std::string, std::string>>{{"grafana", "viewer"},
                                                          {"oncall", "operator,viewer"},
                                                          {"oncall-2", "operator"},
                                                          {"root", "admin"}}) {
      std::ostringstream out, err;
      ASSERT_EQ(cli::RunCli({"admin", "token", "create", name, "--role", roles}, out, err), 0);
      const std::vector<std::string> lines = absl::StrSplit(out.str(), '\n');
      tokens_[name] = lines[1];
      absl::StrAppend(&file, lines[4], "\n");
    }
    const std::string tokens = dir_.Sub("tokens");
    std::ofstream(tokens) << file;
    server_ = ServerProcess::Start(dir_.Sub("data"), dir_.Sub("rapportd.log"),
                                   {"--sync_writes=false", "--auth_tokens_file=" + tokens});
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop(SIGTERM), 0);
    }
  }

  // RunCli as `who` (a name of SetUp's tokens, or "" for no token).
  int As(const std::string& who, const std::vector<std::string>& args, std::string* out,
         std::string* err = nullptr) {
    std::string ignored;
    cli::Environment env = {{"RAPPORT_SERVER", server_->address()}};
    if (!who.empty()) env["RAPPORT_TOKEN"] = tokens_.at(who);
    return RunWith(args, env, out, err != nullptr ? err : &ignored);
  }
  std::string Ok(const std::string& who, const std::vector<std::string>& args) {
    std::string out, err;
    EXPECT_EQ(As(who, args, &out, &err), 0) << absl::StrJoin(args, " ") << ": " << err;
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(TokenCliTest, TokensAreSentAndRefusalsHaveTheirOwnMessagesAndExitCodes) {
  std::string out, err;
  // No token.
  EXPECT_EQ(As("", {"rel", "list"}, &out, &err), cli::kExitUnauthenticated);
  EXPECT_THAT(err, StartsWith("rapportctl: not authenticated: set --token or RAPPORT_TOKEN ("));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(out, "");
  // A token the server does not know, by flag.
  EXPECT_EQ(RunWith({"--token", "rpt_0000", "rel", "list"},
                    {{"RAPPORT_SERVER", server_->address()}}, &out, &err),
            cli::kExitUnauthenticated);
  EXPECT_THAT(err, StartsWith("rapportctl: not authenticated: the server refused the token ("));
  // The flag wins over the variable.
  EXPECT_EQ(RunWith({"--token", "rpt_0000", "rel", "list"},
                    {{"RAPPORT_SERVER", server_->address()}, {"RAPPORT_TOKEN", tokens_["root"]}},
                    &out, &err),
            cli::kExitUnauthenticated);
  // Health stays open.
  EXPECT_EQ(As("", {"health"}, &out, &err), 0) << err;

  // A viewer reads but may not write.
  EXPECT_THAT(Ok("grafana", {"rel", "list"}), HasSubstr("No relationships."));
  EXPECT_EQ(As("grafana", {"esc", "cancel", "x", "--reason", "y"}, &out, &err),
            cli::kExitPermissionDenied);
  EXPECT_THAT(err, StartsWith("rapportctl: permission denied: "));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(As("grafana", {"demo", "seed"}, &out, &err), cli::kExitPermissionDenied);
  EXPECT_THAT(err, HasSubstr("\nrapportctl: demo seed: ApplyCatalog: permission denied: grafana "
                             "(viewer) may not call"));

  // An admin seeds; operators then run the escalations, under their names.
  Ok("root", {"demo", "seed"});
  EXPECT_THAT(Ok("oncall", {"esc", "escalate", "acme-tracking-latency"}),
              StartsWith("acme-tracking-latency: OPEN, level 1"));
  EXPECT_EQ(
      As("oncall-2", {"esc", "escalate", "acme-tracking-latency", "--seen-level", "0"}, &out, &err),
      cli::kExitRefused);
  EXPECT_THAT(err, HasSubstr("is no longer at level 0: oncall moved it to level 1"));
  EXPECT_THAT(Ok("oncall", {"esc", "show", "acme-tracking-latency"}),
              ContainsRegex("oncall +ESCALATED +OPEN +0 → 1"));
  // Several ids: a refusal that every call would meet stops at the first.
  EXPECT_EQ(As("grafana", {"esc", "ack", "acme-tracking-latency", "hall-3-scanners"}, &out, &err),
            cli::kExitPermissionDenied);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_THAT(err,
              StartsWith("rapportctl: escalations/acme-tracking-latency: permission denied: "));
  // A watch is refused before it starts.
  EXPECT_EQ(As("", {"esc", "watch"}, &out, &err), cli::kExitUnauthenticated);

  // The binary: RAPPORT_TOKEN from its environment, and the documented exit codes.
  const std::string server = "--server=" + server_->address();
  std::string output;
  EXPECT_EQ(RunRapportctl({server, "rel", "list"}, &output), cli::kExitUnauthenticated);
  EXPECT_THAT(output, HasSubstr("not authenticated"));
  ::setenv("RAPPORT_TOKEN", tokens_["grafana"].c_str(), 1);
  EXPECT_EQ(RunRapportctl({server, "rel", "list"}, &output), 0) << output;
  EXPECT_EQ(RunRapportctl({server, "esc", "cancel", "hall-3-scanners", "--reason", "x"}, &output),
            cli::kExitPermissionDenied);
  ::unsetenv("RAPPORT_TOKEN");
  EXPECT_EQ(RunRapportctl({"--help"}, &output), 0);
  EXPECT_THAT(output, HasSubstr("4 not authenticated"));
  EXPECT_THAT(output, HasSubstr("5 permission denied"));
}

// A CA, certificates it signs, and another CA, made by openssl.
class Pki {
 public:
  explicit Pki(std::string dir) : dir_(std::move(dir)) {
    Ca("ca");
    Ca("other-ca");
    Signed("server", "ca", "IP:127.0.0.1,DNS:localhost");
    Signed("internal", "ca", "DNS:rapportd.internal");
    Signed("client", "ca", "DNS:oncall");
  }
  std::string Crt(const std::string& name) const { return dir_ + "/" + name + ".crt"; }
  std::string Key(const std::string& name) const { return dir_ + "/" + name + ".key"; }

 private:
  void Ca(const std::string& name) {
    Shell(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=", name,
                       " -keyout ", Key(name), " -out ", Crt(name)));
  }
  void Signed(const std::string& name, const std::string& ca, const std::string& san) {
    std::ofstream(dir_ + "/" + name + ".ext") << "subjectAltName=" << san << "\n";
    Shell(absl::StrCat("openssl req -newkey rsa:2048 -nodes -subj /CN=", name, " -keyout ",
                       Key(name), " -out ", dir_, "/", name, ".csr"));
    Shell(absl::StrCat("openssl x509 -req -days 2 -CAcreateserial -in ", dir_, "/", name,
                       ".csr -CA ", Crt(ca), " -CAkey ", Key(ca), " -extfile ", dir_, "/", name,
                       ".ext -out ", Crt(name)));
  }
  std::string dir_;
};

class TlsCliTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerProcess> Start(const std::string& name,
                                       const std::vector<std::string>& flags) {
    std::vector<std::string> all = {"--sync_writes=false"};
    all.insert(all.end(), flags.begin(), flags.end());
    return ServerProcess::Start(dir_.Sub(name), dir_.Sub(name + ".log"), all);
  }
  int Run(const std::vector<std::string>& args, const std::string& address, std::string* err,
          cli::Environment env = {}) {
    env["RAPPORT_SERVER"] = address;
    std::string out;
    return RunWith(args, env, &out, err);
  }

  TempDir dir_;
  Pki pki_{dir_.path()};
};

TEST_F(TlsCliTest, TlsVerifiesTheServerWithTheGivenRootsAndName) {
  auto server =
      Start("tls", {"--tls_cert=" + pki_.Crt("server"), "--tls_key=" + pki_.Key("server")});
  ASSERT_NE(server, nullptr);
  std::string err;
  EXPECT_EQ(Run({"--tls_ca", pki_.Crt("ca"), "rel", "list"}, server->address(), &err), 0) << err;
  EXPECT_EQ(Run({"health"}, server->address(), &err, {{"RAPPORT_TLS_CA", pki_.Crt("ca")}}), 0)
      << err;
  // Plaintext to a TLS port, or roots that did not sign its certificate: no
  // connection, one line, exit 3.
  EXPECT_EQ(Run({"--timeout=5s", "rel", "list"}, server->address(), &err), cli::kExitUnreachable);
  EXPECT_THAT(err, StartsWith("rapportctl: cannot reach rapportd at "));
  EXPECT_THAT(err, HasSubstr("if rapportd serves TLS, give --tls_ca"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(Run({"--timeout=5s", "--tls_ca", pki_.Crt("other-ca"), "rel", "list"},
                server->address(), &err),
            cli::kExitUnreachable);
  EXPECT_THAT(err, StartsWith("rapportctl: cannot reach rapportd at "));
  EXPECT_THAT(err, HasSubstr("check --tls_ca, --tls_server_name and --tls_cert/--tls_key"));
  // The binary says it in one line, without gRPC's own log.
  std::string output;
  EXPECT_EQ(RunRapportctl({"--server=" + server->address(), "--timeout=5s",
                           "--tls_ca=" + pki_.Crt("other-ca"), "health"},
                          &output),
            cli::kExitUnreachable);
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  // A certificate for another name: --tls_server_name says which to expect.
  auto internal = Start(
      "internal", {"--tls_cert=" + pki_.Crt("internal"), "--tls_key=" + pki_.Key("internal")});
  ASSERT_NE(internal, nullptr);
  EXPECT_EQ(Run({"--timeout=5s", "--tls_ca", pki_.Crt("ca"), "health"}, internal->address(), &err),
            cli::kExitUnreachable);
  EXPECT_EQ(Run({"--tls_ca", pki_.Crt("ca"), "--tls_server_name", "rapportd.internal", "health"},
                internal->address(), &err),
            0)
      << err;
  EXPECT_EQ(
      Run({"health"}, internal->address(), &err,
          {{"RAPPORT_TLS_CA", pki_.Crt("ca")}, {"RAPPORT_TLS_SERVER_NAME", "rapportd.internal"}}),
      0)
      << err;
  EXPECT_EQ(internal->Stop(SIGTERM), 0);
}

TEST_F(TlsCliTest, MutualTlsNeedsTheClientCertificate) {
  auto server =
      Start("mtls", {"--tls_cert=" + pki_.Crt("server"), "--tls_key=" + pki_.Key("server"),
                     "--tls_client_ca=" + pki_.Crt("ca")});
  ASSERT_NE(server, nullptr);
  std::string err;
  EXPECT_NE(
      Run({"--timeout=5s", "--tls_ca", pki_.Crt("ca"), "rel", "list"}, server->address(), &err), 0);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(Run({"--tls_ca", pki_.Crt("ca"), "--tls_cert", pki_.Crt("client"), "--tls_key",
                 pki_.Key("client"), "rel", "list"},
                server->address(), &err),
            0)
      << err;
  EXPECT_EQ(Run({"rel", "list"}, server->address(), &err,
                {{"RAPPORT_TLS_CA", pki_.Crt("ca")},
                 {"RAPPORT_TLS_CERT", pki_.Crt("client")},
                 {"RAPPORT_TLS_KEY", pki_.Key("client")}}),
            0)
      << err;
  // The binary too.
  std::string output;
  EXPECT_EQ(RunRapportctl(
                {"--server=" + server->address(), "--tls_ca=" + pki_.Crt("ca"),
                 "--tls_cert=" + pki_.Crt("client"), "--tls_key=" + pki_.Key("client"), "health"},
                &output),
            0)
      << output;
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace rapport
