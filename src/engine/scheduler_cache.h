// PrefixCache: the KV caches of finished requests, kept so that a later
// request from the same owner whose prompt starts the same way (a chat's next
// turn) evaluates only the rest. Owned and used by the scheduler's worker
// thread only.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/model.h"

namespace hearth {

// A KV cache and the tokens whose keys and values it holds.
struct CachedSequence {
  std::unique_ptr<KvCache> cache;
  std::vector<int32_t> tokens;  // tokens[i] is at position i; size() == cache->size()
  // The leading tokens whose keys and values are exactly what evaluating them
  // afresh as a prompt gives: those evaluated in chunks of two or more. A
  // token evaluated alone (a generated one) takes attention's one-query
  // kernel, which rounds differently; reusing only the exact prefix keeps a
  // request's output independent of what the cache happened to hold.
  size_t exact = 0;
  std::string owner;  // who may reuse it (the API key)
};

class PrefixCache {
 public:
  // Caches hold n_ctx positions; at most `capacity` idle ones are kept.
  PrefixCache(const Model& model, int32_t n_ctx, int32_t capacity)
      : model_(model), n_ctx_(n_ctx), capacity_(capacity) {}

  // A cache for `prompt` from `owner`: the idle cache of that owner sharing
  // the longest exact prefix with the prompt (cut to at most prompt.size() - 2
  // tokens, so that the rest is evaluated as a chunk of two or more, as it
  // would be afresh, and the last prompt token gives logits); else an
  // emptied one (the least recently used idle cache when `capacity` are idle,
  // or a new one). Caches of other owners are never reused with content.
  Result<std::unique_ptr<CachedSequence>> Acquire(const std::string& owner,
                                                  std::span<const int32_t> prompt);

  // Keeps `sequence` for later requests, dropping the least recently used
  // beyond capacity.
  void Release(std::unique_ptr<CachedSequence> sequence);

  int32_t idle() const { return static_cast<int32_t>(idle_.size()); }

 private:
  const Model& model_;
  int32_t n_ctx_;
  int32_t capacity_;
  std::list<std::unique_ptr<CachedSequence>> idle_;  // least recently used first
};

}  // namespace hearth
