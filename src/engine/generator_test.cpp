#include "engine/generator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine_test_fakes.h"

namespace hearth {
namespace {

using testing::FakeModel;
using testing::MakeFakeLoadedModel;

struct Collected {
  std::vector<std::string> chunks;  // one per callback call
  std::vector<int32_t> tokens;      // -1 for the final flush
  std::string text;
};

GenerationCallback Collect(Collected& out, int stop_after = -1) {
  return [&out, stop_after](std::string_view text, const SampledToken* token) {
    out.chunks.emplace_back(text);
    out.tokens.push_back(token ? token->token : -1);
    out.text += text;
    return stop_after < 0 || static_cast<int>(out.tokens.size()) < stop_after;
  };
}

GenerationRequest Greedy(std::string prompt, int32_t max_tokens) {
  GenerationRequest request;
  request.prompt = std::move(prompt);
  request.max_tokens = max_tokens;
  request.sampling.temperature = 0.0f;
  return request;
}

std::unique_ptr<Generator> MakeGenerator(FakeModel** model, GeneratorOptions options = {}) {
  auto generator = Generator::Create(MakeFakeLoadedModel(model), options);
  EXPECT_TRUE(generator.ok()) << generator.status().ToString();
  return std::move(generator).value();
}

TEST(GeneratorTest, StreamsWholeCharactersAndStopsAtEndOfGeneration) {
  FakeModel* model = nullptr;
  auto generator = MakeGenerator(&model);
  Collected out;
  auto stats = generator->Generate(Greedy("a", -1), Collect(out));
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  // a -> b c ' ' 0xC3 0xA9 <s> </s>: the two halves of "é" come out together,
  // <s> is a control token (no text), </s> ends generation and is not emitted.
  EXPECT_EQ(out.text, "bc \xC3\xA9");
  EXPECT_EQ(out.tokens, (std::vector<int32_t>{3, 4, 5, 6, 7, 0}));
  EXPECT_EQ(out.chunks, (std::vector<std::string>{"b", "c", " ", "", "\xC3\xA9", ""}));
  EXPECT_EQ(stats->stop_reason, StopReason::kEndOfGeneration);
  EXPECT_EQ(stats->prompt_tokens, 2);  // <s> a
  EXPECT_EQ(stats->generated_tokens, 6);
  EXPECT_GE(stats->prompt_seconds, 0.0);
  EXPECT_GE(stats->generation_seconds, 0.0);
}

TEST(GeneratorTest, EvaluatesThePromptInBatchesThenOneTokenAtATime) {
  FakeModel* model = nullptr;
  auto generator = MakeGenerator(&model, GeneratorOptions{0, 3});
  Collected out;
  auto stats = generator->Generate(Greedy("abcabc", 2), Collect(out));  // 7 tokens with <s>
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(model->calls.size(), 4u);  // 3 + 3 + 1 prompt tokens, then one generated token
  EXPECT_EQ(model->calls[0].tokens, (std::vector<int32_t>{0, 2, 3}));
  EXPECT_EQ(model->calls[1].tokens, (std::vector<int32_t>{4, 2, 3}));
  EXPECT_EQ(model->calls[2].tokens, (std::vector<int32_t>{4}));
  EXPECT_EQ(model->calls[3].tokens, (std::vector<int32_t>{5}));  // ' ' follows c
  const int32_t positions[] = {0, 3, 6, 7};
  for (size_t i = 0; i < model->calls.size(); ++i) {
    EXPECT_EQ(model->calls[i].first_position, positions[i]);
    EXPECT_FALSE(model->calls[i].all_logits);
  }
  // The last sampled token needs no evaluation: generation stops right after it.
  // Its lone lead byte is held back, then flushed as U+FFFD.
  EXPECT_EQ(out.chunks, (std::vector<std::string>{" ", "", "\xEF\xBF\xBD"}));
  EXPECT_EQ(out.tokens, (std::vector<int32_t>{5, 6, -1}));
  EXPECT_EQ(stats->stop_reason, StopReason::kMaxTokens);
  EXPECT_EQ(stats->generated_tokens, 2);
}

TEST(GeneratorTest, MaxTokensZeroGeneratesNothing) {
  FakeModel* model = nullptr;
  auto generator = MakeGenerator(&model);
  Collected out;
  auto stats = generator->Generate(Greedy("a", 0), Collect(out));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->generated_tokens, 0);
  EXPECT_TRUE(out.tokens.empty());
  EXPECT_EQ(stats->stop_reason, StopReason::kMaxTokens);
}

TEST(GeneratorTest, StopsCleanlyWhenTheContextIsFull) {
  FakeModel* model = nullptr;
  auto generator = MakeGenerator(&model, GeneratorOptions{4, 512});
  Collected out;
  auto stats = generator->Generate(Greedy("a", -1), Collect(out));
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  // <s> a fill 2 positions; b and c fill the other two; ' ' comes from the
  // logits of the last position and cannot be evaluated any more.
  EXPECT_EQ(stats->stop_reason, StopReason::kContextFull);
  EXPECT_EQ(stats->generated_tokens, 3);
  EXPECT_EQ(out.text, "bc ");
  EXPECT_EQ(generator->cached_tokens(), (std::vector<int32_t>{0, 2, 3, 4}));
}

TEST(GeneratorTest, PromptLongerThanTheContextIsAnError) {
  FakeModel* model = nullptr;
  auto generator = MakeGenerator(&model, GeneratorOptions{4, 512});
  Collected out;
  auto stats = generator->Generate(Greedy("abcab", 1), Collect(out));
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(stats.status().message().find("6 tokens"), std::string::npos)
      << stats.status().message();
  EXPECT_NE(stats.status().message().find("allows up to 64"), std::string::npos)
      << stats.status().message();
  EXPECT_TRUE(model->calls.empty());
}

TEST(GeneratorTest, CallbackCanCancel) {
  FakeModel* model = nullptr;
  auto generator = MakeGenerator(&model);
  Collected out;
  auto stats = generator->Generate(Greedy("a", -1), Collect(out, 2));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->stop_reason, StopReason::kCancelled);
  EXPECT_EQ(out.text, "bc");
}

TEST(GeneratorTest, ReusesTheCachedPrefix) {
  FakeModel* model = nullptr;
  auto generator = MakeGenerator(&model);
  Collected first, second;
  auto stats = generator->Generate(Greedy("ab", 1), Collect(first));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->prompt_evaluated, 3);
  stats = generator->Generate(Greedy("abc", 1), Collect(second));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->prompt_tokens, 4);
  EXPECT_EQ(stats->prompt_evaluated, 1);  // only c
  EXPECT_EQ(model->calls.back().tokens, (std::vector<int32_t>{4}));
  EXPECT_EQ(model->calls.back().first_position, 3);
  // A different prompt rewinds the cache to the common prefix.
  stats = generator->Generate(Greedy("b", 1), Collect(second));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->prompt_evaluated, 1);
  EXPECT_EQ(model->calls.back().first_position, 1);
  EXPECT_EQ(generator->cached_tokens(), (std::vector<int32_t>{0, 3}));
}

TEST(GeneratorTest, PromptTokensAreUsedAsGiven) {
  FakeModel* model = nullptr;
  auto generator = MakeGenerator(&model);
  Collected from_text, from_tokens;
  ASSERT_TRUE(generator->Generate(Greedy("a", 3), Collect(from_text)).ok());
  const std::vector<int32_t> prompt = model->calls.front().tokens;  // <s> a
  auto fresh = MakeGenerator(&model);
  GenerationRequest request = Greedy("ignored", 3);
  request.prompt_tokens = prompt;
  auto stats = fresh->Generate(request, Collect(from_tokens));
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->prompt_tokens, static_cast<int32_t>(prompt.size()));
  EXPECT_EQ(model->calls.front().tokens, prompt);
  EXPECT_EQ(from_tokens.text, from_text.text);
  request.prompt_tokens = {prompt[0], 1 << 20};
  auto bad = fresh->Generate(request, Collect(from_tokens));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(GeneratorTest, SameSeedSameText) {
  auto run = [](uint64_t seed) {
    FakeModel* model = nullptr;
    auto generator = MakeGenerator(&model);
    GenerationRequest request;
    request.prompt = "a";
    request.max_tokens = 30;
    request.sampling.temperature = 1.5f;
    request.sampling.top_k = 0;
    request.sampling.top_p = 1.0f;
    request.sampling.min_p = 0.0f;
    request.sampling.seed = seed;
    Collected out;
    EXPECT_TRUE(generator->Generate(request, Collect(out)).ok());
    return out.tokens;
  };
  EXPECT_EQ(run(11), run(11));
  EXPECT_NE(run(11), run(12));
}

TEST(GeneratorTest, RejectsBadRequests) {
  FakeModel* model = nullptr;
  auto generator = MakeGenerator(&model);
  Collected out;
  GenerationRequest request = Greedy("a", -2);
  EXPECT_EQ(generator->Generate(request, Collect(out)).status().code(),
            StatusCode::kInvalidArgument);
  request = Greedy("a", 1);
  request.sampling.top_p = 0.0f;
  auto result = generator->Generate(request, Collect(out));
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("top_p"), std::string::npos);
  EXPECT_EQ(
      Generator::Create(MakeFakeLoadedModel(nullptr), GeneratorOptions{65, 512}).status().code(),
      StatusCode::kOutOfRange);
  EXPECT_EQ(Generator::Create(MakeFakeLoadedModel(nullptr), GeneratorOptions{0, 0}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(StopReasonTest, HasNames) {
  EXPECT_STREQ(StopReasonName(StopReason::kContextFull), "context full");
  EXPECT_STREQ(StopReasonName(StopReason::kEndOfGeneration), "end of generation");
}

}  // namespace
}  // namespace hearth
