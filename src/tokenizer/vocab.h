// Vocab: everything a tokenizer needs, independent of where it came from.
// LoadVocab() fills it from a GGUF file's tokenizer.ggml.* metadata (with the
// defaults llama.cpp uses per tokenizer model); tests build small ones by hand.
// CreateTokenizer() validates it and builds the matching tokenizer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/status.h"
#include "tokenizer/tokenizer.h"

namespace hearth {

// tokenizer.ggml.token_type values (same numbering as llama.cpp/gguf-py).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class VocabModel {
  kSentencePiece,  // "llama": BPE over scores, U+2581 for spaces, <0xXX> byte fallback
  kByteLevelBpe,   // "gpt2": merges over the GPT-2 byte alphabet, regex pre-tokenizer
  kWordPiece,      // "bert": greedy longest match, U+2581 marks a word start
};

struct Vocab {
  VocabModel model = VocabModel::kSentencePiece;
  std::string pre = "default";  // tokenizer.ggml.pre (byte-level BPE pre-tokenizer)
  std::vector<std::string> tokens;
  std::vector<float> scores;        // empty: all 0
  std::vector<TokenType> types;     // empty: all normal
  std::vector<std::string> merges;  // "left right", best first (byte-level BPE)

  TokenId bos = -1, eos = -1, unk = -1, eot = -1, eom = -1, sep = -1, pad = -1;
  // Fill-in-the-middle padding / repository / file separator tokens: they end
  // generation too (as in llama.cpp).
  TokenId fim_pad = -1, fim_rep = -1, fim_sep = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;  // SentencePiece: put a space before the text
  // WordPiece normalizer (tokenizer.ggml.normalizer.*).
  bool lowercase = true;
  bool strip_accents = true;
  // Special tokens that swallow the whitespace after (rstrip) or before
  // (lstrip) them when split out of the text, like HF added tokens with
  // rstrip/lstrip. GGUF does not record these; LoadVocab sets them where
  // llama.cpp does (Phi-3).
  std::vector<TokenId> rstrip_tokens;
  std::vector<TokenId> lstrip_tokens;
};

// Reads tokenizer.ggml.* from `file`. Errors name the key that is missing,
// mistyped or inconsistent.
Result<Vocab> LoadVocab(const GgufFile& file);

// Validates `vocab` (array lengths, token types, <0xXX> byte tokens, special
// ids in range, known pre-tokenizer) and builds the tokenizer for its model.
Result<std::unique_ptr<Tokenizer>> CreateTokenizer(Vocab vocab);

}  // namespace hearth
