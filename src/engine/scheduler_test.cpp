// CreateScheduler on the fake model (engine_test_fakes.h): queueing, stop
// strings, UTF-8, constraints, cancellation, the prefix cache, bad requests.
// Real-model behaviour (batched == alone, embeddings) is in scheduler_model_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine/completion_service.h"
#include "engine/completion_test_util.h"
#include "engine/engine_test_fakes.h"

namespace hearth {
namespace {

using testing::FakeModel;
using testing::kFakeVocab;
using testing::MakeFakeLoadedModel;

// Token ids of the fake vocabulary.
constexpr int32_t kBos = 0, kEos = 1, kA = 2, kB = 3, kC = 4, kSpace = 5;

using Output = testing::DrainedCompletion;

Output Drain(Completion& completion) { return testing::DrainCompletion(completion); }

CompletionRequest Greedy(std::vector<int32_t> prompt, int32_t max_tokens = -1) {
  CompletionRequest request;
  request.prompt = std::move(prompt);
  request.max_tokens = max_tokens;
  request.sampling.temperature = 0.0f;
  return request;
}

std::unique_ptr<CompletionService> MakeService(std::shared_ptr<LoadedModel> model,
                                               SchedulerOptions options = {}) {
  auto service = CreateScheduler(std::move(model), options);
  EXPECT_TRUE(service.ok()) << service.status().ToString();
  return service.ok() ? std::move(*service) : nullptr;
}

Output RunToEnd(CompletionService& service, CompletionRequest request) {
  auto completion = service.Submit(std::move(request));
  EXPECT_TRUE(completion.ok()) << completion.status().ToString();
  if (!completion.ok()) return {};
  return Drain(**completion);
}

TEST(SchedulerTest, StreamsWholeCharactersAndEndsAtEndOfGeneration) {
  auto service = MakeService(MakeFakeLoadedModel(nullptr));
  // After 'a' the fake model prefers b c ' ' 0xC3 0xA9 <s> </s>.
  Output out = RunToEnd(*service, Greedy({kA}));
  EXPECT_EQ(out.tokens, (std::vector<int32_t>{kB, kC, kSpace, 6, 7, kBos}));
  EXPECT_EQ(out.pieces, (std::vector<std::string>{"b", "c", " ", "", "\xC3\xA9", ""}));
  EXPECT_EQ(out.text, "bc \xC3\xA9");
  EXPECT_TRUE(out.done.status.ok());
  EXPECT_EQ(out.done.stop_reason, StopReason::kEndOfGeneration);
  EXPECT_EQ(out.done.usage.prompt_tokens, 1);
  EXPECT_EQ(out.done.usage.completion_tokens, 6);
  EXPECT_EQ(out.done.usage.cached_tokens, 0);
}

TEST(SchedulerTest, MaxTokens) {
  auto service = MakeService(MakeFakeLoadedModel(nullptr));
  Output out = RunToEnd(*service, Greedy({kA}, 2));
  EXPECT_EQ(out.text, "bc");
  EXPECT_EQ(out.done.stop_reason, StopReason::kMaxTokens);
  EXPECT_EQ(out.done.usage.completion_tokens, 2);
  Output none = RunToEnd(*service, Greedy({kA}, 0));
  EXPECT_TRUE(none.tokens.empty());
  EXPECT_EQ(none.done.stop_reason, StopReason::kMaxTokens);
}

TEST(SchedulerTest, ContextFullEndsTheRequest) {
  SchedulerOptions options;
  options.n_ctx = 4;
  auto service = MakeService(MakeFakeLoadedModel(nullptr), options);
  Output out = RunToEnd(*service, Greedy({kA, kB}));
  // Positions 0-1 hold the prompt, 2-3 the first two generated tokens; the
  // third is sampled from position 3's logits and cannot be evaluated.
  EXPECT_EQ(out.tokens, (std::vector<int32_t>{kC, kSpace, 6}));
  EXPECT_EQ(out.done.stop_reason, StopReason::kContextFull);
}

TEST(SchedulerTest, StopStringAcrossTokensIsCutAndNotSent) {
  auto service = MakeService(MakeFakeLoadedModel(nullptr));
  CompletionRequest request = Greedy({kA});
  request.stop = {"c \xC3"};  // spans three tokens and ends inside a character
  Output out = RunToEnd(*service, std::move(request));
  EXPECT_EQ(out.text, "b");
  // "c" is held back while it may start the stop string.
  EXPECT_EQ(out.pieces, (std::vector<std::string>{"b", "", "", "", ""}));
  EXPECT_EQ(out.done.stop_reason, StopReason::kStopSequence);
  EXPECT_EQ(out.done.usage.completion_tokens, 5);
}

TEST(SchedulerTest, HeldBackTextIsReleasedWhenItIsNoStopString) {
  auto service = MakeService(MakeFakeLoadedModel(nullptr));
  CompletionRequest request = Greedy({kA});
  request.stop = {"cx", "\xC3\xA9!"};
  Output out = RunToEnd(*service, std::move(request));
  EXPECT_EQ(out.pieces, (std::vector<std::string>{"b", "", "c ", "", "", ""}));
  // The held "é" comes with the kDone event when generation ends.
  EXPECT_EQ(out.done.text, "\xC3\xA9");
  EXPECT_EQ(out.text, "bc \xC3\xA9");
  EXPECT_EQ(out.done.stop_reason, StopReason::kEndOfGeneration);
}

TEST(SchedulerTest, HeldBackTextComesWithTheLastTokenAtMaxTokens) {
  auto service = MakeService(MakeFakeLoadedModel(nullptr));
  CompletionRequest request = Greedy({kA}, 2);
  request.stop = {"cd"};
  Output out = RunToEnd(*service, std::move(request));
  EXPECT_EQ(out.pieces, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(out.done.stop_reason, StopReason::kMaxTokens);
}

// Allows only `token`, `count` times, then only end of generation.
class RepeatConstraint : public TokenConstraint {
 public:
  RepeatConstraint(int32_t token, int32_t count, std::vector<int32_t>* accepted)
      : token_(token), count_(count), accepted_(accepted) {}
  void Mask(std::span<float> logits) const override {
    for (int32_t t = 0; t < static_cast<int32_t>(logits.size()); ++t) {
      const bool allowed = IsComplete() ? t == kEos : t == token_;
      if (!allowed) logits[t] = -INFINITY;
    }
  }
  Status Accept(int32_t token) override {
    if (IsComplete() || token != token_) return InvalidArgumentError("token {} not allowed", token);
    accepted_->push_back(token);
    return Status::Ok();
  }
  bool IsComplete() const override { return static_cast<int32_t>(accepted_->size()) >= count_; }

 private:
  int32_t token_;
  int32_t count_;
  std::vector<int32_t>* accepted_;
};

TEST(SchedulerTest, ConstraintMasksBeforeSamplingAndProbabilitiesAreTheModels) {
  auto service = MakeService(MakeFakeLoadedModel(nullptr));
  std::vector<int32_t> accepted;
  CompletionRequest request = Greedy({kA});
  request.sampling.temperature = 0.7f;  // sampled, yet only the constraint's token can come
  request.sampling.top_k = 0;
  request.sampling.min_p = 0.0f;
  request.sampling.report_prob = true;
  request.constraint = std::make_unique<RepeatConstraint>(kC, 3, &accepted);
  auto completion = service->Submit(std::move(request));
  ASSERT_TRUE(completion.ok());
  CompletionEvent event;
  std::vector<float> probs;
  std::string text;
  while ((*completion)->Next(event)) {
    text += event.text;
    if (event.kind == CompletionEvent::Kind::kToken) probs.push_back(event.token.prob);
    if (event.kind == CompletionEvent::Kind::kDone) {
      EXPECT_TRUE(event.status.ok());
      EXPECT_EQ(event.stop_reason, StopReason::kEndOfGeneration);
    }
  }
  EXPECT_EQ(text, "ccc");
  EXPECT_EQ(accepted, (std::vector<int32_t>{kC, kC, kC}));
  // The model's own distribution: after 'a' token c is one of the seven 0.0
  // logits; after 'c' token c is again not the favoured one.
  const float other = 1.0f / (std::exp(2.0f) + 7.0f);
  ASSERT_EQ(probs.size(), 3u);
  for (float p : probs) EXPECT_NEAR(p, other, 1e-6);
}

// Bans every token: a broken constraint must fail its request, not hang it.
class NothingConstraint : public TokenConstraint {
 public:
  void Mask(std::span<float> logits) const override {
    for (float& l : logits) l = -INFINITY;
  }
  Status Accept(int32_t) override { return InvalidArgumentError("nothing is allowed"); }
  bool IsComplete() const override { return false; }
};

TEST(SchedulerTest, AConstraintThatAllowsNothingFailsTheRequest) {
  auto service = MakeService(MakeFakeLoadedModel(nullptr));
  CompletionRequest request = Greedy({kA});
  request.constraint = std::make_unique<NothingConstraint>();
  Output out = RunToEnd(*service, std::move(request));
  EXPECT_TRUE(out.tokens.empty());
  EXPECT_EQ(out.done.status.code(), StatusCode::kInternal);
  EXPECT_EQ(RunToEnd(*service, Greedy({kA}, 1)).text, "b");  // the service carries on
}

TEST(SchedulerTest, BadRequestsAreRejected) {
  auto service = MakeService(MakeFakeLoadedModel(nullptr));
  EXPECT_EQ(service->Submit(Greedy({})).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(service->Submit(Greedy({kA, kFakeVocab})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service->Submit(Greedy({-1})).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(service->Submit(Greedy(std::vector<int32_t>(65, kA))).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(service->Submit(Greedy({kA}, -2)).status().code(), StatusCode::kInvalidArgument);
  CompletionRequest bad_sampling = Greedy({kA});
  bad_sampling.sampling.top_p = 2.0f;
  EXPECT_EQ(service->Submit(std::move(bad_sampling)).status().code(), StatusCode::kInvalidArgument);
  CompletionRequest bad_bias = Greedy({kA});
  bad_bias.sampling.logit_bias = {{kFakeVocab, 1.0f}};
  EXPECT_EQ(service->Submit(std::move(bad_bias)).status().code(), StatusCode::kInvalidArgument);
  // The service still works.
  EXPECT_EQ(RunToEnd(*service, Greedy({kA}, 1)).text, "b");

  SchedulerOptions bad;
  bad.n_slots = 0;
  EXPECT_FALSE(CreateScheduler(MakeFakeLoadedModel(nullptr), bad).ok());
  bad = {};
  bad.n_ctx = 65;
  EXPECT_EQ(CreateScheduler(MakeFakeLoadedModel(nullptr), bad).status().code(),
            StatusCode::kOutOfRange);
}

// The fake model, but each Forward waits for a permit (so tests can hold the
// worker mid-request) and counts the calls.
class GatedModel : public FakeModel {
 public:
  using FakeModel::FakeModel;
  Status Forward(std::span<const int32_t> tokens, KvCache& cache, bool all_logits,
                 std::vector<float>& logits) override {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return permits_ != 0; });
      if (permits_ > 0) --permits_;
      ++forwards_;
      cv_.notify_all();
    }
    return FakeModel::Forward(tokens, cache, all_logits, logits);
  }
  void Allow(int64_t n) {  // -1: unlimited
    std::lock_guard lock(mu_);
    permits_ = n < 0 ? -1 : permits_ + n;
    cv_.notify_all();
  }
  void WaitForForwards(int64_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return forwards_ >= n; });
  }
  int64_t forwards() {
    std::lock_guard lock(mu_);
    return forwards_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t permits_ = 0;
  int64_t forwards_ = 0;
};

std::shared_ptr<LoadedModel> MakeGatedModel(GatedModel** out, int32_t n_ctx_train) {
  auto loaded = MakeFakeLoadedModel(nullptr);
  auto model = std::make_unique<GatedModel>(n_ctx_train);
  *out = model.get();
  loaded->model = std::move(model);
  return loaded;
}

// Greedy, but the end-of-generation token is banned: runs until cancelled.
CompletionRequest Endless(std::vector<int32_t> prompt) {
  CompletionRequest request = Greedy(std::move(prompt));
  request.sampling.logit_bias = {{kEos, -INFINITY}};
  return request;
}

TEST(SchedulerTest, FullQueueIsResourceExhausted) {
  GatedModel* model = nullptr;
  SchedulerOptions options;
  options.n_slots = 1;
  options.max_queue = 1;
  auto service = MakeService(MakeGatedModel(&model, 64), options);
  auto first = service->Submit(Endless({kA}));
  auto second = service->Submit(Endless({kB}));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  auto third = service->Submit(Endless({kC}));
  EXPECT_EQ(third.status().code(), StatusCode::kResourceExhausted);
  model->WaitForForwards(0);
  ServiceStats stats = service->stats();
  EXPECT_EQ(stats.slots_total, 1);
  EXPECT_EQ(stats.slots_busy + stats.queue_depth, 2);
  (*first)->Cancel();
  (*second)->Cancel();
  model->Allow(-1);
  EXPECT_EQ(Drain(**first).done.stop_reason, StopReason::kCancelled);
  EXPECT_EQ(Drain(**second).done.stop_reason, StopReason::kCancelled);
}

TEST(SchedulerTest, CancelMidGenerationFreesTheSlotWithinOneStep) {
  GatedModel* model = nullptr;
  SchedulerOptions options;
  options.n_slots = 1;
  options.max_queue = 4;
  auto service = MakeService(MakeGatedModel(&model, 1 << 16), options);
  auto endless = service->Submit(Endless({kA}));
  ASSERT_TRUE(endless.ok());
  auto waiting = service->Submit(Greedy({kA}, 3));
  ASSERT_TRUE(waiting.ok());
  model->Allow(3);  // prompt + two generated tokens evaluated
  model->WaitForForwards(3);
  CompletionEvent event;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*endless)->Next(event));
    EXPECT_EQ(event.kind, CompletionEvent::Kind::kToken);
  }
  (*endless)->Cancel();
  (*endless)->Cancel();  // twice is fine
  model->Allow(-1);
  Output rest = Drain(**endless);
  EXPECT_EQ(rest.done.stop_reason, StopReason::kCancelled);
  EXPECT_TRUE(rest.done.status.ok());
  // At most one more step ran for the cancelled request.
  EXPECT_LE(rest.done.usage.completion_tokens, 4);
  // The queued request got the slot and ran to its end.
  Output second = Drain(**waiting);
  EXPECT_EQ(second.text, "bc ");
  EXPECT_EQ(service->stats().slots_busy, 0);
}

TEST(SchedulerTest, CancelWhileQueuedAndDestroyingAnUnreadCompletion) {
  GatedModel* model = nullptr;
  SchedulerOptions options;
  options.n_slots = 1;
  auto service = MakeService(MakeGatedModel(&model, 1 << 16), options);
  auto running = service->Submit(Endless({kA}));
  auto queued = service->Submit(Greedy({kB}));
  ASSERT_TRUE(running.ok() && queued.ok());
  (*queued)->Cancel();
  model->Allow(-1);
  Output out = Drain(**queued);
  EXPECT_TRUE(out.tokens.empty());
  EXPECT_EQ(out.done.stop_reason, StopReason::kCancelled);
  running->reset();  // the client went away without reading: cancels
  EXPECT_EQ(RunToEnd(*service, Greedy({kA}, 2)).text, "bc");
}

TEST(SchedulerTest, DestroyingTheServiceEndsEveryRequest) {
  GatedModel* model = nullptr;
  SchedulerOptions options;
  options.n_slots = 1;
  auto service = MakeService(MakeGatedModel(&model, 1 << 16), options);
  auto running = service->Submit(Endless({kA}));
  auto queued = service->Submit(Endless({kB}));
  ASSERT_TRUE(running.ok() && queued.ok());
  model->Allow(-1);
  service.reset();  // joins the worker; the completions outlive the service
  for (auto* completion : {&*running, &*queued}) {
    Output out = Drain(**completion);
    EXPECT_EQ(out.done.status.code(), StatusCode::kCancelled);
    EXPECT_EQ(out.done.stop_reason, StopReason::kCancelled);
  }
}

TEST(SchedulerTest, PrefixCacheIsReusedOnlyByTheSameOwner) {
  SchedulerOptions options;
  options.n_slots = 2;
  options.prefix_cache_entries = 2;
  auto service = MakeService(MakeFakeLoadedModel(nullptr), options);
  CompletionRequest first = Greedy({kA, kB, kC, kA, kB, kC}, 2);
  first.cache_owner = "alice";
  Output one = RunToEnd(*service, std::move(first));
  ASSERT_EQ(one.tokens, (std::vector<int32_t>{kSpace, 6}));
  // The cache holds the prompt and the first generated token (the second
  // was sampled but never evaluated).
  const std::vector<int32_t> follow_up = {kA, kB, kC, kA, kB, kC, kSpace, 6, 7};
  CompletionRequest other = Greedy(follow_up, 1);
  other.cache_owner = "mallory";
  EXPECT_EQ(RunToEnd(*service, std::move(other)).done.usage.cached_tokens, 0);
  CompletionRequest same = Greedy(follow_up, 1);
  same.cache_owner = "alice";
  Output reused = RunToEnd(*service, std::move(same));
  // Only the prompt is reused: the generated token was evaluated alone, so
  // its keys and values are not exactly what evaluating it in a prompt gives.
  EXPECT_EQ(reused.done.usage.cached_tokens, 6);
  EXPECT_EQ(reused.done.usage.prompt_tokens, 9);
  EXPECT_EQ(reused.tokens, (std::vector<int32_t>{kBos}));
  // A prompt equal to the cached tokens still evaluates its last two tokens.
  CompletionRequest again = Greedy(follow_up, 1);
  again.cache_owner = "alice";
  EXPECT_EQ(RunToEnd(*service, std::move(again)).done.usage.cached_tokens, 7);
}

TEST(SchedulerTest, PrefixCacheKeepsTheMostRecentlyUsed) {
  SchedulerOptions options;
  options.n_slots = 1;
  options.prefix_cache_entries = 1;
  auto service = MakeService(MakeFakeLoadedModel(nullptr), options);
  auto run = [&](std::vector<int32_t> prompt, const char* owner) {
    CompletionRequest request = Greedy(std::move(prompt), 1);
    request.cache_owner = owner;
    return RunToEnd(*service, std::move(request)).done.usage.cached_tokens;
  };
  EXPECT_EQ(run({kA, kB, kC}, "a"), 0);
  EXPECT_EQ(run({kC, kB, kA}, "b"), 0);  // evicts a's cache
  EXPECT_EQ(run({kA, kB, kC, kSpace}, "a"), 0);
  EXPECT_EQ(run({kA, kB, kC, kSpace, kA}, "a"), 3);
}

TEST(SchedulerTest, ConcurrentRequestsAllFinish) {
  FakeModel* model = nullptr;
  SchedulerOptions options;
  options.n_slots = 3;
  options.max_queue = 16;
  auto service = MakeService(MakeFakeLoadedModel(&model), options);
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 12; ++i) {
    clients.emplace_back([&, i] {
      Output out = RunToEnd(*service, Greedy({kA + i % 3}, 3));
      // The second ends inside a character: U+FFFD replaces it.
      const std::string expected[] = {"bc ", "c \xEF\xBF\xBD", " \xC3\xA9"};
      if (out.text == expected[i % 3] && out.done.status.ok()) ++ok;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 12);
  const ServiceStats stats = service->stats();
  EXPECT_EQ(stats.slots_busy, 0);
  EXPECT_EQ(stats.queue_depth, 0);
  EXPECT_EQ(stats.prompt_tokens_total, 12u);
  EXPECT_EQ(stats.generated_tokens_total, 36u);
}

TEST(SchedulerTest, EmbedIsUnsupportedByTheFakeModel) {
  auto service = MakeService(MakeFakeLoadedModel(nullptr));
  const std::vector<int32_t> tokens = {kA, kB};
  EXPECT_EQ(service->Embed(tokens).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(service->Embed({}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth
