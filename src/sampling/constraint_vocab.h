// ConstraintVocab: what a TokenConstraint needs to know about a vocabulary,
// without depending on tokenizer/ (the same layer): the bytes each token id
// stands for and which ids end the generation. Built once per model (see
// engine/constraint_vocab_builder.h) and shared, read-only, by every
// constraint made for that model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hearth {

class VocabTrie;

struct ConstraintVocab {
  // pieces[id]: the bytes token `id` adds to the output (render_special =
  // false), so control tokens are empty. pieces.size() is the vocabulary size.
  std::vector<std::string> pieces;
  // Ids that end the generation (eos, eot, ...). A constraint allows them
  // only when its output is complete.
  std::vector<int32_t> end_of_generation;
  // A byte trie over `pieces`, used by Mask() to test every token against the
  // grammar in one walk. MakeConstraintVocab fills it; if it is null, each
  // constraint builds its own (correct, but slower to create).
  std::shared_ptr<const VocabTrie> trie;
};

// Builds the vocabulary with its trie (tens of ms for 50k tokens).
std::shared_ptr<const ConstraintVocab> MakeConstraintVocab(std::vector<std::string> pieces,
                                                           std::vector<int32_t> end_of_generation);

}  // namespace hearth
