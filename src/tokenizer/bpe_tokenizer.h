// Byte-level BPE ("gpt2" vocabularies): the text is split by the regex
// pre-tokenizer named in tokenizer.ggml.pre, each piece's bytes are mapped to
// the GPT-2 byte alphabet, and merges are applied lowest rank first.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "tokenizer/base_tokenizer.h"
#include "tokenizer/pretokenizer.h"

namespace hearth {

class BpeTokenizer : public BaseTokenizer {
 public:
  // Fails for an unknown pre-tokenizer.
  static Result<std::unique_ptr<Tokenizer>> Create(Vocab vocab);

 protected:
  void EncodeText(std::string_view text, bool at_start, std::vector<TokenId>* out) const override;
  std::string NormalPiece(TokenId id) const override;

 private:
  BpeTokenizer(Vocab vocab, std::unique_ptr<RegexPreTokenizer> pre);
  void EncodeWord(std::string_view word, std::vector<TokenId>* out) const;

  struct Merge {
    int32_t rank;
    TokenId result;
  };
  static uint64_t PairKey(TokenId left, TokenId right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }

  std::unique_ptr<RegexPreTokenizer> pre_;
  std::unordered_map<uint64_t, Merge> merges_;  // (left id, right id) -> merge
  std::array<TokenId, 256> byte_tokens_;        // token of each byte's alphabet character
  // Llama 3 style: a piece that is already a token is not merged further.
  bool ignore_merges_ = false;
};

}  // namespace hearth
