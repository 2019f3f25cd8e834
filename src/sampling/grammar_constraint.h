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
  // Scratch for Mask(): stacks and next bytes per trie depth.
  mutable std::vector<std::vector<StackTop>> level_stacks_;
  mutable std::vector<ByteSet> level_bytes_;
  mutable std::vector<size_t> level_marks_;  // arena size after each level
  mutable std::vector<bool> allowed_;
  mutable std::vector<StackTop> scratch_;
};

}  // namespace hearth
