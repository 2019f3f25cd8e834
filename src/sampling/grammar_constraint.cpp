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
  level_stacks_.resize(static_cast<size_t>(trie_->max_depth()) + 1);
  level_bytes_.resize(level_stacks_.size());
  level_marks_.resize(level_stacks_.size());
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
  level_stacks_[0] = stacks_;
  level_bytes_[0] = matcher_.NextBytes(stacks_);
  level_marks_[0] = base_mark;
  size_t i = 1;
  while (i < trie.size()) {
    const size_t depth = trie.depth(i);
    const uint8_t byte = trie.byte(i);
    // The parent's stacks are level depth-1: pre-order visits a node right
    // after its parent's subtree so far, and deeper levels are stale.
    if (!level_bytes_[depth - 1].Has(byte)) {
      i = trie.end(i);
      continue;
    }
    // Arena nodes made after the parent's level belong to stale levels.
    matcher_.Rewind(level_marks_[depth - 1]);
    std::vector<StackTop>& here = level_stacks_[depth];
    matcher_.Advance(level_stacks_[depth - 1], byte, here);
    level_marks_[depth] = matcher_.Mark();
    if (here.empty()) {
      i = trie.end(i);
      continue;
    }
    for (int32_t id : trie.tokens(i)) allowed[static_cast<size_t>(id)] = true;
    level_bytes_[depth] = matcher_.NextBytes(here);
    ++i;
  }
  matcher_.Rewind(base_mark);
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
