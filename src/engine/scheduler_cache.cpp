#include "engine/scheduler_cache.h"

#include <algorithm>

namespace hearth {
namespace {

// How many leading tokens of `sequence` a request for `prompt` may reuse.
size_t Reusable(const CachedSequence& sequence, std::span<const int32_t> prompt) {
  const size_t limit = std::min(sequence.exact, prompt.size() < 2 ? 0 : prompt.size() - 2);
  size_t n = 0;
  while (n < limit && sequence.tokens[n] == prompt[n]) ++n;
  return n;
}

void Empty(CachedSequence& sequence, const std::string& owner) {
  sequence.cache->Truncate(0);
  sequence.tokens.clear();
  sequence.exact = 0;
  sequence.owner = owner;
}

}  // namespace

Result<std::unique_ptr<CachedSequence>> PrefixCache::Acquire(const std::string& owner,
                                                             std::span<const int32_t> prompt) {
  auto best = idle_.end();
  size_t best_length = 0;
  for (auto it = idle_.begin(); it != idle_.end(); ++it) {
    if ((*it)->owner != owner) continue;
    const size_t length = Reusable(**it, prompt);
    if (length > best_length) {
      best = it;
      best_length = length;
    }
  }
  if (best != idle_.end()) {
    std::unique_ptr<CachedSequence> sequence = std::move(*best);
    idle_.erase(best);
    sequence->cache->Truncate(static_cast<int32_t>(best_length));
    sequence->tokens.resize(best_length);
    sequence->exact = best_length;
    return sequence;
  }
  if (!idle_.empty() && static_cast<int32_t>(idle_.size()) >= capacity_) {
    std::unique_ptr<CachedSequence> sequence = std::move(idle_.front());
    idle_.pop_front();
    Empty(*sequence, owner);
    return sequence;
  }
  auto sequence = std::make_unique<CachedSequence>();
  HEARTH_ASSIGN_OR_RETURN(sequence->cache, model_.NewCache(n_ctx_));
  sequence->owner = owner;
  return sequence;
}

void PrefixCache::Release(std::unique_ptr<CachedSequence> sequence) {
  if (capacity_ <= 0 || !sequence) return;
  idle_.push_back(std::move(sequence));
  while (static_cast<int32_t>(idle_.size()) > capacity_) idle_.pop_front();
}

}  // namespace hearth
