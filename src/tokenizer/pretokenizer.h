// Regex pre-tokenizers for byte-level BPE, selected by tokenizer.ggml.pre.
//
// A pre-tokenizer is a list of PCRE2 patterns (UTF + UCP). Each pattern splits
// every piece produced by the previous one into its matches and the text
// between them (both kept, in order), like HF tokenizers' Split(Isolated).
// Matching sees only the piece, so lookaheads stop at its end.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hearth {

class RegexPreTokenizer {
 public:
  // Unsupported for an unknown name (the error lists the known ones).
  static Result<std::unique_ptr<RegexPreTokenizer>> ForName(std::string_view pre);
  // InvalidArgument naming the pattern if PCRE2 rejects it.
  static Result<std::unique_ptr<RegexPreTokenizer>> FromPatterns(
      const std::vector<std::string>& patterns);
  ~RegexPreTokenizer();
  RegexPreTokenizer(const RegexPreTokenizer&) = delete;
  RegexPreTokenizer& operator=(const RegexPreTokenizer&) = delete;

  // Precondition: `text` is valid UTF-8. Returns views into `text`, covering it
  // exactly, none empty. Thread-safe.
  std::vector<std::string_view> Split(std::string_view text) const;

  // The known tokenizer.ggml.pre names (for error messages and tests).
  static std::vector<std::string> KnownNames();

 private:
  RegexPreTokenizer() = default;
  struct Compiled;
  std::vector<std::unique_ptr<Compiled>> patterns_;
};

}  // namespace hearth
