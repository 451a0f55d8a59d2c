// GoogleTest matchers for absl::Status, absl::StatusOr and grpc::Status,
// shaped like Abseil's own: EXPECT_OK, ASSERT_OK, ASSERT_OK_AND_ASSIGN and
// StatusIs(code, message_matcher). A failure says which code and message came.
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"

namespace rapport::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
inline absl::Status GetStatus(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

template <typename CodeT, typename MessageMatcher>
class StatusIsMatcher {
 public:
  StatusIsMatcher(CodeT code, MessageMatcher message) : code_(code), message_(message) {}

  template <typename StatusLike>
  bool MatchAndExplain(const StatusLike& actual, ::testing::MatchResultListener* listener) const {
    const absl::Status status = GetStatus(actual);
    *listener << "which is " << status.ToString();
    if (static_cast<int>(status.code()) != static_cast<int>(code_)) return false;
    return ::testing::Matcher<const std::string&>(message_).Matches(std::string(status.message()));
  }
  void DescribeTo(std::ostream* os) const {
    *os << "has code " << absl::StatusCodeToString(static_cast<absl::StatusCode>(code_))
        << " and a message that ";
    ::testing::Matcher<const std::string&>(message_).DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have code "
        << absl::StatusCodeToString(static_cast<absl::StatusCode>(code_));
  }

 private:
  CodeT code_;
  MessageMatcher message_;
};

// Matches an absl::Status, absl::StatusOr or grpc::Status with `code` (an
// absl::StatusCode or grpc::StatusCode) and a message matching `message`.
template <typename CodeT, typename MessageMatcher>
::testing::PolymorphicMatcher<StatusIsMatcher<CodeT, MessageMatcher>> StatusIs(
    CodeT code, MessageMatcher message) {
  return ::testing::MakePolymorphicMatcher(StatusIsMatcher<CodeT, MessageMatcher>(code, message));
}
template <typename CodeT>
auto StatusIs(CodeT code) {
  return StatusIs(code, ::testing::_);
}

// Matches an OK status of any kind.
MATCHER(IsOk, "is OK") {
  const absl::Status status = ::rapport::testing::GetStatus(arg);
  *result_listener << "which is " << status.ToString();
  return status.ok();
}

}  // namespace rapport::testing

#define EXPECT_OK(expr) EXPECT_THAT(expr, ::rapport::testing::IsOk())
#define ASSERT_OK(expr) ASSERT_THAT(expr, ::rapport::testing::IsOk())

#define RAPPORT_TEST_CONCAT_INNER_(a, b) a##b
#define RAPPORT_TEST_CONCAT_(a, b) RAPPORT_TEST_CONCAT_INNER_(a, b)
// Asserts `rexpr` (an absl::StatusOr) is OK and moves its value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(RAPPORT_TEST_CONCAT_(statusor_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  ASSERT_OK(statusor.status());                          \
  lhs = std::move(statusor).value()
