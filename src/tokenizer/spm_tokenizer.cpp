#include "tokenizer/spm_tokenizer.h"

#include <fmt/format.h>

#include <queue>

#include "tokenizer/unicode.h"

namespace hearth {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581

// One piece of the text being merged, linked to its live neighbours.
struct Symbol {
  int prev;
  int next;
  uint32_t start;
  uint32_t length;  // 0 once merged into its left neighbour
};

struct Bigram {
  float score;
  int left;
  int right;
  uint32_t length;
  // Best score first; on ties the leftmost pair first.
  bool operator<(const Bigram& other) const {
    return score < other.score || (score == other.score && left > other.left);
  }
};

}  // namespace

SpmTokenizer::SpmTokenizer(Vocab vocab) : BaseTokenizer(std::move(vocab)) {
  for (int b = 0; b < 256; ++b) {
    TokenId id = Find(fmt::format("<0x{:02X}>", b));
    if (id < 0) id = Find(std::string(1, static_cast<char>(b)));
    byte_tokens_[b] = id;
  }
}

void SpmTokenizer::EncodeText(std::string_view text, bool at_start,
                              std::vector<TokenId>* out) const {
  std::string escaped;
  escaped.reserve(text.size() + 8);
  if (vocab().add_space_prefix && at_start) escaped.append(kSpaceMarker);
  for (char c : text) {
    if (c == ' ') {
      escaped.append(kSpaceMarker);
    } else {
      escaped.push_back(c);
    }
  }

  // Initial symbols: one per UTF-8 character, its length taken from the lead
  // byte alone (as llama.cpp does, so ids match it on malformed input; a
  // truncated sequence may then swallow the bytes after it).
  std::vector<Symbol> symbols;
  symbols.reserve(escaped.size());
  for (size_t pos = 0; pos < escaped.size();) {
    const size_t length = std::min(unicode::Utf8SequenceLength(static_cast<uint8_t>(escaped[pos])),
                                   escaped.size() - pos);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back(
        {index - 1, index + 1, static_cast<uint32_t>(pos), static_cast<uint32_t>(length)});
    pos += length;
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  std::priority_queue<Bigram> queue;
  const auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const uint32_t length = symbols[left].length + symbols[right].length;
    const TokenId id = Find(std::string_view(escaped).substr(symbols[left].start, length));
    if (id < 0) return;
    queue.push({score(id), left, right, length});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    // Stale entry: one side was merged away or grew since it was queued.
    if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length) {
      continue;
    }
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }

  for (int i = 0; i >= 0; i = symbols[i].next) {
    const Symbol& symbol = symbols[i];
    const std::string_view piece = std::string_view(escaped).substr(symbol.start, symbol.length);
    const TokenId id = Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    for (char c : piece) {  // byte fallback
      const TokenId byte_id = byte_tokens_[static_cast<uint8_t>(c)];
      if (byte_id >= 0) {
        out->push_back(byte_id);
      } else if (vocab().unk >= 0) {
        out->push_back(vocab().unk);
      }
    }
  }
}

std::string SpmTokenizer::NormalPiece(TokenId id) const {
  const std::string& text = vocab().tokens[id];
  std::string piece;
  piece.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    if (text.compare(pos, kSpaceMarker.size(), kSpaceMarker) == 0) {
      piece.push_back(' ');
      pos += kSpaceMarker.size();
    } else {
      piece.push_back(text[pos++]);
    }
  }
  return piece;
}

}  // namespace hearth
