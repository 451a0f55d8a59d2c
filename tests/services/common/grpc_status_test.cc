#include "services/common/grpc_status.h"

#include "gtest/gtest.h"

namespace rapport {
namespace {

TEST(GrpcStatusTest, EveryCodeKeepsItsNumberAndMessage) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status status(static_cast<absl::StatusCode>(code), code == 0 ? "" : "field x");
    const grpc::Status converted = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(converted.error_code()), code);
    EXPECT_EQ(converted.error_message(), code == 0 ? "" : "field x");
    EXPECT_NE(GrpcCodeName(converted.error_code()), code == 2 ? "" : "UNKNOWN");
  }
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::NOT_FOUND), "NOT_FOUND");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
}

}  // namespace
}  // namespace rapport
