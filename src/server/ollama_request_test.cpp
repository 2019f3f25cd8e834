#include "server/ollama_request.h"

#include <gtest/gtest.h>

namespace hearth::server {
namespace {

TEST(OllamaRequest, ChatWithOptions) {
  Json body = Json::parse(R"({"model": "m", "messages": [{"role": "user", "content": "hi"}],
    "stream": false, "format": "json", "keep_alive": "5m",
    "options": {"num_predict": 20, "temperature": 0, "top_k": 5, "top_p": 0.9, "min_p": 0.01,
                "repeat_penalty": 1.2, "repeat_last_n": 32, "seed": 7, "stop": ["\n"],
                "num_ctx": 2048}})");
  auto parsed = ParseOllamaChatRequest(body, RequestLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const GenerationSpec& spec = parsed.value();
  EXPECT_FALSE(spec.stream);
  EXPECT_EQ(spec.format, ResponseFormat::kJsonObject);
  EXPECT_EQ(spec.max_tokens, 20);
  EXPECT_EQ(spec.sampling.temperature, 0.0f);
  EXPECT_EQ(spec.sampling.top_k, 5);
  EXPECT_EQ(spec.sampling.repeat_last_n, 32);
  EXPECT_EQ(spec.sampling.seed, 7u);
  EXPECT_EQ(spec.stop, std::vector<std::string>{"\n"});
}

TEST(OllamaRequest, StreamsByDefaultAndBoundsUnlimitedPredictions) {
  RequestLimits limits;
  limits.max_tokens_cap = 100;
  Json body = {{"messages", {{{"role", "user"}, {"content", "hi"}}}},
               {"options", {{"num_predict", -1}}}};
  auto parsed = ParseOllamaChatRequest(body, limits);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed.value().stream);
  EXPECT_EQ(parsed.value().max_tokens, 100);
}

TEST(OllamaRequest, RejectsBadOptions) {
  Json base = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  for (const char* bad : {R"({"temperature": -1})", R"({"top_p": "x"})", R"({"num_predict": -5})",
                          R"({"seed": 1.5})", R"({"stop": 3})"}) {
    Json body = base;
    body["options"] = Json::parse(bad);
    auto parsed = ParseOllamaChatRequest(body, RequestLimits{});
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().param.rfind("options.", 0), 0u) << parsed.error().param;
  }
  Json body = base;
  body["options"] = "fast";
  EXPECT_FALSE(ParseOllamaChatRequest(body, RequestLimits{}).ok());
  body = base;
  body["format"] = "yaml";
  EXPECT_FALSE(ParseOllamaChatRequest(body, RequestLimits{}).ok());
}

TEST(OllamaRequest, GenerateWrapsThePromptUnlessRaw) {
  auto templated =
      ParseOllamaGenerateRequest({{"prompt", "hi"}, {"system", "be kind"}}, RequestLimits{});
  ASSERT_TRUE(templated.ok());
  EXPECT_TRUE(templated.value().chat);
  EXPECT_EQ(
      templated.value().messages,
      Json::parse(R"([{"role":"system","content":"be kind"},{"role":"user","content":"hi"}])"));
  auto raw = ParseOllamaGenerateRequest({{"prompt", "Once upon"}, {"raw", true}}, RequestLimits{});
  ASSERT_TRUE(raw.ok());
  EXPECT_FALSE(raw.value().chat);
  EXPECT_EQ(raw.value().prompt, "Once upon");
  Json schema = {{"type", "object"}};
  auto structured =
      ParseOllamaGenerateRequest({{"prompt", "x"}, {"format", schema}}, RequestLimits{});
  ASSERT_TRUE(structured.ok());
  EXPECT_EQ(structured.value().format, ResponseFormat::kJsonSchema);
}

TEST(OllamaRequest, ModelNameForShow) {
  EXPECT_EQ(ParseOllamaModelName({{"model", "a"}}).value(), "a");
  EXPECT_EQ(ParseOllamaModelName({{"name", "b"}}).value(), "b");
  EXPECT_FALSE(ParseOllamaModelName(Json::object()).ok());
  EXPECT_FALSE(ParseOllamaModelName({{"model", 3}}).ok());
}

}  // namespace
}  // namespace hearth::server
