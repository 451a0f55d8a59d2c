// The Debian package that `cpack -G DEB` builds (ctest fixture
// deploy_build_deb): its name, control fields, Depends (against the shared
// libraries its binaries link), files, maintainer scripts, and an
// installation, removal and purge in a scratch root with `dpkg --root`.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::rapport::testing::BuiltDebPath;
using ::rapport::testing::CommandResult;
using ::rapport::testing::Lines;
using ::rapport::testing::OwningPackages;
using ::rapport::testing::PackageNames;
using ::rapport::testing::ReadFile;
using ::rapport::testing::RunCommand;
using ::rapport::testing::ServerProcess;
using ::rapport::testing::SourcePath;
using ::rapport::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Field(const std::string& deb, const std::string& field) {
  const CommandResult r = RunCommand({"dpkg-deb", "-f", deb, field});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return std::string(absl::StripAsciiWhitespace(r.output));
}

// Paths of the package's files, as "/usr/sbin/rapportd" (directories end in '/').
std::set<std::string> Contents(const std::string& deb) {
  const CommandResult r = RunCommand({"dpkg-deb", "-c", deb});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> paths;
  for (const std::string& line : Lines(r.output)) {
    // "-rwxr-xr-x root/root 2935216 2026-11-23 12:05 ./usr/sbin/rapportd"
    const size_t dot = line.find(" ./");
    if (dot != std::string::npos) paths.insert(line.substr(dot + 2));
  }
  return paths;
}

// The shared libraries `binary` names as NEEDED in its dynamic section.
std::vector<std::string> NeededLibraries(const std::string& binary) {
  const CommandResult r = RunCommand({"readelf", "-d", binary});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> needed;
  const std::regex line(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  for (std::sregex_iterator it(r.output.begin(), r.output.end(), line), end; it != end; ++it) {
    needed.push_back((*it)[1]);
  }
  return needed;
}

// Where the dynamic loader finds each library of `binary`: soname -> path.
std::map<std::string, std::string> ResolvedLibraries(const std::string& binary) {
  const CommandResult r = RunCommand({"ldd", binary});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::map<std::string, std::string> paths;
  const std::regex line(R"(\s*(\S+) => (/\S+) \()");
  for (std::sregex_iterator it(r.output.begin(), r.output.end(), line), end; it != end; ++it) {
    paths[(*it)[1]] = (*it)[2];
  }
  return paths;
}

class PackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    deb_ = BuiltDebPath();
    ASSERT_FALSE(deb_.empty());
  }
  // Unpacks the package's files under the temporary directory; returns it.
  std::string Extract() {
    const std::string root = dir_.Sub("root");
    const CommandResult r = RunCommand({"dpkg-deb", "-x", deb_, root});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return root;
  }
  std::string deb_;
  TempDir dir_;
};

TEST_F(PackageTest, FileNameIsNameVersionArchitecture) {
  const CommandResult arch = RunCommand({"dpkg", "--print-architecture"});
  ASSERT_EQ(arch.exit_code, 0) << arch.output;
  EXPECT_EQ(fs::path(deb_).filename().string(),
            absl::StrCat("rapport_", RAPPORT_PACKAGE_VERSION, "_",
                         absl::StripAsciiWhitespace(arch.output), ".deb"));
}

TEST_F(PackageTest, ControlFieldsDescribeThePackage) {
  EXPECT_EQ(Field(deb_, "Package"), "rapport");
  EXPECT_EQ(Field(deb_, "Version"), RAPPORT_PACKAGE_VERSION);
  EXPECT_EQ(Field(deb_, "Architecture"),
            absl::StripAsciiWhitespace(RunCommand({"dpkg", "--print-architecture"}).output));
  EXPECT_THAT(Field(deb_, "Maintainer"), ::testing::MatchesRegex(".+ <[^ ]+@[^ ]+>"));
  EXPECT_EQ(Field(deb_, "Section"), "net");
  EXPECT_EQ(Field(deb_, "Priority"), "optional");
  const std::string description = Field(deb_, "Description");
  EXPECT_THAT(description, StartsWith("ITIL 4 relationship and service level management server\n"));
  EXPECT_THAT(description, HasSubstr("rapportctl"));
}

TEST_F(PackageTest, DependsNamesThePackageOfEveryLinkedLibrary) {
  const std::set<std::string> depends = PackageNames(Field(deb_, "Depends"));
  EXPECT_THAT(depends, Contains("adduser")) << "postinst creates the user with adduser";
  const std::string root = Extract();
  for (const std::string binary : {"/usr/sbin/rapportd", "/usr/bin/rapportctl"}) {
    const auto resolved = ResolvedLibraries(root + binary);
    const auto needed = NeededLibraries(root + binary);
    EXPECT_THAT(needed, Contains(StartsWith("libgrpc++"))) << binary;
    std::vector<std::string> paths;
    for (const std::string& soname : needed) {
      const auto path = resolved.find(soname);
      ASSERT_NE(path, resolved.end()) << binary << ": ldd does not resolve " << soname;
      paths.push_back(path->second);
    }
    const auto packages = OwningPackages(paths);
    for (size_t i = 0; i < needed.size(); ++i) {
      const auto package = packages.find(paths[i]);
      ASSERT_NE(package, packages.end()) << "no Debian package holds " << paths[i];
      EXPECT_THAT(depends, Contains(package->second))
          << binary << " links " << needed[i] << " from " << package->second
          << ", missing in Depends";
    }
  }
  // Versioned, as dpkg-shlibdeps writes them.
  EXPECT_THAT(Field(deb_, "Depends"), ::testing::ContainsRegex(R"(libgrpc\+\+[0-9.]+ \(>= )"));
}

TEST_F(PackageTest, InstallsTheBinariesConfigurationUnitAndDocumentation) {
  const std::set<std::string> contents = Contents(deb_);
  for (const char* path :
       {"/usr/sbin/rapportd", "/usr/bin/rapportctl", "/etc/rapport/rapportd.conf",
        "/usr/lib/systemd/system/rapportd.service", "/usr/share/doc/rapport/rapportd.conf.example",
        "/usr/share/doc/rapport/README.md"}) {
    EXPECT_THAT(contents, Contains(path));
  }
  const std::string root = Extract();
  EXPECT_EQ(ReadFile(root + "/etc/rapport/rapportd.conf"),
            ReadFile(SourcePath("deploy/rapportd.conf.example")));
  EXPECT_EQ(ReadFile(root + "/usr/lib/systemd/system/rapportd.service"),
            ReadFile(SourcePath("deploy/systemd/rapportd.service")));
  struct stat st {};
  ASSERT_EQ(::stat((root + "/usr/sbin/rapportd").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755);
}

TEST_F(PackageTest, InstallsCompletionRulesAndDashboardsWhenTheTreeHasThem) {
  const std::set<std::string> contents = Contents(deb_);
  if (fs::exists(SourcePath("deploy/bash_completion/rapportctl"))) {
    EXPECT_THAT(contents, Contains("/usr/share/bash-completion/completions/rapportctl"));
  }
  for (const std::string dir : {"prometheus", "grafana"}) {
    const fs::path source = SourcePath("deploy/" + dir);
    if (!fs::exists(source)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(source)) {
      if (!entry.is_regular_file()) continue;
      EXPECT_THAT(contents, Contains("/usr/share/rapport/" + dir + "/" +
                                     fs::relative(entry.path(), source).string()));
    }
  }
}

TEST_F(PackageTest, PackagedBinariesRun) {
  const std::string root = Extract();
  const CommandResult help = RunCommand({root + "/usr/sbin/rapportd", "--help"});
  EXPECT_THAT(help.output, HasSubstr("--config")) << "exit code " << help.exit_code;
  // The packaged rapportctl asks a running rapportd for its health.
  TempDir data;
  auto server = ServerProcess::Start(data.Sub("data"), data.Sub("rapportd.log"));
  ASSERT_NE(server, nullptr);
  const CommandResult health =
      RunCommand({root + "/usr/bin/rapportctl", "--server=" + server->address(), "health"});
  EXPECT_EQ(health.exit_code, 0) << health.output;
  EXPECT_THAT(health.output, HasSubstr("SERVING"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(PackageTest, ControlArchiveHasConffilesAndMaintainerScripts) {
  const std::string control = dir_.Sub("control");
  const CommandResult r = RunCommand({"dpkg-deb", "-e", deb_, control});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadFile(control + "/conffiles"), "/etc/rapport/rapportd.conf\n");
  for (const std::string script : {"postinst", "prerm", "postrm"}) {
    const std::string path = control + "/" + script;
    EXPECT_EQ(::access(path.c_str(), X_OK), 0) << script << " is missing or not executable";
    const CommandResult syntax = RunCommand({"sh", "-n", path});
    EXPECT_EQ(syntax.exit_code, 0) << script << ": " << syntax.output;
  }
  const std::string postinst = ReadFile(control + "/postinst");
  EXPECT_THAT(postinst, HasSubstr("adduser --quiet --system --group"));
  EXPECT_THAT(postinst, HasSubstr("/var/lib/rapport"));
}

// Installs, removes and purges the package in a scratch root. The maintainer
// scripts run outside a chroot with DPKG_ROOT set (dpkg's
// --force-script-chrootless), so they must leave the running system alone.
TEST_F(PackageTest, InstallsRemovesAndPurgesInAScratchRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "dpkg --root sets file owners: it needs root";
  const std::string root = dir_.Sub("scratch");
  for (const char* sub : {"/var/lib/dpkg/info", "/var/lib/dpkg/updates", "/var/lib/dpkg/triggers"}) {
    fs::create_directories(root + sub);
  }
  testing::WriteFile(root + "/var/lib/dpkg/status", "");
  testing::WriteFile(root + "/var/lib/dpkg/available", "");
  const std::string users_before = RunCommand({"getent", "passwd"}).output;
  const std::vector<std::string> dpkg = {"dpkg", "--root=" + root, "--force-script-chrootless",
                                         "--force-depends"};
  const auto run_dpkg = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = dpkg;
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  };

  CommandResult r = run_dpkg({"-i", deb_});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand({"dpkg-query", "--root=" + root, "-W", "-f=${Status}|${Conffiles}", "rapport"});
  EXPECT_THAT(r.output, StartsWith("install ok installed|"));
  EXPECT_THAT(r.output, HasSubstr("/etc/rapport/rapportd.conf "));
  EXPECT_TRUE(fs::exists(root + "/usr/sbin/rapportd"));
  // postinst enabled the unit, as dh_installsystemd does.
  EXPECT_TRUE(fs::is_symlink(root + "/etc/systemd/system/multi-user.target.wants/rapportd.service"))
      << "postinst did not enable rapportd.service";
  EXPECT_EQ(RunCommand({"getent", "passwd"}).output, users_before)
      << "postinst changed the running system's users while installing into another root";

  r = run_dpkg({"-r", "rapport"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(root + "/usr/sbin/rapportd"));
  EXPECT_TRUE(fs::exists(root + "/etc/rapport/rapportd.conf")) << "remove keeps conffiles";

  r = run_dpkg({"-P", "rapport"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(root + "/etc/rapport/rapportd.conf")) << "purge removes conffiles";
  EXPECT_FALSE(fs::exists(root + "/etc/systemd/system/multi-user.target.wants/rapportd.service"));
}

}  // namespace
}  // namespace rapport
