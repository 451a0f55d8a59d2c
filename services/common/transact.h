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

// Runs `body` as a transaction of `store` (rerun on write conflicts); `body`
// fills the result it is given. `done` gets the result once it is durable,
// or the first error; on error nothing is written. Started from an RPC
// handler, the write also holds the call's audit entry (services/common/call.h).
template <typename T>
void TransactFor(storage::Store* store, std::function<absl::Status(storage::Txn&, T*)> body,
                 Callback<T> done) {
  auto result = std::make_shared<T>();
  store->Transact(
      [body = std::move(body), result, call = CurrentCall()](storage::Txn& txn) {
        *result = T();
        if (call != nullptr && absl::Now() > call->deadline) {
          return absl::DeadlineExceededError(
              "the call's deadline passed before its write could start; nothing was written");
        }
        absl::Status status = body(txn, result.get());
        if (status.ok() && call != nullptr) {
          if constexpr (std::is_base_of_v<google::protobuf::Message, T>) {
            StageAuditEntry(txn.batch(), *call, result.get());
          } else {
            StageAuditEntry(txn.batch(), *call, nullptr);
          }
        }
        return status;
      },
      [result, done = std::move(done)](absl::Status status) {
        if (status.ok()) {
          done(std::move(*result));
        } else {
          done(std::move(status));
        }
      });
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
