// Tokenizer built from a GGUF vocabulary (tokenizer.ggml.*): SentencePiece-style
// ("llama"), byte-level BPE ("gpt2", with the pre-tokenizer named by
// tokenizer.ggml.pre) and WordPiece ("bert").
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/gguf.h"
#include "core/status.h"

namespace hearth {

using TokenId = int32_t;

// All methods are const and thread-safe: one Tokenizer can serve many
// sessions. It copies what it needs from the GgufFile (which may be closed).
// Token ids, pieces and end-of-generation sets equal llama.cpp's (see
// llamacpp_vectors_test.cpp); vocabulary building blocks are in vocab.h.
class Tokenizer {
 public:
  // Fails (naming the key or token) for an unsupported tokenizer model or
  // pre-tokenizer, inconsistent arrays, malformed <0xXX> byte tokens or
  // special-token ids outside the vocabulary.
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& file);
  virtual ~Tokenizer() = default;

  // add_special: add BOS/EOS as the vocabulary's add_bos/add_eos metadata says.
  // parse_special: text such as "<|im_start|>" becomes that special token
  // instead of being split as plain text.
  virtual std::vector<TokenId> Encode(std::string_view text, bool add_special,
                                      bool parse_special) const = 0;

  // The bytes a token stands for (byte tokens "<0x0A>" give the byte; control
  // tokens give their text only if render_special).
  virtual std::string TokenToPiece(TokenId id, bool render_special) const = 0;
  // The concatenated pieces. For SentencePiece vocabularies with a space
  // prefix the result starts with the space Encode added (" Hello"), exactly
  // as streaming the same ids would print it.
  std::string Decode(std::span<const TokenId> ids, bool render_special) const;

  virtual int32_t vocab_size() const = 0;
  virtual TokenId bos() const = 0;  // -1 if none
  virtual TokenId eos() const = 0;  // -1 if none
  // End of generation: eos, eot, eom and other tokens the vocabulary marks so.
  virtual bool IsEndOfGeneration(TokenId id) const = 0;
  virtual bool add_bos() const = 0;
  virtual bool add_eos() const = 0;
};

// Turns a stream of tokens into valid UTF-8 text chunks: bytes of a character
// split over several tokens are held back until the character is complete.
class StreamingDecoder {
 public:
  StreamingDecoder(const Tokenizer& tokenizer, bool render_special)
      : tokenizer_(tokenizer), render_special_(render_special) {}
  // Text that is complete after `id` (possibly empty).
  std::string Push(TokenId id);
  // Whatever is held back, invalid sequences replaced by U+FFFD.
  std::string Flush();

 private:
  const Tokenizer& tokenizer_;
  bool render_special_;
  std::string pending_;
};

}  // namespace hearth
