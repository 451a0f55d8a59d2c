#include "server/access_gate.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/resource.h"
#include "storage/status_macros.h"

namespace rapport::access {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Where a field is, as a chain from the request down: the text of the path
// ("catalog.agreements[3].description") is built only for an error message,
// so that checking a request within its limits builds no path text.
struct FieldPath {
  const FieldPath* parent = nullptr;
  const FieldDescriptor* field = nullptr;
  int index = -1;  // Entry of a repeated field, or -1.

  std::string Text() const {
    std::string text = parent != nullptr ? parent->Text() : "";
    if (field == nullptr) return text;
    if (!text.empty()) text += '.';
    absl::StrAppend(&text, field->name());
    if (index >= 0) absl::StrAppend(&text, "[", index, "]");
    return text;
  }
};

absl::Status CheckFields(const Message& message, const FieldPath& path, size_t max_string,
                         size_t max_list) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const bool is_string = field->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
    const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (field->is_repeated()) {
      const size_t n = static_cast<size_t>(reflection->FieldSize(message, field));
      if (n > max_list) {
        return absl::InvalidArgumentError(absl::StrCat(FieldPath{&path, field}.Text(), " has ", n,
                                                       " entries; at most ", max_list,
                                                       " are accepted"));
      }
      if (!is_string && !is_message) continue;
      for (size_t i = 0; i < n; ++i) {
        const int index = static_cast<int>(i);
        const FieldPath item{&path, field, index};
        if (is_string) {
          std::string scratch;
          const std::string& value =
              reflection->GetRepeatedStringReference(message, field, index, &scratch);
          if (value.size() > max_string) {
            return absl::InvalidArgumentError(absl::StrCat(
                item.Text(), " is ", value.size(), " bytes; at most ", max_string, " are accepted"));
          }
        } else {
          RETURN_IF_ERROR(CheckFields(reflection->GetRepeatedMessage(message, field, index), item,
                                      max_string, max_list));
        }
      }
    } else if (is_string) {
      std::string scratch;
      const std::string& value = reflection->GetStringReference(message, field, &scratch);
      if (value.size() > max_string) {
        return absl::InvalidArgumentError(absl::StrCat(FieldPath{&path, field}.Text(), " is ",
                                                       value.size(), " bytes; at most ",
                                                       max_string, " are accepted"));
      }
    } else if (is_message) {
      RETURN_IF_ERROR(CheckFields(reflection->GetMessage(message, field), FieldPath{&path, field},
                                  max_string, max_list));
    }
  }
  return absl::OkStatus();
}

// The token of an "authorization: Bearer <token>" header, or "".
absl::string_view BearerToken(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  absl::string_view value(it->second.data(), it->second.size());
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) return "";
  return absl::StripAsciiWhitespace(value.substr(7));
}

}  // namespace

absl::Status CheckSizeLimits(const Message& message, size_t max_string_bytes,
                             size_t max_list_entries) {
  return CheckFields(message, FieldPath{}, max_string_bytes, max_list_entries);
}

absl::StatusOr<std::unique_ptr<AccessGate>> AccessGate::Create(GateOptions options) {
  std::unique_ptr<AccessGate> gate(new AccessGate(std::move(options)));
  if (gate->options_.authenticate) {
    if (!Sha256("")) {
      return absl::InternalError("OpenSSL cannot compute SHA-256: no bearer token could be checked");
    }
    ASSIGN_OR_RETURN(TokenTable table, TokenTable::Load(gate->options_.tokens_file));
    gate->tokens_ = std::make_shared<const TokenTable>(std::move(table));
  }
  return gate;
}

absl::StatusOr<size_t> AccessGate::ReloadTokens() {
  if (!options_.authenticate) return absl::FailedPreconditionError("no tokens file is in use");
  ASSIGN_OR_RETURN(TokenTable table, TokenTable::Load(options_.tokens_file));
  const size_t size = table.size();
  auto fresh = std::make_shared<const TokenTable>(std::move(table));
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ = std::move(fresh);
  return size;
}

std::shared_ptr<const TokenTable> AccessGate::tokens() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_;
}

absl::StatusOr<std::shared_ptr<CallInfo>> AccessGate::Admit(const grpc::ServerContextBase& context,
                                                            const Message& request,
                                                            absl::string_view method) const {
  const MethodRule* rule = FindRule(method);
  if (rule == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(method, " has no access rule"));
  }
  auto call = std::make_shared<CallInfo>();
  call->method = std::string(method);
  call->time = options_.clock->Now();
  const auto deadline = context.deadline();
  call->deadline = deadline == std::chrono::system_clock::time_point::max()
                       ? absl::Now() + options_.default_deadline
                       : absl::FromChrono(deadline);
  if (IsMutation(*rule)) call->audit_store = options_.audit_store;
  RoleSet roles = kAllRoles;
  if (options_.authenticate) {
    const absl::string_view token = BearerToken(context);
    if (token.empty()) {
      return absl::UnauthenticatedError(
          "no bearer token: send the metadata 'authorization: Bearer <token>'");
    }
    const std::shared_ptr<const TokenTable> table = tokens();
    const Principal* principal = table->Find(token);
    if (principal == nullptr) return absl::UnauthenticatedError("the bearer token is not known");
    call->principal = principal->name;
    roles = principal->roles;
  } else {
    call->principal = "anonymous";
  }
  absl::Status refused;
  if (!Grants(roles, rule->role)) {
    refused = absl::PermissionDeniedError(
        absl::StrCat(call->principal, " (", RoleSetNames(roles), ") may not call ", method,
                     ": it needs the ", RoleName(rule->role), " role"));
  } else {
    refused =
        CheckSizeLimits(request, options_.max_string_bytes, options_.max_list_entries);
  }
  if (!refused.ok()) {
    // A refused mutation of a known caller is audited too.
    if (call->audit_store != nullptr) {
      call->resource = RequestResource(request);
      call->audit_id = NewId();
      RecordAuditEntry(*call, refused, [] {});
    }
    return refused;
  }
  return call;
}

}  // namespace rapport::access
