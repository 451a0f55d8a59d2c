// rapportctl, the command line for operations engineers. RunCli is the whole
// program behind main(): tests call it directly with their own streams.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace rapport::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;           // The server answered with an error.
inline constexpr int kExitUsage = 2;             // Bad command line or input file.
inline constexpr int kExitUnreachable = 3;       // Could not reach the server.
inline constexpr int kExitUnauthenticated = 4;   // No token, or one the server refused.
inline constexpr int kExitPermissionDenied = 5;  // The token's roles do not allow the call.

// The environment variables rapportctl reads, by name (see
// EnvironmentVariables()); a missing or empty one counts as unset.
using Environment = std::map<std::string, std::string>;
// RAPPORT_SERVER, RAPPORT_TOKEN, RAPPORT_TLS_CA, RAPPORT_TLS_CERT,
// RAPPORT_TLS_KEY, RAPPORT_TLS_SERVER_NAME: what main() passes on.
std::vector<std::string> EnvironmentVariables();

// Runs rapportctl with `args` (without the program name); writes results to
// `out` and diagnostics to `err`; returns the exit code. Global flags win
// over the variables of `env`.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const Environment& env);
// The same with only RAPPORT_SERVER set, to `env_server` ("" for unset).
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
// The global flags ("--server", "--timeout", "-o", "--token", ...).
std::vector<std::string> GlobalFlags();

}  // namespace rapport::cli
