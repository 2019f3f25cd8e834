#include "tokenizer/tokenizer.h"

#include "tokenizer/unicode.h"

namespace hearth {

std::string Tokenizer::Decode(std::span<const TokenId> ids, bool render_special) const {
  std::string text;
  for (TokenId id : ids) text += TokenToPiece(id, render_special);
  return text;
}

std::string StreamingDecoder::Push(TokenId id) {
  pending_ += tokenizer_.TokenToPiece(id, render_special_);
  // Emit everything but a trailing, still-completable UTF-8 sequence; invalid
  // bytes before it can never become valid, so they are replaced now.
  const size_t keep = unicode::IncompleteUtf8Tail(pending_);
  std::string ready =
      unicode::SanitizeUtf8(std::string_view(pending_).substr(0, pending_.size() - keep));
  pending_.erase(0, pending_.size() - keep);
  return ready;
}

std::string StreamingDecoder::Flush() {
  std::string rest = unicode::SanitizeUtf8(pending_);
  pending_.clear();
  return rest;
}

}  // namespace hearth
