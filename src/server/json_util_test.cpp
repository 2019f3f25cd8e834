#include "server/json_util.h"

#include <gtest/gtest.h>

namespace hearth::server {
namespace {

TEST(MaxJsonDepth, CountsNestingAndIgnoresBracketsInStrings) {
  EXPECT_EQ(MaxJsonDepth("1"), 0);
  EXPECT_EQ(MaxJsonDepth("{\"a\": [1, {\"b\": []}]}"), 4);
  EXPECT_EQ(MaxJsonDepth("{\"a\": \"[[[[{{{{\"}"), 1);
  EXPECT_EQ(MaxJsonDepth("[\"\\\"[[[\"]"), 1);  // an escaped quote does not end the string
  EXPECT_EQ(MaxJsonDepth(std::string(100000, '[')), 100000);
}

TEST(ParseJsonBody, RejectsDeepNestingBeforeParsing) {
  // 100,000 levels would overflow the recursive parser's stack.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto parsed = ParseJsonBody(deep, 64);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("nested"), std::string::npos);
  EXPECT_TRUE(ParseJsonBody("[[[1]]]", 3).ok());
  EXPECT_FALSE(ParseJsonBody("[[[[1]]]]", 3).ok());
}

TEST(ParseJsonBody, RejectsMalformedEmptyAndInvalidUtf8) {
  EXPECT_FALSE(ParseJsonBody("", 64).ok());
  EXPECT_FALSE(ParseJsonBody("{\"a\": ", 64).ok());
  EXPECT_FALSE(ParseJsonBody("{\"a\": NaN}", 64).ok());
  EXPECT_FALSE(ParseJsonBody("{\"a\": \"\xff\xfe\"}", 64).ok());
  auto ok = ParseJsonBody("{\"a\": \"caf\xC3\xA9\"}", 64);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["a"], "caf\xC3\xA9");
}

TEST(IsValidUtf8, AcceptsWellFormedAndRejectsOverlongsSurrogatesAndTruncation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC \xF0\x9F\x98\x80"));  // euro sign, emoji
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));                      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));                  // UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));              // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));                      // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));                          // lone continuation
}

TEST(DumpJson, ReplacesInvalidUtf8InsteadOfThrowing) {
  Json value = {{"text", std::string("a\xFF"
                                     "b")}};
  EXPECT_EQ(DumpJson(value),
            "{\"text\":\"a\xEF\xBF\xBD"
            "b\"}");
}

TEST(EscapeForLog, EscapesControlCharactersAndTruncates) {
  EXPECT_EQ(EscapeForLog("GET /a\r\nX: 1"), "GET /a\\x0d\\x0aX: 1");
  EXPECT_EQ(EscapeForLog("\x1b[31m\"q\""), "\\x1b[31m\\\"q\\\"");
  EXPECT_EQ(EscapeForLog(std::string(50, 'x'), 10), std::string(10, 'x') + "...");
}

}  // namespace
}  // namespace hearth::server
