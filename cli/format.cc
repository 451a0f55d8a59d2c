#include "cli/format.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace rapport::cli {

std::string HumanTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return HumanTime(FromProto(time));
}

std::string HumanTime(absl::Time time) {
  // LocalTimeZone() looks TZ up on each call, so a changed TZ is honoured.
  return absl::FormatTime("%Y-%m-%d %H:%M", time, absl::LocalTimeZone());
}

std::string HumanDuration(absl::Duration duration) {
  if (duration == absl::ZeroDuration()) return "0s";
  if (duration < absl::ZeroDuration()) return "-" + HumanDuration(-duration);
  if (duration < absl::Seconds(1)) {
    const int64_t ms = absl::ToInt64Milliseconds(duration);
    return ms > 0 ? absl::StrCat(ms, "ms") : "<1ms";
  }
  const int64_t total = absl::ToInt64Seconds(duration);
  const int64_t parts[] = {total / 86400, total / 3600 % 24, total / 60 % 60, total % 60};
  const char* const units[] = {"d", "h", "m", "s"};
  for (int i = 0; i < 4; ++i) {
    if (parts[i] == 0) continue;
    std::string text = absl::StrCat(parts[i], units[i]);
    if (i + 1 < 4 && parts[i + 1] != 0) absl::StrAppend(&text, " ", parts[i + 1], units[i + 1]);
    return text;
  }
  return "0s";
}

std::string HumanDuration(const google::protobuf::Duration& duration) {
  if (duration.seconds() == 0 && duration.nanos() == 0) return "-";
  return HumanDuration(absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos()));
}

std::string EnumName(const google::protobuf::EnumDescriptor* descriptor, int number) {
  if (number == 0) return "-";
  const auto* value = descriptor->FindValueByNumber(number);
  return value != nullptr ? value->name() : absl::StrCat(number);
}

namespace {

// The prefix shared by an enum's values in the style "<ENUM>_": "ORDER_BY_" for
// ORDER_BY_UNSPECIFIED; empty when the zero value is not "<prefix>UNSPECIFIED".
std::string EnumPrefix(const google::protobuf::EnumDescriptor* descriptor) {
  const auto* zero = descriptor->FindValueByNumber(0);
  if (zero == nullptr || !absl::EndsWith(zero->name(), "UNSPECIFIED")) return "";
  return zero->name().substr(0, zero->name().size() - std::string("UNSPECIFIED").size());
}

}  // namespace

std::optional<int> ParseEnum(const google::protobuf::EnumDescriptor* descriptor,
                             absl::string_view text) {
  const std::string wanted = absl::AsciiStrToUpper(absl::StrReplaceAll(text, {{"-", "_"}}));
  for (const std::string& candidate : {wanted, EnumPrefix(descriptor) + wanted}) {
    const auto* value = descriptor->FindValueByName(candidate);
    if (value != nullptr && value->number() != 0) return value->number();
  }
  return std::nullopt;
}

std::string EnumChoices(const google::protobuf::EnumDescriptor* descriptor) {
  std::vector<std::string> names;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    if (descriptor->value(i)->number() == 0) continue;
    names.push_back(absl::AsciiStrToLower(descriptor->value(i)->name()));
  }
  return absl::StrJoin(names, "|");
}

std::string ShortName(absl::string_view name, absl::string_view collection) {
  const std::string prefix = absl::StrCat(collection, "/");
  if (absl::StartsWith(name, prefix) && name.find('/', prefix.size()) == absl::string_view::npos) {
    return std::string(name.substr(prefix.size()));
  }
  return std::string(name);
}

std::string FullName(absl::string_view id_or_name, absl::string_view collection) {
  if (absl::StrContains(id_or_name, '/')) return std::string(id_or_name);
  return absl::StrCat(collection, "/", id_or_name);
}

std::string OrDash(absl::string_view text) { return text.empty() ? "-" : std::string(text); }

std::string HumanRelative(absl::Time time, absl::Time now) {
  absl::Duration d = time - now;
  if (absl::AbsDuration(d) < absl::Seconds(1)) return "now";
  // To the minute beyond a minute: "in 1h", not "in 59m 59s" a moment later.
  if (absl::AbsDuration(d) >= absl::Minutes(1)) {
    const absl::Duration rounded =
        absl::Floor(absl::AbsDuration(d) + absl::Seconds(30), absl::Minutes(1));
    d = d < absl::ZeroDuration() ? -rounded : rounded;
  }
  return d > absl::ZeroDuration() ? "in " + HumanDuration(d) : HumanDuration(-d) + " ago";
}

std::optional<absl::Time> ParseHumanTime(absl::string_view text) {
  const std::string s(absl::StripAsciiWhitespace(text));
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &error)) return t;
  for (const char* format : {"%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"}) {
    if (absl::ParseTime(format, s, absl::LocalTimeZone(), &t, &error)) return t;
  }
  return std::nullopt;
}

google::protobuf::Timestamp ToProto(absl::Time time) {
  google::protobuf::Timestamp proto;
  const int64_t seconds = absl::ToUnixSeconds(time);
  proto.set_seconds(seconds);
  proto.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return proto;
}

absl::Time FromProto(const google::protobuf::Timestamp& time) {
  return absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
}

}  // namespace rapport::cli
