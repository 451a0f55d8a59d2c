// The administration domain: what the running server is, online backups, and
// the audit log (written by every mutating call, see services/common/call.h).
// No gRPC here; admin_grpc.h is the thin adapter.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rapport/v1/admin.pb.h"
#include "storage/clock.h"
#include "storage/store.h"

namespace rapport::admin {

class Admin final {
 public:
  // `store` and `clock` must outlive this object.
  Admin(storage::Store* store, Clock* clock, std::string version, absl::Time start_time);

  // The server's identity and store figures.
  v1::ServerInfo GetServerInfo() const;

  // Checkpoints the live store into request.directory. INVALID_ARGUMENT if
  // the directory is empty or relative or its parent does not exist;
  // ALREADY_EXISTS if it exists.
  absl::StatusOr<v1::Backup> CreateBackup(const v1::CreateBackupRequest& request);

  // A page of the audit log, newest first, filtered as the request says.
  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const v1::ListAuditEntriesRequest& request) const;

 private:
  storage::Store* const store_;
  Clock* const clock_;
  const std::string version_;
  const absl::Time start_time_;
};

}  // namespace rapport::admin
