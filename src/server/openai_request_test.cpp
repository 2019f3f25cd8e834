#include "server/openai_request.h"

#include <gtest/gtest.h>

namespace hearth::server {
namespace {

Json Chat(Json extra = Json::object()) {
  Json body = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  for (auto& [key, value] : extra.items()) body[key] = value;
  return body;
}

// The parameter an invalid body is blamed on ("" if it was accepted).
std::string Rejected(const Json& body) {
  auto parsed = ParseChatCompletionRequest(body, RequestLimits{});
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.error().http_status, 400);
  EXPECT_EQ(parsed.error().type, "invalid_request_error");
  return parsed.error().param.empty() ? "<body>" : parsed.error().param;
}

TEST(OpenAiRequest, ParsesAFullChatRequest) {
  Json body = Chat({{"max_tokens", 12},
                    {"temperature", 0},
                    {"top_p", 0.5},
                    {"top_k", 7},
                    {"min_p", 0.1},
                    {"presence_penalty", 0.5},
                    {"frequency_penalty", -0.5},
                    {"repeat_penalty", 1.1},
                    {"seed", 42},
                    {"stop", {"\n", "END"}},
                    {"n", 3},
                    {"stream", true},
                    {"stream_options", {{"include_usage", true}}},
                    {"logprobs", true},
                    {"top_logprobs", 2},
                    {"logit_bias", {{"5", -100}, {"7", 2.5}}},
                    {"user", "someone"},
                    {"some_future_field", {1, 2, 3}}});
  auto parsed = ParseChatCompletionRequest(body, RequestLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const GenerationSpec& spec = parsed.value();
  EXPECT_EQ(spec.model, "m");
  EXPECT_EQ(spec.max_tokens, 12);
  EXPECT_EQ(spec.sampling.temperature, 0.0f);
  EXPECT_FLOAT_EQ(spec.sampling.top_p, 0.5f);
  EXPECT_EQ(spec.sampling.top_k, 7);
  EXPECT_FLOAT_EQ(spec.sampling.min_p, 0.1f);
  EXPECT_FLOAT_EQ(spec.sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(spec.sampling.frequency_penalty, -0.5f);
  EXPECT_FLOAT_EQ(spec.sampling.repeat_penalty, 1.1f);
  EXPECT_TRUE(spec.seed_given);
  EXPECT_EQ(spec.sampling.seed, 42u);
  EXPECT_EQ(spec.stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_EQ(spec.n, 3);
  EXPECT_TRUE(spec.stream);
  EXPECT_TRUE(spec.include_usage);
  EXPECT_TRUE(spec.logprobs);
  EXPECT_EQ(spec.top_logprobs, 2);
  ASSERT_EQ(spec.sampling.logit_bias.size(), 2u);
  EXPECT_EQ(spec.sampling.logit_bias[0].token, 5);
  EXPECT_EQ(spec.sampling.logit_bias[0].bias, -100.0f);
  EXPECT_EQ(spec.messages, Json::parse(R"([{"role":"user","content":"hi"}])"));
}

TEST(OpenAiRequest, DefaultsWhenFieldsAreAbsent) {
  RequestLimits limits;
  limits.max_tokens_cap = 300;
  auto parsed = ParseChatCompletionRequest(Chat(), limits);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().max_tokens, 300);
  EXPECT_FALSE(parsed.value().seed_given);
  EXPECT_FALSE(parsed.value().stream);
  EXPECT_EQ(parsed.value().n, 1);
  EXPECT_EQ(parsed.value().format, ResponseFormat::kText);
  EXPECT_FALSE(parsed.value().wants_tool_calls());
  // max_completion_tokens is the newer name of the same limit; a stop string alone works.
  auto newer =
      ParseChatCompletionRequest(Chat({{"max_completion_tokens", 5}, {"stop", "x"}}), limits);
  ASSERT_TRUE(newer.ok());
  EXPECT_EQ(newer.value().max_tokens, 5);
  EXPECT_EQ(newer.value().stop, std::vector<std::string>{"x"});
}

TEST(OpenAiRequest, RejectsInvalidValuesNamingTheField) {
  EXPECT_EQ(Rejected(Chat({{"max_tokens", -1}})), "max_tokens");
  EXPECT_EQ(Rejected(Chat({{"max_tokens", 0}})), "max_tokens");
  EXPECT_EQ(Rejected(Chat({{"max_tokens", 1e12}})), "max_tokens");
  EXPECT_EQ(Rejected(Chat({{"max_tokens", 2.5}})), "max_tokens");
  EXPECT_EQ(Rejected(Chat({{"max_tokens", "10"}})), "max_tokens");
  EXPECT_EQ(Rejected(Chat({{"temperature", -0.1}})), "temperature");
  EXPECT_EQ(Rejected(Chat({{"temperature", 1e308 * 10}})), "temperature");  // inf
  EXPECT_EQ(Rejected(Chat({{"temperature", "hot"}})), "temperature");
  EXPECT_EQ(Rejected(Chat({{"top_p", 1.5}})), "top_p");
  EXPECT_EQ(Rejected(Chat({{"top_k", -3}})), "top_k");
  EXPECT_EQ(Rejected(Chat({{"min_p", 2}})), "min_p");
  EXPECT_EQ(Rejected(Chat({{"presence_penalty", 3}})), "presence_penalty");
  EXPECT_EQ(Rejected(Chat({{"frequency_penalty", -2.5}})), "frequency_penalty");
  EXPECT_EQ(Rejected(Chat({{"repeat_penalty", 0}})), "repeat_penalty");
  EXPECT_EQ(Rejected(Chat({{"seed", "x"}})), "seed");
  EXPECT_EQ(Rejected(Chat({{"n", 0}})), "n");
  EXPECT_EQ(Rejected(Chat({{"n", 100}})), "n");
  EXPECT_EQ(Rejected(Chat({{"stop", 5}})), "stop");
  EXPECT_EQ(Rejected(Chat({{"stop", {"a", 1}}})), "stop");
  EXPECT_EQ(Rejected(Chat({{"stop", Json(std::vector<std::string>(17, "s"))}})), "stop");
  EXPECT_EQ(Rejected(Chat({{"stream", "yes"}})), "stream");
  EXPECT_EQ(Rejected(Chat({{"logit_bias", {{"abc", 1}}}})), "logit_bias");
  EXPECT_EQ(Rejected(Chat({{"logit_bias", {{"-1", 1}}}})), "logit_bias");
  EXPECT_EQ(Rejected(Chat({{"logit_bias", {{"5", 101}}}})), "logit_bias");
  EXPECT_EQ(Rejected(Chat({{"logit_bias", {1, 2}}})), "logit_bias");
  EXPECT_EQ(Rejected(Chat({{"top_logprobs", 3}})), "top_logprobs");  // needs logprobs
  EXPECT_EQ(Rejected(Chat({{"logprobs", true}, {"top_logprobs", 21}})), "top_logprobs");
  EXPECT_EQ(Rejected(Json::array()), "<body>");
}

TEST(OpenAiRequest, ValidatesMessages) {
  EXPECT_EQ(Rejected({{"messages", Json::array()}}), "messages");
  EXPECT_EQ(Rejected({{"messages", "hi"}}), "messages");
  EXPECT_EQ(Rejected({{"messages", {{{"role", "wizard"}, {"content", "x"}}}}}), "messages[0].role");
  EXPECT_EQ(Rejected({{"messages", {{{"role", "user"}, {"content", 5}}}}}), "messages[0].content");
  EXPECT_EQ(Rejected({{"messages", {1}}}), "messages[0]");
  Json image = {{"role", "user"},
                {"content", {{{"type", "image_url"}, {"image_url", {{"url", "x"}}}}}}};
  EXPECT_EQ(Rejected({{"messages", {image}}}), "messages[0].content");
  RequestLimits limits;
  limits.max_messages = 2;
  Json three = Json::array();
  for (int i = 0; i < 3; ++i) three.push_back({{"role", "user"}, {"content", "x"}});
  EXPECT_FALSE(ParseChatCompletionRequest({{"messages", three}}, limits).ok());
}

TEST(OpenAiRequest, NormalizesMessagesForTheTemplate) {
  Json messages = Json::parse(R"([
    {"role": "developer", "content": "be brief"},
    {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
      "function": {"name": "f", "arguments": "{\"x\": 1}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "42"}])");
  auto parsed = ParseChatCompletionRequest({{"messages", messages}}, RequestLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const Json& out = parsed.value().messages;
  EXPECT_EQ(out[0]["role"], "system");
  EXPECT_EQ(out[1]["content"], "ab");
  EXPECT_EQ(out[2]["content"], "");
  EXPECT_EQ(out[2]["tool_calls"][0]["function"]["arguments"], Json::parse(R"({"x": 1})"));
  EXPECT_EQ(out[3]["tool_call_id"], "call_1");
}

TEST(OpenAiRequest, ResponseFormats) {
  auto object = ParseChatCompletionRequest(Chat({{"response_format", {{"type", "json_object"}}}}),
                                           RequestLimits{});
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object.value().format, ResponseFormat::kJsonObject);
  Json schema = {{"type", "object"}, {"properties", {{"a", {{"type", "integer"}}}}}};
  auto with_schema = ParseChatCompletionRequest(
      Chat({{"response_format",
             {{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", schema}}}}}}),
      RequestLimits{});
  ASSERT_TRUE(with_schema.ok());
  EXPECT_EQ(with_schema.value().format, ResponseFormat::kJsonSchema);
  EXPECT_EQ(with_schema.value().schema, schema);
  EXPECT_EQ(Rejected(Chat({{"response_format", {{"type", "xml"}}}})), "response_format.type");
  EXPECT_EQ(Rejected(Chat({{"response_format", {{"type", "json_schema"}}}})),
            "response_format.json_schema");
  // A schema deeper than the limit is refused before anything compiles it.
  Json deep = {{"type", "object"}};
  for (int i = 0; i < 40; ++i) deep = {{"type", "object"}, {"properties", {{"a", deep}}}};
  EXPECT_EQ(Rejected(Chat({{"response_format",
                            {{"type", "json_schema"}, {"json_schema", {{"schema", deep}}}}}})),
            "response_format.json_schema.schema");
}

TEST(OpenAiRequest, ToolsAndToolChoice) {
  Json tools = Json::parse(R"([{"type": "function", "function": {"name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
  auto automatic = ParseChatCompletionRequest(Chat({{"tools", tools}}), RequestLimits{});
  ASSERT_TRUE(automatic.ok());
  EXPECT_EQ(automatic.value().tool_choice, ToolChoice::kAuto);
  EXPECT_TRUE(automatic.value().wants_tool_calls());
  auto required = ParseChatCompletionRequest(Chat({{"tools", tools}, {"tool_choice", "required"}}),
                                             RequestLimits{});
  ASSERT_TRUE(required.ok());
  EXPECT_EQ(required.value().tool_choice, ToolChoice::kRequired);
  auto named = ParseChatCompletionRequest(
      Chat({{"tools", tools},
            {"tool_choice", {{"type", "function"}, {"function", {{"name", "get_weather"}}}}}}),
      RequestLimits{});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named.value().tool_choice, ToolChoice::kFunction);
  EXPECT_EQ(named.value().forced_function, "get_weather");
  auto none = ParseChatCompletionRequest(Chat({{"tools", tools}, {"tool_choice", "none"}}),
                                         RequestLimits{});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().wants_tool_calls());
  EXPECT_EQ(
      Rejected(Chat({{"tools", tools},
                     {"tool_choice", {{"type", "function"}, {"function", {{"name", "x"}}}}}})),
      "tool_choice");
  EXPECT_EQ(Rejected(Chat({{"tools", tools}, {"tool_choice", "sometimes"}})), "tool_choice");
  EXPECT_EQ(
      Rejected(Chat({{"tools", {{{"type", "function"}, {"function", {{"name", "bad name!"}}}}}}})),
      "tools[0].function.name");
  EXPECT_EQ(Rejected(Chat({{"tools", "x"}})), "tools");
}

TEST(OpenAiRequest, CompletionPrompts) {
  auto text = ParseCompletionRequest({{"prompt", "Once"}, {"logprobs", 2}}, RequestLimits{});
  ASSERT_TRUE(text.ok());
  EXPECT_FALSE(text.value().chat);
  EXPECT_EQ(text.value().prompt, "Once");
  EXPECT_TRUE(text.value().logprobs);
  EXPECT_EQ(text.value().top_logprobs, 2);
  auto one = ParseCompletionRequest({{"prompt", {"Once"}}}, RequestLimits{});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.value().prompt, "Once");
  auto ids = ParseCompletionRequest({{"prompt", {1, 2, 3}}}, RequestLimits{});
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids.value().prompt_is_tokens);
  EXPECT_EQ(ids.value().prompt_tokens, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_FALSE(ParseCompletionRequest(Json::object(), RequestLimits{}).ok());
  EXPECT_FALSE(ParseCompletionRequest({{"prompt", {1, -2}}}, RequestLimits{}).ok());
  EXPECT_FALSE(ParseCompletionRequest({{"prompt", "x"}, {"logprobs", 6}}, RequestLimits{}).ok());
}

TEST(OpenAiRequest, VocabularyChecks) {
  auto spec = ParseChatCompletionRequest(Chat({{"logit_bias", {{"7", 1}}}}), RequestLimits{});
  ASSERT_TRUE(spec.ok());
  EXPECT_FALSE(CheckAgainstVocabulary(spec.value(), 8).has_value());
  auto outside = CheckAgainstVocabulary(spec.value(), 7);
  ASSERT_TRUE(outside.has_value());
  EXPECT_EQ(outside->param, "logit_bias");
  auto ids = ParseCompletionRequest({{"prompt", {1, 99}}}, RequestLimits{});
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(CheckAgainstVocabulary(ids.value(), 50).has_value());
}

TEST(OpenAiRequest, Embeddings) {
  auto one = ParseEmbeddingRequest({{"input", "hello"}, {"model", "m"}}, RequestLimits{});
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one.value().inputs.size(), 1u);
  EXPECT_EQ(one.value().inputs[0].text, "hello");
  auto many = ParseEmbeddingRequest({{"input", {"a", "b"}}}, RequestLimits{});
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many.value().inputs.size(), 2u);
  auto ids = ParseEmbeddingRequest({{"input", {{1, 2}, {3}}}}, RequestLimits{});
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids.value().inputs[1].tokens, std::vector<int32_t>{3});
  EXPECT_FALSE(ParseEmbeddingRequest({{"input", 5}}, RequestLimits{}).ok());
  EXPECT_FALSE(ParseEmbeddingRequest({{"input", ""}}, RequestLimits{}).ok());
  EXPECT_FALSE(ParseEmbeddingRequest(Json::object(), RequestLimits{}).ok());
}

}  // namespace
}  // namespace hearth::server
