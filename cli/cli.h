// rapportctl, the command line for operations engineers. RunCli is the whole
// program behind main(): tests call it directly with their own streams.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace rapport::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;      // The server answered with an error.
inline constexpr int kExitUsage = 2;        // Bad command line or input file.
inline constexpr int kExitUnreachable = 3;  // Could not reach the server.

// Runs rapportctl with `args` (without the program name); writes results to
// `out` and diagnostics to `err`; returns the exit code. `env_server` is the
// value of RAPPORT_SERVER ("" if unset).
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const std::string& env_server = "");

// A command's words and flags, as the command table holds them.
struct CommandSpec {
  std::vector<std::string> words;  // e.g. {"agreements", "list"}.
  std::vector<std::string> flags;  // e.g. {"--service", "--type"}.
};
// Every command, for tools that must agree with the table (the bash
// completion script's test).
std::vector<CommandSpec> CommandSpecs();
// The global flags ("--server", "--timeout", "-o", ...).
std::vector<std::string> GlobalFlags();

}  // namespace rapport::cli
