#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>

#include "tokenizer/unicode_tables.h"

namespace hearth::unicode {
namespace {

using unicode_tables::CodepointRange;

bool InRanges(const CodepointRange* ranges, size_t n, uint32_t cp) {
  const CodepointRange* end = ranges + n;
  const CodepointRange* it = std::upper_bound(
      ranges, end, cp, [](uint32_t value, const CodepointRange& r) { return value < r.first; });
  return it != ranges && cp <= (it - 1)->last;
}

// The GPT-2 byte encoder: printable Latin-1 bytes map to themselves, the other
// 68 bytes to U+0100.. in byte order, so every byte becomes a visible character.
struct ByteTables {
  std::array<uint32_t, 256> to_cp{};
  std::array<int16_t, 324> from_cp{};  // indexed by code point (all are < 0x144)
  ByteTables() {
    from_cp.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      to_cp[b] = printable ? static_cast<uint32_t>(b) : next++;
      from_cp[to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteTables& GetByteTables() {
  static const ByteTables tables;
  return tables;
}

}  // namespace

size_t Utf8SequenceLength(uint8_t lead) {
  static constexpr uint8_t kByHighBits[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kByHighBits[lead >> 4];
}

bool DecodeUtf8(std::string_view text, size_t pos, uint32_t* cp, size_t* length) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(pos);
  *length = 1;
  if (lead < 0x80) {
    *cp = lead;
    return true;
  }
  size_t n;
  uint32_t value;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
    value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    n = 3;
    value = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    value = lead & 0x07;
  } else {
    return false;
  }
  // The second byte's range also rules out overlong forms, surrogates and
  // values past U+10FFFF, so a truncated sequence is known valid so far.
  uint8_t second_min = 0x80, second_max = 0xBF;
  if (lead == 0xE0) second_min = 0xA0;
  if (lead == 0xED) second_max = 0x9F;
  if (lead == 0xF0) second_min = 0x90;
  if (lead == 0xF4) second_max = 0x8F;
  for (size_t i = 1; i < n; ++i) {
    const bool in_text = pos + i < text.size();
    const uint8_t b = in_text ? byte(pos + i) : 0;
    const bool ok = i == 1 ? (b >= second_min && b <= second_max) : (b & 0xC0) == 0x80;
    if (!in_text || !ok) {
      *length = i;
      return false;
    }
    value = (value << 6) | (b & 0x3F);
  }
  *cp = value;
  *length = n;
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string CodepointToUtf8(uint32_t cp) {
  std::string out;
  AppendUtf8(cp, &out);
  return out;
}

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp;
    size_t length;
    if (DecodeUtf8(text, pos, &cp, &length)) {
      out.append(text.substr(pos, length));
    } else {
      AppendUtf8(kReplacementChar, &out);
    }
    pos += length;
  }
  return out;
}

std::string RepairUtf8LikeLlamaCpp(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const auto continuation = [&](size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
  size_t pos = 0;
  while (pos < text.size()) {
    const uint8_t lead = byte(pos);
    size_t n = 0;
    uint32_t cp = 0;
    if (lead < 0x80) {
      n = 1;
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      n = 2;
      cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      n = 3;
      cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      n = 4;
      cp = lead & 0x07;
    }
    bool shaped = n > 0;
    for (size_t i = 1; shaped && i < n; ++i) {
      shaped = continuation(pos + i);
      if (shaped) cp = (cp << 6) | (byte(pos + i) & 0x3F);
    }
    if (!shaped) {
      AppendUtf8(kReplacementChar, &out);  // llama.cpp: skip one byte, emit U+FFFD
      pos += 1;
      continue;
    }
    const bool encodable = cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    AppendUtf8(encodable ? cp : kReplacementChar, &out);
    pos += n;
  }
  return out;
}

size_t IncompleteUtf8Tail(std::string_view text) {
  // Look back at most 3 bytes for a lead byte whose sequence runs past the end.
  const size_t n = text.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const uint8_t b = static_cast<uint8_t>(text[n - back]);
    if ((b & 0xC0) == 0x80) continue;    // continuation byte: keep looking
    if (b < 0xC2 || b > 0xF4) return 0;  // not a lead byte of any valid sequence
    const size_t need = Utf8SequenceLength(b);
    if (need <= back) return 0;
    // The bytes present must be a valid prefix (e.g. not E0 80).
    uint32_t cp;
    size_t length;
    std::string probe(text.substr(n - back));
    DecodeUtf8(probe, 0, &cp, &length);
    return length == back ? back : 0;
  }
  return 0;
}

uint32_t ByteToCodepoint(uint8_t byte) { return GetByteTables().to_cp[byte]; }

bool CodepointToByte(uint32_t cp, uint8_t* byte) {
  const auto& tables = GetByteTables();
  if (cp >= tables.from_cp.size() || tables.from_cp[cp] < 0) return false;
  *byte = static_cast<uint8_t>(tables.from_cp[cp]);
  return true;
}

bool IsWhitespace(uint32_t cp) {
  return InRanges(unicode_tables::kWhitespace, unicode_tables::kWhitespaceSize, cp);
}
bool IsControl(uint32_t cp) {
  return InRanges(unicode_tables::kControl, unicode_tables::kControlSize, cp);
}
bool IsPunctuation(uint32_t cp) {
  return InRanges(unicode_tables::kPunctuation, unicode_tables::kPunctuationSize, cp);
}
bool IsSymbol(uint32_t cp) {
  return InRanges(unicode_tables::kSymbol, unicode_tables::kSymbolSize, cp);
}
bool IsAccentMark(uint32_t cp) {
  return InRanges(unicode_tables::kAccentMark, unicode_tables::kAccentMarkSize, cp);
}

bool IsCjkIdeograph(uint32_t cp) {
  // The blocks BERT's tokenizer pads with spaces (CJK Unified Ideographs and
  // their extensions, CJK Compatibility Ideographs).
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

uint32_t ToLower(uint32_t cp) {
  const auto* begin = unicode_tables::kLowercase;
  const auto* end = begin + unicode_tables::kLowercaseSize;
  const auto* it = std::lower_bound(
      begin, end, cp,
      [](const unicode_tables::CodepointPair& p, uint32_t v) { return p.from < v; });
  return (it != end && it->from == cp) ? it->to : cp;
}

void AppendDecomposition(uint32_t cp, std::vector<uint32_t>* out) {
  // Hangul syllables decompose arithmetically (Unicode ch. 3.12).
  constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  constexpr uint32_t kTCount = 28, kNCount = 588, kSCount = 11172;
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const uint32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out->push_back(kTBase + s % kTCount);
    return;
  }
  const auto* begin = unicode_tables::kDecomposition;
  const auto* end = begin + unicode_tables::kDecompositionSize;
  const auto* it = std::lower_bound(
      begin, end, cp, [](const unicode_tables::Decomposition& d, uint32_t v) { return d.cp < v; });
  if (it == end || it->cp != cp) {
    out->push_back(cp);
    return;
  }
  out->insert(out->end(), unicode_tables::kDecompositionData + it->offset,
              unicode_tables::kDecompositionData + it->offset + it->length);
}

}  // namespace hearth::unicode
