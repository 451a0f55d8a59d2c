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

// Every domain write goes through here: runs `body` as a transaction of
// `store` (rerun on write conflicts); `done` gets OK once the write is
// durable, or the first error (then nothing is written). Started from an RPC
// handler (services/common/call.h), a write not started by the call's
// deadline is refused, and a successful one also holds the call's audit
// entry, naming `result`'s `name` when it has one.
inline void Transact(storage::Store* store, std::function<absl::Status(storage::Txn&)> body,
                     std::function<void(absl::Status)> done,
                     std::shared_ptr<const google::protobuf::Message> result = nullptr) {
  store->Transact(
      [body = std::move(body), call = CurrentCall(), result = std::move(result)](
          storage::Txn& txn) {
        if (call != nullptr && absl::Now() > call->deadline) {
          return absl::DeadlineExceededError(
              "the call's deadline passed before its write could start; nothing was written");
        }
        absl::Status status = body(txn);
        if (status.ok() && call != nullptr) StageAuditEntry(txn.batch(), *call, result.get());
        return status;
      },
      std::move(done));
}

// Transact() whose `body` fills a result of type T, which `done` gets.
template <typename T>
void TransactFor(storage::Store* store, std::function<absl::Status(storage::Txn&, T*)> body,
                 Callback<T> done) {
  auto result = std::make_shared<T>();
  std::shared_ptr<const google::protobuf::Message> named;
  if constexpr (std::is_base_of_v<google::protobuf::Message, T>) named = result;
  Transact(
      store,
      [body = std::move(body), result](storage::Txn& txn) {
        *result = T();
        return body(txn, result.get());
      },
      [result, done = std::move(done)](absl::Status status) {
        if (status.ok()) {
          done(std::move(*result));
        } else {
          done(std::move(status));
        }
      },
      std::move(named));
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
