// Glue between the domain's asynchronous writes and their callers: a domain
// write runs a body in a store transaction and reports a value or a status.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "google/protobuf/message.h"
#include "services/common/call.h"
#include "storage/store.h"

namespace rapport {

// How a domain write reports its outcome. Runs on a store thread: quick, no blocking.
template <typename T>
using Callback = std::function<void(absl::StatusOr<T>)>;

namespace internal {

// A domain write from its start to its answer: what its body and its
// callback share, in one allocation. The store's body and done callbacks
// hold only its address, which std::function keeps without allocating, and
// done deletes it. (Layers of callbacks, each capturing the last, cost an
// allocation each, all freed on the store's completion thread.)
template <typename T>
struct DomainWrite {
  std::function<absl::Status(storage::Txn&, T*)> body;
  Callback<T> done;
  std::shared_ptr<CallInfo> call = CurrentCall();
  T result{};

  // Runs the body on a fresh result, then stages the call's audit entry.
  absl::Status Run(storage::Txn& txn) {
    if (call != nullptr && absl::Now() > call->deadline) {
      return absl::DeadlineExceededError(
          "the call's deadline passed before its write could start; nothing was written");
    }
    result = T();
    absl::Status status = body(txn, &result);
    if (status.ok() && call != nullptr) {
      if constexpr (std::is_base_of_v<google::protobuf::Message, T>) {
        StageAuditEntry(txn.batch(), *call, &result);
      } else {
        StageAuditEntry(txn.batch(), *call, nullptr);
      }
    }
    return status;
  }

  // Answers and deletes this write.
  static void Finish(DomainWrite* write, absl::Status status) {
    std::unique_ptr<DomainWrite> owned(write);
    if (status.ok()) {
      owned->done(std::move(owned->result));
    } else {
      owned->done(std::move(status));
    }
  }
};

}  // namespace internal

// Every domain write goes through here: runs `body` as a transaction of
// `store` (rerun on write conflicts, each time on a fresh T); `done` gets the
// T it filled once the write is durable, or the first error (then nothing is
// written). Started from an RPC handler (services/common/call.h), a write not
// started by the call's deadline is refused, and a successful one also holds
// the call's audit entry, naming the result's `name` when it has one.
template <typename T>
void TransactFor(storage::Store* store, std::function<absl::Status(storage::Txn&, T*)> body,
                 Callback<T> done) {
  auto* write = new internal::DomainWrite<T>{std::move(body), std::move(done)};
  store->Transact([write](storage::Txn& txn) { return write->Run(txn); },
                  [write](absl::Status status) {
                    internal::DomainWrite<T>::Finish(write, std::move(status));
                  });
}

// TransactFor() of a write that reports only its status.
inline void Transact(storage::Store* store, std::function<absl::Status(storage::Txn&)> body,
                     std::function<void(absl::Status)> done) {
  TransactFor<bool>(
      store, [body = std::move(body)](storage::Txn& txn, bool*) { return body(txn); },
      [done = std::move(done)](absl::StatusOr<bool> result) { done(result.status()); });
}

// Calls `start` with a callback and waits for it: the blocking form of a
// domain write, for tests and tools.
template <typename T>
absl::StatusOr<T> Await(const std::function<void(Callback<T>)>& start) {
  std::promise<absl::StatusOr<T>> promise;
  auto future = promise.get_future();
  start([&promise](absl::StatusOr<T> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace rapport
