#include "tokenizer/wpm_tokenizer.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace hearth {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // U+2581

}  // namespace

WpmTokenizer::WpmTokenizer(Vocab vocab) : BaseTokenizer(std::move(vocab)) {
  for (const std::string& token : this->vocab().tokens) {
    max_token_bytes_ = std::max(max_token_bytes_, token.size());
  }
}

std::vector<std::string> WpmTokenizer::SplitWords(std::string_view text) const {
  const std::string clean = unicode::RepairUtf8LikeLlamaCpp(text);
  std::vector<uint32_t> cps;
  for (size_t pos = 0; pos < clean.size();) {
    uint32_t cp;
    size_t length;
    unicode::DecodeUtf8(clean, pos, &cp, &length);  // valid after the repair
    if (vocab().strip_accents) {
      unicode::AppendDecomposition(cp, &cps);
    } else {
      cps.push_back(cp);
    }
    pos += length;
  }

  std::vector<std::string> words(1);
  const auto end_word = [&words] {
    if (!words.back().empty()) words.emplace_back();
  };
  for (uint32_t cp : cps) {
    if (unicode::IsWhitespace(cp)) {
      end_word();
      continue;
    }
    if (cp == 0 || cp == unicode::kReplacementChar || unicode::IsControl(cp)) continue;
    if (vocab().strip_accents && unicode::IsAccentMark(cp)) continue;
    const uint32_t mapped = vocab().lowercase ? unicode::ToLower(cp) : cp;
    // Punctuation (and ASCII symbols such as $ + < = > ^ ` | ~, which BERT counts
    // as punctuation) and CJK ideographs are words of their own.
    if (unicode::IsPunctuation(cp) || (cp < 0x7F && unicode::IsSymbol(cp)) ||
        unicode::IsCjkIdeograph(cp)) {
      end_word();
      unicode::AppendUtf8(mapped, &words.back());
      words.emplace_back();
    } else {
      unicode::AppendUtf8(mapped, &words.back());
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void WpmTokenizer::EncodeText(std::string_view text, bool /*at_start*/,
                              std::vector<TokenId>* out) const {
  for (const std::string& word : SplitWords(text)) {
    std::string marked;
    marked.reserve(kWordStart.size() + word.size());
    marked.append(kWordStart).append(word);
    const size_t n = marked.size();
    const size_t first = out->size();
    bool matched_all = true;
    for (size_t i = 0; i < n;) {
      // Longest token starting at i (ends on character boundaries by construction:
      // a token is valid UTF-8, so a match cannot end mid-character).
      size_t j = std::min(n, i + max_token_bytes_);
      TokenId id = -1;
      for (; j > i; --j) {
        id = Find(std::string_view(marked).substr(i, j - i));
        if (id >= 0) break;
      }
      if (id < 0) {
        matched_all = false;
        break;
      }
      out->push_back(id);
      i = j;
    }
    if (!matched_all) {
      out->resize(first);  // BERT: a word with any unmatched part is one [UNK]
      if (vocab().unk >= 0) out->push_back(vocab().unk);
    }
  }
}

std::string WpmTokenizer::NormalPiece(TokenId id) const {
  const std::string& text = vocab().tokens[id];
  if (text.compare(0, kWordStart.size(), kWordStart) == 0) {
    std::string piece(1, ' ');
    piece.append(text, kWordStart.size());
    return piece;
  }
  return text;
}

}  // namespace hearth
