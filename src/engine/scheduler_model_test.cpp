// CreateScheduler on a real model (stories260K from the shared data): a
// request's output is the same alone or batched with others, and Embed.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "engine/completion_service.h"
#include "engine/completion_test_util.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

// Delegates to a real model and records how many sequences each
// ForwardBatch carried, to show requests really shared forward passes.
class RecordingModel : public Model {
 public:
  explicit RecordingModel(std::unique_ptr<Model> inner) : inner_(std::move(inner)) {}
  const ModelSpec& spec() const override { return inner_->spec(); }
  Result<std::unique_ptr<KvCache>> NewCache(int32_t n_ctx) const override {
    return inner_->NewCache(n_ctx);
  }
  Status Forward(std::span<const int32_t> tokens, KvCache& cache, bool all_logits,
                 std::vector<float>& logits) override {
    return inner_->Forward(tokens, cache, all_logits, logits);
  }
  Status ForwardBatch(std::span<const SequenceBatch> sequences,
                      std::vector<float>& logits) override {
    int64_t current = max_sequences.load();
    const auto n = static_cast<int64_t>(sequences.size());
    while (n > current && !max_sequences.compare_exchange_weak(current, n)) {
    }
    return inner_->ForwardBatch(sequences, logits);
  }
  Status ForwardHidden(std::span<const int32_t> tokens, KvCache& cache,
                       std::vector<float>& hidden) override {
    return inner_->ForwardHidden(tokens, cache, hidden);
  }
  std::atomic<int64_t> max_sequences{0};

 private:
  std::unique_ptr<Model> inner_;
};

std::string StoriesPath() {
  return testing::SharedDir() + "/data/tinystories-260k/stories260K.gguf";
}

std::shared_ptr<LoadedModel> LoadStories(RecordingModel** recording = nullptr) {
  auto loaded = LoadModel(StoriesPath(), ModelOptions{2});
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  if (!loaded.ok()) return nullptr;
  auto model = std::make_unique<RecordingModel>(std::move((*loaded)->model));
  if (recording) *recording = model.get();
  (*loaded)->model = std::move(model);
  return *loaded;
}

using Output = testing::DrainedCompletion;

Output Drain(Completion& completion) { return testing::DrainCompletion(completion); }

// Eight different requests: prompts of different lengths, greedy and sampled.
std::vector<CompletionRequest> Requests(const LoadedModel& model) {
  const char* const prompts[] = {
      "Once upon a time",
      "Lily and Max went to the park. They saw a big red ball and",
      "The sun",
      "Tom had a little dog named Spot. Every day Spot ran to the gate to wait for Tom. One day,",
      "Mom said",
      "There was a bird in a tree",
      "Sam wanted to play with his friends, but it was raining. He looked out of the window and",
      "A cat",
  };
  std::vector<CompletionRequest> requests;
  for (int i = 0; i < 8; ++i) {
    CompletionRequest request;
    request.prompt = model.tokenizer->Encode(prompts[i], /*add_special=*/true, false);
    request.max_tokens = 24 + 4 * i;
    if (i % 2 == 0) {
      request.sampling.temperature = 0.0f;
    } else {
      request.sampling.temperature = 0.9f;
      request.sampling.seed = 1000 + i;
      request.sampling.repeat_penalty = 1.1f;
    }
    request.sampling.n_probs = 2;
    requests.push_back(std::move(request));
  }
  return requests;
}

TEST(SchedulerModelTest, EightConcurrentRequestsGiveWhatEachGivesAlone) {
  auto loaded = LoadStories();
  ASSERT_NE(loaded, nullptr);
  // Alone: one slot, one request at a time.
  std::vector<Output> alone;
  {
    SchedulerOptions options;
    options.n_slots = 1;
    auto service = CreateScheduler(loaded, options);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    for (CompletionRequest& request : Requests(*loaded)) {
      auto completion = (*service)->Submit(std::move(request));
      ASSERT_TRUE(completion.ok()) << completion.status().ToString();
      alone.push_back(Drain(**completion));
    }
  }
  // Together: eight slots, and a small batch so prompts are split into
  // chunks that depend on what else is running.
  RecordingModel* recording = nullptr;
  auto batched_model = LoadStories(&recording);
  ASSERT_NE(batched_model, nullptr);
  SchedulerOptions options;
  options.n_slots = 8;
  options.n_batch = 13;
  auto service = CreateScheduler(batched_model, options);
  ASSERT_TRUE(service.ok());
  std::vector<std::unique_ptr<Completion>> completions;
  for (CompletionRequest& request : Requests(*loaded)) {
    auto completion = (*service)->Submit(std::move(request));
    ASSERT_TRUE(completion.ok());
    completions.push_back(std::move(*completion));
  }
  for (size_t i = 0; i < completions.size(); ++i) {
    Output together = Drain(*completions[i]);
    ASSERT_TRUE(together.done.status.ok()) << together.done.status.ToString();
    EXPECT_EQ(together.tokens, alone[i].tokens) << "request " << i;
    EXPECT_EQ(together.text, alone[i].text) << "request " << i;
    EXPECT_EQ(together.probs, alone[i].probs) << "request " << i;
    EXPECT_EQ(together.done.stop_reason, alone[i].done.stop_reason);
    EXPECT_EQ(together.done.usage.completion_tokens, alone[i].done.usage.completion_tokens);
    EXPECT_FALSE(together.tokens.empty());
  }
  EXPECT_GE(recording->max_sequences.load(), 4) << "the requests never shared a forward pass";
}

TEST(SchedulerModelTest, AReusedPrefixGivesWhatAFreshEvaluationGives) {
  auto loaded = LoadStories();
  ASSERT_NE(loaded, nullptr);
  SchedulerOptions options;
  options.n_batch = 7;
  auto service = CreateScheduler(loaded, options);
  ASSERT_TRUE(service.ok());
  auto run = [&](std::vector<int32_t> prompt, const char* owner) {
    CompletionRequest request;
    request.prompt = std::move(prompt);
    request.max_tokens = 12;
    request.sampling.temperature = 0.8f;
    request.sampling.seed = 42;
    request.sampling.n_probs = 3;
    request.cache_owner = owner;
    auto completion = (*service)->Submit(std::move(request));
    EXPECT_TRUE(completion.ok());
    return completion.ok() ? Drain(**completion) : Output{};
  };
  const Tokenizer& tokenizer = *loaded->tokenizer;
  const std::vector<int32_t> first =
      tokenizer.Encode("Once upon a time, a little fox", true, false);
  const Output answer = run(first, "alice");
  ASSERT_EQ(answer.done.usage.cached_tokens, 0);
  // The next turn: the first prompt, its answer and more text.
  std::vector<int32_t> next = first;
  next.insert(next.end(), answer.tokens.begin(), answer.tokens.end());
  const std::vector<int32_t> more = tokenizer.Encode(" The next day,", false, false);
  next.insert(next.end(), more.begin(), more.end());

  const Output fresh = run(next, "bob");
  EXPECT_EQ(fresh.done.usage.cached_tokens, 0);
  const Output reused = run(next, "alice");
  EXPECT_EQ(reused.done.usage.cached_tokens, static_cast<int32_t>(first.size()));
  EXPECT_EQ(reused.tokens, fresh.tokens);
  EXPECT_EQ(reused.probs, fresh.probs);
  // The same request again reuses all but its last two tokens.
  const Output again = run(next, "alice");
  EXPECT_EQ(again.done.usage.cached_tokens, static_cast<int32_t>(next.size()) - 2);
  EXPECT_EQ(again.tokens, fresh.tokens);
  EXPECT_EQ(again.probs, fresh.probs);
}

std::vector<float> ReferenceEmbedding(const std::vector<int32_t>& tokens) {
  auto loaded = LoadModel(StoriesPath(), ModelOptions{1});
  EXPECT_TRUE(loaded.ok());
  Model& model = *(*loaded)->model;
  auto cache = model.NewCache(static_cast<int32_t>(tokens.size()));
  EXPECT_TRUE(cache.ok());
  std::vector<float> hidden;
  EXPECT_TRUE(model.ForwardHidden(tokens, **cache, hidden).ok());
  const size_t n_embd = static_cast<size_t>(model.spec().n_embd);
  std::vector<double> mean(n_embd, 0.0);
  for (size_t t = 0; t < tokens.size(); ++t) {
    for (size_t i = 0; i < n_embd; ++i) mean[i] += hidden[t * n_embd + i] / tokens.size();
  }
  double norm = 0.0;
  for (double v : mean) norm += v * v;
  std::vector<float> out;
  for (double v : mean) out.push_back(static_cast<float>(v / std::sqrt(norm)));
  return out;
}

TEST(SchedulerModelTest, EmbedIsTheNormalizedMeanOfHiddenStates) {
  auto loaded = LoadStories();
  ASSERT_NE(loaded, nullptr);
  SchedulerOptions options;
  options.n_batch = 5;  // several chunks
  auto service = CreateScheduler(loaded, options);
  ASSERT_TRUE(service.ok());
  const std::vector<int32_t> tokens =
      loaded->tokenizer->Encode("The cat sat on the mat.", true, false);
  auto first = (*service)->Embed(tokens);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), static_cast<size_t>(loaded->model->spec().n_embd));
  double norm = 0.0;
  for (float v : *first) norm += static_cast<double>(v) * v;
  EXPECT_NEAR(norm, 1.0, 1e-5);
  auto second = (*service)->Embed(tokens);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  const std::vector<float> reference = ReferenceEmbedding(tokens);
  for (size_t i = 0; i < reference.size(); ++i) EXPECT_NEAR((*first)[i], reference[i], 1e-5);
  auto other = (*service)->Embed(loaded->tokenizer->Encode("A dog ran home.", true, false));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*first, *other);
  const std::vector<int32_t> too_long(loaded->model->spec().n_ctx_train + 1, 1);
  EXPECT_EQ((*service)->Embed(too_long).status().code(), StatusCode::kOutOfRange);
}

TEST(SchedulerModelTest, EmbedWhileGenerating) {
  auto loaded = LoadStories();
  ASSERT_NE(loaded, nullptr);
  auto service = CreateScheduler(loaded, SchedulerOptions{});
  ASSERT_TRUE(service.ok());
  std::vector<CompletionRequest> requests = Requests(*loaded);
  auto completion = (*service)->Submit(std::move(requests[3]));
  ASSERT_TRUE(completion.ok());
  const std::vector<int32_t> tokens = loaded->tokenizer->Encode("The cat", true, false);
  auto embedding = (*service)->Embed(tokens);
  ASSERT_TRUE(embedding.ok());
  const std::vector<float> reference = ReferenceEmbedding(tokens);
  for (size_t i = 0; i < reference.size(); ++i) EXPECT_NEAR((*embedding)[i], reference[i], 1e-5);
  EXPECT_TRUE(Drain(**completion).done.status.ok());
}

}  // namespace
}  // namespace hearth
