#include "tokenizer/vocab.h"

#include "tokenizer/base_tokenizer.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/wpm_tokenizer.h"

namespace hearth {

Result<std::unique_ptr<Tokenizer>> CreateTokenizer(Vocab vocab) {
  HEARTH_RETURN_IF_ERROR(ValidateVocab(vocab));
  switch (vocab.model) {
    case VocabModel::kSentencePiece:
      return std::unique_ptr<Tokenizer>(new SpmTokenizer(std::move(vocab)));
    case VocabModel::kByteLevelBpe:
      return BpeTokenizer::Create(std::move(vocab));
    case VocabModel::kWordPiece:
      return std::unique_ptr<Tokenizer>(new WpmTokenizer(std::move(vocab)));
  }
  return InternalError("unknown VocabModel {}", static_cast<int>(vocab.model));
}

}  // namespace hearth
