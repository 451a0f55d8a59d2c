#include "services/common/resource.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/relationships.pb.h"
#include "tests/testing/status_matchers.h"

namespace rapport {
namespace {

using ::rapport::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ResourceTest, Ids) {
  EXPECT_OK(ValidateId("id", "acme-2"));
  EXPECT_OK(ValidateId("id", std::string(63, 'a')));
  EXPECT_THAT(ValidateId("id", std::string(64, 'a')), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateId("relationship_id", "-x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("relationship_id")));
  EXPECT_THAT(ValidateId("id", "Upper"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateId("id", ""), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string a = NewId(), b = NewId();
  EXPECT_NE(a, b);
  EXPECT_OK(ValidateId("id", a));
}

TEST(ResourceTest, Names) {
  EXPECT_EQ(ParseName("name", "relationships/acme", "relationships").value(), "acme");
  EXPECT_THAT(ParseName("name", "relationships/acme/x", "relationships"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("relationships/{id}")));
  EXPECT_THAT(ParseName("parent", "", "relationships"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parent is required")));
  auto ids = ParseChildName("name", "relationships/a/stakeholders/b", "relationships", "stakeholders");
  ASSERT_OK(ids.status());
  EXPECT_EQ(ids->first, "a");
  EXPECT_EQ(ids->second, "b");
  EXPECT_FALSE(ParseChildName("name", "relationships/a/opportunities/b", "relationships",
                              "stakeholders").ok());
}

TEST(ResourceTest, LengthsCountCharactersNotBytes) {
  EXPECT_EQ(Utf8Length("abc"), 3);
  EXPECT_EQ(Utf8Length("\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80"), 3);  // ä € 😀
  EXPECT_EQ(Utf8Length("\xc3"), -1);
  EXPECT_EQ(Utf8Length("\xff"), -1);
  EXPECT_OK(CheckLength("f", "\xc3\xa4\xc3\xa4", 1, 2));
  EXPECT_THAT(CheckLength("f", "abc", 1, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f is too long")));
  EXPECT_THAT(CheckLength("f", "", 1, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f is required")));
  EXPECT_THAT(CheckLength("f", "\xc3", 0, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
}

TEST(ResourceTest, TruncationCutsBetweenCharactersAndMarksTheCut) {
  EXPECT_EQ(TruncateUtf8("abc", 3), "abc");
  EXPECT_EQ(TruncateUtf8("abcd", 3), "ab\u2026");
  // ä € 😀 ö: two bytes, three, four, two.
  const std::string text = "\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xb6";
  EXPECT_EQ(TruncateUtf8(text, 4), text);
  EXPECT_EQ(TruncateUtf8(text, 3), "\xc3\xa4\xe2\x82\xac\u2026");
  EXPECT_EQ(Utf8Length(TruncateUtf8(text, 3)), 3);
  EXPECT_EQ(TruncateUtf8(text, 1), "\u2026");
  EXPECT_EQ(TruncateUtf8(text, 0), "");
  EXPECT_EQ(TruncateUtf8("", 5), "");
}

TEST(ResourceTest, FoldCaseLowersEveryScriptAndKeepsBadBytes) {
  EXPECT_EQ(FoldCase("Acme CORP"), "acme corp");
  EXPECT_EQ(FoldCase("Österreich ÄRZTE Øresund"), "österreich ärzte øresund");
  EXPECT_EQ(FoldCase("ΑΘΗΝΑ"), "αθηνα");
  EXPECT_EQ(FoldCase("МОСКВА"), "москва");
  EXPECT_EQ(FoldCase("straße"), "straße");
  EXPECT_EQ(FoldCase("a\xff" "B\xc3"), "a\xff" "b\xc3");  // Not UTF-8: kept.
  EXPECT_EQ(FoldCase(""), "");
}

TEST(ResourceTest, EnumsMasksEtags) {
  const auto* kind = v1::Relationship::Kind_descriptor();
  EXPECT_OK(CheckEnum("kind", kind, 0, false));
  EXPECT_THAT(CheckEnum("kind", kind, 0, true), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckEnum("kind", kind, 42, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown value 42")));
  google::protobuf::FieldMask mask;
  EXPECT_FALSE(CheckMask(mask, {"a"}).ok());
  mask.add_paths("a");
  EXPECT_OK(CheckMask(mask, {"a", "b"}));
  mask.add_paths("c");
  EXPECT_THAT(CheckMask(mask, {"a", "b"}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'c'")));
  EXPECT_OK(CheckEtag("r", "3", ""));
  EXPECT_OK(CheckEtag("r", "3", "3"));
  EXPECT_THAT(CheckEtag("r", "3", "2"), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(NextEtag("3"), "4");
  EXPECT_EQ(NextEtag(""), "1");
}

}  // namespace
}  // namespace rapport
