// The continuous-batching scheduler behind CreateScheduler (completion_service.h).
//
// Threads and ownership:
//  - Client threads call Submit/Embed/stats and Completion::Next/Cancel. They
//    touch only the Hub, always under Hub::mu.
//  - One worker thread owns the model, the slots, the prefix cache and every
//    request's generation state (SequenceGenerator). It takes work from the
//    Hub under Hub::mu, runs forward passes with the lock released, and posts
//    events back under the lock.
//  - One mutex (Hub::mu) guards everything shared; condition variables:
//    Hub::work (the worker waits for requests, cancellations, embeddings or
//    shutdown), RequestState::ready (a client waits for events),
//    EmbedJob::ready (an Embed caller waits for its result).
//  - The model's Forward* are not thread-safe: while a scheduler runs, nothing
//    else may evaluate the same LoadedModel (its tokenizer is free to use).
//
// A step (Worker::Step): every generating slot contributes its next token,
// then slots still reading their prompt contribute chunks, first come first
// served, within n_batch tokens; one Model::ForwardBatch evaluates them all,
// and each slot whose logits came back samples its next token. Requests are
// admitted into free slots between steps. Results are bit-identical to the
// request running alone because every row of the batch is computed
// independently of the others, and prompt chunks are never split so as to
// leave a one-token chunk (attention with one query takes another kernel).
// A finished request's cache goes to the PrefixCache (scheduler_cache.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/completion_service.h"
#include "engine/scheduler_cache.h"
#include "engine/scheduler_sequence.h"

namespace hearth::scheduler {

using Clock = std::chrono::steady_clock;

// One submitted request, shared by its Completion and the worker.
struct RequestState {
  // Written by Submit before the request is shared; the worker moves it out at admission.
  CompletionRequest request;
  Clock::time_point submitted;
  // Guarded by Hub::mu.
  std::deque<CompletionEvent> events;
  std::condition_variable ready;  // events became non-empty
  bool cancelled = false;
};

struct EmbedJob {
  std::vector<int32_t> tokens;  // read-only once queued
  // Guarded by Hub::mu.
  bool done = false;
  Status status;
  std::vector<float> embedding;
  std::condition_variable ready;
};

// Everything client threads and the worker share, guarded by `mu`.
struct Hub {
  std::mutex mu;
  std::condition_variable work;
  std::deque<std::shared_ptr<RequestState>> waiting;  // submitted, not yet in a slot
  std::deque<std::shared_ptr<EmbedJob>> embeds;
  bool stopping = false;
  bool cancel_pending = false;  // some request was cancelled since the worker last looked
  ServiceStats stats;
};

// A slot: one active request and its cache. Worker thread only.
struct Slot {
  std::shared_ptr<RequestState> state;  // null: free
  std::unique_ptr<CachedSequence> sequence;
  std::unique_ptr<SequenceGenerator> generator;
  std::vector<int32_t> prompt;
  size_t evaluated = 0;     // prompt tokens in the cache
  bool generating = false;  // the prompt is done: next_token is evaluated next
  int32_t next_token = -1;
  uint64_t order = 0;  // admission order: prompt chunks go first-come first-served
  Clock::time_point admitted;
  Clock::time_point first_sample;
  CompletionUsage usage;
};

class Worker {
 public:
  Worker(std::shared_ptr<LoadedModel> model, const SchedulerOptions& options,
         std::shared_ptr<Hub> hub);
  // Runs until Hub::stopping; then ends every request with a Cancelled status.
  void Run();

 private:
  struct Posted {
    RequestState* state;
    CompletionEvent event;
  };

  bool HasWork() const;  // under Hub::mu
  // Under Hub::mu: drops cancelled waiting requests, marks cancelled slots,
  // moves waiting requests into free slots.
  void TakeWork(std::vector<std::shared_ptr<RequestState>>& admitted,
                std::vector<std::shared_ptr<EmbedJob>>& embeds);
  void Admit(std::shared_ptr<RequestState> state);
  void RunEmbed(EmbedJob& job);
  Status ComputeEmbedding(std::span<const int32_t> tokens, std::vector<float>& embedding);
  // One forward pass over every active slot, then sampling.
  void Step();
  // The step's inputs: one token per generating slot, then prompt chunks.
  void BuildBatch(std::vector<SequenceBatch>& batch, std::vector<Slot*>& members);
  // Notes that `evaluated` tokens are now in the slot's cache.
  void Record(Slot& slot, std::span<const int32_t> evaluated);
  // Picks the slot's next token from `logits` and posts its event.
  void SampleNext(Slot& slot, std::span<const float> logits);
  // Ends the slot's request with `status` / `reason`, releases its cache.
  void Finish(Slot& slot, StopReason reason, Status status, std::string text = "");
  void Post(RequestState* state, CompletionEvent event);
  void FlushPosted();
  void Shutdown();

  std::shared_ptr<LoadedModel> model_;
  SchedulerOptions options_;
  std::shared_ptr<Hub> hub_;
  PrefixCache prefix_;
  std::vector<Slot> slots_;
  std::vector<size_t> cancelled_slots_;  // found by TakeWork
  std::vector<Posted> posted_;           // events to hand over at the end of a step
  // Requests finished this step, kept alive until their events are handed over.
  std::vector<std::shared_ptr<RequestState>> finished_;
  uint64_t next_order_ = 0;
  std::vector<float> logits_;  // scratch: the logits of one step
};

}  // namespace hearth::scheduler
