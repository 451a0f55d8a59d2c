#include "services/common/call.h"

#include <utility>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "rapport/v1/admin.pb.h"
#include "services/common/grpc_status.h"
#include "services/common/proto_time.h"
#include "services/common/resource.h"

namespace rapport {
namespace {

thread_local std::shared_ptr<CallInfo> current_call;

class AnonymousGate final : public Gate {
 public:
  absl::StatusOr<std::shared_ptr<CallInfo>> Admit(const grpc::ServerContextBase&,
                                                  const google::protobuf::Message&,
                                                  absl::string_view method) const override {
    auto call = std::make_shared<CallInfo>();
    call->principal = "anonymous";
    call->method = std::string(method);
    return call;
  }
};

// The string field `field` of `message`, or "".
std::string StringField(const google::protobuf::Message& message, const char* field) {
  const auto* descriptor = message.GetDescriptor()->FindFieldByName(field);
  if (descriptor == nullptr || descriptor->is_repeated() ||
      descriptor->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return "";
  }
  return message.GetReflection()->GetString(message, descriptor);
}

// The audit entry of `call` with `outcome`, made on `arena`.
v1::AuditEntry* MakeEntry(google::protobuf::Arena* arena, const CallInfo& call,
                          const absl::Status& outcome, const google::protobuf::Message* result) {
  auto* entry = google::protobuf::Arena::CreateMessage<v1::AuditEntry>(arena);
  entry->set_name(absl::StrCat("audit/", call.audit_id));
  entry->set_principal(call.principal);
  entry->set_method(call.method);
  std::string resource = result != nullptr ? StringField(*result, "name") : "";
  entry->set_resource(resource.empty() ? call.resource : resource);
  *entry->mutable_time() = ToProtoTime(call.time);
  entry->set_outcome(absl::StatusCodeToString(outcome.code()));
  entry->set_message(std::string(outcome.message()));
  return entry;
}

// Stages the audit entry of `call` into `batch`. The entry lives on an arena
// whose first block is on the stack: it costs no allocation of its own.
void PutEntry(storage::WriteBatch& batch, const CallInfo& call, const absl::Status& outcome,
              const google::protobuf::Message* result) {
  alignas(8) char block[1024];
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = sizeof(block);
  google::protobuf::Arena arena(options);
  batch.PutProto(storage::Cf::kAudit, AuditKey(call.time, call.audit_id),
                 *MakeEntry(&arena, call, outcome, result));
}

}  // namespace

const std::shared_ptr<CallInfo>& CurrentCall() { return current_call; }

std::string CurrentPrincipal(absl::string_view fallback) {
  return current_call != nullptr ? current_call->principal : std::string(fallback);
}

const Gate& OpenGate() {
  static const AnonymousGate gate;
  return gate;
}

std::string RequestResource(const google::protobuf::Message& request) {
  std::string resource = StringField(request, "name");
  return resource.empty() ? StringField(request, "parent") : resource;
}

std::string AuditKey(absl::Time time, absl::string_view id) {
  const uint64_t micros = static_cast<uint64_t>(absl::ToUnixMicros(time));
  std::string key(8, '\0');
  absl::big_endian::Store64(key.data(), ~micros);
  return absl::StrCat(key, id);
}

void StageAuditEntry(storage::WriteBatch& batch, CallInfo& call,
                     const google::protobuf::Message* result) {
  if (call.audit_store == nullptr) return;
  PutEntry(batch, call, absl::OkStatus(), result);
  call.audited.store(true);
}

bool AuditEntryPending(const CallInfo& call, const absl::Status& outcome) {
  return call.audit_store != nullptr && !(outcome.ok() && call.audited.load());
}

void RecordAuditEntry(CallInfo& call, const absl::Status& outcome, std::function<void()> then) {
  if (!AuditEntryPending(call, outcome)) return then();
  storage::WriteBatch batch;
  PutEntry(batch, call, outcome, nullptr);
  call.audit_store->Commit(std::move(batch), [then = std::move(then)](absl::Status) { then(); });
}

grpc::Status ToGrpcStatusForAdmission(const absl::Status& status) { return ToGrpcStatus(status); }

Admission::Admission(const Gate& gate, const grpc::ServerContextBase& context,
                     const google::protobuf::Message& request, absl::string_view method) {
  auto call = gate.Admit(context, request, method);
  if (!call.ok()) {
    status_ = call.status();
    return;
  }
  CallInfo& info = **call;
  // Only an audited call needs its resource and entry id (not on the read path).
  if (info.audit_store != nullptr) {
    if (info.resource.empty()) info.resource = RequestResource(request);
    if (info.audit_id.empty()) info.audit_id = NewId();
  }
  previous_ = std::exchange(current_call, *std::move(call));
}

Admission::~Admission() {
  if (status_.ok()) current_call = std::move(previous_);
}

grpc::ServerUnaryReactor* Admission::Refuse(grpc::CallbackServerContext* context) const {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status_));
  return reactor;
}

}  // namespace rapport
