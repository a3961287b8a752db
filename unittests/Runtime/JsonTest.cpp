//===- JsonTest.cpp - the runtime's JSON reader ---------------------------===//

#include "nngc/Runtime/Json.h"

#include <gtest/gtest.h>

using namespace nngc::rt;

TEST(Json, ParsesNestedDocuments) {
  Json j = Json::parse(R"({"a": [1, 2.5, -3e2], "b": {"c": "x\ny\u00e9"},
                           "t": true, "f": false, "n": null})");
  EXPECT_EQ(j.at("a").asIntVector(), (std::vector<int64_t>{1, 2, -300}));
  EXPECT_DOUBLE_EQ(j.at("a").array[1].asNumber(), 2.5);
  EXPECT_EQ(j.at("b").at("c").asString(), "x\ny\xc3\xa9");
  EXPECT_TRUE(j.at("t").boolean);
  EXPECT_FALSE(j.at("f").boolean);
  EXPECT_FALSE(j.has("n")); // null counts as absent
  EXPECT_FALSE(j.has("missing"));
}

TEST(Json, RejectsMalformedText) {
  EXPECT_THROW(Json::parse("{\"a\": }"), std::runtime_error);
  EXPECT_THROW(Json::parse("[1, 2"), std::runtime_error);
  EXPECT_THROW(Json::parse("{} trailing"), std::runtime_error);
  EXPECT_THROW(Json::parse("\"unterminated"), std::runtime_error);
}

TEST(Json, ReportsMissingKeysAndWrongKinds) {
  Json j = Json::parse(R"({"a": "text"})");
  EXPECT_THROW(j.at("b"), std::runtime_error);
  EXPECT_THROW(j.at("a").asNumber(), std::runtime_error);
}

TEST(Json, QuotesStrings) {
  EXPECT_EQ(jsonQuote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(Json::parse(jsonQuote("tab\there")).asString(), "tab\there");
}
