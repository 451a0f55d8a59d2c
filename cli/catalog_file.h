// Reading a catalog kept as code: a rapport.v1.Catalog in protobuf's JSON
// mapping, written as JSON or as YAML (what teams keep in version control).
// Field names may be lowerCamel or snake_case; durations are "3600s" and
// timestamps RFC 3339, as in protobuf JSON.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "rapport/v1/sla.pb.h"

namespace rapport::cli {

// Converts YAML text to JSON text, guided by `descriptor`, the message the
// YAML describes: a field the message declares as a string, enum, timestamp
// or duration becomes a JSON string whatever YAML would make of it (so
// `start: 09:00` and `display_name: 2026` stay strings); numeric and bool
// fields become JSON numbers and booleans; enum values may be written in any
// case and without their prefix ("high", "live"). Keys the message does not know
// are converted as they stand, so the JSON parser can name them.
// INVALID_ARGUMENT (with the line and column) for malformed YAML, aliases to
// nowhere, or a document that is not a mapping.
absl::StatusOr<std::string> YamlToJson(const std::string& yaml,
                                       const google::protobuf::Descriptor* descriptor);

// Reads the catalog in `path`: JSON for ".json", YAML for ".yaml" and ".yml".
// INVALID_ARGUMENT for another extension or content that is not a Catalog
// (the message says where); NOT_FOUND when the file cannot be read.
absl::StatusOr<v1::Catalog> LoadCatalogFile(const std::string& path);

}  // namespace rapport::cli
