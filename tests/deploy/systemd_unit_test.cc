// deploy/systemd/rapportd.service: `systemd-analyze verify` finds nothing to
// say about it in the layout the Debian package installs (so its ExecStart
// names the packaged binary), its hardening scores well with
// `systemd-analyze security`, and it has the settings the runbook relies on.
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config_file.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::rapport::testing::BuiltDebPath;
using ::rapport::testing::CommandResult;
using ::rapport::testing::FindInPath;
using ::rapport::testing::ReadFile;
using ::rapport::testing::RunCommand;
using ::rapport::testing::SourcePath;
using ::rapport::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A unit file: "Section.Key" -> every value given, in order.
using Unit = std::map<std::string, std::vector<std::string>>;

Unit ParseUnit(const std::string& text) {
  Unit unit;
  std::string section;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = std::string(line.substr(1, line.size() - 2));
      continue;
    }
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos) continue;
    unit[section + "." + std::string(absl::StripAsciiWhitespace(line.substr(0, equals)))]
        .emplace_back(absl::StripAsciiWhitespace(line.substr(equals + 1)));
  }
  return unit;
}

std::string One(const Unit& unit, const std::string& key) {
  const auto it = unit.find(key);
  if (it == unit.end() || it->second.size() != 1) {
    ADD_FAILURE() << key << " should be set once";
    return "";
  }
  return it->second[0];
}

absl::Duration ParseSeconds(const std::string& value) {
  absl::Duration d;
  if (absl::ParseDuration(value, &d)) return d;
  int seconds = 0;  // systemd also takes a bare number of seconds.
  if (absl::SimpleAtoi(value, &seconds)) return absl::Seconds(seconds);
  ADD_FAILURE() << "not a duration: " << value;
  return absl::ZeroDuration();
}

// The grace period rapportd gets from the packaged configuration file.
absl::Duration PackagedGracePeriod() {
  auto entries = ParseConfig(ReadFile(SourcePath("deploy/rapportd.conf.example")));
  EXPECT_TRUE(entries.ok()) << entries.status();
  absl::Duration grace = absl::Seconds(10);  // rapportd's default.
  for (const auto& entry : entries.ok() ? *entries : std::vector<ConfigEntry>{}) {
    if (entry.key == "grace_period") {
      EXPECT_TRUE(absl::ParseDuration(entry.value, &grace)) << entry.value;
    }
  }
  return grace;
}

class SystemdUnitTest : public ::testing::Test {
 protected:
  // A root holding the package's files and the stock units of this system
  // (sysinit.target, multi-user.target, ...) that rapportd.service refers to.
  // Skips the test when systemd-analyze is not installed.
  void SetUp() override {
    if (FindInPath("systemd-analyze").empty()) {
      GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd, listed in "
                      "deploy/install-deps.sh)";
    }
    const std::string deb = BuiltDebPath();
    ASSERT_FALSE(deb.empty());
    root_ = dir_.Sub("root");
    CommandResult r = RunCommand({"dpkg-deb", "-x", deb, root_});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::string stock = "/usr/lib/systemd/system";
    if (!fs::exists(stock + "/multi-user.target")) stock = "/lib/systemd/system";
    ASSERT_TRUE(fs::exists(stock + "/multi-user.target")) << "no stock systemd units found";
    r = RunCommand({"cp", "-an", stock + "/.", root_ + "/usr/lib/systemd/system/"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // ExecReload runs /bin/kill, which every Debian system has (procps).
    fs::create_directories(root_ + "/bin");
    r = RunCommand({"cp", "-L", "/bin/kill", root_ + "/bin/kill"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  CommandResult Verify(const std::string& unit) {
    return RunCommand({"systemd-analyze", "verify", "--root=" + root_, unit});
  }
  TempDir dir_;
  std::string root_;
};

TEST_F(SystemdUnitTest, VerifiesWithoutAWordInThePackagedLayout) {
  const CommandResult r = Verify("rapportd.service");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // systemd-analyze exits 0 on unknown keys and bad values, but says so.
  EXPECT_EQ(r.output, "") << "systemd-analyze verify complains";
}

TEST_F(SystemdUnitTest, VerifyWouldCatchAMistake) {
  std::string unit = ReadFile(SourcePath("deploy/systemd/rapportd.service"));
  unit.replace(unit.find("Restart=on-failure"), 18, "Restart=sometimes");
  unit.replace(unit.find("/usr/sbin/rapportd"), 18, "/usr/sbin/rapportdd");
  fs::create_directories(root_ + "/etc/systemd/system");
  testing::WriteFile(root_ + "/etc/systemd/system/rapportd-broken.service", unit);
  const CommandResult r = Verify("rapportd-broken.service");
  EXPECT_THAT(r.output, HasSubstr("sometimes"));
  EXPECT_THAT(r.output, HasSubstr("/usr/sbin/rapportdd"));
}

TEST_F(SystemdUnitTest, HardeningScoresAtMostTwo) {
  const CommandResult r = RunCommand(
      {"systemd-analyze", "security", "--offline=true", "--root=" + root_, "rapportd.service"});
  std::smatch m;
  const std::regex overall(R"(Overall exposure level for rapportd\.service: ([0-9.]+))");
  ASSERT_TRUE(std::regex_search(r.output, m, overall)) << r.output;
  EXPECT_LE(std::stod(m[1]), 2.0) << r.output;
}

TEST(SystemdUnitSettingsTest, RunsAsRapportWithItsDataAndConfiguration) {
  const Unit unit = ParseUnit(ReadFile(SourcePath("deploy/systemd/rapportd.service")));
  EXPECT_EQ(One(unit, "Service.User"), "rapport");
  EXPECT_EQ(One(unit, "Service.Group"), "rapport");
  EXPECT_EQ(One(unit, "Service.ExecStart"),
            "/usr/sbin/rapportd --config=/etc/rapport/rapportd.conf");
  EXPECT_EQ(One(unit, "Service.StateDirectory"), "rapport");
  EXPECT_EQ(One(unit, "Install.WantedBy"), "multi-user.target");
  // The packaged configuration keeps the data where the unit lets it write.
  auto entries = ParseConfig(ReadFile(SourcePath("deploy/rapportd.conf.example")));
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::string data_dir;
  for (const auto& entry : *entries) {
    if (entry.key == "data_dir") data_dir = entry.value;
  }
  EXPECT_EQ(data_dir, "/var/lib/rapport");
}

TEST(SystemdUnitSettingsTest, RestartsOnFailureAndStopsGracefully) {
  const Unit unit = ParseUnit(ReadFile(SourcePath("deploy/systemd/rapportd.service")));
  EXPECT_EQ(One(unit, "Service.Restart"), "on-failure");
  EXPECT_EQ(One(unit, "Service.RestartPreventExitStatus"), "2")
      << "a configuration error (exit 2) should not restart in a loop";
  EXPECT_EQ(One(unit, "Service.KillSignal"), "SIGTERM");
  const absl::Duration stop_timeout = ParseSeconds(One(unit, "Service.TimeoutStopSec"));
  const absl::Duration grace = PackagedGracePeriod();
  EXPECT_GE(stop_timeout, grace + absl::Seconds(10))
      << "TimeoutStopSec should leave room above rapportd's grace period (" << grace
      << ") to close the store before SIGKILL";
}

TEST(SystemdUnitSettingsTest, IsHardened) {
  const Unit unit = ParseUnit(ReadFile(SourcePath("deploy/systemd/rapportd.service")));
  EXPECT_EQ(One(unit, "Service.NoNewPrivileges"), "yes");
  EXPECT_EQ(One(unit, "Service.ProtectSystem"), "strict");
  EXPECT_EQ(One(unit, "Service.PrivateTmp"), "yes");
  EXPECT_EQ(One(unit, "Service.ProtectHome"), "yes");
  EXPECT_EQ(One(unit, "Service.CapabilityBoundingSet"), "");
  const std::vector<std::string> writable = absl::StrSplit(
      One(unit, "Service.ReadWritePaths"), ' ', absl::SkipEmpty());
  EXPECT_THAT(writable, Contains("/var/lib/rapport"));
  // Where the runbook's backups go; '-': the unit starts if it is missing.
  EXPECT_THAT(writable, Contains("-/var/backups/rapport"));
}

}  // namespace
}  // namespace rapport
