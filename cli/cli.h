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
inline constexpr int kExitUsage = 2;        // Bad command line.
inline constexpr int kExitUnreachable = 3;  // Could not reach the server.

// Runs rapportctl with `args` (without the program name); writes results to
// `out` and diagnostics to `err`; returns the exit code. `env_server` is the
// value of RAPPORT_SERVER ("" if unset).
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const std::string& env_server = "");

}  // namespace rapport::cli
