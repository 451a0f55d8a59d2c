#include "server/config_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rapport {
namespace {

bool IsKeyChar(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_'; }

absl::Status LineError(int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", message));
}

// The value part of a line (after '='), without blanks and trailing comment.
absl::StatusOr<std::string> ParseValue(absl::string_view rest, int line) {
  rest = absl::StripLeadingAsciiWhitespace(rest);
  if (!absl::ConsumePrefix(&rest, "\"")) {
    // Unquoted: up to a '#' that starts the text or follows a blank.
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '#' && (i == 0 || absl::ascii_isspace(rest[i - 1]))) {
        rest = rest.substr(0, i);
        break;
      }
    }
    return std::string(absl::StripTrailingAsciiWhitespace(rest));
  }
  std::string value;
  size_t i = 0;
  for (; i < rest.size() && rest[i] != '"'; ++i) {
    if (rest[i] == '\\' && i + 1 < rest.size() && (rest[i + 1] == '"' || rest[i + 1] == '\\')) {
      ++i;
    }
    value.push_back(rest[i]);
  }
  if (i == rest.size()) return LineError(line, "unterminated quoted value");
  const absl::string_view after = absl::StripLeadingAsciiWhitespace(rest.substr(i + 1));
  if (!after.empty() && after[0] != '#') {
    return LineError(line, absl::StrCat("unexpected text after the closing quote: '", after, "'"));
  }
  return value;
}

}  // namespace

absl::StatusOr<std::vector<ConfigEntry>> ParseConfig(absl::string_view text) {
  std::vector<ConfigEntry> entries;
  std::map<std::string, int> first_line;  // key -> line that set it.
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");  // Files edited on Windows.
    const absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    const size_t equals = trimmed.find('=');
    if (equals == absl::string_view::npos) {
      return LineError(line_number,
                       absl::StrCat("expected 'key = value', got '", trimmed, "'"));
    }
    const std::string key(absl::StripTrailingAsciiWhitespace(trimmed.substr(0, equals)));
    if (key.empty()) return LineError(line_number, "missing key before '='");
    for (const char c : key) {
      if (!IsKeyChar(c)) {
        return LineError(line_number,
                         absl::StrCat("malformed key '", key,
                                      "' (keys are flag names: lower-case letters, digits, '_')"));
      }
    }
    auto value = ParseValue(trimmed.substr(equals + 1), line_number);
    if (!value.ok()) return value.status();
    if (const auto [it, inserted] = first_line.emplace(key, line_number); !inserted) {
      return LineError(line_number,
                       absl::StrCat("key '", key, "' already set on line ", it->second));
    }
    entries.push_back({key, *std::move(value), line_number});
  }
  return entries;
}

absl::Status CheckConfigKeys(const std::vector<ConfigEntry>& entries,
                             const std::set<std::string>& known) {
  for (const ConfigEntry& entry : entries) {
    if (known.count(entry.key) == 0) {
      return LineError(entry.line, absl::StrCat("unknown key '", entry.key, "' (known keys: ",
                                                absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

std::set<std::string> FlagsOnCommandLine(const std::vector<std::string>& args) {
  std::set<std::string> names;
  for (absl::string_view arg : args) {
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "-")) continue;  // A value, or a positional argument.
    absl::ConsumePrefix(&arg, "-");
    const size_t equals = arg.find('=');
    const absl::string_view name = arg.substr(0, equals);
    if (name.empty()) continue;
    names.emplace(name);
    // --nofoo sets the boolean foo to false; it takes no value.
    if (equals == absl::string_view::npos && absl::StartsWith(name, "no") && name.size() > 2) {
      names.emplace(name.substr(2));
    }
  }
  return names;
}

absl::Status ApplyConfig(const std::vector<ConfigEntry>& entries,
                         const std::set<std::string>& skip) {
  for (const ConfigEntry& entry : entries) {
    if (skip.count(entry.key) != 0) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(entry.key);
    if (flag == nullptr || flag->IsRetired()) {
      return LineError(entry.line, absl::StrCat("unknown key '", entry.key, "'"));
    }
    std::string error;
    if (!flag->ParseFrom(entry.value, &error)) {
      return LineError(entry.line, absl::StrCat(entry.key, ": ", error));
    }
  }
  return absl::OkStatus();
}

std::set<std::string> FlagsDefinedBeside(absl::string_view anchor) {
  std::set<std::string> names;
  const absl::CommandLineFlag* anchor_flag = absl::FindCommandLineFlag(anchor);
  if (anchor_flag == nullptr) return names;
  const std::string file = anchor_flag->Filename();
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (name != anchor && !flag->IsRetired() && flag->Filename() == file) names.emplace(name);
  }
  return names;
}

absl::Status LoadConfigFile(const std::string& path, int argc, const char* const* argv) {
  if (path.empty()) return absl::OkStatus();
  // An ifstream opens a directory and reads nothing from it: no settings.
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read configuration file ", path, ": it is a directory"));
  }
  std::ifstream in(path);
  if (!in) {
    const int error = errno;
    const std::string message =
        absl::StrCat("cannot read configuration file ", path, ": ", std::strerror(error));
    if (error == ENOENT) return absl::NotFoundError(message);
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::InvalidArgumentError(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto prefixed = [&path](const absl::Status& status) {
    return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
  };
  auto entries = ParseConfig(text.str());
  if (!entries.ok()) return prefixed(entries.status());
  if (auto status = CheckConfigKeys(*entries, FlagsDefinedBeside("config")); !status.ok()) {
    return prefixed(status);
  }
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (auto status = ApplyConfig(*entries, FlagsOnCommandLine(args)); !status.ok()) {
    return prefixed(status);
  }
  return absl::OkStatus();
}

}  // namespace rapport
