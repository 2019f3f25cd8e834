// SentencePiece-style BPE ("llama" vocabularies): spaces become U+2581, adjacent
// pieces are merged best score first, and text no token covers falls back to
// <0xXX> byte tokens.
#pragma once

#include <array>

#include "tokenizer/base_tokenizer.h"

namespace hearth {

class SpmTokenizer : public BaseTokenizer {
 public:
  explicit SpmTokenizer(Vocab vocab);

 protected:
  void EncodeText(std::string_view text, bool at_start, std::vector<TokenId>* out) const override;
  std::string NormalPiece(TokenId id) const override;

 private:
  float score(TokenId id) const { return vocab().scores.empty() ? 0.0f : vocab().scores[id]; }
  std::array<TokenId, 256> byte_tokens_;  // <0xXX> token per byte, -1 if absent
};

}  // namespace hearth
