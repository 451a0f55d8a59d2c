#include "services/admin/admin.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "services/common/proto_time.h"
#include "storage/status_macros.h"

namespace rapport::admin {

Admin::Admin(storage::Store* store, Clock* clock, std::string version, absl::Time start_time)
    : store_(store), clock_(clock), version_(std::move(version)), start_time_(start_time) {}

v1::ServerInfo Admin::GetServerInfo() const {
  v1::ServerInfo info;
  info.set_version(version_);
  *info.mutable_start_time() = ToProtoTime(start_time_);
  info.set_data_dir(store_->options().data_dir);
  info.set_sync_writes(store_->options().sync_writes);
  info.set_schema_version(store_->schema_version());
  const storage::StoreStats stats = store_->Stats();
  info.set_live_data_bytes(stats.live_data_bytes);
  info.set_sst_files_bytes(stats.sst_files_bytes);
  return info;
}

absl::StatusOr<v1::Backup> Admin::CreateBackup(const v1::CreateBackupRequest& request) {
  const std::filesystem::path dir(request.directory());
  if (request.directory().empty()) return absl::InvalidArgumentError("directory is required");
  if (!dir.is_absolute()) {
    return absl::InvalidArgumentError(
        absl::StrCat("directory must be an absolute path on the server, got '", request.directory(), "'"));
  }
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return absl::AlreadyExistsError(absl::StrCat("directory ", request.directory(), " already exists"));
  }
  if (!std::filesystem::is_directory(dir.parent_path(), ec)) {
    return absl::InvalidArgumentError(absl::StrCat("directory's parent ",
                                                   dir.parent_path().string(), " does not exist"));
  }
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(storage::CheckpointInfo checkpoint, store_->Checkpoint(request.directory()));
  v1::Backup backup;
  backup.set_directory(checkpoint.directory);
  *backup.mutable_create_time() = ToProtoTime(now);
  backup.set_file_count(checkpoint.file_count);
  backup.set_size_bytes(checkpoint.size_bytes);
  backup.set_sequence_number(checkpoint.sequence_number);
  return backup;
}

}  // namespace rapport::admin
