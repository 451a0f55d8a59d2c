#include "storage/key_codec.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace rapport::storage {
namespace {

TEST(KeyCodecTest, IntegersRoundTripAndSortLikeNumbers) {
  const std::vector<int64_t> values = {std::numeric_limits<int64_t>::min(), -1000, -1, 0, 1, 255,
                                       256, std::numeric_limits<int64_t>::max()};
  std::vector<std::string> encoded;
  for (int64_t v : values) {
    std::string s;
    AppendInt64(&s, v);
    absl::string_view in = s;
    EXPECT_EQ(ConsumeInt64(&in), v);
    EXPECT_TRUE(in.empty());
    encoded.push_back(s);
  }
  EXPECT_TRUE(std::is_sorted(encoded.begin(), encoded.end()));

  std::string u;
  AppendUint64(&u, 0x0102030405060708ull);
  AppendUint32(&u, 0xA0B0C0D0u);
  absl::string_view in = u;
  EXPECT_EQ(ConsumeUint64(&in), 0x0102030405060708ull);
  EXPECT_EQ(ConsumeUint32(&in), 0xA0B0C0D0u);
  EXPECT_FALSE(ConsumeUint32(&in).has_value());
}

TEST(KeyCodecTest, TimesRoundTripAtMicrosecondsAndSort) {
  const absl::Time before_epoch = absl::FromUnixMicros(-5);
  const absl::Time t = absl::FromUnixMicros(1795000000123456);
  std::string a, b;
  AppendTime(&a, before_epoch);
  AppendTime(&b, t);
  EXPECT_LT(a, b);
  absl::string_view in = b;
  EXPECT_EQ(ConsumeTime(&in), t);
}

TEST(KeyCodecTest, OrderedStringsKeepOrderAndEmbeddedZeros) {
  const std::vector<std::string> values = {"", std::string("a\0", 2), std::string("a\0b", 3),
                                           "a", "ab", "b", "\xff"};
  std::vector<std::string> sorted_values = values;
  std::sort(sorted_values.begin(), sorted_values.end());
  std::vector<std::string> encoded;
  for (const auto& v : sorted_values) {
    std::string s;
    AppendOrderedString(&s, v);
    AppendUint32(&s, 7);  // Something after the string.
    absl::string_view in = s;
    EXPECT_EQ(ConsumeOrderedString(&in), v);
    EXPECT_EQ(ConsumeUint32(&in), 7u);
    encoded.push_back(s);
  }
  EXPECT_TRUE(std::is_sorted(encoded.begin(), encoded.end()));
}

TEST(KeyCodecTest, MalformedOrderedStringIsRejected) {
  absl::string_view unterminated = "abc";
  EXPECT_FALSE(ConsumeOrderedString(&unterminated).has_value());
  const std::string bad_escape("a\0\x05", 3);
  absl::string_view in = bad_escape;
  EXPECT_FALSE(ConsumeOrderedString(&in).has_value());
}

TEST(KeyCodecTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixSuccessor("\xff\xff"), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
}

TEST(KeyCodecTest, CountersRoundTrip) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{42}, std::numeric_limits<int64_t>::min()}) {
    EXPECT_EQ(DecodeCounter(EncodeCounter(v)), v);
  }
  EXPECT_FALSE(DecodeCounter("short").has_value());
}

TEST(KeyCodecTest, CounterRowsAddCellByCell) {
  const std::string third = EncodeCounterCell(2, -4);
  ASSERT_EQ(CounterCellCount(third), 3u);
  EXPECT_EQ(CounterCell(third, 0), 0);
  EXPECT_EQ(CounterCell(third, 1), 0);
  EXPECT_EQ(CounterCell(third, 2), -4);
  // A one-cell row is a plain counter.
  EXPECT_EQ(EncodeCounterCell(0, 9), EncodeCounter(9));

  std::string row = EncodeCounter(5);
  ASSERT_TRUE(AddCounterCells(&row, third));  // Grows to three cells.
  ASSERT_TRUE(AddCounterCells(&row, EncodeCounterCell(1, 7)));
  ASSERT_TRUE(AddCounterCells(&row, EncodeCounter(std::numeric_limits<int64_t>::max())));
  ASSERT_EQ(CounterCellCount(row), 3u);
  EXPECT_EQ(CounterCell(row, 0), std::numeric_limits<int64_t>::min() + 4);  // Wraps.
  EXPECT_EQ(CounterCell(row, 1), 7);
  EXPECT_EQ(CounterCell(row, 2), -4);

  const std::string before = row;
  EXPECT_FALSE(AddCounterCells(&row, "seven b"));
  EXPECT_EQ(row, before);
  std::string empty;
  EXPECT_FALSE(AddCounterCells(&empty, EncodeCounter(1)));
  EXPECT_FALSE(CounterCellCount("").has_value());
  EXPECT_FALSE(CounterCellCount("123456789").has_value());
  EXPECT_FALSE(DecodeCounter(third).has_value());
}

TEST(KeyCodecTest, ScheduleKeysRoundTripAndSortByDueTime) {
  const ScheduleKey early{absl::FromUnixSeconds(100), "sla.breach", std::string("t\0x", 3)};
  const ScheduleKey late{absl::FromUnixSeconds(200), "a", "k"};
  EXPECT_EQ(DecodeScheduleKey(EncodeScheduleKey(early)), early);
  EXPECT_EQ(DecodeScheduleKey(EncodeScheduleKey(late)), late);
  EXPECT_LT(EncodeScheduleKey(early), EncodeScheduleKey(late));
  EXPECT_FALSE(DecodeScheduleKey("xx").has_value());
}

TEST(KeyCodecTest, IdempotencyKeysSeparateMethodAndRequest) {
  EXPECT_NE(EncodeIdempotencyKey("ab", "c"), EncodeIdempotencyKey("a", "bc"));
  std::string key = EncodeIdempotencyKey("Create", "r1");
  absl::string_view in = key;
  EXPECT_EQ(ConsumeOrderedString(&in), "Create");
  EXPECT_EQ(ConsumeOrderedString(&in), "r1");
}

}  // namespace
}  // namespace rapport::storage

namespace rapport::storage {
namespace {

TEST(RelationshipKeysTest, RoundTripAndOrder) {
  namespace k = relkeys;
  EXPECT_EQ(k::ChildIdOf(k::Child(k::kStakeholder, "acme", "cfo")), "cfo");
  EXPECT_TRUE(absl::StartsWith(k::Child(k::kStakeholder, "acme", "cfo"),
                               k::ChildPrefix(k::kStakeholder, "acme")));
  // A relationship's children never fall under another id's prefix.
  EXPECT_FALSE(absl::StartsWith(k::Child(k::kStakeholder, "acme-2", "x"),
                                k::ChildPrefix(k::kStakeholder, "acme")));
  EXPECT_EQ(k::IdFromByName(k::ByName("acme corp", "acme")), "acme");
  EXPECT_TRUE(absl::StartsWith(k::ByName("acme corp", "acme"), k::ByNamePrefix("acme")));
  EXPECT_LT(k::ByName("a", "z"), k::ByName("b", "a"));
  EXPECT_EQ(k::IdFromByUpdate(k::ByUpdate(absl::FromUnixSeconds(5), "x")), "x");
  // Newest first.
  EXPECT_LT(k::ByUpdate(absl::FromUnixSeconds(9), "x"), k::ByUpdate(absl::FromUnixSeconds(5), "x"));
  EXPECT_EQ(k::ChildFromByParent(k::ByParent("p", "c")), "c");
  auto it = k::DecodeInteractionByTime(k::InteractionByTime("r", absl::FromUnixSeconds(7), "i"));
  ASSERT_TRUE(it.has_value());
  EXPECT_EQ(it->relationship_id, "r");
  EXPECT_EQ(it->occur_time, absl::FromUnixSeconds(7));
  EXPECT_EQ(it->interaction_id, "i");
  auto fu = k::DecodeFollowUpByDue(k::FollowUpByDue(absl::FromUnixSeconds(3), "r", "i", 4));
  ASSERT_TRUE(fu.has_value());
  EXPECT_EQ(fu->due, absl::FromUnixSeconds(3));
  EXPECT_EQ(fu->index, 4u);
  EXPECT_LT(k::FollowUpByDue(absl::FromUnixSeconds(3), "z", "z", 9),
            k::FollowUpByDue(absl::FromUnixSeconds(4), "a", "a", 0));
  auto count = k::DecodeCountByKindTierStatus(k::CountByKindTierStatus(2, 1, 3));
  ASSERT_TRUE(count.has_value());
  EXPECT_EQ(count->kind, 2u);
  EXPECT_EQ(count->tier, 1u);
  EXPECT_EQ(count->status, 3u);
  EXPECT_FALSE(k::IdFromByName("xx").has_value());
}

}  // namespace
}  // namespace rapport::storage
