// WordPiece ("bert" vocabularies) as BERT's tokenizer does it: normalize
// (drop control characters, optionally strip accents and lowercase), split on
// whitespace, punctuation and CJK ideographs, then match each word greedily
// longest-first. In GGUF vocabularies a word-initial piece is stored with a
// leading U+2581 and a continuation piece bare (HF's "##x" is "x").
#pragma once

#include "tokenizer/base_tokenizer.h"

namespace hearth {

class WpmTokenizer : public BaseTokenizer {
 public:
  explicit WpmTokenizer(Vocab vocab);

 protected:
  void EncodeText(std::string_view text, bool at_start, std::vector<TokenId>* out) const override;
  std::string NormalPiece(TokenId id) const override;

 private:
  std::vector<std::string> SplitWords(std::string_view text) const;
  size_t max_token_bytes_ = 0;
};

}  // namespace hearth
