#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace hearth {
namespace {

SamplingParams PlainSampling(uint64_t seed) {
  SamplingParams params;
  params.temperature = 1.0f;
  params.top_k = 0;
  params.top_p = 1.0f;
  params.min_p = 0.0f;
  params.seed = seed;
  return params;
}

TEST(SamplingParamsTest, RejectsBadValuesNamingTheParameter) {
  struct Case {
    void (*edit)(SamplingParams&);
    const char* name;
  };
  const Case cases[] = {
      {[](SamplingParams& p) { p.temperature = NAN; }, "temperature"},
      {[](SamplingParams& p) { p.top_k = -1; }, "top_k"},
      {[](SamplingParams& p) { p.top_p = 0.0f; }, "top_p"},
      {[](SamplingParams& p) { p.top_p = 1.5f; }, "top_p"},
      {[](SamplingParams& p) { p.min_p = -0.1f; }, "min_p"},
      {[](SamplingParams& p) { p.repeat_penalty = 0.0f; }, "repeat_penalty"},
      {[](SamplingParams& p) { p.repeat_last_n = -2; }, "repeat_last_n"},
      {[](SamplingParams& p) { p.frequency_penalty = INFINITY; }, "frequency_penalty"},
      {[](SamplingParams& p) { p.presence_penalty = NAN; }, "presence_penalty"},
      {[](SamplingParams& p) {
         p.logit_bias = {{10, 1.0f}};
       },
       "logit_bias"},
      {[](SamplingParams& p) { p.n_probs = -1; }, "n_probs"},
  };
  for (const Case& c : cases) {
    SamplingParams params;
    c.edit(params);
    const Status status = params.Validate(10);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(status.message().find(c.name), std::string::npos) << status.message();
  }
  EXPECT_TRUE(SamplingParams().Validate(10).ok());
  EXPECT_FALSE(Sampler::Create(SamplingParams(), 0).ok());
}

TEST(SamplerTest, GreedyPicksArgmaxTiesToLowestId) {
  SamplingParams params = PlainSampling(1);
  params.temperature = 0.0f;
  auto sampler = Sampler::Create(params, 4);
  ASSERT_TRUE(sampler.ok());
  const std::vector<float> logits = {0.0f, 2.0f, 2.0f, 1.0f};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(sampler->Sample(logits)->token, 1);
}

TEST(SamplerTest, PlainGreedyPicksArgmaxOfALargeVocabularyAndReportsItsProbability) {
  SamplingParams params = PlainSampling(1);
  params.temperature = 0.0f;
  params.report_prob = true;
  const int32_t n_vocab = 49152;
  std::mt19937 rng(2);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  std::vector<float> logits(n_vocab);
  for (float& l : logits) l = dist(rng);
  logits[40000] = 30.0f;
  auto sampler = Sampler::Create(params, n_vocab);
  ASSERT_TRUE(sampler.ok());
  sampler->Accept(40000);  // penalties are neutral: the history changes nothing
  auto result = sampler->Sample(logits);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->token, 40000);
  double total = 0.0;
  for (float l : logits) total += std::exp(static_cast<double>(l) - 30.0);
  EXPECT_NEAR(result->prob, 1.0 / total, 1e-6);
}

TEST(SamplerTest, GreedyStillAppliesBiasAndPenalties) {
  SamplingParams params = PlainSampling(1);
  params.temperature = -1.0f;
  params.repeat_penalty = 8.0f;
  params.logit_bias = {{3, 0.5f}};
  auto sampler = Sampler::Create(params, 4);
  ASSERT_TRUE(sampler.ok());
  const std::vector<float> logits = {0.0f, 2.0f, 1.0f, 0.0f};
  sampler->Accept(1);  // 2.0 -> 0.25; token 2 (1.0) now wins
  EXPECT_EQ(sampler->Sample(logits)->token, 2);
  sampler->Accept(2);  // 1.0 -> 0.125; token 3 (0 + 0.5 bias) wins
  EXPECT_EQ(sampler->Sample(logits)->token, 3);
}

TEST(SamplerTest, RepeatWindowForgetsOldTokens) {
  SamplingParams params = PlainSampling(1);
  params.temperature = 0.0f;
  params.repeat_penalty = 10.0f;
  params.repeat_last_n = 2;
  auto sampler = Sampler::Create(params, 3);
  ASSERT_TRUE(sampler.ok());
  const std::vector<float> logits = {3.0f, 2.0f, 1.0f};
  sampler->Accept(0);
  EXPECT_EQ(sampler->Sample(logits)->token, 1);
  sampler->Accept(2);
  sampler->Accept(2);  // token 0 has left the two-token window
  EXPECT_EQ(sampler->Sample(logits)->token, 0);
}

TEST(SamplerTest, SameSeedSameTokensDifferentSeedDifferentTokens) {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i));
  auto run = [&](uint64_t seed) {
    auto sampler = Sampler::Create(PlainSampling(seed), 50);
    std::vector<int32_t> tokens;
    for (int i = 0; i < 40; ++i) tokens.push_back(sampler->Sample(logits)->token);
    return tokens;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(SamplerTest, DrawMatchesRawMt19937_64AndHandComputedCumulative) {
  // Probabilities 0.1, 0.2, 0.3, 0.4 by id; with every filter off the
  // candidates stay in id order, so the token is the first whose cumulative
  // probability exceeds u.
  const std::vector<float> logits = {std::log(0.1f), std::log(0.2f), std::log(0.3f),
                                     std::log(0.4f)};
  const double cumulative[] = {0.1, 0.3, 0.6, 1.0};
  auto sampler = Sampler::Create(PlainSampling(1234), 4);
  std::mt19937_64 reference(1234);
  for (int i = 0; i < 200; ++i) {
    const double u = static_cast<double>(reference() >> 11) / 9007199254740992.0;
    int expected = 0;
    while (u >= cumulative[expected]) ++expected;
    EXPECT_EQ(sampler->Sample(logits)->token, expected) << "draw " << i << " u=" << u;
  }
}

TEST(SamplerTest, FrequenciesFollowTemperatureScaledSoftmax) {
  // At temperature 0.5 probabilities 1:2 become 1:4.
  SamplingParams params = PlainSampling(99);
  params.temperature = 0.5f;
  const std::vector<float> logits = {0.0f, std::log(2.0f)};
  auto sampler = Sampler::Create(params, 2);
  int ones = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ones += sampler->Sample(logits)->token;
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.8, 0.015);
}

TEST(SamplerTest, FiltersRestrictTheDraw) {
  SamplingParams params = PlainSampling(5);
  params.top_k = 2;
  const std::vector<float> logits = {1.0f, 1.1f, 1.2f, 0.9f};
  auto sampler = Sampler::Create(params, 4);
  for (int i = 0; i < 200; ++i) {
    const int32_t token = sampler->Sample(logits)->token;
    EXPECT_TRUE(token == 1 || token == 2) << token;
  }
}

TEST(SamplerTest, ResetRestartsTheSequence) {
  const std::vector<float> logits = {0.0f, 0.0f, 0.0f, 0.0f};
  auto sampler = Sampler::Create(PlainSampling(3), 4);
  std::vector<int32_t> first, second;
  for (int i = 0; i < 20; ++i) first.push_back(sampler->Sample(logits)->token);
  sampler->Reset();
  for (int i = 0; i < 20; ++i) second.push_back(sampler->Sample(logits)->token);
  EXPECT_EQ(first, second);
}

TEST(SamplerTest, ReportsRawProbabilityAndTopAlternatives) {
  SamplingParams params = PlainSampling(1);
  params.temperature = 0.0f;
  params.n_probs = 2;
  params.logit_bias = {{0, 100.0f}};  // forces token 0; reported probs stay raw
  const std::vector<float> logits = {std::log(0.1f), std::log(0.6f), std::log(0.3f)};
  auto sampler = Sampler::Create(params, 3);
  auto result = sampler->Sample(logits);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->token, 0);
  EXPECT_NEAR(result->prob, 0.1f, 1e-6);
  ASSERT_EQ(result->top.size(), 2u);
  EXPECT_EQ(result->top[0].token, 1);
  EXPECT_NEAR(result->top[0].prob, 0.6f, 1e-6);
  EXPECT_EQ(result->top[1].token, 2);
  EXPECT_NEAR(result->top[1].prob, 0.3f, 1e-6);
}

TEST(SamplerTest, ProbabilityOnlyWhenAsked) {
  SamplingParams params = PlainSampling(1);
  params.temperature = 0.0f;
  const std::vector<float> logits = {0.0f, std::log(3.0f)};
  auto plain = Sampler::Create(params, 2);
  auto result = plain->Sample(logits);
  EXPECT_TRUE(std::isnan(result->prob));
  EXPECT_TRUE(result->top.empty());
  params.report_prob = true;
  auto reporting = Sampler::Create(params, 2);
  result = reporting->Sample(logits);
  EXPECT_EQ(result->token, 1);
  EXPECT_NEAR(result->prob, 0.75f, 1e-6);
  EXPECT_TRUE(result->top.empty());
}

TEST(SamplerTest, RejectsWrongLogitCount) {
  auto sampler = Sampler::Create(PlainSampling(1), 4);
  const std::vector<float> logits = {0.0f, 1.0f};
  EXPECT_EQ(sampler->Sample(logits).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth
