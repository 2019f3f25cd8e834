#include "engine/perplexity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/engine_test_fakes.h"

namespace hearth {
namespace {

using testing::FakeModel;
using testing::FakeTokenizer;
using testing::kFakeVocab;

// The fake model's distribution, by hand: after token t, P(t+1) = e^2/(e^2+7)
// and any other token has 1/(e^2+7).
const double kNormaliser = std::exp(2.0) + 7.0;
const double kNllHit = std::log(kNormaliser) - 2.0;
const double kNllMiss = std::log(kNormaliser);

TEST(PerplexityTest, AllMissesGiveTheNormaliser) {
  // <s> followed by a's: after 'a' the model expects 'b', so every scored
  // token is a miss and PPL = e^2 + 7 exactly.
  FakeModel model;
  FakeTokenizer tokenizer;
  const std::string text(23, 'a');  // 24 tokens with <s>: 3 chunks of 8
  auto result = ComputePerplexity(model, tokenizer, text, PerplexityOptions{8, 512, -1});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->n_tokens, 24);
  EXPECT_EQ(result->n_chunks, 3);
  EXPECT_EQ(result->n_scored, 3 * (8 - 4 - 1));
  EXPECT_NEAR(result->ppl, kNormaliser, 1e-5);
  EXPECT_TRUE(std::isnan(result->ppl_error));  // every NLL equal: no spread
}

TEST(PerplexityTest, MatchesHandComputedMixture) {
  // Text "ab" repeated after <s>: tokens <s> a b a b ... (27 of them with
  // n_ctx 6 -> 4 chunks, 3 tail tokens dropped). first = 3, so positions 3 and
  // 4 predict tokens 4 and 5 of each chunk.
  FakeModel model;
  FakeTokenizer tokenizer;
  std::string text;
  for (int i = 0; i < 13; ++i) text += "ab";
  std::vector<int32_t> tokens = tokenizer.Encode(text, true, false);
  ASSERT_EQ(tokens.size(), 27u);

  double sum = 0.0, sum_sq = 0.0;
  int count = 0;
  std::vector<double> running;
  for (int chunk = 0; chunk < 4; ++chunk) {
    for (int j = 3; j < 5; ++j) {
      const int32_t current = tokens[chunk * 6 + j];
      const int32_t next = tokens[chunk * 6 + j + 1];
      const double nll = next == (current + 1) % kFakeVocab ? kNllHit : kNllMiss;
      sum += nll;
      sum_sq += nll * nll;
      ++count;
    }
    running.push_back(std::exp(sum / count));
  }
  const double mean = sum / count;
  const double expected_error =
      std::sqrt((sum_sq / count - mean * mean) / (count - 1)) * std::exp(mean);

  std::vector<double> reported;
  auto result = ComputePerplexity(model, tokenizer, text, PerplexityOptions{6, 4, -1},
                                  [&](const PerplexityProgress& p) {
                                    EXPECT_EQ(p.chunk, static_cast<int32_t>(reported.size()) + 1);
                                    EXPECT_EQ(p.n_chunks, 4);
                                    reported.push_back(p.ppl);
                                  });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->n_chunks, 4);
  EXPECT_EQ(result->n_scored, 8);
  // llama.cpp's arithmetic uses float exponentials: agree to float precision.
  EXPECT_NEAR(result->ppl, std::exp(mean), 1e-6);
  EXPECT_NEAR(result->ppl_error, expected_error, 1e-6);
  ASSERT_EQ(reported.size(), running.size());
  for (size_t i = 0; i < running.size(); ++i) EXPECT_NEAR(reported[i], running[i], 1e-6);
}

TEST(PerplexityTest, PutsBosFirstInEveryChunkAndAsksForAllLogits) {
  FakeModel model;
  FakeTokenizer tokenizer;
  auto result =
      ComputePerplexity(model, tokenizer, std::string(15, 'c'), PerplexityOptions{8, 3, -1});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  // 2 chunks of 8 tokens in batches of 3, 3, 2; the cache restarts per chunk.
  ASSERT_EQ(model.calls.size(), 6u);
  for (size_t i = 0; i < model.calls.size(); ++i) {
    EXPECT_TRUE(model.calls[i].all_logits);
    EXPECT_EQ(model.calls[i].first_position, static_cast<int32_t>(i % 3) * 3);
  }
  EXPECT_EQ(model.calls[0].tokens, (std::vector<int32_t>{0, 4, 4}));
  EXPECT_EQ(model.calls[3].tokens, (std::vector<int32_t>{0, 4, 4}));  // c replaced by <s>
}

TEST(PerplexityTest, NoBosReplacementWhenTheVocabularyAddsNone) {
  FakeModel model;
  FakeTokenizer tokenizer(/*add_bos=*/false);
  auto result =
      ComputePerplexity(model, tokenizer, std::string(16, 'c'), PerplexityOptions{8, 8, -1});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(model.calls.size(), 2u);
  EXPECT_EQ(model.calls[1].tokens.front(), 4);
}

TEST(PerplexityTest, ChunkLimit) {
  FakeModel model;
  FakeTokenizer tokenizer;
  auto result =
      ComputePerplexity(model, tokenizer, std::string(40, 'a'), PerplexityOptions{8, 8, 2});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->n_chunks, 2);
  EXPECT_EQ(model.calls.size(), 2u);
}

TEST(PerplexityTest, TooShortTextIsAnError) {
  FakeModel model;
  FakeTokenizer tokenizer;
  auto result =
      ComputePerplexity(model, tokenizer, std::string(14, 'a'), PerplexityOptions{8, 8, -1});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("at least 16"), std::string::npos)
      << result.status().message();
}

TEST(PerplexityTest, RejectsBadOptions) {
  FakeModel model;
  FakeTokenizer tokenizer;
  const std::string text(40, 'a');
  EXPECT_FALSE(ComputePerplexity(model, tokenizer, text, PerplexityOptions{2, 8, -1}).ok());
  EXPECT_FALSE(ComputePerplexity(model, tokenizer, text, PerplexityOptions{8, 0, -1}).ok());
  EXPECT_FALSE(ComputePerplexity(model, tokenizer, text, PerplexityOptions{8, 8, 0}).ok());
}

TEST(NegativeLogLikelihoodTest, MatchesClosedForm) {
  const std::vector<float> logits = {0.0f, std::log(3.0f), 100.0f - 100.0f};
  EXPECT_NEAR(NegativeLogLikelihood(logits, 1), -std::log(3.0 / 5.0), 1e-6);
  const std::vector<float> large = {1000.0f, 1000.0f};  // no overflow
  EXPECT_NEAR(NegativeLogLikelihood(large, 0), std::log(2.0), 1e-9);
}

}  // namespace
}  // namespace hearth
