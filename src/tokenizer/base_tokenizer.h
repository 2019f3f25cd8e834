// BaseTokenizer: what the three tokenizer models share. It owns the validated
// Vocab, the text -> id map, special-token splitting, BOS/EOS handling,
// end-of-generation ids and TokenToPiece for the non-normal token types.
// Subclasses encode one run of plain text and render normal tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tokenizer/token_index.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace hearth {

class BaseTokenizer : public Tokenizer {
 public:
  // Precondition: `vocab` passed ValidateVocab().
  explicit BaseTokenizer(Vocab vocab);
  // The token index points into vocab_: no copies.
  BaseTokenizer(const BaseTokenizer&) = delete;
  BaseTokenizer& operator=(const BaseTokenizer&) = delete;

  std::vector<TokenId> Encode(std::string_view text, bool add_special,
                              bool parse_special) const final;
  std::string TokenToPiece(TokenId id, bool render_special) const final;

  int32_t vocab_size() const final { return static_cast<int32_t>(vocab_.tokens.size()); }
  TokenId bos() const final { return vocab_.bos; }
  TokenId eos() const final { return vocab_.eos; }
  bool IsEndOfGeneration(TokenId id) const final { return eog_ids_.count(id) != 0; }
  bool add_bos() const final { return vocab_.add_bos && vocab_.bos >= 0; }
  bool add_eos() const final { return vocab_.add_eos && vocab_.eos >= 0; }

 protected:
  // Appends the tokens of `text`, a run of plain text between special tokens.
  // `at_start`: nothing but (optionally) special tokens precedes it.
  virtual void EncodeText(std::string_view text, bool at_start,
                          std::vector<TokenId>* out) const = 0;
  // The bytes a normal token stands for.
  virtual std::string NormalPiece(TokenId id) const = 0;

  const Vocab& vocab() const { return vocab_; }
  TokenType type(TokenId id) const;
  // -1 if `text` is not a token. When texts repeat, the last id wins (as in llama.cpp).
  TokenId Find(std::string_view text) const;

 private:
  // A piece of the input: either a special token or a run of plain text.
  struct Fragment {
    TokenId token;  // -1 for text
    size_t offset;
    size_t length;
  };
  std::vector<Fragment> SplitOnSpecialTokens(std::string_view text, bool parse_special) const;

  Vocab vocab_;
  TokenIndex token_to_id_;  // over vocab_.tokens
  // Control, user-defined and unknown tokens, longest text first.
  std::vector<TokenId> special_tokens_;
  std::unordered_set<TokenId> eog_ids_;
  std::unordered_set<TokenId> rstrip_, lstrip_;
};

// Checks array lengths, byte-token texts and special ids; see CreateTokenizer.
Status ValidateVocab(const Vocab& vocab);

}  // namespace hearth
