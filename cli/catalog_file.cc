#include "cli/catalog_file.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/format.h"
#include "google/protobuf/util/json_util.h"
#include "yaml-cpp/yaml.h"

namespace rapport::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (const char ch : text) {
    switch (ch) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<int>(ch));
        } else {
          out->push_back(ch);  // UTF-8 passes through.
        }
    }
  }
  out->push_back('"');
}

std::string Where(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return "";
  return absl::StrCat("line ", mark.line + 1, ", column ", mark.column + 1, ": ");
}

// A plain (unquoted) YAML scalar that YAML 1.2's core schema reads as null.
bool IsNullScalar(const YAML::Node& node) {
  if (node.IsNull()) return true;
  if (node.Tag() != "?") return false;  // Quoted: a string.
  const std::string& s = node.Scalar();
  return s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// What a field's value is in protobuf JSON.
enum class JsonKind { kString, kNumber, kBool, kMessage, kAny };

JsonKind KindOf(const FieldDescriptor* field) {
  if (field == nullptr) return JsonKind::kAny;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_ENUM:
      return JsonKind::kString;
    case FieldDescriptor::CPPTYPE_BOOL:
      return JsonKind::kBool;
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const std::string& type = field->message_type()->full_name();
      // Well-known types written as JSON strings.
      if (type == "google.protobuf.Timestamp" || type == "google.protobuf.Duration" ||
          type == "google.protobuf.FieldMask") {
        return JsonKind::kString;
      }
      return absl::StartsWith(type, "google.protobuf.") ? JsonKind::kAny : JsonKind::kMessage;
    }
    default:
      return JsonKind::kNumber;
  }
}

const FieldDescriptor* FindField(const Descriptor* descriptor, const std::string& key) {
  if (descriptor == nullptr) return nullptr;
  if (const auto* field = descriptor->FindFieldByName(key)) return field;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (descriptor->field(i)->json_name() == key) return descriptor->field(i);
  }
  return nullptr;
}

// A scalar as the JSON value of `field` (nullptr: of unknown type).
void AppendScalar(const YAML::Node& node, const FieldDescriptor* field, std::string* out) {
  if (IsNullScalar(node)) {
    *out += "null";
    return;
  }
  const JsonKind kind = KindOf(field);
  const std::string& s = node.Scalar();
  if (field != nullptr && field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    // Enum values as people write them: "high" or "Live" for HIGH and LIVE.
    if (const auto number = ParseEnum(field->enum_type(), s)) {
      AppendJsonString(field->enum_type()->FindValueByNumber(*number)->name(), out);
      return;
    }
  }
  const bool plain = node.Tag() == "?";
  double number = 0;
  const bool numeric = plain && absl::SimpleAtod(s, &number) && std::isfinite(number) &&
                       !absl::StartsWithIgnoreCase(s, "0x") && !s.empty() &&
                       (absl::ascii_isdigit(s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.');
  const std::string lower = absl::AsciiStrToLower(s);
  const bool is_true = plain && (lower == "true" || lower == "yes" || lower == "on");
  const bool is_false = plain && (lower == "false" || lower == "no" || lower == "off");
  switch (kind) {
    case JsonKind::kString:
      AppendJsonString(s, out);
      return;
    case JsonKind::kBool:
      if (is_true || is_false) {
        *out += is_true ? "true" : "false";
      } else {
        AppendJsonString(s, out);  // The JSON parser names the field.
      }
      return;
    case JsonKind::kNumber:
      if (numeric) {
        *out += s[0] == '+' ? s.substr(1) : s;
      } else {
        AppendJsonString(s, out);  // protobuf JSON also takes numbers quoted.
      }
      return;
    case JsonKind::kMessage:
    case JsonKind::kAny:
      if (lower == "true" || lower == "false") {
        *out += lower;
      } else if (numeric) {
        *out += s[0] == '+' ? s.substr(1) : s;
      } else {
        AppendJsonString(s, out);
      }
      return;
  }
}

absl::Status AppendNode(const YAML::Node& node, const Descriptor* descriptor,
                        const FieldDescriptor* field, std::string* out);

// A node standing for one value of `field` (an element, for a repeated field).
absl::Status AppendValue(const YAML::Node& node, const FieldDescriptor* field, std::string* out) {
  if (node.IsScalar() || node.IsNull()) {
    AppendScalar(node, field, out);
    return absl::OkStatus();
  }
  return AppendNode(node, KindOf(field) == JsonKind::kMessage ? field->message_type() : nullptr,
                    nullptr, out);
}

// Converts `node`. `descriptor` is the message a mapping describes (nullptr:
// unknown, converted generically); `field`, when set, is the field whose
// (repeated or map) value `node` is.
absl::Status AppendNode(const YAML::Node& node, const Descriptor* descriptor,
                        const FieldDescriptor* field, std::string* out) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      *out += "null";
      return absl::OkStatus();
    case YAML::NodeType::Scalar:
      AppendScalar(node, field, out);
      return absl::OkStatus();
    case YAML::NodeType::Sequence: {
      out->push_back('[');
      bool first = true;
      for (const auto& element : node) {
        if (!first) out->push_back(',');
        first = false;
        if (field != nullptr) {
          if (auto s = AppendValue(element, field, out); !s.ok()) return s;
        } else if (auto s = AppendNode(element, nullptr, nullptr, out); !s.ok()) {
          return s;
        }
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case YAML::NodeType::Map: {
      out->push_back('{');
      bool first = true;
      // A map field's entries: keys are strings, values typed by the entry's value field.
      const FieldDescriptor* map_value =
          field != nullptr && field->is_map() ? field->message_type()->map_value() : nullptr;
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          return absl::InvalidArgumentError(
              absl::StrCat(Where(entry.first), "a mapping key must be a plain value"));
        }
        if (!first) out->push_back(',');
        first = false;
        const std::string& key = entry.first.Scalar();
        AppendJsonString(key, out);
        out->push_back(':');
        if (map_value != nullptr) {
          if (auto s = AppendValue(entry.second, map_value, out); !s.ok()) return s;
          continue;
        }
        const FieldDescriptor* f = FindField(descriptor, key);
        if (f != nullptr && (f->is_repeated() || f->is_map())) {
          if (auto s = AppendNode(entry.second, nullptr, f, out); !s.ok()) return s;
        } else if (f != nullptr) {
          if (auto s = AppendValue(entry.second, f, out); !s.ok()) return s;
        } else if (auto s = AppendNode(entry.second, nullptr, nullptr, out); !s.ok()) {
          return s;
        }
      }
      out->push_back('}');
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> YamlToJson(const std::string& yaml, const Descriptor* descriptor) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(root), "the document must be a mapping (services:, calendars:, ...)"));
  }
  std::string json;
  try {
    if (auto s = AppendNode(root, descriptor, nullptr, &json); !s.ok()) return s;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  return json;
}

absl::StatusOr<v1::Catalog> LoadCatalogFile(const std::string& path) {
  const std::string lower = absl::AsciiStrToLower(path);
  const bool yaml = absl::EndsWith(lower, ".yaml") || absl::EndsWith(lower, ".yml");
  if (!yaml && !absl::EndsWith(lower, ".json")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the file name must end in .json, .yaml or .yml"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::stringstream content;
  content << in.rdbuf();
  std::string json = content.str();
  if (yaml) {
    auto converted = YamlToJson(json, v1::Catalog::descriptor());
    if (!converted.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", converted.status().message()));
    }
    json = *std::move(converted);
  }
  v1::Catalog catalog;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &catalog);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a catalog: ", std::string(status.message().data(), status.message().size())));
  }
  return catalog;
}

}  // namespace rapport::cli
