#include "chat/tool_call.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace hearth {
namespace {

using Json = nlohmann::json;

TEST(ParseToolCallsTest, PlainTextHasNoCalls) {
  const ParsedReply reply = ParseToolCalls("  The weather is nice.\n");
  EXPECT_EQ(reply.content, "The weather is nice.");
  EXPECT_TRUE(reply.tool_calls.empty());
}

TEST(ParseToolCallsTest, OneWellFormedBlock) {
  const ParsedReply reply = ParseToolCalls(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "</tool_call>");
  ASSERT_EQ(reply.tool_calls.size(), 1u);
  EXPECT_EQ(reply.tool_calls[0].name, "get_weather");
  EXPECT_EQ(Json::parse(reply.tool_calls[0].arguments), Json({{"city", "Paris"}}));
  EXPECT_EQ(reply.tool_calls[0].id.rfind("call_", 0), 0u);
  EXPECT_EQ(reply.tool_calls[0].id.size(), 29u);
  EXPECT_EQ(reply.content, "");
}

TEST(ParseToolCallsTest, SeveralBlocksWithTextAndLooseWhitespace) {
  const ParsedReply reply = ParseToolCalls(
      "Let me check.\n<tool_call>{\"name\":\"a\",\"arguments\":{}}</tool_call>\n"
      "<tool_call>\n\n  {\"name\": \"b\",\n \"arguments\": {\"x\": [1, 2]}}  \n</tool_call> done");
  ASSERT_EQ(reply.tool_calls.size(), 2u);
  EXPECT_EQ(reply.tool_calls[0].name, "a");
  EXPECT_EQ(reply.tool_calls[0].arguments, "{}");
  EXPECT_EQ(reply.tool_calls[1].name, "b");
  EXPECT_EQ(Json::parse(reply.tool_calls[1].arguments), Json::parse(R"({"x":[1,2]})"));
  EXPECT_NE(reply.tool_calls[0].id, reply.tool_calls[1].id);
  EXPECT_EQ(reply.content, "Let me check.\n\n done");
}

TEST(ParseToolCallsTest, ArgumentsAsStringOrParametersOrMissing) {
  const ParsedReply reply = ParseToolCalls(
      "<tool_call>{\"name\": \"s\", \"arguments\": \"{\\\"k\\\": 1}\"}</tool_call>"
      "<tool_call>{\"name\": \"p\", \"parameters\": {\"k\": 2}}</tool_call>"
      "<tool_call>{\"name\": \"m\"}</tool_call>");
  ASSERT_EQ(reply.tool_calls.size(), 3u);
  EXPECT_EQ(Json::parse(reply.tool_calls[0].arguments), Json({{"k", 1}}));
  EXPECT_EQ(Json::parse(reply.tool_calls[1].arguments), Json({{"k", 2}}));
  EXPECT_EQ(reply.tool_calls[2].arguments, "{}");
}

TEST(ParseToolCallsTest, MalformedBlocksStayAsText) {
  const char* malformed[] = {
      "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": }</tool_call>",  // bad JSON
      "<tool_call>{\"arguments\": {}}</tool_call>",                         // no name
      "<tool_call>{\"name\": 3, \"arguments\": {}}</tool_call>",            // name not a string
      "<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>",  // arguments not an object
      "<tool_call>{\"name\": \"f\", \"arguments\": \"not json\"}</tool_call>",
      "<tool_call>[1, 2]</tool_call>",
      "<tool_call>{\"name\": \"f\", \"argu",  // cut off mid-JSON
  };
  for (const char* text : malformed) {
    const ParsedReply reply = ParseToolCalls(text);
    EXPECT_TRUE(reply.tool_calls.empty()) << text;
    EXPECT_EQ(reply.content, text);
  }
}

TEST(ParseToolCallsTest, UnclosedFinalBlockWithCompleteJson) {
  const ParsedReply reply =
      ParseToolCalls("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"q\": true}}\n");
  ASSERT_EQ(reply.tool_calls.size(), 1u);
  EXPECT_EQ(reply.tool_calls[0].name, "f");
  EXPECT_EQ(reply.content, "");
}

TEST(ParseToolCallsTest, BareJsonObjectAsWholeOutput) {
  ParsedReply reply = ParseToolCalls(" {\"name\": \"f\", \"arguments\": {\"n\": 1}} ");
  ASSERT_EQ(reply.tool_calls.size(), 1u);
  EXPECT_EQ(reply.tool_calls[0].name, "f");
  EXPECT_EQ(reply.content, "");
  reply = ParseToolCalls("```json\n{\"name\": \"g\", \"arguments\": {}}\n```");
  ASSERT_EQ(reply.tool_calls.size(), 1u);
  EXPECT_EQ(reply.tool_calls[0].name, "g");
  // A JSON answer that is not a call stays content.
  reply = ParseToolCalls("{\"answer\": 42}");
  EXPECT_TRUE(reply.tool_calls.empty());
  EXPECT_EQ(reply.content, "{\"answer\": 42}");
  // A bare object inside other text is not a call.
  reply = ParseToolCalls("Call {\"name\": \"f\", \"arguments\": {}} now");
  EXPECT_TRUE(reply.tool_calls.empty());
}

TEST(ParseToolCallsTest, IdsAreUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    ids.insert(ParseToolCalls("<tool_call>{\"name\": \"f\"}</tool_call>").tool_calls.at(0).id);
  }
  EXPECT_EQ(ids.size(), 200u);
}

}  // namespace
}  // namespace hearth
