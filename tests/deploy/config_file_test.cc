// The configuration file of rapportd (server/config_file.h): parsing, the
// check of keys, which flags the command line gave, and applying values to
// flags. The flags of this file stand in for rapportd's: `config` is the
// anchor, the others are the keys a file may set.
#include "server/config_file.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(std::string, config, "", "The anchor: keys are the flags of this file but this one.");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "A string flag.");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464", "A string flag that may be empty.");
ABSL_FLAG(bool, sync_writes, true, "A boolean flag.");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(10), "A duration flag.");

namespace rapport {
namespace {

using ::rapport::testing::StatusIs;
using ::rapport::testing::TempDir;
using ::rapport::testing::WriteFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

MATCHER_P3(Entry, key, value, line, "") {
  return arg.key == key && arg.value == value && arg.line == line;
}

std::vector<ConfigEntry> MustParse(absl::string_view text) {
  auto entries = ParseConfig(text);
  EXPECT_OK(entries);
  return entries.ok() ? *entries : std::vector<ConfigEntry>{};
}

TEST(ParseConfigTest, ReadsKeyValueLinesAndSkipsCommentsAndBlankLines) {
  EXPECT_THAT(MustParse("# rapportd\n"
                        "\n"
                        "listen = 0.0.0.0:50051\n"
                        "   # indented comment\n"
                        "  grace_period=15s  \n"
                        "sync_writes =false"),
              ElementsAre(Entry("listen", "0.0.0.0:50051", 3), Entry("grace_period", "15s", 5),
                          Entry("sync_writes", "false", 6)));
}

TEST(ParseConfigTest, EmptyTextHasNoEntries) {
  EXPECT_THAT(MustParse(""), ElementsAre());
  EXPECT_THAT(MustParse("\n# only a comment\n\n"), ElementsAre());
}

TEST(ParseConfigTest, TrailingCommentNeedsABlankBeforeTheHash) {
  EXPECT_THAT(MustParse("listen = a:1 # the port\n"
                        "health_weights = nps=20#not a comment\n"
                        "data_dir = # nothing: an empty value\n"),
              ElementsAre(Entry("listen", "a:1", 1), Entry("health_weights", "nps=20#not a comment", 2),
                          Entry("data_dir", "", 3)));
}

TEST(ParseConfigTest, QuotedValuesKeepBlanksAndHashesAndMayBeEmpty) {
  EXPECT_THAT(MustParse("metrics_listen = \"\"\n"
                        "data_dir = \" /srv/rapport #1 \"  # trailing comment\n"
                        "listen = \"say \\\"hi\\\" \\\\ bye\"\n"),
              ElementsAre(Entry("metrics_listen", "", 1), Entry("data_dir", " /srv/rapport #1 ", 2),
                          Entry("listen", "say \"hi\" \\ bye", 3)));
}

TEST(ParseConfigTest, ValuesMayContainEqualsSigns) {
  EXPECT_THAT(MustParse("health_weights = sla=25,nps=20\n"),
              ElementsAre(Entry("health_weights", "sla=25,nps=20", 1)));
}

TEST(ParseConfigTest, AcceptsWindowsLineEnds) {
  EXPECT_THAT(MustParse("listen = a:1\r\n# c\r\nsync_writes = true\r\n"),
              ElementsAre(Entry("listen", "a:1", 1), Entry("sync_writes", "true", 3)));
}

TEST(ParseConfigTest, RefusesALineWithoutEqualsNamingTheLine) {
  EXPECT_THAT(ParseConfig("listen = a:1\n\nsync_writes true\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 3"), HasSubstr("expected 'key = value'"),
                             HasSubstr("sync_writes true"))));
}

TEST(ParseConfigTest, RefusesMalformedKeys) {
  EXPECT_THAT(ParseConfig("= value\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 1"), HasSubstr("missing key"))));
  EXPECT_THAT(ParseConfig("# c\n--listen = a:1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 2"), HasSubstr("malformed key '--listen'"))));
  EXPECT_THAT(ParseConfig("Listen = a:1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed key 'Listen'")));
  EXPECT_THAT(ParseConfig("data dir = /x\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed key 'data dir'")));
}

TEST(ParseConfigTest, RefusesBadQuoting) {
  EXPECT_THAT(ParseConfig("listen = a:1\ndata_dir = \"/srv/rapport\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 2"), HasSubstr("unterminated quoted value"))));
  EXPECT_THAT(ParseConfig("data_dir = \"/srv\"/rapport\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 1"), HasSubstr("after the closing quote"),
                             HasSubstr("/rapport"))));
}

TEST(ParseConfigTest, RefusesAKeyGivenTwiceNamingBothLines) {
  EXPECT_THAT(ParseConfig("listen = a:1\nsync_writes = true\nlisten = b:2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 3"), HasSubstr("'listen'"),
                             HasSubstr("already set on line 1"))));
}

TEST(CheckConfigKeysTest, AcceptsKnownKeys) {
  EXPECT_OK(CheckConfigKeys(MustParse("listen = a:1\nsync_writes = true\n"),
                            {"listen", "sync_writes", "data_dir"}));
  EXPECT_OK(CheckConfigKeys({}, {}));
}

TEST(CheckConfigKeysTest, RefusesTheFirstUnknownKeyWithItsLineAndTheKnownKeys) {
  EXPECT_THAT(
      CheckConfigKeys(MustParse("listen = a:1\n# c\ncolour = blue\nshape = round\n"),
                      {"listen", "sync_writes"}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("line 3: unknown key 'colour'"),
                     HasSubstr("known keys: listen, sync_writes"))));
}

TEST(FlagsOnCommandLineTest, FindsEveryFormOfAFlag) {
  EXPECT_THAT(FlagsOnCommandLine({"--listen=a:1", "--data_dir", "/srv/x", "-grace_period=3s",
                                  "--sync_writes"}),
              ElementsAre("data_dir", "grace_period", "listen", "sync_writes"));
}

TEST(FlagsOnCommandLineTest, NegatedBooleansNameTheFlag) {
  EXPECT_THAT(FlagsOnCommandLine({"--nosync_writes"}), ElementsAre("nosync_writes", "sync_writes"));
  // With a value it is a flag of its own, whose name starts with "no".
  EXPECT_THAT(FlagsOnCommandLine({"--node=3"}), ElementsAre("node"));
}

TEST(FlagsOnCommandLineTest, IgnoresValuesAndStopsAtDoubleDash) {
  EXPECT_THAT(FlagsOnCommandLine({"value", "--listen", "a:1", "--", "--data_dir=/x"}),
              ElementsAre("listen"));
  EXPECT_THAT(FlagsOnCommandLine({"-", "--", "---"}), ElementsAre());
}

// Puts this file's flags back to their defaults, so that tests run in one
// process do not see each other's values. (absl::FlagSaver does too, but logs
// every flag it restores.)
void ResetFlags() {
  absl::SetFlag(&FLAGS_config, "");
  absl::SetFlag(&FLAGS_listen, "127.0.0.1:50051");
  absl::SetFlag(&FLAGS_metrics_listen, "127.0.0.1:9464");
  absl::SetFlag(&FLAGS_sync_writes, true);
  absl::SetFlag(&FLAGS_grace_period, absl::Seconds(10));
}

class ApplyConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { ResetFlags(); }
  void TearDown() override { ResetFlags(); }
};

TEST_F(ApplyConfigTest, SetsFlagsFromValuesAsOnTheCommandLine) {
  ASSERT_OK(ApplyConfig(MustParse("listen = 0.0.0.0:1\nmetrics_listen = \"\"\n"
                                  "sync_writes = false\ngrace_period = 1m30s\n"),
                        {}));
  EXPECT_EQ(absl::GetFlag(FLAGS_listen), "0.0.0.0:1");
  EXPECT_EQ(absl::GetFlag(FLAGS_metrics_listen), "");
  EXPECT_FALSE(absl::GetFlag(FLAGS_sync_writes));
  EXPECT_EQ(absl::GetFlag(FLAGS_grace_period), absl::Seconds(90));
}

TEST_F(ApplyConfigTest, LeavesTheSkippedFlagsAlone) {
  absl::SetFlag(&FLAGS_listen, "from-command-line:1");
  ASSERT_OK(ApplyConfig(MustParse("listen = from-file:1\nsync_writes = false\n"), {"listen"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_listen), "from-command-line:1");
  EXPECT_FALSE(absl::GetFlag(FLAGS_sync_writes));
}

TEST_F(ApplyConfigTest, RefusesAValueThatDoesNotParseNamingLineAndKey) {
  EXPECT_THAT(ApplyConfig(MustParse("listen = a:1\ngrace_period = soon\n"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 2: grace_period:"), HasSubstr("soon"))));
  EXPECT_EQ(absl::GetFlag(FLAGS_grace_period), absl::Seconds(10));
  EXPECT_THAT(ApplyConfig(MustParse("sync_writes = maybe\n"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1: sync_writes:")));
}

TEST_F(ApplyConfigTest, RefusesAKeyThatIsNoFlag) {
  EXPECT_THAT(ApplyConfig(MustParse("no_such_flag_anywhere = 1\n"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1: unknown key 'no_such_flag_anywhere'")));
}

TEST(FlagsDefinedBesideTest, NamesTheFlagsOfTheAnchorsFileButTheAnchor) {
  // Abseil's own flags (flagfile, fromenv, ...) live in other files.
  EXPECT_THAT(FlagsDefinedBeside("config"),
              ElementsAre("grace_period", "listen", "metrics_listen", "sync_writes"));
  EXPECT_THAT(FlagsDefinedBeside("no_such_anchor"), ElementsAre());
}

class LoadConfigFileTest : public ::testing::Test {
 protected:
  std::string WriteConfig(const std::string& text) {
    const std::string path = dir_.Sub("rapportd.conf");
    WriteFile(path, text);
    return path;
  }
  void SetUp() override { ResetFlags(); }
  void TearDown() override { ResetFlags(); }
  TempDir dir_;
};

TEST_F(LoadConfigFileTest, AnEmptyPathIsNoConfiguration) {
  const char* argv[] = {"rapportd"};
  EXPECT_OK(LoadConfigFile("", 1, argv));
  EXPECT_EQ(absl::GetFlag(FLAGS_listen), "127.0.0.1:50051");
}

TEST_F(LoadConfigFileTest, CommandLineFlagsOverrideTheFile) {
  const std::string path = WriteConfig("listen = file:1\nsync_writes = false\n");
  // What absl::ParseCommandLine did with this command line before.
  absl::SetFlag(&FLAGS_listen, "flag:2");
  const std::string config_flag = "--config=" + path;
  const char* argv[] = {"rapportd", config_flag.c_str(), "--listen", "flag:2"};
  ASSERT_OK(LoadConfigFile(path, 4, argv));
  EXPECT_EQ(absl::GetFlag(FLAGS_listen), "flag:2");
  EXPECT_FALSE(absl::GetFlag(FLAGS_sync_writes));
}

TEST_F(LoadConfigFileTest, ErrorsNameTheFileTheLineAndTheKey) {
  const std::string path = WriteConfig("listen = a:1\ncolour = blue\n");
  const char* argv[] = {"rapportd"};
  EXPECT_THAT(LoadConfigFile(path, 1, argv),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(path + ": line 2: unknown key 'colour'")));
  // Nothing is applied when a key is unknown.
  EXPECT_EQ(absl::GetFlag(FLAGS_listen), "127.0.0.1:50051");
}

TEST_F(LoadConfigFileTest, TheAnchorIsNoKey) {
  const std::string path = WriteConfig("config = /etc/other.conf\n");
  const char* argv[] = {"rapportd"};
  EXPECT_THAT(LoadConfigFile(path, 1, argv),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key 'config'")));
}

TEST_F(LoadConfigFileTest, AMissingFileIsNotFound) {
  const char* argv[] = {"rapportd"};
  EXPECT_THAT(LoadConfigFile(dir_.Sub("missing.conf"), 1, argv),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("cannot read configuration file"),
                             HasSubstr("missing.conf"))));
}

TEST_F(LoadConfigFileTest, ADirectoryIsNoConfigurationFile) {
  const char* argv[] = {"rapportd"};
  EXPECT_THAT(LoadConfigFile(dir_.path(), 1, argv),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("it is a directory")));
}

}  // namespace
}  // namespace rapport
