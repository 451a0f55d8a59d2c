// Status helpers shared by every layer: the RETURN_IF_ERROR / ASSIGN_OR_RETURN
// pair (Debian's Abseil 20220623 has neither) and nothing else.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RAPPORT_STATUS_CONCAT_INNER_(a, b) a##b
#define RAPPORT_STATUS_CONCAT_(a, b) RAPPORT_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function with the status of `expr` (an
// absl::Status or absl::StatusOr) when it is not OK.
#define RETURN_IF_ERROR(expr)                                      \
  do {                                                             \
    const ::absl::Status rapport_status_ = ::rapport::ToStatus(expr); \
    if (!rapport_status_.ok()) return rapport_status_;             \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be a
// declaration (`ASSIGN_OR_RETURN(auto x, F());`).
#define ASSIGN_OR_RETURN(lhs, rexpr)                                                 \
  RAPPORT_ASSIGN_OR_RETURN_IMPL_(RAPPORT_STATUS_CONCAT_(rapport_statusor_, __LINE__), \
                                 lhs, rexpr)

#define RAPPORT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

namespace rapport {

inline const absl::Status& ToStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& ToStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace rapport
