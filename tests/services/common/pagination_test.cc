#include "services/common/pagination.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rapport {
namespace {

using ::rapport::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PaginationTest, PageSizeDefaultsClampsAndRefusesNegative) {
  EXPECT_EQ(ResolvePageSize(0).value(), kDefaultPageSize);
  EXPECT_EQ(ResolvePageSize(7).value(), 7);
  EXPECT_EQ(ResolvePageSize(kMaxPageSize + 1).value(), kMaxPageSize);
  EXPECT_THAT(ResolvePageSize(-1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
}

TEST(PaginationTest, TokenRoundTripsWithTheSameFilter) {
  const uint64_t filter = FilterHash({"kind=customer", "order=name"});
  const std::string token = EncodePageToken(std::string("key\0with\xffzero", 13), filter);
  EXPECT_EQ(DecodePageToken(token, filter).value(), std::string("key\0with\xffzero", 13));
  EXPECT_EQ(DecodePageToken("", filter).value(), "");
}

TEST(PaginationTest, TokenFromAnotherFilterIsRefused) {
  const std::string token = EncodePageToken("k", FilterHash({"kind=customer"}));
  EXPECT_THAT(DecodePageToken(token, FilterHash({"kind=supplier"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different filter")));
}

TEST(PaginationTest, MalformedTokenIsRefused) {
  EXPECT_THAT(DecodePageToken("!!!not base64", 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  EXPECT_THAT(DecodePageToken("AAAA", 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST(PaginationTest, FilterHashIsStableAndSeparatesParts) {
  // Tokens outlive processes: the hash must not change between runs.
  EXPECT_EQ(FilterHash({}), 14695981039346656037ull);
  EXPECT_NE(FilterHash({"ab", "c"}), FilterHash({"a", "bc"}));
  EXPECT_EQ(FilterHash({"x", "y"}), FilterHash({"x", "y"}));
}

}  // namespace
}  // namespace rapport
