#include "tokenizer/bpe_tokenizer.h"

#include <queue>

#include "tokenizer/unicode.h"

namespace hearth {
namespace {

struct Symbol {
  int prev;
  int next;
  TokenId id;  // -1 once merged into its left neighbour (or if the byte has no token)
};

struct Bigram {
  int32_t rank;
  int left;
  int right;
  TokenId left_id;
  TokenId right_id;
  // Lowest rank first; on ties the leftmost pair first (a max-heap, so inverted).
  bool operator<(const Bigram& other) const {
    return rank > other.rank || (rank == other.rank && left > other.left);
  }
};

bool IgnoresMerges(std::string_view pre) {
  for (std::string_view name : {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1",
                                "pixtral", "midm-2.0", "tekken"}) {
    if (pre == name) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> BpeTokenizer::Create(Vocab vocab) {
  HEARTH_ASSIGN_OR_RETURN(auto pre, RegexPreTokenizer::ForName(vocab.pre));
  return std::unique_ptr<Tokenizer>(new BpeTokenizer(std::move(vocab), std::move(pre)));
}

BpeTokenizer::BpeTokenizer(Vocab vocab, std::unique_ptr<RegexPreTokenizer> pre)
    : BaseTokenizer(std::move(vocab)), pre_(std::move(pre)) {
  ignore_merges_ = IgnoresMerges(this->vocab().pre);
  for (int b = 0; b < 256; ++b) {
    byte_tokens_[b] =
        Find(unicode::CodepointToUtf8(unicode::ByteToCodepoint(static_cast<uint8_t>(b))));
  }
  // A merge "a b" joins tokens a and b into token "ab". Merges whose parts or
  // result are not tokens can never apply to token ids and are skipped.
  const auto& merges = this->vocab().merges;
  merges_.reserve(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& merge = merges[rank];
    const size_t space = merge.find(' ', 1);
    if (space == std::string::npos) continue;
    const TokenId left = Find(std::string_view(merge).substr(0, space));
    const TokenId right = Find(std::string_view(merge).substr(space + 1));
    joined.assign(merge, 0, space);
    joined.append(merge, space + 1);
    const TokenId result = Find(joined);
    if (left < 0 || right < 0 || result < 0) continue;
    merges_.emplace(PairKey(left, right), Merge{static_cast<int32_t>(rank), result});
  }
}

void BpeTokenizer::EncodeText(std::string_view text, bool /*at_start*/,
                              std::vector<TokenId>* out) const {
  // Malformed UTF-8 is repaired first: the regexes need valid UTF-8, and the
  // repair is llama.cpp's so ids match it on such input too.
  const std::string clean = unicode::RepairUtf8LikeLlamaCpp(text);
  for (std::string_view word : pre_->Split(clean)) EncodeWord(word, out);
}

void BpeTokenizer::EncodeWord(std::string_view word, std::vector<TokenId>* out) const {
  if (ignore_merges_) {
    std::string mapped;
    for (char c : word)
      unicode::AppendUtf8(unicode::ByteToCodepoint(static_cast<uint8_t>(c)), &mapped);
    const TokenId whole = Find(mapped);
    if (whole >= 0) {
      out->push_back(whole);
      return;
    }
  }
  // One symbol per byte: each byte is one character of the byte alphabet.
  std::vector<Symbol> symbols(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    symbols[i] = {static_cast<int>(i) - 1, static_cast<int>(i) + 1,
                  byte_tokens_[static_cast<uint8_t>(word[i])]};
  }
  symbols.back().next = -1;

  std::priority_queue<Bigram> queue;
  const auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const TokenId a = symbols[left].id, b = symbols[right].id;
    if (a < 0 || b < 0) return;
    const auto it = merges_.find(PairKey(a, b));
    if (it == merges_.end()) return;
    queue.push({it->second.rank, left, right, a, b});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));

  std::vector<bool> alive(symbols.size(), true);
  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    // Stale entry: a side was merged away or changed since it was queued.
    if (!alive[bigram.left] || !alive[bigram.right] || left.next != bigram.right ||
        left.id != bigram.left_id || right.id != bigram.right_id) {
      continue;
    }
    left.id = merges_.at(PairKey(left.id, right.id)).result;
    alive[bigram.right] = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }

  for (int i = 0; i >= 0; i = symbols[i].next) {
    // A byte whose alphabet character is not in the vocabulary (SmolLM2 lacks a
    // few control bytes) is dropped, as llama.cpp does: the alternative, the
    // unknown id, is often <|endoftext|> in byte-level vocabularies.
    if (symbols[i].id >= 0) out->push_back(symbols[i].id);
  }
}

std::string BpeTokenizer::NormalPiece(TokenId id) const {
  const std::string& text = vocab().tokens[id];
  std::string bytes;
  bytes.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp;
    size_t length;
    uint8_t byte;
    if (unicode::DecodeUtf8(text, pos, &cp, &length) && unicode::CodepointToByte(cp, &byte)) {
      bytes.push_back(static_cast<char>(byte));
    } else {
      bytes.append(text, pos, length);  // not in the byte alphabet: keep as is
    }
    pos += length;
  }
  return bytes;
}

}  // namespace hearth
