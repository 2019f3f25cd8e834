// GrammarConstraint: a TokenConstraint that keeps the output inside a
// Grammar's language, token by token.
//
// Mask() walks the vocabulary's byte trie depth-first against the matcher:
// a trie node whose byte no stack accepts cuts off every token below it, so
// the cost follows the number of prefixes the grammar allows, not the
// vocabulary size times the token length.
//
// Mask() is logically const but uses scratch state: one instance per
// sequence, not called from two threads at once.
#pragma once

#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "sampling/constraint.h"
#include "sampling/constraint_vocab.h"
#include "sampling/constraint_vocab_trie.h"
#include "sampling/grammar.h"
#include "sampling/grammar_matcher.h"

namespace hearth {

class GrammarConstraint : public TokenConstraint {
 public:
  GrammarConstraint(std::shared_ptr<const Grammar> grammar,
                    std::shared_ptr<const ConstraintVocab> vocab);

  void Mask(std::span<float> logits) const override;
  Status Accept(int32_t token) override;
  bool IsComplete() const override;

  // Every token Mask() would leave allowed, ascending (tests, benchmarks).
  std::vector<int32_t> AllowedTokens() const;

 private:
  // Sets allowed[t] for every token that may come next.
  void ComputeAllowed(std::vector<bool>& allowed) const;
  bool IsEndOfGeneration(int32_t token) const;

  std::shared_ptr<const ConstraintVocab> vocab_;
  std::shared_ptr<const VocabTrie> trie_;
  mutable GrammarMatcher matcher_;
  std::vector<StackTop> stacks_;
  std::vector<bool> is_eog_;
  bool ended_ = false;  // an end-of-generation token was accepted
  // Mask()'s memo of matcher states met during one trie walk: each distinct
  // set of stacks gets an id, and (state, byte) -> next state is computed
  // once. Inside a string almost every trie node then costs one lookup,
  // since most bytes lead back to the same few states. Cleared after each
  // walk (the states refer to arena nodes that are then dropped).
  struct StateCache {
    std::vector<StackTop> tops;        // every state's stacks, concatenated
    std::vector<uint32_t> begin;       // state s: tops[begin[s], begin[s + 1])
    std::vector<ByteSet> next_bytes;   // bytes some stack of the state accepts
    // row_of[state]: its row in `transitions`, or -1 until the walk goes
    // below that state. A row holds 256 entries, [byte]: kUnknown, kDead or
    // the next state. Rows are capped (kMaxRows); past the cap transitions
    // are recomputed rather than stored, so memory stays bounded.
    std::vector<int32_t> row_of;
    std::vector<int32_t> transitions;
    std::unordered_map<uint64_t, int32_t> by_hash;
    void Clear();
  };
  static constexpr int32_t kUnknown = -2;
  static constexpr int32_t kDead = -1;
  static constexpr size_t kMaxRows = 16384;  // 16 MiB of transitions
  int32_t Intern(const std::vector<StackTop>& tops) const;
  int32_t Transition(int32_t state, uint8_t byte) const;

  mutable StateCache cache_;
  mutable std::vector<int32_t> level_state_;  // state at each trie depth of the walk
  mutable std::vector<bool> allowed_;
  mutable std::vector<StackTop> scratch_;
};

}  // namespace hearth
