// Model::ForwardBatch (several sequences in one pass) against Model::Forward
// on each sequence alone: logits must be equal bit for bit, and the caches
// must hold the same keys and values (checked through the next step's logits).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "model/model.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;

struct ModelCase {
  std::string name;
  fs::path path;
};

std::vector<ModelCase> Cases() {
  const fs::path repo = fs::path(testing::SourceDir()) / "tests/models";
  const fs::path models = testing::ModelsDir();
  return {
      {"rand_llama_F16", repo / "rand-llama-F16.gguf"},
      {"rand_llama_Q4_0", repo / "rand-llama-Q4_0.gguf"},
      {"rand_llama_Q4_K", repo / "rand-llama-Q4_K.gguf"},
      {"rand_llama_Q8_0", repo / "rand-llama-Q8_0.gguf"},
      {"rand_qwen2_Q6_K", repo / "rand-qwen2-Q6_K.gguf"},
      {"stories260K", fs::path(testing::SharedDir()) / "data/tinystories-260k/stories260K.gguf"},
      {"SmolLM2", models / "SmolLM2-135M-Instruct.Q4_1.gguf"},
      {"gemma3", models / "gemma-3-270m-q4_k_m.gguf"},
  };
}

class MultiSequenceTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    const fs::path& path = GetParam().path;
    if (!fs::exists(path)) {
      GTEST_SKIP() << path << " is missing (scripts/fetch_models.py downloads the default models)";
    }
    auto file = GgufFile::Open(path.string());
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    auto model = Model::Load(std::shared_ptr<const GgufFile>(std::move(file).value()), {2});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(*model);
  }

  std::unique_ptr<KvCache> NewCache() {
    auto cache = model_->NewCache(64);
    EXPECT_TRUE(cache.ok()) << cache.status().ToString();
    return cache.ok() ? std::move(*cache) : nullptr;
  }

  // Token ids spread over the vocabulary, different per sequence.
  std::vector<int32_t> Tokens(int32_t seed, int32_t n) const {
    const int32_t n_vocab = model_->spec().n_vocab;
    std::vector<int32_t> tokens;
    for (int32_t i = 0; i < n; ++i) tokens.push_back((seed * 7919 + i * 104729 + 3) % n_vocab);
    return tokens;
  }

  std::unique_ptr<Model> model_;
};

void ExpectBitEqual(const float* a, const float* b, size_t n, const std::string& what) {
  EXPECT_EQ(std::memcmp(a, b, n * sizeof(float)), 0) << what << " differs";
}

TEST_P(MultiSequenceTest, BatchedLogitsEqualSingleSequenceLogits) {
  const int32_t n_vocab = model_->spec().n_vocab;
  using L = SequenceBatch::Logits;
  // Prompts of different lengths, asking for all, last, no and last logits;
  // then one generation step of one token each, with a cached prefix of
  // different lengths.
  const std::vector<std::vector<int32_t>> prompts = {Tokens(1, 7), Tokens(2, 3), Tokens(3, 5),
                                                     Tokens(4, 1)};
  const std::vector<L> wanted = {L::kAll, L::kLast, L::kNone, L::kLast};
  std::vector<std::unique_ptr<KvCache>> alone, batched;
  for (size_t i = 0; i < prompts.size(); ++i) {
    alone.push_back(NewCache());
    batched.push_back(NewCache());
  }
  for (int step = 0; step < 2; ++step) {
    std::vector<std::vector<int32_t>> inputs = prompts;
    if (step == 1) {
      for (size_t i = 0; i < inputs.size(); ++i)
        inputs[i] = Tokens(10 + static_cast<int32_t>(i), 1);
    }
    std::vector<SequenceBatch> sequences;
    for (size_t i = 0; i < inputs.size(); ++i) {
      sequences.push_back({inputs[i], batched[i].get(), step == 0 ? wanted[i] : L::kLast});
    }
    std::vector<float> logits;
    ASSERT_TRUE(model_->ForwardBatch(sequences, logits).ok());
    size_t row = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::vector<float> reference;
      const bool all = sequences[i].logits == L::kAll;
      ASSERT_TRUE(model_->Forward(inputs[i], *alone[i], all, reference).ok());
      EXPECT_EQ(batched[i]->size(), alone[i]->size());
      if (sequences[i].logits == L::kNone) continue;
      ASSERT_LE((row * n_vocab) + reference.size(), logits.size());
      ExpectBitEqual(logits.data() + row * n_vocab, reference.data(), reference.size(),
                     "step " + std::to_string(step) + " sequence " + std::to_string(i));
      row += reference.size() / n_vocab;
    }
    EXPECT_EQ(row * n_vocab, logits.size());
  }
}

TEST_P(MultiSequenceTest, PromptChunksOfTwoOrMoreTokensGiveTheSameLogits) {
  // The scheduler splits prompts into chunks that depend on what else runs;
  // results must not (chunks of one token take another attention kernel and
  // are avoided by the scheduler).
  const std::vector<int32_t> prompt = Tokens(5, 12);
  auto whole = NewCache();
  std::vector<float> reference;
  ASSERT_TRUE(model_->Forward(prompt, *whole, /*all_logits=*/true, reference).ok());
  auto chunked = NewCache();
  const std::span<const int32_t> tokens(prompt);
  std::vector<float> logits;
  size_t begin = 0;
  for (size_t size : {2u, 5u, 3u, 2u}) {
    ASSERT_TRUE(model_->Forward(tokens.subspan(begin, size), *chunked, true, logits).ok());
    const size_t n_vocab = static_cast<size_t>(model_->spec().n_vocab);
    ExpectBitEqual(logits.data(), reference.data() + begin * n_vocab, size * n_vocab,
                   "chunk at " + std::to_string(begin));
    begin += size;
  }
}

TEST_P(MultiSequenceTest, HiddenStatesFillTheCacheLikeForward) {
  const std::vector<int32_t> prompt = Tokens(6, 6);
  const std::vector<int32_t> next = Tokens(7, 1);
  auto hidden_cache = NewCache();
  std::vector<float> hidden;
  ASSERT_TRUE(model_->ForwardHidden(prompt, *hidden_cache, hidden).ok());
  ASSERT_EQ(hidden.size(), prompt.size() * static_cast<size_t>(model_->spec().n_embd));
  for (float h : hidden) ASSERT_TRUE(std::isfinite(h));
  auto logits_cache = NewCache();
  std::vector<float> a, b;
  ASSERT_TRUE(model_->Forward(prompt, *logits_cache, false, a).ok());
  ASSERT_TRUE(model_->Forward(next, *logits_cache, false, a).ok());
  ASSERT_TRUE(model_->Forward(next, *hidden_cache, false, b).ok());
  ASSERT_EQ(a.size(), b.size());
  ExpectBitEqual(a.data(), b.data(), a.size(), "logits after ForwardHidden");
}

TEST_P(MultiSequenceTest, BadBatchesTouchNoCache) {
  auto a = NewCache();
  auto b = NewCache();
  const std::vector<int32_t> good = Tokens(1, 3);
  const std::vector<int32_t> bad = {0, model_->spec().n_vocab};
  std::vector<float> logits;
  std::vector<SequenceBatch> shared = {{good, a.get()}, {good, a.get()}};
  EXPECT_EQ(model_->ForwardBatch(shared, logits).code(), StatusCode::kInvalidArgument);
  std::vector<SequenceBatch> bad_token = {{good, a.get()}, {bad, b.get()}};
  EXPECT_EQ(model_->ForwardBatch(bad_token, logits).code(), StatusCode::kInvalidArgument);
  const std::vector<int32_t> too_long = Tokens(2, 65);
  std::vector<SequenceBatch> overflow = {{good, a.get()}, {too_long, b.get()}};
  EXPECT_EQ(model_->ForwardBatch(overflow, logits).code(), StatusCode::kOutOfRange);
  std::vector<SequenceBatch> empty = {{good, a.get()}, {{}, b.get()}};
  EXPECT_EQ(model_->ForwardBatch(empty, logits).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a->size(), 0);
  EXPECT_EQ(b->size(), 0);
}

INSTANTIATE_TEST_SUITE_P(Models, MultiSequenceTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace hearth
