#include "sampling/tool_call_constraint.h"

#include <gtest/gtest.h>

#include "sampling/constraint_testing.h"

namespace hearth {
namespace {

using Json = nlohmann::ordered_json;

const Json kTools = Json::parse(R"([
  {"type":"function","function":{"name":"get_weather","description":"d","parameters":{
    "type":"object","properties":{"city":{"type":"string","maxLength":8},
    "unit":{"enum":["celsius","fahrenheit"]}},"required":["city"]}}},
  {"type":"function","function":{"name":"no_params"}},
  {"name":"bare","parameters":{"$defs":{"n":{"type":"integer"}},"type":"object",
    "properties":{"n":{"$ref":"#/$defs/n"}},"required":["n"],"additionalProperties":false}}])");

const Json* ParametersOf(const std::string& name) {
  for (const Json& tool : kTools) {
    const Json& function = tool.contains("function") ? tool["function"] : tool;
    if (function["name"] == name) {
      static const Json kAnyObject = {{"type", "object"}};
      return function.contains("parameters") ? &function["parameters"] : &kAnyObject;
    }
  }
  return nullptr;
}

// Checks the exact block format independently of chat/tool_call.h.
void ExpectValidCall(const std::string& text, const std::string& forced) {
  const std::string open = "<tool_call>\n", close = "\n</tool_call>";
  ASSERT_EQ(text.rfind(open, 0), 0u) << text;
  ASSERT_GE(text.size(), open.size() + close.size());
  ASSERT_EQ(text.substr(text.size() - close.size()), close) << text;
  const Json call = Json::parse(text.substr(open.size(), text.size() - open.size() - close.size()),
                                nullptr, false);
  ASSERT_TRUE(call.is_object()) << text;
  ASSERT_EQ(call.size(), 2u) << text;
  ASSERT_TRUE(call["name"].is_string()) << text;
  const std::string name = call["name"];
  if (!forced.empty()) {
    EXPECT_EQ(name, forced);
  }
  const Json* parameters = ParametersOf(name);
  ASSERT_NE(parameters, nullptr) << text;
  EXPECT_EQ(testing::ValidateAgainstSchema(call["arguments"], *parameters, *parameters), "")
      << text;
}

TEST(ToolCallConstraintTest, RandomCallsHaveTheExactFormat) {
  const auto vocab = testing::SyntheticVocab();
  for (const std::string forced : {"", "get_weather", "no_params", "bare"}) {
    int completed = 0;
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      auto constraint = MakeToolCallConstraint(kTools, forced, vocab);
      ASSERT_TRUE(constraint.ok()) << constraint.status().ToString();
      const auto walk = testing::RandomWalk(**constraint, *vocab, seed, 400);
      ASSERT_TRUE(walk.failure.empty()) << walk.failure;
      if (!walk.completed) continue;
      ++completed;
      ExpectValidCall(walk.text, forced);
    }
    EXPECT_GE(completed, 9) << forced;
  }
}

TEST(ToolCallConstraintTest, RejectsBadToolLists) {
  const auto vocab = testing::SyntheticVocab();
  const auto code = [&](const Json& tools, std::string_view forced) {
    return MakeToolCallConstraint(tools, forced, vocab).status().code();
  };
  EXPECT_EQ(code(Json::array(), ""), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Json::object(), ""), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Json::parse(R"([{"type":"function","function":{}}])"), ""),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(kTools, "missing"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Json::parse(R"([{"name":"f","parameters":{"type":"string","pattern":"a"}}])"), ""),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeToolCallConstraint(kTools, "", nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth
