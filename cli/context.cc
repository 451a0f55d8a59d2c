#include "cli/context.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "cli/format.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace rapport::cli {
namespace {

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i <= 16 ? kNames[i] : "UNKNOWN";
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, print);
  while (!json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

}  // namespace

std::shared_ptr<grpc::Channel> Context::Channel() {
  if (channel_ == nullptr) {
    channel_ = grpc::CreateChannel(options_.server, grpc::InsecureChannelCredentials());
  }
  return channel_;
}

void Context::Prepare(grpc::ClientContext* ctx) const {
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options_.timeout));
}

int Context::Fail(const grpc::Status& status) const {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
       absl::StrContains(status.error_message(), "connect"))) {
    err_ << "rapportctl: cannot reach rapportd at " << options_.server << " ("
         << status.error_message() << ")\n";
    return kExitUnreachable;
  }
  err_ << "rapportctl: " << CodeName(status.error_code()) << ": " << status.error_message() << "\n";
  return kExitRefused;
}

int Context::Usage(const std::string& message) const {
  const std::string words = absl::StrJoin(command_.words, " ");
  err_ << "rapportctl " << words << ": " << message << " (see rapportctl " << words << " --help)\n";
  return kExitUsage;
}

void Context::PrintJson(const google::protobuf::Message& message) const {
  out_ << ToJson(message) << "\n";
}

void Context::PrintJsonArray(const std::vector<const google::protobuf::Message*>& messages) const {
  if (messages.empty()) {
    out_ << "[]\n";
    return;
  }
  out_ << "[\n";
  for (size_t i = 0; i < messages.size(); ++i) {
    out_ << ToJson(*messages[i]) << (i + 1 < messages.size() ? ",\n" : "\n");
  }
  out_ << "]\n";
}

bool Context::EnumFlag(const std::string& name, const google::protobuf::EnumDescriptor* descriptor,
                       int* value) const {
  if (!Has(name)) return true;
  const auto parsed = ParseEnum(descriptor, Get(name));
  if (!parsed) {
    Usage(name + " must be one of " + EnumChoices(descriptor) + ", got '" + Get(name) + "'");
    return false;
  }
  *value = *parsed;
  return true;
}

std::optional<Context::Limit> Context::ListLimit() const {
  Limit limit;
  limit.all = Has("--all");
  if (Has("--limit")) {
    if (limit.all) {
      Usage("--limit and --all exclude each other");
      return std::nullopt;
    }
    if (!absl::SimpleAtoi(Get("--limit"), &limit.count) || limit.count <= 0) {
      Usage("--limit must be a positive number, got '" + Get("--limit") + "'");
      return std::nullopt;
    }
  }
  return limit;
}

void Context::NoteMore(bool more, size_t shown) const {
  if (more && !json()) {
    err_ << "(" << shown << " shown; more with --limit N or --all)\n";
  }
}

}  // namespace rapport::cli
