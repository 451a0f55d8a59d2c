// rapportctl escalations against the real rapportd: the whole lifecycle
// through RunCli, a concurrent escalation refused, several ids at once,
// JSON, and `watch` through the real binary across a crash of the server.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "tests/cli/cli_fixture.h"

namespace rapport {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `done` every 20 ms for up to `limit`; whether it came true.
bool Eventually(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

class EscalationsCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (server_ == nullptr) return;
    CreateRelationship("acme", "Acme Corp", v1::Relationship::STRATEGIC);
    CreateRelationship("globex", "Globex", v1::Relationship::KEY);
    {
      // Escalations name the service they are about: it is in the catalog.
      v1::CreateServiceRequest service;
      service.set_service_id("email");
      service.mutable_service()->set_display_name("E-mail");
      v1::Service created;
      auto ctx = Ctx();
      ASSERT_OK(catalog_->CreateService(ctx.get(), service, &created));
    }
    v1::CreateEscalationPolicyRequest request;
    request.set_policy_id("standard");
    auto* policy = request.mutable_policy();
    policy->set_display_name("Standard");
    for (const auto& [name, minutes] : std::vector<std::pair<std::string, int>>{
             {"service-desk", 30}, {"duty-manager", 60}, {"head-of-ops", 120}}) {
      auto* level = policy->add_levels();
      level->set_name(name);
      level->add_targets(name + "@it.example");
      level->mutable_ack_wait()->set_seconds(minutes * 60);
    }
    v1::EscalationPolicy out;
    auto ctx = Ctx();
    ASSERT_OK(escalations_->CreateEscalationPolicy(ctx.get(), request, &out));
  }

  // `esc create` with an id, a title and a severity, on acme unless said.
  void Create(const std::string& id, const std::string& severity, const std::string& title,
              const std::string& relationship = "acme") {
    const std::string out =
        Ok({"esc", "create", "--id", id, "--relationship", relationship, "--severity", severity,
            "--policy", "standard", "--title", title, "--service", "email"});
    EXPECT_THAT(out, StartsWith("Opened " + id + ": OPEN, level 0 (service-desk), escalates in "))
        << out;
  }

  // Starts the rapportctl binary with `args` (after --server), stdout and
  // stderr to files under the test's directory; returns its pid.
  pid_t Spawn(const std::vector<std::string>& args, const std::string& name) {
    std::vector<std::string> argv_storage = {RAPPORTCTL_PATH, "--server=" + server_->address()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    const std::string out = dir_.Sub(name + ".out"), err = dir_.Sub(name + ".err");
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : argv_storage) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), STDOUT_FILENO);
      ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid;
  }
  // Waits up to a minute for `pid`; its exit code, or -1 after killing it.
  int Wait(pid_t pid) {
    int wstatus = 0;
    if (!Eventually([&] { return ::waitpid(pid, &wstatus, WNOHANG) == pid; }, absl::Minutes(1))) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &wstatus, 0);
      return -1;
    }
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  }

  // The changes a `watch -o json` wrote (one per line).
  std::vector<v1::EscalationChange> Changes(const std::string& name) {
    std::vector<v1::EscalationChange> changes;
    for (absl::string_view line :
         absl::StrSplit(ReadFile(dir_.Sub(name + ".out")), '\n', absl::SkipEmpty())) {
      v1::EscalationChange change;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &change).ok())
          << line;
      changes.push_back(change);
    }
    return changes;
  }
};

TEST_F(EscalationsCliTest, LifecycleFromCreateToCloseWithTheWholeTimeline) {
  Create("invoices-late", "sev2", "Invoices late for the third time");
  EXPECT_THAT(Ok({"esc", "ack", "invoices-late", "--note", "on it"}),
              StartsWith("invoices-late: ACKNOWLEDGED, level 0 (service-desk)"));
  EXPECT_THAT(Ok({"esc", "escalate", "invoices-late", "--note", "needs a DBA"}),
              StartsWith("invoices-late: OPEN, level 1 (duty-manager), escalates in 1h"));
  EXPECT_THAT(Ok({"esc", "note", "invoices-late", "called", "the", "customer", "back"}),
              StartsWith("invoices-late: OPEN, level 1"));
  EXPECT_THAT(Ok({"esc", "hold", "invoices-late", "--reason", "waiting for the vendor"}),
              ContainsRegex("^invoices-late: ON_HOLD, level 1 \\(duty-manager\\), held "));
  EXPECT_THAT(Ok({"esc", "resume", "invoices-late"}), StartsWith("invoices-late: OPEN, level 1"));
  EXPECT_THAT(Ok({"esc", "reassign", "invoices-late", "--to", "dana@it.example"}),
              HasSubstr("assigned to dana@it.example"));
  Ok({"esc", "ack", "invoices-late"});
  EXPECT_THAT(Ok({"esc", "resolve", "invoices-late", "--summary", "index rebuilt"}),
              StartsWith("invoices-late: RESOLVED, level 1"));
  EXPECT_THAT(Ok({"esc", "reopen", "invoices-late", "--reason", "late again"}),
              StartsWith("invoices-late: OPEN, level 1"));
  Ok({"esc", "ack", "invoices-late"});
  Ok({"esc", "resolve", "invoices-late", "--summary", "batch job moved"});
  EXPECT_THAT(Ok({"escalations", "close", "escalations/invoices-late"}),
              StartsWith("invoices-late: CLOSED"));

  const std::string show = Ok({"esc", "show", "invoices-late"});
  EXPECT_THAT(show, ContainsRegex("Name: +escalations/invoices-late"));
  EXPECT_THAT(show, ContainsRegex("Title: +Invoices late for the third time"));
  EXPECT_THAT(show, ContainsRegex("State: +CLOSED"));
  EXPECT_THAT(show, ContainsRegex("Severity: +SEV2"));
  EXPECT_THAT(show, ContainsRegex("Source: +MANUAL"));
  EXPECT_THAT(show, ContainsRegex("Level: +1 duty-manager of 3"));
  EXPECT_THAT(show, ContainsRegex("Assignee: +dana@it.example"));
  EXPECT_THAT(show, ContainsRegex("Resolution: +batch job moved"));
  EXPECT_THAT(show, ContainsRegex("→ +1 +duty-manager +1h +duty-manager@it.example"));
  // The timeline, oldest first, with moves of state and level.
  const std::vector<std::string> actions = {
      "OPENED",       "ACKNOWLEDGED", "ESCALATED",    "NOTE_ADDED", "HELD",
      "RESUMED",      "REASSIGNED",   "ACKNOWLEDGED", "RESOLVED",   "REOPENED",
      "ACKNOWLEDGED", "RESOLVED",     "CLOSED"};
  size_t at = show.find("Timeline:");
  ASSERT_NE(at, std::string::npos) << show;
  for (const auto& action : actions) {
    const size_t next = show.find(" " + action + " ", at);
    ASSERT_NE(next, std::string::npos) << action << " after " << at << " in\n" << show;
    at = next + 1;
  }
  EXPECT_THAT(show, ContainsRegex("ESCALATED +ACKNOWLEDGED → OPEN +0 → 1 +needs a DBA"));
  EXPECT_THAT(show, ContainsRegex("ACKNOWLEDGED +OPEN → ACKNOWLEDGED +0 +on it"));
  EXPECT_THAT(show, ContainsRegex("NOTE_ADDED +OPEN +1 +called the customer back"));

  v1::Escalation parsed;
  const std::string json = Ok({"-o", "json", "esc", "show", "invoices-late"});
  EXPECT_TRUE(PythonParses(json));
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_EQ(parsed.timeline_size(), static_cast<int>(actions.size()));
  EXPECT_EQ(parsed.state(), v1::Escalation::CLOSED);
}

TEST_F(EscalationsCliTest, AStaleEscalationIsRefusedSayingWhoEscalatedFirst) {
  Create("vpn-down", "sev1", "VPN down for the Hamburg office");
  EXPECT_THAT(Ok({"esc", "escalate", "vpn-down", "--seen-level", "0"}),
              StartsWith("vpn-down: OPEN, level 1 (duty-manager)"));
  // Someone who still sees level 0 is refused instead of skipping a level.
  std::string out, err;
  EXPECT_EQ(Run({"esc", "escalate", "vpn-down", "--seen-level", "0"}, &out, &err),
            cli::kExitRefused);
  EXPECT_EQ(out, "");
  EXPECT_THAT(err, StartsWith("rapportctl: FAILED_PRECONDITION: escalations/vpn-down is no "
                              "longer at level 0: "));
  EXPECT_THAT(err, ContainsRegex("anonymous moved it to level 1 \\(duty-manager\\) at "
                                 "[0-9-]+T[0-9:]+"));
  EXPECT_THAT(Ok({"esc", "show", "vpn-down"}), ContainsRegex("Level: +1 duty-manager"));

  // Two engineers escalating at the same moment from the level they both
  // saw: exactly one of them moves it.
  std::string outs[2], errs[2];
  int codes[2];
  std::thread threads[2];
  for (int i = 0; i < 2; ++i) {
    threads[i] = std::thread([&, i] {
      std::ostringstream o, e;
      codes[i] = cli::RunCli({"esc", "escalate", "vpn-down", "--seen-level", "1"}, o, e,
                             server_->address());
      outs[i] = o.str();
      errs[i] = e.str();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(codes[0] + codes[1], cli::kExitRefused) << errs[0] << errs[1];
  const int loser = codes[0] == cli::kExitOk ? 1 : 0;
  EXPECT_THAT(outs[1 - loser], StartsWith("vpn-down: OPEN, level 2 (head-of-ops)"));
  EXPECT_THAT(errs[loser], HasSubstr("is no longer at level 1: anonymous moved it to level 2"));
  // At the last level there is nowhere to go.
  EXPECT_EQ(Run({"esc", "escalate", "vpn-down"}, &out, &err), cli::kExitRefused);
  EXPECT_THAT(err, HasSubstr("last level"));
}

TEST_F(EscalationsCliTest, SeveralIdsAtOnceReportEachAndExitOneIfAnyIsRefused) {
  Create("a", "sev2", "First");
  Create("b", "sev3", "Second");
  Create("c", "sev3", "Third");
  EXPECT_EQ(Ok({"esc", "ack", "a", "b"}),
            "a: ACKNOWLEDGED, level 0 (service-desk)\nb: ACKNOWLEDGED, level 0 (service-desk)\n");
  // b is acknowledged already and nope does not exist; a and c are still done.
  std::string out, err;
  EXPECT_EQ(Run({"esc", "cancel", "a", "nope", "c", "--reason", "duplicate"}, &out, &err),
            cli::kExitRefused);
  EXPECT_EQ(out, "a: CANCELLED, level 0 (service-desk)\nc: CANCELLED, level 0 (service-desk)\n");
  EXPECT_THAT(err, StartsWith("rapportctl: escalations/nope: NOT_FOUND: "));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(Run({"esc", "ack", "b", "a"}, &out, &err), cli::kExitRefused);
  EXPECT_THAT(err, HasSubstr("escalations/b: FAILED_PRECONDITION: "));
  EXPECT_THAT(err, HasSubstr("escalations/a: FAILED_PRECONDITION: "));

  // JSON: an array for several, one object for one.
  const std::string json = Ok({"-o", "json", "esc", "hold", "b", "--reason", "vendor"});
  v1::Escalation one;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &one).ok()) << json;
  EXPECT_EQ(one.state(), v1::Escalation::ON_HOLD);
  Create("d", "sev4", "Fourth");
  std::string array;
  EXPECT_EQ(Run({"-o", "json", "esc", "ack", "d", "b"}, &array, &err), cli::kExitRefused);
  EXPECT_THAT(err, HasSubstr("escalations/b: FAILED_PRECONDITION: "));
  EXPECT_TRUE(PythonParses(array)) << array;
  v1::ListEscalationsResponse parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage("{\"escalations\":" + array + "}", &parsed).ok())
      << array;
  ASSERT_EQ(parsed.escalations_size(), 1);  // b is on hold: only d was acknowledged.
  EXPECT_EQ(parsed.escalations(0).name(), "escalations/d");
}

TEST_F(EscalationsCliTest, ListShowsActiveOnesByDefaultAndFilters) {
  Create("old", "sev3", "Old and done");
  Ok({"esc", "cancel", "old", "--reason", "mistake"});
  Create("vpn", "sev1", "VPN down", "globex");
  Create("mail", "sev2", "Mail queue stuck");
  Ok({"esc", "escalate", "mail"});
  Create("held", "sev3", "Waiting on the vendor");
  Ok({"esc", "hold", "held", "--reason", "vendor"});
  Ok({"esc", "reassign", "vpn", "--to", "sam"});

  std::string list = Ok({"esc", "list"});
  std::vector<std::string> lines = absl::StrSplit(list, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << list;
  EXPECT_THAT(
      lines[0],
      ContainsRegex("^ID +SEV +STATE +LEVEL +RELATIONSHIP +ASSIGNEE +CREATED +NEXT +TITLE$"));
  // Newest first, across the states the listing merged.
  EXPECT_THAT(lines[1], ContainsRegex("^held +SEV3 +ON_HOLD +0 service-desk +acme +- .* held "));
  EXPECT_THAT(lines[2],
              ContainsRegex("^mail +SEV2 +OPEN +1 duty-manager +acme +- .* escalates in"));
  EXPECT_THAT(lines[3], ContainsRegex("^vpn +SEV1 +OPEN +0 service-desk +globex +sam .* VPN down"));

  EXPECT_THAT(list, Not(HasSubstr("Old and done")));
  EXPECT_THAT(Ok({"esc", "list", "--state", "all"}), HasSubstr("Old and done"));
  EXPECT_THAT(Ok({"esc", "list", "--all"}), HasSubstr("Old and done"));
  EXPECT_THAT(Ok({"esc", "list", "--all", "--state", "active"}), Not(HasSubstr("Old and done")));
  list = Ok({"esc", "list", "--state", "cancelled,on_hold"});
  EXPECT_THAT(list, HasSubstr("old "));
  EXPECT_THAT(list, HasSubstr("held "));
  EXPECT_THAT(list, Not(HasSubstr("vpn ")));
  list = Ok({"esc", "list", "--severity", "sev1"});
  EXPECT_THAT(list, HasSubstr("vpn "));
  EXPECT_THAT(list, Not(HasSubstr("mail ")));
  list = Ok({"esc", "list", "--level", "1"});
  EXPECT_THAT(list, HasSubstr("mail "));
  EXPECT_THAT(list, Not(HasSubstr("vpn ")));
  EXPECT_THAT(Ok({"esc", "list", "--relationship", "globex"}), Not(HasSubstr("mail ")));
  EXPECT_THAT(Ok({"esc", "list", "--assignee", "sam"}), Not(HasSubstr("mail ")));
  EXPECT_THAT(Ok({"esc", "list", "--service", "nothing"}), HasSubstr("No escalations."));

  std::string out, err;
  ASSERT_EQ(Run({"esc", "list", "--limit", "2"}, &out, &err), 0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
  EXPECT_THAT(out, HasSubstr("held "));
  EXPECT_THAT(err, HasSubstr("2 shown"));
  const std::string json = Ok({"-o", "json", "esc", "list", "--state", "all"});
  EXPECT_TRUE(PythonParses(json));
  v1::ListEscalationsResponse parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage("{\"escalations\":" + json + "}", &parsed).ok());
  EXPECT_EQ(parsed.escalations_size(), 4);

  EXPECT_THAT(Ok({"esc", "policies"}),
              ContainsRegex("standard +Standard +service-desk \\(30m\\) → duty-manager \\(1h\\) → "
                            "head-of-ops \\(2h\\) +0"));
}

TEST_F(EscalationsCliTest, BadCommandLinesAreUsageErrorsBeforeAnyCall) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"esc", "hold", "x"}, "--reason is required"},
      {{"esc", "resolve", "x"}, "--summary is required"},
      {{"esc", "reassign", "x"}, "give either --to WHO or --policy ID"},
      {{"esc", "reassign", "x", "--to", "a", "--policy", "b"}, "give either"},
      {{"esc", "create", "--title", "t"}, "--relationship is required"},
      {{"esc", "create", "--relationship", "acme", "--title", "t", "--policy", "p", "--severity",
        "sev9"},
       "--severity must be one of sev1|sev2|sev3|sev4"},
      {{"esc", "list", "--state", "pending"}, "--state must be active, all, or some of open|"},
      {{"esc", "list", "--level", "-1"}, "--level must be a level index"},
      {{"esc", "escalate", "x", "--seen-level", "one"}, "--seen-level must be a level index"},
      {{"esc", "watch", "--since", "x"}, "--since must be a sequence number"},
      {{"esc", "note", "x"}, "expects ID TEXT..., got 1 argument"},
      {{"esc", "ack"}, "expects ID..., got 0 arguments"},
  };
  for (const auto& c : cases) {
    std::string out, err;
    EXPECT_EQ(Run(c.args, &out, &err), cli::kExitUsage) << absl::StrJoin(c.args, " ");
    EXPECT_THAT(err, HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
  }
  // Nothing was written.
  EXPECT_EQ(Ok({"-o", "json", "esc", "list", "--state", "all"}), "[]\n");
}

TEST_F(EscalationsCliTest, WatchResumesAfterTheLastSequenceAcrossACrash) {
  Create("first", "sev2", "First");
  const pid_t watch = Spawn({"-o", "json", "esc", "watch", "--since", "0", "--count", "5"}, "w");
  ASSERT_TRUE(Eventually([&] { return Changes("w").size() == 1; })) << ReadFile(dir_.Sub("w.err"));

  // Changes made while the watch is cut off reach it after it reconnects.
  Restart();
  Ok({"esc", "ack", "first"});
  Create("second", "sev3", "Second");
  Ok({"esc", "escalate", "first"});
  Ok({"esc", "note", "second", "still there"});
  ASSERT_EQ(Wait(watch), 0) << ReadFile(dir_.Sub("w.err"));

  const auto changes = Changes("w");
  ASSERT_EQ(changes.size(), 5u);
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].sequence(), static_cast<int64_t>(i + 1));  // No gap, no repeat.
  }
  EXPECT_EQ(changes[1].entry().action(), v1::EscalationTimelineEntry::ACKNOWLEDGED);
  EXPECT_EQ(changes[2].escalation().name(), "escalations/second");
  EXPECT_EQ(changes[3].escalation().level(), 1);
  EXPECT_EQ(changes[4].entry().note(), "still there");
  const std::string err = ReadFile(dir_.Sub("w.err"));
  EXPECT_THAT(err, HasSubstr("rapportctl: watch: connection lost ("));
  EXPECT_THAT(err, HasSubstr("resuming after sequence 1"));
  EXPECT_THAT(err, HasSubstr("rapportctl: watch: reconnected"));
}

TEST_F(EscalationsCliTest, LiveWatchCutOffBeforeItsFirstChangeMissesNothingAndRepeatsNothing) {
  Create("before", "sev2", "Opened before the watch");
  const pid_t watch = Spawn({"esc", "watch", "--count", "2"}, "live");
  // The watch's first call is a one-item listing; its stream starts right after.
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(testing::HttpGet(server_->metrics_port(), "/metrics"),
                             "grpc_method=\"ListEscalations\"");
  }));
  Restart();
  Create("after", "sev3", "Opened after the watch began");
  Ok({"esc", "ack", "after"});
  ASSERT_EQ(Wait(watch), 0) << ReadFile(dir_.Sub("live.err"));
  const std::string out = ReadFile(dir_.Sub("live.out"));
  const std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_THAT(lines[0],
              ContainsRegex("^SEQ +TIME +ESCALATION +ACTION +STATE +LEVEL +ACTOR +NOTE$"));
  EXPECT_THAT(lines[1], ContainsRegex("^2 +.* after +OPENED +OPEN +0 service-desk +anonymous +SEV3 "
                                      "Opened after"));
  EXPECT_THAT(lines[2], ContainsRegex("^3 +.* after +ACKNOWLEDGED +ACKNOWLEDGED"));
}

TEST_F(EscalationsCliTest, WatchOfAnUnreachableServerExitsThree) {
  const std::string address = server_->address();
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
  server_.reset();
  std::ostringstream out, err;
  EXPECT_EQ(cli::RunCli({"--timeout=2s", "esc", "watch"}, out, err, address),
            cli::kExitUnreachable);
  EXPECT_THAT(err.str(), StartsWith("rapportctl: cannot reach rapportd at "));
}

}  // namespace
}  // namespace rapport
