// deploy/container/Dockerfile cannot be built here (no container engine), so
// this test keeps it in step with what can be checked: its build stage runs
// deploy/install-deps.sh, its runtime stage installs exactly the libraries the
// Debian package depends on (no -dev package), copies files that the
// installation produces, runs as a non-root user with a data volume and the
// ports exposed, and its HEALTHCHECK command works against a real rapportd.
#include <signal.h>

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::rapport::testing::BuiltDebPath;
using ::rapport::testing::CommandResult;
using ::rapport::testing::Lines;
using ::rapport::testing::OwningPackages;
using ::rapport::testing::PackageNames;
using ::rapport::testing::ReadFile;
using ::rapport::testing::RunCommand;
using ::rapport::testing::RunRapportctl;
using ::rapport::testing::ServerProcess;
using ::rapport::testing::SourcePath;
using ::rapport::testing::TempDir;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

struct Instruction {
  std::string keyword;  // Upper case: FROM, RUN, COPY, ...
  std::string args;     // The rest, continuation lines joined.
};

struct Stage {
  std::string image;  // FROM's image.
  std::string name;   // FROM ... AS name, or "".
  std::vector<Instruction> instructions;
};

// The stages of a Dockerfile: continuation lines joined, comments dropped.
std::vector<Stage> ParseDockerfile(const std::string& text) {
  std::vector<Stage> stages;
  std::string logical;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    absl::string_view part = trimmed;
    const bool continues = absl::ConsumeSuffix(&part, "\\");
    absl::StrAppend(&logical, logical.empty() ? "" : " ", absl::StripAsciiWhitespace(part));
    if (continues) continue;
    const size_t space = logical.find(' ');
    Instruction instruction{absl::AsciiStrToUpper(logical.substr(0, space)),
                            space == std::string::npos ? "" : logical.substr(space + 1)};
    logical.clear();
    if (instruction.keyword == "FROM") {
      const std::vector<std::string> words = absl::StrSplit(instruction.args, ' ', absl::SkipEmpty());
      Stage stage;
      stage.image = words.empty() ? "" : words[0];
      if (words.size() == 3 && absl::AsciiStrToUpper(words[1]) == "AS") stage.name = words[2];
      stages.push_back(stage);
    } else if (!stages.empty()) {
      stages.back().instructions.push_back(instruction);
    }
  }
  return stages;
}

std::vector<std::string> Args(const Stage& stage, const std::string& keyword) {
  std::vector<std::string> args;
  for (const auto& i : stage.instructions) {
    if (i.keyword == keyword) args.push_back(i.args);
  }
  return args;
}

// The packages of every `apt-get install` in the stage's RUN instructions.
std::set<std::string> AptInstalled(const Stage& stage) {
  std::set<std::string> packages;
  for (const std::string& run : Args(stage, "RUN")) {
    for (absl::string_view command : absl::StrSplit(run, absl::ByAnyChar("&;|"))) {
      std::vector<std::string> words = absl::StrSplit(command, ' ', absl::SkipEmpty());
      if (words.size() < 2 || words[0] != "apt-get" || words[1] != "install") continue;
      for (size_t i = 2; i < words.size(); ++i) {
        if (words[i][0] != '-') packages.insert(words[i]);
      }
    }
  }
  return packages;
}

// The Debian packages of every library the built binaries load (ldd).
std::set<std::string> PackagesOfLoadedLibraries() {
  std::vector<std::string> paths;
  for (const char* binary : {RAPPORTD_BUILD_PATH, RAPPORTCTL_BUILD_PATH}) {
    for (const std::string& line : Lines(RunCommand({"ldd", binary}).output)) {
      // "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)"
      const size_t arrow = line.find("=> /");
      if (arrow == std::string::npos) continue;
      paths.push_back(line.substr(arrow + 3, line.find(' ', arrow + 3) - arrow - 3));
    }
  }
  std::set<std::string> packages;
  for (const auto& [path, package] : OwningPackages(paths)) packages.insert(package);
  return packages;
}

bool IsSanitizerRuntime(const std::string& package) {
  return absl::StartsWith(package, "libasan") || absl::StartsWith(package, "libubsan") ||
         absl::StartsWith(package, "liblsan") || absl::StartsWith(package, "libtsan");
}

class DockerfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stages_ = ParseDockerfile(ReadFile(SourcePath("deploy/container/Dockerfile")));
    ASSERT_GE(stages_.size(), 2u);
  }
  const Stage& build() const { return stages_.front(); }
  const Stage& runtime() const { return stages_.back(); }
  std::vector<Stage> stages_;
};

TEST_F(DockerfileTest, IsMultiStageOnDebian12) {
  EXPECT_EQ(build().name, "build");
  for (const Stage& stage : stages_) EXPECT_THAT(stage.image, StartsWith("debian:12"));
}

TEST_F(DockerfileTest, BuildStageInstallsThePackagesOfInstallDeps) {
  // Running the script itself installs exactly its list: nothing to keep in sync.
  EXPECT_THAT(Args(build(), "COPY"), Contains("deploy/install-deps.sh deploy/install-deps.sh"));
  EXPECT_THAT(Args(build(), "RUN"), Contains(StartsWith("deploy/install-deps.sh")));
  const CommandResult list = RunCommand({SourcePath("deploy/install-deps.sh"), "--print-packages"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  const std::vector<std::string> packages = Lines(list.output);
  for (const char* needed : {"libgrpc++-dev", "librocksdb-dev", "prometheus-cpp-dev", "cmake"}) {
    EXPECT_THAT(packages, Contains(needed));
  }
  // Tests and benchmarks are not built into the image.
  EXPECT_THAT(Args(build(), "RUN"), Contains(HasSubstr("-DRAPPORT_BUILD_TESTS=OFF")));
}

TEST_F(DockerfileTest, RuntimeStageInstallsTheLibrariesThePackageDependsOn) {
  const std::string deb = BuiltDebPath();
  ASSERT_FALSE(deb.empty());
  const CommandResult depends_field = RunCommand({"dpkg-deb", "-f", deb, "Depends"});
  ASSERT_EQ(depends_field.exit_code, 0) << depends_field.output;
  std::set<std::string> depends = PackageNames(depends_field.output);
  // adduser serves the package's postinst; the image makes its user with useradd.
  depends.erase("adduser");
  // The image is a Release build; a sanitizer build links their runtimes too.
  if (RAPPORT_SANITIZED) {
    for (auto it = depends.begin(); it != depends.end();) {
      it = IsSanitizerRuntime(*it) ? depends.erase(it) : std::next(it);
    }
  }
  const std::set<std::string> installed = AptInstalled(runtime());
  ASSERT_FALSE(installed.empty()) << "the runtime stage installs no package";
  std::vector<std::string> missing;
  for (const auto& package : depends) {
    if (installed.count(package) == 0) missing.push_back(package);
  }
  EXPECT_THAT(missing, IsEmpty()) << "the Debian package depends on these, the image lacks them: "
                                  << absl::StrJoin(missing, " ");
  std::set<std::string> loaded = PackagesOfLoadedLibraries();
  // The image's Release build links tcmalloc; a sanitized build (or one
  // configured without it) does not.
  if (!RAPPORT_TCMALLOC_LINKED) loaded.insert("libtcmalloc-minimal4");
  std::vector<std::string> unneeded;
  for (const auto& package : installed) {
    if (depends.count(package) == 0 && loaded.count(package) == 0) unneeded.push_back(package);
  }
  EXPECT_THAT(unneeded, IsEmpty()) << "the image installs packages rapportd and rapportctl "
                                      "do not use: "
                                   << absl::StrJoin(unneeded, " ");
  for (const auto& package : installed) {
    EXPECT_FALSE(absl::EndsWith(package, "-dev")) << "runtime stage installs " << package;
  }
}

TEST_F(DockerfileTest, RuntimeStageCopiesWhatTheInstallationProduces) {
  const std::string deb = BuiltDebPath();
  ASSERT_FALSE(deb.empty());
  const std::string contents = RunCommand({"dpkg-deb", "-c", deb}).output;
  std::set<std::string> copied;
  for (const std::string& copy : Args(runtime(), "COPY")) {
    const std::vector<std::string> words = absl::StrSplit(copy, ' ', absl::SkipEmpty());
    ASSERT_EQ(words.size(), 3u) << copy;
    EXPECT_EQ(words[0], "--from=build") << copy;
    // The build stage stages `cmake --install --prefix /usr` in /staging, the
    // layout of the Debian package.
    ASSERT_THAT(words[1], StartsWith("/staging/")) << copy;
    const std::string path = words[1].substr(8);
    EXPECT_EQ(words[2], path) << copy;
    EXPECT_THAT(contents, HasSubstr(" ." + path + "\n")) << path << " is not installed";
    copied.insert(path);
  }
  EXPECT_THAT(copied, Contains("/usr/sbin/rapportd"));
  EXPECT_THAT(copied, Contains("/usr/bin/rapportctl"));
  EXPECT_THAT(copied, Contains("/etc/rapport/rapportd.conf"));
}

TEST_F(DockerfileTest, RuntimeRunsAsANonRootUserWithVolumeAndPorts) {
  const std::vector<std::string> user = Args(runtime(), "USER");
  ASSERT_EQ(user.size(), 1u);
  const std::string uid = user[0].substr(0, user[0].find(':'));
  EXPECT_NE(uid, "root");
  EXPECT_NE(uid, "0");
  EXPECT_THAT(Args(runtime(), "RUN"), Contains(HasSubstr("useradd --system --uid " + uid)));
  EXPECT_THAT(Args(runtime(), "VOLUME"), ElementsAre("/var/lib/rapport"));
  const std::vector<std::string> expose = Args(runtime(), "EXPOSE");
  ASSERT_EQ(expose.size(), 1u);
  EXPECT_THAT(std::vector<std::string>(absl::StrSplit(expose[0], ' ', absl::SkipEmpty())),
              ElementsAre("50051", "9464"));
  EXPECT_THAT(Args(runtime(), "ENTRYPOINT"), ElementsAre("[\"/usr/sbin/rapportd\"]"));
  ASSERT_EQ(Args(runtime(), "CMD").size(), 1u);
  const std::string cmd = Args(runtime(), "CMD")[0];
  for (const char* flag : {"\"--config=/etc/rapport/rapportd.conf\"", "\"--listen=0.0.0.0:50051\"",
                           "\"--metrics_listen=0.0.0.0:9464\"", "\"--data_dir=/var/lib/rapport\""}) {
    EXPECT_THAT(cmd, HasSubstr(flag));
  }
}

// The HEALTHCHECK's exec-form command, e.g. {"rapportctl", "--server=...", "health"}.
std::vector<std::string> HealthCheckCommand(const Stage& stage) {
  const std::vector<std::string> checks = Args(stage, "HEALTHCHECK");
  EXPECT_EQ(checks.size(), 1u);
  if (checks.size() != 1) return {};
  const size_t cmd = checks[0].find("CMD [");
  EXPECT_NE(cmd, std::string::npos) << "HEALTHCHECK should use the exec form: " << checks[0];
  if (cmd == std::string::npos) return {};
  std::vector<std::string> words;
  absl::string_view list = checks[0];
  list.remove_prefix(cmd + 5);
  absl::ConsumeSuffix(&list, "]");
  for (absl::string_view word : absl::StrSplit(list, ',')) {
    word = absl::StripAsciiWhitespace(word);
    absl::ConsumePrefix(&word, "\"");
    absl::ConsumeSuffix(&word, "\"");
    words.emplace_back(word);
  }
  return words;
}

TEST_F(DockerfileTest, HealthCheckIsRapportctlHealthAndPassesOnlyWhileServing) {
  std::vector<std::string> command = HealthCheckCommand(runtime());
  ASSERT_GE(command.size(), 2u);
  EXPECT_EQ(command.front(), "rapportctl");
  EXPECT_EQ(command.back(), "health");
  EXPECT_THAT(command, Contains("--server=127.0.0.1:50051"));
  // The same command against a real rapportd on a free port.
  TempDir dir;
  auto server = ServerProcess::Start(dir.Sub("data"), dir.Sub("rapportd.log"));
  ASSERT_NE(server, nullptr);
  std::vector<std::string> args(command.begin() + 1, command.end());
  for (auto& arg : args) {
    if (arg == "--server=127.0.0.1:50051") arg = "--server=" + server->address();
  }
  std::string output;
  EXPECT_EQ(RunRapportctl(args, &output), 0) << output;
  EXPECT_THAT(output, HasSubstr("SERVING"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  EXPECT_NE(RunRapportctl(args, &output), 0) << "healthy with rapportd stopped: " << output;
}

}  // namespace
}  // namespace rapport
