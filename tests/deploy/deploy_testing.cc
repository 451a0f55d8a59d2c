#include "tests/deploy/deploy_testing.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

extern char** environ;

namespace rapport::testing {

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env) {
  CommandResult result;
  char path[] = "/tmp/rapport-deploy-out-XXXXXX";
  const int out = ::mkstemp(path);
  if (out < 0 || argv.empty()) return result;
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
  envs.insert(envs.end(), env.begin(), env.end());
  std::vector<char*> c_env;
  for (auto& e : envs) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execvpe(c_args[0], c_args.data(), c_env.data());
    ::_exit(127);
  }
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  ::close(out);
  if (WIFEXITED(wstatus)) result.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) result.exit_code = 128 + WTERMSIG(wstatus);
  result.output = ReadFile(path);
  ::unlink(path);
  return result;
}

std::string FindInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = std::string(dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

std::string SourcePath(const std::string& relative) {
  return std::string(RAPPORT_SOURCE_DIR) + "/" + relative;
}

std::string BuiltDebPath() {
  std::vector<std::string> debs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(RAPPORT_DEB_DIR, ec)) {
    if (entry.path().extension() == ".deb") debs.push_back(entry.path().string());
  }
  if (debs.size() != 1) {
    ADD_FAILURE() << "expected one .deb in " << RAPPORT_DEB_DIR << ", found " << debs.size()
                  << ": run this test through ctest, whose fixture deploy_build_deb builds it "
                     "(ctest -R deploy_build_deb)";
    return "";
  }
  return debs[0];
}

std::set<std::string> PackageNames(const std::string& depends) {
  std::set<std::string> names;
  for (absl::string_view item : absl::StrSplit(depends, absl::ByAnyChar(",|"))) {
    item = absl::StripAsciiWhitespace(item);
    const size_t end = item.find_first_of(" (:[");
    const absl::string_view name = item.substr(0, end);
    if (!name.empty()) names.emplace(name);
  }
  return names;
}

std::map<std::string, std::string> OwningPackages(const std::vector<std::string>& paths) {
  // Each path's spellings, in the order to try them.
  std::map<std::string, std::vector<std::string>> spellings;
  std::vector<std::string> argv = {"dpkg", "-S"};
  for (const std::string& path : paths) {
    std::vector<std::string>& candidates = spellings[path];
    candidates.push_back(path);
    if (absl::StartsWith(path, "/usr/")) candidates.push_back(path.substr(4));
    if (absl::StartsWith(path, "/lib")) candidates.push_back("/usr" + path);
    argv.insert(argv.end(), candidates.begin(), candidates.end());
  }
  std::map<std::string, std::string> owner_of;  // spelling -> package
  // "libgrpc++1.51:amd64: /lib/x86_64-linux-gnu/libgrpc++.so.1.51"; a diverted
  // file lists several packages, separated by ", ". Paths of no package get
  // an error line (and exit code 1), which matches no spelling.
  for (const std::string& line : Lines(RunCommand(argv).output)) {
    const size_t colon = line.find(": /");
    if (colon == std::string::npos) continue;
    const std::string owners = line.substr(0, colon);
    owner_of[line.substr(colon + 2)] = owners.substr(0, owners.find_first_of(":,"));
  }
  std::map<std::string, std::string> packages;
  for (const auto& [path, candidates] : spellings) {
    for (const std::string& candidate : candidates) {
      if (const auto it = owner_of.find(candidate); it != owner_of.end()) {
        packages[path] = it->second;
        break;
      }
    }
  }
  return packages;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.emplace_back(line);
  }
  return lines;
}

}  // namespace rapport::testing
