// Helpers of the deployment tests: run a tool and capture what it prints,
// read the files of the repository, and reach the Debian package that the
// ctest fixture `deploy_build_deb` builds (tests/deploy/build_deb.cmake).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace rapport::testing {

// What a command printed (stdout and stderr together, in order) and how it
// ended: its exit code, 128 + the signal number if a signal ended it, or 127
// if it could not be started.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs `argv` (argv[0] looked up in PATH) to completion, with stdin from
// /dev/null and extra environment `env` ("NAME=value").
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {});

// The full path of `program` in PATH, or "" if there is none.
std::string FindInPath(const std::string& program);

// The contents of `path`, or "" if it cannot be read.
std::string ReadFile(const std::string& path);
// Writes `contents` to `path`, replacing it.
void WriteFile(const std::string& path, const std::string& contents);

// The absolute path of `relative` in the source tree.
std::string SourcePath(const std::string& relative);

// The Debian package the fixture built: the path of the single .deb in its
// directory, or "" (and a test failure saying how to build it) if there is
// not exactly one.
std::string BuiltDebPath();

// The package names of a Depends-style field: "a (>= 1), b | c" gives
// {a, b, c}.
std::set<std::string> PackageNames(const std::string& depends);

// The Debian package that holds each of the files `paths`, in one `dpkg -S`:
// path -> package; files of no package are left out. With merged /usr, a
// library found in /lib is registered under /usr/lib or /lib, whichever its
// package ships, so both are tried.
std::map<std::string, std::string> OwningPackages(const std::vector<std::string>& paths);

// Non-empty lines of `text`, without surrounding blanks.
std::vector<std::string> Lines(const std::string& text);

}  // namespace rapport::testing
