// Builds the ConstraintVocab of a model's tokenizer (sampling/ cannot see
// tokenizer/): the piece of every token id (render_special = false) and the
// end-of-generation ids. Build it once per loaded model and share it.
#pragma once

#include <memory>

#include "sampling/constraint_vocab.h"
#include "tokenizer/tokenizer.h"

namespace hearth {

std::shared_ptr<const ConstraintVocab> BuildConstraintVocab(const Tokenizer& tokenizer);

}  // namespace hearth
