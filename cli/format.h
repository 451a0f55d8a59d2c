// How rapportctl shows values to people: times in the local time zone,
// durations as "3h 20m", enum values by name, resource names short; and how
// it reads the enum values and resource ids people type.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace rapport::cli {

// "2026-11-23 14:05" in the local time zone (the TZ environment variable,
// else the system's); "-" for an unset timestamp (the epoch).
std::string HumanTime(const google::protobuf::Timestamp& time);
std::string HumanTime(absl::Time time);

// The two largest units that matter: "45s", "20m", "3h 20m", "2d 4h",
// "500ms"; "0s" for zero; a leading "-" when negative.
std::string HumanDuration(absl::Duration duration);
// "-" for an unset duration (zero), else as above.
std::string HumanDuration(const google::protobuf::Duration& duration);

// The name of enum value `number`, "-" for the zero (UNSPECIFIED) value and
// the number itself for one the descriptor does not know.
std::string EnumName(const google::protobuf::EnumDescriptor* descriptor, int number);

// Reads an enum value as people type it: case-insensitive, '-' for '_', and
// with the enum's own prefix optional. nullopt for none or the zero value.
std::optional<int> ParseEnum(const google::protobuf::EnumDescriptor* descriptor,
                             absl::string_view text);
// The values ParseEnum accepts, lower case, joined by "|" (zero value left out).
std::string EnumChoices(const google::protobuf::EnumDescriptor* descriptor);

// "acme" for "relationships/acme"; other names unchanged.
std::string ShortName(absl::string_view name, absl::string_view collection);
// "relationships/acme" for "acme" or "relationships/acme"; a name with another
// slash is passed through for the server to judge.
std::string FullName(absl::string_view id_or_name, absl::string_view collection);

// `text`, or "-" when it is empty.
std::string OrDash(absl::string_view text);

// How far `time` is from `now`: "in 3h 20m", "2d 4h ago", "now" (within a
// second); to the nearest minute beyond a minute.
std::string HumanRelative(absl::Time time, absl::Time now);

// Reads a time as people type it: RFC 3339 ("2026-10-15T14:00:00Z",
// "2026-10-15T14:00:00+02:00"), or "2026-10-15", "2026-10-15 14:00" and
// "2026-10-15T14:00" in the local time zone. nullopt for anything else.
std::optional<absl::Time> ParseHumanTime(absl::string_view text);

// Conversions between protobuf and Abseil times.
google::protobuf::Timestamp ToProto(absl::Time time);
absl::Time FromProto(const google::protobuf::Timestamp& time);

}  // namespace rapport::cli
