// One page of a List: a scan of the store that turns entries into results
// (skipping filtered ones), stops at the page size and makes the token of
// the next page. Shared by every service's List methods.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/pagination.h"
#include "storage/status_macros.h"
#include "storage/store.h"

namespace rapport {

// Scans `cf` as `options` says. `resolve` turns an entry into a result, or
// nullopt to skip it (filtered out, or an index entry whose record moved
// on). Fills `out` with at most `page_size` results and `next_page_token`
// with the token resuming after the last one ("" at the end).
template <typename T>
absl::Status ScanPage(const storage::Store& store, storage::Cf cf, const storage::ScanOptions& options,
                      int page_size, uint64_t filter_hash,
                      const std::function<absl::StatusOr<std::optional<T>>(
                          absl::string_view key, absl::string_view value)>& resolve,
                      std::vector<T>* out, std::string* next_page_token) {
  absl::Status error;
  std::string last_key;
  bool more = false;
  RETURN_IF_ERROR(store.ForEach(cf, options, [&](absl::string_view key, absl::string_view value) {
    if (static_cast<int>(out->size()) == page_size) {
      more = true;
      return false;
    }
    auto item = resolve(key, value);
    if (!item.ok()) {
      error = item.status();
      return false;
    }
    if (item->has_value()) {
      out->push_back(std::move(**item));
      last_key = std::string(key);
    }
    return true;
  }));
  RETURN_IF_ERROR(error);
  next_page_token->clear();
  if (more) *next_page_token = EncodePageToken(last_key, filter_hash);
  return absl::OkStatus();
}

// ScanPage over records stored as `T` under `prefix`, kept when `keep` says so.
template <typename T>
absl::Status ScanRecordPage(const storage::Store& store, storage::Cf cf, const std::string& prefix,
                            int page_size, uint64_t filter_hash, const std::string& resume,
                            const std::function<bool(T&)>& keep, std::vector<T>* out,
                            std::string* next_page_token) {
  storage::ScanOptions options;
  options.prefix = prefix;
  options.start_after = resume;
  return ScanPage<T>(
      store, cf, options, page_size, filter_hash,
      [&keep](absl::string_view, absl::string_view value) -> absl::StatusOr<std::optional<T>> {
        T record;
        if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return absl::DataLossError("a stored record does not parse");
        }
        if (!keep(record)) return std::optional<T>();
        return std::optional<T>(std::move(record));
      },
      out, next_page_token);
}

}  // namespace rapport
