#include "engine/constraint_vocab_builder.h"

#include <string>
#include <vector>

namespace hearth {

std::shared_ptr<const ConstraintVocab> BuildConstraintVocab(const Tokenizer& tokenizer) {
  const int32_t n_vocab = tokenizer.vocab_size();
  std::vector<std::string> pieces(static_cast<size_t>(n_vocab));
  std::vector<int32_t> end_of_generation;
  for (int32_t id = 0; id < n_vocab; ++id) {
    pieces[static_cast<size_t>(id)] = tokenizer.TokenToPiece(id, /*render_special=*/false);
    if (tokenizer.IsEndOfGeneration(id)) end_of_generation.push_back(id);
  }
  return MakeConstraintVocab(std::move(pieces), std::move(end_of_generation));
}

}  // namespace hearth
