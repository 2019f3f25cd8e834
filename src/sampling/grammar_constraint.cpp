#include "sampling/grammar_constraint.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace hearth {

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> grammar,
                                     std::shared_ptr<const ConstraintVocab> vocab)
    : vocab_(std::move(vocab)), matcher_(std::move(grammar)) {
  trie_ = vocab_->trie
              ? vocab_->trie
              : std::make_shared<const VocabTrie>(vocab_->pieces, vocab_->end_of_generation);
  is_eog_.assign(vocab_->pieces.size(), false);
  for (int32_t id : vocab_->end_of_generation) {
    if (id >= 0 && static_cast<size_t>(id) < is_eog_.size())
      is_eog_[static_cast<size_t>(id)] = true;
  }
  matcher_.Start(stacks_);
  level_state_.resize(static_cast<size_t>(trie_->max_depth()) + 1);
}

bool GrammarConstraint::IsEndOfGeneration(int32_t token) const {
  return token >= 0 && static_cast<size_t>(token) < is_eog_.size() &&
         is_eog_[static_cast<size_t>(token)];
}

bool GrammarConstraint::IsComplete() const { return ended_ || GrammarMatcher::Accepts(stacks_); }

void GrammarConstraint::ComputeAllowed(std::vector<bool>& allowed) const {
  allowed.assign(vocab_->pieces.size(), false);
  if (IsComplete()) {
    for (int32_t id : vocab_->end_of_generation) {
      if (id >= 0 && static_cast<size_t>(id) < allowed.size())
        allowed[static_cast<size_t>(id)] = true;
    }
  }
  if (ended_) return;
  const VocabTrie& trie = *trie_;
  const size_t base_mark = matcher_.Mark();
  cache_.Clear();
  level_state_[0] = Intern(stacks_);
  size_t i = 1;
  while (i < trie.size()) {
    // Pre-order: node i's parent is the latest node at depth - 1.
    const int32_t parent = level_state_[trie.depth(i) - 1];
    const uint8_t byte = trie.byte(i);
    const int32_t next =
        cache_.next_bytes[static_cast<size_t>(parent)].Has(byte) ? Transition(parent, byte) : kDead;
    if (next == kDead) {
      i = trie.end(i);  // no token below this prefix fits
      continue;
    }
    for (int32_t id : trie.tokens(i)) allowed[static_cast<size_t>(id)] = true;
    level_state_[trie.depth(i)] = next;
    ++i;
  }
  cache_.Clear();
  matcher_.Rewind(base_mark);
}

void GrammarConstraint::StateCache::Clear() {
  tops.clear();
  begin.assign(1, 0);
  next_bytes.clear();
  row_of.clear();
  transitions.clear();
  by_hash.clear();
}

int32_t GrammarConstraint::Intern(const std::vector<StackTop>& tops) const {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const StackTop& top : tops) {
    hash = (hash ^ static_cast<uint32_t>(top.pos)) * 0x100000001b3ull;
    hash = (hash ^ static_cast<uint32_t>(top.parent)) * 0x100000001b3ull;
  }
  const auto found = cache_.by_hash.find(hash);
  if (found != cache_.by_hash.end()) {
    const auto s = static_cast<size_t>(found->second);
    const auto* first = cache_.tops.data() + cache_.begin[s];
    const size_t size = cache_.begin[s + 1] - cache_.begin[s];
    if (size == tops.size() && std::equal(tops.begin(), tops.end(), first)) return found->second;
  }
  const auto id = static_cast<int32_t>(cache_.next_bytes.size());
  cache_.tops.insert(cache_.tops.end(), tops.begin(), tops.end());
  cache_.begin.push_back(static_cast<uint32_t>(cache_.tops.size()));
  cache_.next_bytes.push_back(matcher_.NextBytes(tops));
  cache_.row_of.push_back(-1);
  cache_.by_hash.emplace(hash, id);  // keeps the first state on a (rare) collision
  return id;
}

int32_t GrammarConstraint::Transition(int32_t state, uint8_t byte) const {
  const auto s = static_cast<size_t>(state);
  int32_t row = cache_.row_of[s];
  if (row < 0 && cache_.transitions.size() < kMaxRows * 256) {
    row = static_cast<int32_t>(cache_.transitions.size() / 256);
    cache_.row_of[s] = row;
    cache_.transitions.resize(cache_.transitions.size() + 256, kUnknown);
  }
  const size_t slot = static_cast<size_t>(row) * 256 + byte;
  if (row >= 0 && cache_.transitions[slot] != kUnknown) return cache_.transitions[slot];
  const std::span<const StackTop> tops(cache_.tops.data() + cache_.begin[s],
                                       cache_.begin[s + 1] - cache_.begin[s]);
  matcher_.Advance(tops, byte, scratch_);
  const int32_t next = scratch_.empty() ? kDead : Intern(scratch_);
  if (row >= 0) cache_.transitions[slot] = next;
  return next;
}

void GrammarConstraint::Mask(std::span<float> logits) const {
  ComputeAllowed(allowed_);
  const size_t n = std::min(logits.size(), allowed_.size());
  for (size_t t = 0; t < n; ++t) {
    if (!allowed_[t]) logits[t] = -INFINITY;
  }
  for (size_t t = n; t < logits.size(); ++t) logits[t] = -INFINITY;  // ids beyond the vocabulary
}

std::vector<int32_t> GrammarConstraint::AllowedTokens() const {
  ComputeAllowed(allowed_);
  std::vector<int32_t> ids;
  for (size_t t = 0; t < allowed_.size(); ++t) {
    if (allowed_[t]) ids.push_back(static_cast<int32_t>(t));
  }
  return ids;
}

Status GrammarConstraint::Accept(int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= vocab_->pieces.size()) {
    return InvalidArgumentError("token {} is outside the vocabulary", token);
  }
  if (ended_)
    return InvalidArgumentError("token {} after the end of the constrained output", token);
  if (IsEndOfGeneration(token)) {
    if (!IsComplete()) {
      return InvalidArgumentError("end of generation (token {}) before the output is complete",
                                  token);
    }
    ended_ = true;
    return Status::Ok();
  }
  const std::string& piece = vocab_->pieces[static_cast<size_t>(token)];
  if (piece.empty()) return InvalidArgumentError("control token {} is not allowed here", token);
  const size_t mark = matcher_.Mark();
  std::vector<StackTop> current = stacks_;
  for (char c : piece) {
    matcher_.Advance(current, static_cast<uint8_t>(c), scratch_);
    if (scratch_.empty()) {
      matcher_.Rewind(mark);
      return InvalidArgumentError("token {} does not fit the required format here", token);
    }
    std::swap(current, scratch_);
  }
  stacks_ = std::move(current);
  return Status::Ok();
}

}  // namespace hearth
