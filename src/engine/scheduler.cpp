// The client side of the scheduler: request validation, the queue, the
// Completion handles and Embed. The worker thread is in scheduler_worker.cpp.
#include "engine/scheduler.h"

#include <algorithm>

namespace hearth {
namespace scheduler {
namespace {

constexpr int32_t kDefaultMaxContext = 4096;

class CompletionHandle final : public Completion {
 public:
  CompletionHandle(std::shared_ptr<Hub> hub, std::shared_ptr<RequestState> state)
      : hub_(std::move(hub)), state_(std::move(state)) {}
  ~CompletionHandle() override { Cancel(); }

  bool Next(CompletionEvent& event) override {
    std::unique_lock lock(hub_->mu);
    if (finished_) return false;
    state_->ready.wait(lock, [&] { return !state_->events.empty(); });
    event = std::move(state_->events.front());
    state_->events.pop_front();
    if (event.kind == CompletionEvent::Kind::kDone) finished_ = true;
    return true;
  }

  void Cancel() override {
    std::lock_guard lock(hub_->mu);
    if (state_->cancelled) return;
    state_->cancelled = true;
    hub_->cancel_pending = true;
    hub_->work.notify_one();
  }

 private:
  std::shared_ptr<Hub> hub_;
  std::shared_ptr<RequestState> state_;
  bool finished_ = false;  // the kDone event was returned (guarded by Hub::mu)
};

class Scheduler final : public CompletionService {
 public:
  Scheduler(std::shared_ptr<LoadedModel> model, const SchedulerOptions& options)
      : model_(std::move(model)), options_(options), hub_(std::make_shared<Hub>()) {
    hub_->stats.slots_total = options_.n_slots;
    thread_ =
        std::thread([worker = std::make_shared<Worker>(model_, options_, hub_)] { worker->Run(); });
  }

  ~Scheduler() override {
    {
      std::lock_guard lock(hub_->mu);
      hub_->stopping = true;
    }
    hub_->work.notify_one();
    thread_.join();
  }

  const LoadedModel& model() const override { return *model_; }

  Result<std::unique_ptr<Completion>> Submit(CompletionRequest request) override {
    HEARTH_RETURN_IF_ERROR(Validate(request));
    auto state = std::make_shared<RequestState>();
    state->request = std::move(request);
    state->submitted = Clock::now();
    {
      std::lock_guard lock(hub_->mu);
      const int64_t queued = std::ssize(hub_->waiting) + hub_->stats.slots_busy;
      if (queued >= static_cast<int64_t>(options_.n_slots) + options_.max_queue) {
        return ResourceExhaustedError("the request queue is full ({} waiting); try again later",
                                      hub_->waiting.size());
      }
      hub_->waiting.push_back(state);
      hub_->stats.queue_depth = static_cast<int32_t>(hub_->waiting.size());
    }
    hub_->work.notify_one();
    return std::unique_ptr<Completion>(new CompletionHandle(hub_, std::move(state)));
  }

  Result<std::vector<float>> Embed(std::span<const int32_t> tokens) override {
    HEARTH_RETURN_IF_ERROR(CheckTokens(tokens, model_->model->spec().n_ctx_train));
    auto job = std::make_shared<EmbedJob>();
    job->tokens.assign(tokens.begin(), tokens.end());
    std::unique_lock lock(hub_->mu);
    if (hub_->stopping) return CancelledError("the scheduler is shutting down");
    hub_->embeds.push_back(job);
    hub_->work.notify_one();
    job->ready.wait(lock, [&] { return job->done; });
    if (!job->status.ok()) return job->status;
    return std::move(job->embedding);
  }

  ServiceStats stats() const override {
    std::lock_guard lock(hub_->mu);
    return hub_->stats;
  }

 private:
  Status CheckTokens(std::span<const int32_t> tokens, int32_t n_ctx) const {
    if (tokens.empty()) return InvalidArgumentError("the prompt has no tokens");
    const int32_t n_vocab = model_->model->spec().n_vocab;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i] < 0 || tokens[i] >= n_vocab) {
        return InvalidArgumentError("token id {} (at {}) is outside the vocabulary of {} tokens",
                                    tokens[i], i, n_vocab);
      }
    }
    if (tokens.size() > static_cast<size_t>(n_ctx)) {
      return OutOfRangeError("the prompt is {} tokens but the context holds only {}", tokens.size(),
                             n_ctx);
    }
    return Status::Ok();
  }

  Status Validate(const CompletionRequest& request) const {
    HEARTH_RETURN_IF_ERROR(CheckTokens(request.prompt, options_.n_ctx));
    if (request.max_tokens < -1) {
      return InvalidArgumentError("max_tokens must be >= -1 (-1: no limit), got {}",
                                  request.max_tokens);
    }
    return request.sampling.Validate(model_->model->spec().n_vocab);
  }

  std::shared_ptr<LoadedModel> model_;
  SchedulerOptions options_;
  std::shared_ptr<Hub> hub_;
  std::thread thread_;
};

}  // namespace
}  // namespace scheduler

Result<std::unique_ptr<CompletionService>> CreateScheduler(std::shared_ptr<LoadedModel> model,
                                                           const SchedulerOptions& options) {
  if (!model || !model->model || !model->tokenizer) {
    return InvalidArgumentError("scheduler: no model or tokenizer loaded");
  }
  if (options.n_slots < 1)
    return InvalidArgumentError("slots must be >= 1, got {}", options.n_slots);
  if (options.max_queue < 0)
    return InvalidArgumentError("queue size must be >= 0, got {}", options.max_queue);
  if (options.n_batch < 1)
    return InvalidArgumentError("batch size must be >= 1, got {}", options.n_batch);
  if (options.prefix_cache_entries < 0) {
    return InvalidArgumentError("prefix cache entries must be >= 0, got {}",
                                options.prefix_cache_entries);
  }
  const int32_t model_ctx = model->model->spec().n_ctx_train;
  if (options.n_ctx < 0 || options.n_ctx > model_ctx) {
    return OutOfRangeError("context size {} is outside 0..{} (the model's context length)",
                           options.n_ctx, model_ctx);
  }
  SchedulerOptions resolved = options;
  if (resolved.n_ctx == 0) resolved.n_ctx = std::min(model_ctx, scheduler::kDefaultMaxContext);
  return std::unique_ptr<CompletionService>(new scheduler::Scheduler(std::move(model), resolved));
}

}  // namespace hearth
