#include "server/openai_response.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/engine_test_fakes.h"

namespace hearth::server {
namespace {

GenerationOutcome TwoTokens() {
  GenerationOutcome outcome;
  ChoiceOutput choice;
  choice.text = "ab";
  SampledToken a;
  a.token = 2;
  a.prob = 0.5f;
  a.top = {{2, 0.5f}, {3, 0.25f}};
  SampledToken b;
  b.token = 3;
  b.prob = 0.0f;  // impossible under the model: reported as -9999, not -inf
  choice.tokens = {a, b};
  choice.stop_reason = StopReason::kMaxTokens;
  outcome.choices.push_back(choice);
  outcome.prompt_tokens = 5;
  outcome.completion_tokens = 2;
  outcome.cached_tokens = 3;
  return outcome;
}

const ResponseIdentity kId{"chatcmpl-1", 1700000000, "m"};

TEST(OpenAiResponse, ChatCompletionWithLogprobs) {
  hearth::testing::FakeTokenizer tokenizer;
  ChoiceMessage message;
  message.content = "ab";
  message.finish_reason = "length";
  const Json response = ChatCompletionJson(kId, {message}, TwoTokens(), true, tokenizer);
  const Json expected = Json::parse(R"({
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ab"},
      "logprobs": {"content": [
        {"token": "a", "logprob": -0.6931471805599453, "bytes": [97],
         "top_logprobs": [{"token": "a", "logprob": -0.6931471805599453, "bytes": [97]},
                          {"token": "b", "logprob": -1.3862943611198906, "bytes": [98]}]},
        {"token": "b", "logprob": -9999.0, "bytes": [98], "top_logprobs": []}]},
      "finish_reason": "length"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7,
              "prompt_tokens_details": {"cached_tokens": 3}}})");
  EXPECT_EQ(response, expected) << response.dump(2);
}

TEST(OpenAiResponse, ToolCallsMakeContentNull) {
  hearth::testing::FakeTokenizer tokenizer;
  ChoiceMessage message;
  message.tool_calls = Json::parse(
      R"([{"id": "call_x", "type": "function", "function": {"name": "f", "arguments": "{}"}}])");
  message.finish_reason = "tool_calls";
  const Json response = ChatCompletionJson(kId, {message}, TwoTokens(), false, tokenizer);
  const Json& choice = response["choices"][0];
  EXPECT_TRUE(choice["message"]["content"].is_null());
  EXPECT_EQ(choice["message"]["tool_calls"], message.tool_calls);
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_TRUE(choice["logprobs"].is_null());
}

TEST(OpenAiResponse, LegacyCompletionLogprobs) {
  hearth::testing::FakeTokenizer tokenizer;
  const Json response = TextCompletionJson({"cmpl-1", 1, "m"}, TwoTokens(), true, tokenizer);
  EXPECT_EQ(response["object"], "text_completion");
  EXPECT_EQ(response["choices"][0]["text"], "ab");
  EXPECT_EQ(response["choices"][0]["finish_reason"], "length");
  const Json& logprobs = response["choices"][0]["logprobs"];
  EXPECT_EQ(logprobs["tokens"], Json::parse(R"(["a", "b"])"));
  EXPECT_EQ(logprobs["text_offset"], Json::parse("[0, 1]"));
  EXPECT_NEAR(logprobs["token_logprobs"][0].get<double>(), std::log(0.5), 1e-9);
  EXPECT_NEAR(logprobs["top_logprobs"][0]["b"].get<double>(), std::log(0.25), 1e-9);
}

TEST(OpenAiResponse, StreamChunksAndSseFraming) {
  const Json chunk = ChatChunkJson(kId, 1, {{"content", "x"}}, nullptr, nullptr, true);
  EXPECT_EQ(SseEvent(chunk),
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":"
            "1700000000,\"model\":\"m\",\"choices\":[{\"index\":1,\"delta\":{\"content\":\"x\"},"
            "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n");
  const Json last = ChatChunkJson(kId, 0, Json::object(), "stop", nullptr, false);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  EXPECT_FALSE(last.contains("usage"));
  const Json usage = ChatUsageChunkJson(kId, TwoTokens());
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["total_tokens"], 7);
  EXPECT_EQ(kSseDone, "data: [DONE]\n\n");
  // Model text with a newline cannot break the SSE framing: JSON escapes it.
  const std::string event =
      SseEvent(ChatChunkJson(kId, 0, {{"content", "a\n\nb"}}, nullptr, nullptr, false));
  EXPECT_EQ(event.find("\n"), event.size() - 2);
}

TEST(OpenAiResponse, ResponseIdsAreRandom) {
  const std::string a = NewResponseId("chatcmpl-");
  const std::string b = NewResponseId("chatcmpl-");
  EXPECT_EQ(a.rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(a.size(), 9u + 24u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace hearth::server
