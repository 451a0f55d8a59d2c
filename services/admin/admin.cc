#include "services/admin/admin.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "services/common/call.h"
#include "services/common/pagination.h"
#include "services/common/proto_time.h"
#include "services/common/scan_page.h"
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
  info.set_memtable_bytes(stats.memtable_bytes);
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
  // Not inside the live store: a copy of the data dir would carry it along.
  const std::filesystem::path data = std::filesystem::weakly_canonical(store_->options().data_dir, ec);
  const std::filesystem::path parent = std::filesystem::weakly_canonical(dir.parent_path(), ec);
  const auto [data_end, parent_it] = std::mismatch(data.begin(), data.end(), parent.begin(), parent.end());
  if (!data.empty() && data_end == data.end()) {
    return absl::InvalidArgumentError(absl::StrCat("directory ", request.directory(),
                                                   " is inside the data dir ", data.string(),
                                                   "; back up to another directory"));
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

absl::StatusOr<v1::ListAuditEntriesResponse> Admin::ListAuditEntries(
    const v1::ListAuditEntriesRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const bool has_start = request.has_start_time();
  const bool has_end = request.has_end_time();
  if (has_start && has_end && FromProtoTime(request.end_time()) < FromProtoTime(request.start_time())) {
    return absl::InvalidArgumentError("end_time must not be before start_time");
  }
  const uint64_t hash = FilterHash({"audit", request.principal(), request.method(),
                                    request.resource(), request.outcome(),
                                    request.start_time().SerializeAsString(),
                                    request.end_time().SerializeAsString()});
  storage::ScanOptions options;
  // Keys run newest first: the end bound is the lower key.
  if (has_end) options.lower = AuditKey(FromProtoTime(request.end_time()) - absl::Microseconds(1), "");
  if (has_start) {
    options.upper = AuditKey(FromProtoTime(request.start_time()) - absl::Microseconds(1), "");
  }
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(options.start_after, DecodePageToken(request.page_token(), hash));
  }
  // A bare method name matches the method of any service.
  const std::string method_suffix =
      absl::StrContains(request.method(), '/') ? "" : absl::StrCat("/", request.method());
  auto keep = [&](const v1::AuditEntry& e) {
    if (!request.principal().empty() && e.principal() != request.principal()) return false;
    if (!request.method().empty() && e.method() != request.method() &&
        !(!method_suffix.empty() && absl::EndsWith(e.method(), method_suffix))) {
      return false;
    }
    if (!request.resource().empty() && !absl::StartsWith(e.resource(), request.resource())) {
      return false;
    }
    if (request.outcome() == "FAILED") return e.outcome() != "OK";
    return request.outcome().empty() || e.outcome() == request.outcome();
  };
  v1::ListAuditEntriesResponse response;
  std::vector<v1::AuditEntry> entries;
  RETURN_IF_ERROR(ScanPage<v1::AuditEntry>(
      *store_, storage::Cf::kAudit, options, page_size, hash,
      [&keep](absl::string_view, absl::string_view value)
          -> absl::StatusOr<std::optional<v1::AuditEntry>> {
        v1::AuditEntry entry;
        if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return absl::DataLossError("a stored audit entry does not parse");
        }
        if (!keep(entry)) return std::optional<v1::AuditEntry>();
        return std::optional<v1::AuditEntry>(std::move(entry));
      },
      &entries, response.mutable_next_page_token()));
  for (auto& e : entries) *response.add_audit_entries() = std::move(e);
  return response;
}

}  // namespace rapport::admin
