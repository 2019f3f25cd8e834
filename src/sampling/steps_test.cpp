#include "sampling/steps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace hearth {
namespace {

std::vector<int32_t> Ids(const CandidateSet& set) {
  std::vector<int32_t> ids;
  for (const Candidate& c : set.items) ids.push_back(c.id);
  return ids;
}

CandidateSet FromLogits(const std::vector<float>& logits) {
  CandidateSet set;
  FillCandidates(logits, set);
  return set;
}

TEST(LogitBiasTest, AddsToNamedTokensOnly) {
  std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  const std::vector<LogitBias> bias = {{0, 0.5f}, {2, -INFINITY}};
  ApplyLogitBias(bias, logits);
  EXPECT_FLOAT_EQ(logits[0], 1.5f);
  EXPECT_FLOAT_EQ(logits[1], 2.0f);
  EXPECT_EQ(logits[2], -INFINITY);
}

TEST(PenaltiesTest, RepeatPenaltyDividesPositiveMultipliesNegative) {
  std::vector<float> logits = {2.0f, -2.0f, 4.0f, 0.0f};
  const std::vector<int32_t> window = {0, 1, 1, 3};
  ApplyPenalties(window, 2.0f, 0.0f, 0.0f, logits);
  EXPECT_FLOAT_EQ(logits[0], 1.0f);   // positive: divided
  EXPECT_FLOAT_EQ(logits[1], -4.0f);  // negative: multiplied once, not per occurrence
  EXPECT_FLOAT_EQ(logits[2], 4.0f);   // not in the window
  EXPECT_FLOAT_EQ(logits[3], 0.0f);
}

TEST(PenaltiesTest, FrequencyAndPresenceFollowOpenAi) {
  std::vector<float> logits = {1.0f, 1.0f, 1.0f};
  const std::vector<int32_t> window = {0, 0, 0, 1};
  ApplyPenalties(window, 1.0f, 0.5f, 0.25f, logits);
  EXPECT_FLOAT_EQ(logits[0], 1.0f - 3 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[1], 1.0f - 1 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[2], 1.0f);
}

TEST(PenaltiesTest, IgnoresIdsOutsideTheVocabulary) {
  std::vector<float> logits = {1.0f};
  const std::vector<int32_t> window = {-1, 5};
  ApplyPenalties(window, 2.0f, 1.0f, 1.0f, logits);
  EXPECT_FLOAT_EQ(logits[0], 1.0f);
}

TEST(TopKTest, KeepsHighestSortedTiesToLowestId) {
  CandidateSet set = FromLogits({0.5f, 3.0f, 1.0f, 3.0f, 2.0f});
  TopK(3, set);
  EXPECT_TRUE(set.sorted);
  EXPECT_EQ(Ids(set), (std::vector<int32_t>{1, 3, 4}));
}

TEST(TopKTest, ZeroOrLargeKKeepsAll) {
  CandidateSet set = FromLogits({0.5f, 3.0f, 1.0f});
  TopK(0, set);
  EXPECT_EQ(set.items.size(), 3u);
  TopK(10, set);
  EXPECT_EQ(Ids(set), (std::vector<int32_t>{1, 2, 0}));
}

TEST(TopKTest, AgreesWithAFullSortForSmallAndLargeK) {
  // Both selection paths (heap for small k, nth_element for large k), with
  // many ties, against std::stable_sort of the ids by descending logit.
  std::vector<float> logits(2000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>((i * 7919) % 101);
  std::vector<int32_t> reference(logits.size());
  for (size_t i = 0; i < reference.size(); ++i) reference[i] = static_cast<int32_t>(i);
  std::stable_sort(reference.begin(), reference.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  for (int32_t k : {1, 7, 256, 257, 1000, 2000}) {
    CandidateSet set = FromLogits(logits);
    TopK(k, set);
    EXPECT_EQ(Ids(set), std::vector<int32_t>(reference.begin(), reference.begin() + k)) << k;
  }
}

TEST(TopPTest, KeepsSmallestPrefixReachingP) {
  // Probabilities 0.5, 0.3, 0.2 (logits are their logs).
  CandidateSet set = FromLogits({std::log(0.2f), std::log(0.5f), std::log(0.3f)});
  TopP(0.75f, set);
  EXPECT_EQ(Ids(set), (std::vector<int32_t>{1, 2}));
  CandidateSet small = FromLogits({std::log(0.2f), std::log(0.5f), std::log(0.3f)});
  TopP(0.4f, small);
  EXPECT_EQ(Ids(small), (std::vector<int32_t>{1}));
}

TEST(TopPTest, OneIsANoOp) {
  CandidateSet set = FromLogits({1.0f, 2.0f});
  TopP(1.0f, set);
  EXPECT_EQ(set.items.size(), 2u);
}

TEST(MinPTest, KeepsTokensAtLeastPTimesTheTop) {
  // Probabilities proportional to 1, 0.5, 0.05.
  CandidateSet set = FromLogits({0.0f, std::log(0.5f), std::log(0.05f)});
  MinP(0.1f, set);
  EXPECT_EQ(Ids(set), (std::vector<int32_t>{0, 1}));
  MinP(0.6f, set);
  EXPECT_EQ(Ids(set), (std::vector<int32_t>{0}));
}

TEST(TemperatureTest, DividesLogits) {
  CandidateSet set = FromLogits({1.0f, -2.0f});
  ApplyTemperature(0.5f, set);
  EXPECT_FLOAT_EQ(set.items[0].logit, 2.0f);
  EXPECT_FLOAT_EQ(set.items[1].logit, -4.0f);
}

TEST(DrawTest, MapsUniformThroughCumulativeProbabilities) {
  // Probabilities 0.25, 0.75 in item order.
  CandidateSet set = FromLogits({0.0f, std::log(3.0f)});
  EXPECT_EQ(DrawIndex(set, 0.0), 0u);
  EXPECT_EQ(DrawIndex(set, 0.2), 0u);
  EXPECT_EQ(DrawIndex(set, 0.3), 1u);
  EXPECT_EQ(DrawIndex(set, 0.999999), 1u);
}

TEST(DrawTest, NeverPicksABannedToken) {
  CandidateSet set = FromLogits({-INFINITY, 0.0f, -INFINITY});
  for (double u : {0.0, 0.5, 0.9999999999}) EXPECT_EQ(DrawIndex(set, u), 1u);
}

TEST(DrawTest, UniformFromBitsCoversUnitInterval) {
  EXPECT_EQ(UniformFromBits(0), 0.0);
  EXPECT_LT(UniformFromBits(~uint64_t{0}), 1.0);
  EXPECT_DOUBLE_EQ(UniformFromBits(uint64_t{1} << 63), 0.5);
}

TEST(ArgMaxTest, TiesGoToLowestIdAndNanNeverWins) {
  const std::vector<float> logits = {1.0f, NAN, 3.0f, 3.0f};
  EXPECT_EQ(ArgMax(logits), 2);
  const std::vector<float> nan_first = {NAN, -1.0f};
  EXPECT_EQ(ArgMax(nan_first), 1);
}

// The definition: the first index whose value is larger than every earlier one's.
int32_t ArgMaxByScan(const std::vector<float>& logits) {
  int32_t best = 0;
  bool found = false;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(logits[i])) continue;
    if (!found || logits[i] > logits[best]) best = static_cast<int32_t>(i);
    found = true;
  }
  return best;
}

TEST(ArgMaxTest, MatchesAScanOnVocabularySizedInputs) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> uniform(-20.0f, 20.0f);
  std::uniform_int_distribution<int> small(-3, 3);  // many ties
  for (size_t n : {size_t{1}, size_t{7}, size_t{8}, size_t{63}, size_t{64}, size_t{65},
                   size_t{1000}, size_t{49152}, size_t{151936}}) {
    for (int variant = 0; variant < 6; ++variant) {
      std::vector<float> logits(n);
      for (float& l : logits) {
        l = variant % 2 == 0 ? uniform(rng) : static_cast<float>(small(rng));
      }
      if (variant >= 2) logits[rng() % n] = NAN;  // NaN never wins
      if (variant >= 4) {  // signed zeros and infinities tie with their equals
        for (float& l : logits) l = l > 0 ? 0.0f : (l < -2 ? -INFINITY : -0.0f);
      }
      ASSERT_EQ(ArgMax(logits), ArgMaxByScan(logits)) << "n=" << n << " variant=" << variant;
    }
  }
  EXPECT_EQ(ArgMax(std::vector<float>(100, NAN)), 0);
  EXPECT_EQ(ArgMax(std::vector<float>{NAN, -INFINITY, -INFINITY}), 1);
  std::vector<float> late(49152, -1.0f);
  late[49151] = 5.0f;
  EXPECT_EQ(ArgMax(late), 49151);
}

TEST(FillCandidatesTest, NanBecomesMinusInfinity) {
  CandidateSet set = FromLogits({NAN, 1.0f});
  EXPECT_EQ(set.items[0].logit, -INFINITY);
  SortCandidates(set);
  EXPECT_EQ(Ids(set), (std::vector<int32_t>{1, 0}));
}

}  // namespace
}  // namespace hearth
