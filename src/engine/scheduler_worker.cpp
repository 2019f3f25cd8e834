// The scheduler's worker thread: admission into slots, batch building, one
// multi-sequence forward pass per step, and handing events to the clients.
#include <algorithm>
#include <cmath>

#include "core/profile.h"
#include "engine/scheduler.h"

namespace hearth::scheduler {
namespace {

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// How many of `remaining` prompt tokens to evaluate with `budget` left in the
// step. A split never leaves a chunk of one token: attention over one query
// takes another kernel path (as in llama.cpp), so a prompt evaluates the same
// whatever else shares the step only if every chunk but a one-token prompt's
// has at least two tokens.
size_t ChunkSize(size_t remaining, size_t budget) {
  if (remaining <= budget) return remaining;
  if (budget < 2) return 0;
  // Splitting 3 tokens with a budget of 2 would leave one: take all 3.
  if (remaining - budget == 1) return budget >= 3 ? budget - 1 : remaining;
  return budget;
}

}  // namespace

Worker::Worker(std::shared_ptr<LoadedModel> model, const SchedulerOptions& options,
               std::shared_ptr<Hub> hub)
    : model_(std::move(model)),
      options_(options),
      hub_(std::move(hub)),
      prefix_(*model_->model, options.n_ctx, options.prefix_cache_entries),
      slots_(static_cast<size_t>(options.n_slots)) {}

bool Worker::HasWork() const {
  if (hub_->stopping || !hub_->embeds.empty() || hub_->cancel_pending) return true;
  if (hub_->stats.slots_busy > 0) return true;
  return !hub_->waiting.empty();  // and every slot is free
}

void Worker::Run() {
  std::vector<std::shared_ptr<RequestState>> admitted;
  std::vector<std::shared_ptr<EmbedJob>> embeds;
  for (;;) {
    {
      std::unique_lock lock(hub_->mu);
      hub_->work.wait(lock, [&] { return HasWork(); });
      if (hub_->stopping) break;
      TakeWork(admitted, embeds);
    }
    for (auto& job : embeds) RunEmbed(*job);
    embeds.clear();
    for (size_t index : cancelled_slots_) {
      Finish(slots_[index], StopReason::kCancelled, Status::Ok());
    }
    cancelled_slots_.clear();
    for (auto& state : admitted) Admit(std::move(state));
    admitted.clear();
    Step();
    FlushPosted();
  }
  Shutdown();
}

void Worker::TakeWork(std::vector<std::shared_ptr<RequestState>>& admitted,
                      std::vector<std::shared_ptr<EmbedJob>>& embeds) {
  embeds.assign(hub_->embeds.begin(), hub_->embeds.end());
  hub_->embeds.clear();
  if (hub_->cancel_pending) {
    hub_->cancel_pending = false;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].state && slots_[i].state->cancelled) cancelled_slots_.push_back(i);
    }
    auto& waiting = hub_->waiting;
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (!(*it)->cancelled) {
        ++it;
        continue;
      }
      CompletionEvent done;
      done.kind = CompletionEvent::Kind::kDone;
      done.stop_reason = StopReason::kCancelled;
      done.usage.prompt_tokens = static_cast<int32_t>((*it)->request.prompt.size());
      done.usage.queue_seconds = Seconds((*it)->submitted, Clock::now());
      (*it)->events.push_back(std::move(done));
      (*it)->ready.notify_all();
      it = waiting.erase(it);
    }
  }
  // Slots freed by this round's cancellations count as free.
  int32_t free_slots =
      options_.n_slots - hub_->stats.slots_busy + static_cast<int32_t>(cancelled_slots_.size());
  while (free_slots > 0 && !hub_->waiting.empty()) {
    admitted.push_back(std::move(hub_->waiting.front()));
    hub_->waiting.pop_front();
    --free_slots;
  }
  hub_->stats.slots_busy += static_cast<int32_t>(admitted.size());
  hub_->stats.queue_depth = static_cast<int32_t>(hub_->waiting.size());
  for (const auto& state : admitted) {
    hub_->stats.prompt_tokens_total += state->request.prompt.size();
  }
}

void Worker::Admit(std::shared_ptr<RequestState> state) {
  auto free = std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.state; });
  Slot& slot = *free;  // TakeWork admitted no more requests than free slots
  slot.state = std::move(state);
  slot.admitted = Clock::now();
  slot.order = next_order_++;
  slot.generating = false;
  slot.usage = CompletionUsage{};
  CompletionRequest& request = slot.state->request;
  slot.usage.prompt_tokens = static_cast<int32_t>(request.prompt.size());
  slot.usage.queue_seconds = Seconds(slot.state->submitted, slot.admitted);

  auto generator =
      SequenceGenerator::Create(*model_->tokenizer, model_->model->spec().n_vocab, request);
  if (!generator.ok()) return Finish(slot, StopReason::kCancelled, generator.status());
  slot.generator = std::move(*generator);
  auto sequence = prefix_.Acquire(request.cache_owner, request.prompt);
  if (!sequence.ok()) return Finish(slot, StopReason::kCancelled, sequence.status());
  slot.sequence = std::move(*sequence);
  slot.prompt = std::move(request.prompt);
  slot.evaluated = slot.sequence->tokens.size();
  slot.usage.cached_tokens = static_cast<int32_t>(slot.evaluated);
}

void Worker::Step() {
  std::vector<SequenceBatch> batch;
  std::vector<Slot*> members;
  BuildBatch(batch, members);
  if (batch.empty()) return;
  if (Status status = model_->model->ForwardBatch(batch, logits_); !status.ok()) {
    for (Slot* slot : members) Finish(*slot, StopReason::kCancelled, status);
    return;
  }
  profile::Scope timer(profile::Op::kSample);
  const size_t n_vocab = static_cast<size_t>(model_->model->spec().n_vocab);
  size_t row = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    Slot& slot = *members[i];
    Record(slot, batch[i].tokens);
    if (batch[i].logits == SequenceBatch::Logits::kNone) continue;
    SampleNext(slot, std::span<const float>(logits_).subspan(row * n_vocab, n_vocab));
    ++row;
  }
}

void Worker::BuildBatch(std::vector<SequenceBatch>& batch, std::vector<Slot*>& members) {
  // One token per generating slot...
  for (Slot& slot : slots_) {
    if (!slot.state || !slot.generating) continue;
    batch.push_back({std::span<const int32_t>(&slot.next_token, 1), slot.sequence->cache.get(),
                     SequenceBatch::Logits::kLast});
    members.push_back(&slot);
  }
  // ... then prompt chunks, first come first served, within n_batch tokens
  // (at least two prompt tokens per step, so that admission always progresses).
  std::vector<Slot*> prompting;
  for (Slot& slot : slots_) {
    if (slot.state && !slot.generating) prompting.push_back(&slot);
  }
  std::sort(prompting.begin(), prompting.end(),
            [](const Slot* a, const Slot* b) { return a->order < b->order; });
  size_t budget = static_cast<size_t>(
      std::max<int64_t>(options_.n_batch - static_cast<int64_t>(batch.size()), 2));
  for (Slot* slot : prompting) {
    const size_t remaining = slot->prompt.size() - slot->evaluated;
    const size_t take = ChunkSize(remaining, budget);
    if (take == 0) continue;
    budget -= std::min(take, budget);
    const bool last = take == remaining;  // its logits give the first token
    batch.push_back({std::span<const int32_t>(slot->prompt).subspan(slot->evaluated, take),
                     slot->sequence->cache.get(),
                     last ? SequenceBatch::Logits::kLast : SequenceBatch::Logits::kNone});
    members.push_back(slot);
  }
}

void Worker::Record(Slot& slot, std::span<const int32_t> evaluated) {
  CachedSequence& sequence = *slot.sequence;
  if (sequence.exact == sequence.tokens.size() && evaluated.size() >= 2) {
    sequence.exact += evaluated.size();
  }
  sequence.tokens.insert(sequence.tokens.end(), evaluated.begin(), evaluated.end());
  if (!slot.generating) slot.evaluated += evaluated.size();
}

void Worker::SampleNext(Slot& slot, std::span<const float> logits) {
  if (!slot.generating) {
    slot.generating = true;
    slot.first_sample = Clock::now();
  }
  const KvCache& cache = *slot.sequence->cache;
  SequenceStep step = slot.generator->Advance(logits, cache.size() < cache.capacity());
  slot.next_token = slot.generator->next_token();
  if (step.has_token) {
    if (slot.usage.completion_tokens == 0) {
      slot.usage.time_to_first_token = Seconds(slot.state->submitted, Clock::now());
    }
    ++slot.usage.completion_tokens;
    Post(slot.state.get(), std::move(step.event));
  }
  if (step.done) Finish(slot, step.stop_reason, step.status, std::move(step.final_text));
}

void Worker::Finish(Slot& slot, StopReason reason, Status status, std::string text) {
  CompletionEvent done;
  done.kind = CompletionEvent::Kind::kDone;
  done.text = std::move(text);
  done.stop_reason = reason;
  done.status = std::move(status);
  done.usage = slot.usage;
  if (slot.generating) done.usage.generation_seconds = Seconds(slot.first_sample, Clock::now());
  Post(slot.state.get(), std::move(done));
  // The state stays alive until FlushPosted: the posted event points at it.
  finished_.push_back(std::move(slot.state));
  if (slot.sequence) prefix_.Release(std::move(slot.sequence));
  slot.generator.reset();
  slot.prompt.clear();
  slot.evaluated = 0;
  slot.generating = false;
}

void Worker::Post(RequestState* state, CompletionEvent event) {
  posted_.push_back(Posted{state, std::move(event)});
}

void Worker::FlushPosted() {
  if (posted_.empty()) return;
  std::lock_guard lock(hub_->mu);
  for (Posted& posted : posted_) {
    if (posted.event.kind == CompletionEvent::Kind::kToken) {
      ++hub_->stats.generated_tokens_total;
    }
    posted.state->events.push_back(std::move(posted.event));
    posted.state->ready.notify_all();
  }
  hub_->stats.slots_busy -= static_cast<int32_t>(finished_.size());
  posted_.clear();
  finished_.clear();
}

void Worker::RunEmbed(EmbedJob& job) {
  std::vector<float> embedding;
  Status status = ComputeEmbedding(job.tokens, embedding);
  std::lock_guard lock(hub_->mu);
  job.status = std::move(status);
  job.embedding = std::move(embedding);
  job.done = true;
  job.ready.notify_all();
}

Status Worker::ComputeEmbedding(std::span<const int32_t> tokens, std::vector<float>& embedding) {
  Model& model = *model_->model;
  const int32_t n_embd = model.spec().n_embd;
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<KvCache> cache,
                          model.NewCache(static_cast<int32_t>(tokens.size())));
  std::vector<double> sum(static_cast<size_t>(n_embd), 0.0);
  std::vector<float> hidden;
  const size_t budget = static_cast<size_t>(std::max(options_.n_batch, 2));
  for (size_t begin = 0; begin < tokens.size();) {
    const size_t take = ChunkSize(tokens.size() - begin, budget);  // >= 1
    HEARTH_RETURN_IF_ERROR(model.ForwardHidden(tokens.subspan(begin, take), *cache, hidden));
    for (size_t i = 0; i < hidden.size(); ++i) sum[i % n_embd] += hidden[i];  // [take, n_embd]
    begin += take;
  }
  double norm = 0.0;
  for (double& v : sum) {
    v /= static_cast<double>(tokens.size());
    norm += v * v;
  }
  norm = std::sqrt(norm);
  embedding.resize(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) {
    embedding[i] = static_cast<float>(norm > 0.0 ? sum[i] / norm : 0.0);
  }
  return Status::Ok();
}

void Worker::Shutdown() {
  for (Slot& slot : slots_) {
    if (slot.state) {
      Finish(slot, StopReason::kCancelled, CancelledError("the scheduler is shutting down"));
    }
  }
  FlushPosted();
  std::lock_guard lock(hub_->mu);
  for (auto& state : hub_->waiting) {
    CompletionEvent done;
    done.kind = CompletionEvent::Kind::kDone;
    done.stop_reason = StopReason::kCancelled;
    done.status = CancelledError("the scheduler is shutting down");
    state->events.push_back(std::move(done));
    state->ready.notify_all();
  }
  hub_->waiting.clear();
  for (auto& job : hub_->embeds) {
    job->status = CancelledError("the scheduler is shutting down");
    job->done = true;
    job->ready.notify_all();
  }
  hub_->embeds.clear();
}

}  // namespace hearth::scheduler
