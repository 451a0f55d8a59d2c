// Who is calling, and what the call may do: the gate every RPC handler passes
// first (RAPPORT_ADMIT), and the audit entry of every mutating call.
//
// A handler starts with RAPPORT_ADMIT(context, *request). The gate
// (implemented by rapportd in server/access_gate.h; OpenGate() admits every
// call) authenticates the caller, checks the role the method needs and the
// request's size limits, and either refuses the call (the handler returns at
// once; nothing is written) or admits it. While the handler runs, its call is
// the thread's CurrentCall(): domain writes started from the handler
// (TransactFor) stage the call's audit entry into their own atomic write, and
// the escalation timeline names the caller as actor.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "storage/store.h"

namespace rapport {

// An admitted call.
struct CallInfo {
  // The caller: a principal of the tokens file, or "anonymous".
  std::string principal;
  // "/rapport.v1.Service/Method".
  std::string method;
  // What an audited call is about: the request's `name`, or else its `parent`
  // (may be empty; not filled for calls that are not audited).
  std::string resource;
  // When the call was admitted.
  absl::Time time;
  // The caller's deadline, or the server's default deadline for calls
  // without one: a write that has not started by then is not applied.
  absl::Time deadline = absl::InfiniteFuture();
  // Where its audit entry goes; null when the method changes nothing or
  // auditing is off.
  storage::Store* audit_store = nullptr;
  // The audit entry's id (unique, fixed at admission so that a rerun
  // transaction writes the same key).
  std::string audit_id;
  // Set once a write staged the entry with outcome OK.
  std::atomic<bool> audited{false};
};

// The call the current thread's handler is running (set by RAPPORT_ADMIT for
// the handler's duration), or null.
const std::shared_ptr<CallInfo>& CurrentCall();

// The principal of CurrentCall(), or `fallback` outside a call.
std::string CurrentPrincipal(absl::string_view fallback = "anonymous");

class Gate {
 public:
  virtual ~Gate() = default;
  // Admits a call of `method` ("/rapport.v1.Service/Method") with `request`,
  // or says why not: UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT (a
  // string or list over its limit, naming the field).
  virtual absl::StatusOr<std::shared_ptr<CallInfo>> Admit(
      const grpc::ServerContextBase& context, const google::protobuf::Message& request,
      absl::string_view method) const = 0;
};

// Admits every call as "anonymous", without audit (tests of single services).
const Gate& OpenGate();

// Stages `call`'s audit entry with outcome OK into `batch`, once.
void StageAuditEntry(storage::WriteBatch& batch, CallInfo& call,
                     const google::protobuf::Message* result);
// Writes `call`'s audit entry with `outcome` in a write of its own, unless a
// write already staged it with outcome OK, then calls `then` (at once if
// nothing is written, else once the entry is durable or failed).
void RecordAuditEntry(CallInfo& call, const absl::Status& outcome, std::function<void()> then);
// Whether RecordAuditEntry() would write an entry for `outcome` of `call`.
bool AuditEntryPending(const CallInfo& call, const absl::Status& outcome);

// What a request is about: its `name`, or else its `parent` (may be empty).
std::string RequestResource(const google::protobuf::Message& request);

// The audit log's key of an entry: newest first, then by id.
std::string AuditKey(absl::Time time, absl::string_view id);

// Scope of one handler: asks the gate, and makes the call current while the
// handler runs. Use through RAPPORT_ADMIT.
class Admission {
 public:
  // `method`: "/rapport.v1.FooService/Method".
  Admission(const Gate& gate, const grpc::ServerContextBase& context,
            const google::protobuf::Message& request, absl::string_view method);
  ~Admission();
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }
  // Finishes a refused unary call.
  grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* context) const;
  // Finishes a refused server-streaming call.
  template <typename T>
  grpc::ServerWriteReactor<T>* RefuseStream() const;

 private:
  absl::Status status_;
  std::shared_ptr<CallInfo> previous_;
};

// A server-streaming reactor that finishes at once with a status.
template <typename T>
class RefusedStream final : public grpc::ServerWriteReactor<T> {
 public:
  explicit RefusedStream(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

grpc::Status ToGrpcStatusForAdmission(const absl::Status& status);

template <typename T>
grpc::ServerWriteReactor<T>* Admission::RefuseStream() const {
  return new RefusedStream<T>(ToGrpcStatusForAdmission(status_));
}

}  // namespace rapport

// First statement of every RPC handler of an adapter that has a `gate_`
// member and a `kService` constant ("rapport.v1.FooService"): refuses the
// call (returning its finished reactor) or admits it for the rest of the
// handler. The method's name comes from the handler's own name; its path is
// made once per handler, not per call.
#define RAPPORT_ADMIT(context, request)                                                     \
  static const std::string rapport_method_ = ::absl::StrCat("/", kService, "/", __func__); \
  ::rapport::Admission rapport_admission_(*gate_, *(context), (request), rapport_method_);   \
  if (!rapport_admission_.ok()) return rapport_admission_.Refuse(context)

// The same for a server-streaming handler whose messages are `T`.
#define RAPPORT_ADMIT_STREAM(T, context, request)                                           \
  static const std::string rapport_method_ = ::absl::StrCat("/", kService, "/", __func__); \
  ::rapport::Admission rapport_admission_(*gate_, *(context), (request), rapport_method_);   \
  if (!rapport_admission_.ok()) return rapport_admission_.RefuseStream<T>()
