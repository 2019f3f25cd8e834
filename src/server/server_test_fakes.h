// A scripted CompletionService for server tests: every completion yields the
// same tokens ("a", "b", "c" by default, ids 2, 3, 4 of the engine's
// FakeTokenizer, each with probability 0.5), then kDone. It records what was
// submitted and can refuse with ResourceExhausted after `capacity` requests.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/completion_service.h"
#include "engine/engine_test_fakes.h"

namespace hearth::server::testing {

struct SubmittedRequest {
  std::vector<int32_t> prompt;
  int32_t max_tokens = 0;
  uint64_t seed = 0;
  int32_t n_probs = 0;
  bool report_prob = false;
  std::vector<std::string> stop;
  std::string cache_owner;
  bool constrained = false;
};

class FakeCompletion : public Completion {
 public:
  FakeCompletion(std::vector<int32_t> tokens, StopReason stop, std::atomic<int>* cancels)
      : tokens_(std::move(tokens)), stop_(stop), cancels_(cancels) {}

  bool Next(CompletionEvent& event) override {
    if (done_) return false;
    event = CompletionEvent{};
    if (!cancelled_ && next_ < tokens_.size()) {
      const int32_t id = tokens_[next_++];
      event.kind = CompletionEvent::Kind::kToken;
      event.text = std::string(1, static_cast<char>('a' + id - 2));
      event.token.token = id;
      event.token.prob = 0.5f;
      event.token.top = {{id, 0.5f}, {5, 0.25f}};
      return true;
    }
    event.kind = CompletionEvent::Kind::kDone;
    event.stop_reason = cancelled_ ? StopReason::kCancelled : stop_;
    event.usage.prompt_tokens = 4;
    event.usage.completion_tokens = static_cast<int32_t>(next_);
    event.usage.generation_seconds = 0.5;
    event.usage.time_to_first_token = 0.1;
    done_ = true;
    return true;
  }

  void Cancel() override {
    if (!cancelled_) ++*cancels_;
    cancelled_ = true;
  }

 private:
  std::vector<int32_t> tokens_;
  StopReason stop_;
  std::atomic<int>* cancels_;
  size_t next_ = 0;
  bool cancelled_ = false;
  bool done_ = false;
};

class FakeCompletionService : public CompletionService {
 public:
  explicit FakeCompletionService(int capacity = 1000)
      : model_(hearth::testing::MakeFakeLoadedModel(nullptr)), capacity_(capacity) {}

  const LoadedModel& model() const override { return *model_; }

  Result<std::unique_ptr<Completion>> Submit(CompletionRequest request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (static_cast<int>(submitted.size()) >= capacity_) {
      return ResourceExhaustedError("queue full");
    }
    if (request.sampling.temperature < 0) return InvalidArgumentError("bad temperature");
    submitted.push_back({request.prompt, request.max_tokens, request.sampling.seed,
                         request.sampling.n_probs, request.sampling.report_prob, request.stop,
                         request.cache_owner, request.constraint != nullptr});
    return std::unique_ptr<Completion>(new FakeCompletion(tokens, stop_reason, &cancels));
  }

  Result<std::vector<float>> Embed(std::span<const int32_t> ids) override {
    return std::vector<float>{static_cast<float>(ids.size()), 0.0f};
  }

  ServiceStats stats() const override {
    ServiceStats s;
    s.slots_total = 4;
    s.slots_busy = 1;
    s.queue_depth = 2;
    return s;
  }

  std::vector<SubmittedRequest> submitted;
  std::vector<int32_t> tokens = {2, 3, 4};
  StopReason stop_reason = StopReason::kEndOfGeneration;
  std::atomic<int> cancels{0};

 private:
  std::shared_ptr<LoadedModel> model_;
  int capacity_;
  std::mutex mutex_;
};

}  // namespace hearth::server::testing
