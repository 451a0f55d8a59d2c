// rapportd's configuration file (`rapportd --config=FILE`): the same settings
// as its flags, one `key = value` per line, keys named like the flags.
//
//   # comment
//   listen = 0.0.0.0:50051
//   metrics_listen = ""          # quoted: empty, or to keep '#' or blanks
//   grace_period = 10s
//
// Flags given on the command line override the file. A key that is not one of
// rapportd's flags is refused with its line number, so a typo never goes
// unnoticed. deploy/rapportd.conf.example documents every key.
//
// Parsing and checking are pure functions, tested on their own; applying sets
// Abseil flags by name, with the same value syntax as on the command line.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rapport {

// One `key = value` line of a configuration file.
struct ConfigEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line number in the file.
};

// Parses the text of a configuration file into its entries, in file order.
//   - Blank lines and lines whose first non-blank character is '#' are ignored.
//   - Every other line is `key = value`. Blanks around the key and the value
//     are dropped. Keys are lower-case letters, digits and '_'.
//   - An unquoted value ends at a '#' that follows a blank (a trailing comment)
//     and may be empty.
//   - A value in double quotes keeps everything up to the closing quote;
//     inside, \" is a quote and \\ a backslash. Only blanks or a comment may
//     follow the closing quote.
// INVALID_ARGUMENT "line N: ..." for a line without '=', a malformed key, an
// unterminated quote, text after a closing quote, or a key given twice.
[[nodiscard]] absl::StatusOr<std::vector<ConfigEntry>> ParseConfig(absl::string_view text);

// OK if every entry's key is in `known`; otherwise INVALID_ARGUMENT
// "line N: unknown key 'KEY' (known keys: ...)" for the first one that is not.
[[nodiscard]] absl::Status CheckConfigKeys(const std::vector<ConfigEntry>& entries,
                                           const std::set<std::string>& known);

// The names of the flags given in `args` (the command line without the program
// name): `--name`, `--name=value`, `-name`, and `--noname` (a false boolean,
// reported as both "noname" and "name"). Stops at a bare `--`. A value given
// as the next argument (`--name value`) is not mistaken for a flag unless it
// starts with '-'. Flags set through --flagfile or --fromenv are not seen, so
// the configuration file overrides those.
std::set<std::string> FlagsOnCommandLine(const std::vector<std::string>& args);

// Sets the Abseil flag named by each entry's key from its value (parsed as on
// the command line), except the flags in `skip`. INVALID_ARGUMENT
// "line N: KEY: ..." if there is no such flag or the value does not parse; the
// flags set before the failing entry keep their new values.
[[nodiscard]] absl::Status ApplyConfig(const std::vector<ConfigEntry>& entries,
                                       const std::set<std::string>& skip);

// The names of the Abseil flags defined in the same source file as the flag
// `anchor`, without `anchor` itself: for rapportd, its flags besides --config.
// Empty if there is no flag `anchor`.
std::set<std::string> FlagsDefinedBeside(absl::string_view anchor);

// What rapportd's main() calls after parsing its command line (`argc`,
// `argv`): if `path` is not empty, reads the file, parses it, checks its keys
// against the flags defined beside --config, and sets every flag that the
// command line did not give. Errors start with `path` and name the line:
// NOT_FOUND / PERMISSION_DENIED / INVALID_ARGUMENT if the file cannot be read
// (INVALID_ARGUMENT also for a directory),
// INVALID_ARGUMENT for the errors of ParseConfig, CheckConfigKeys and
// ApplyConfig.
[[nodiscard]] absl::Status LoadConfigFile(const std::string& path, int argc,
                                          const char* const* argv);

}  // namespace rapport
