// Unicode data for the BERT normalizer (generated into unicode_tables.cpp by
// gen_unicode_tables.py). All arrays are sorted by code point.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hearth::unicode_tables {

struct CodepointRange {
  uint32_t first;
  uint32_t last;  // inclusive
};
struct CodepointPair {
  uint32_t from;
  uint32_t to;
};
struct Decomposition {
  uint32_t cp;
  uint32_t offset;  // into kDecompositionData
  uint32_t length;
};

extern const CodepointRange kWhitespace[];
extern const size_t kWhitespaceSize;
extern const CodepointRange kControl[];  // general category C*, minus whitespace
extern const size_t kControlSize;
extern const CodepointRange kPunctuation[];  // P*
extern const size_t kPunctuationSize;
extern const CodepointRange kSymbol[];  // S*
extern const size_t kSymbolSize;
extern const CodepointRange kAccentMark[];  // Mn
extern const size_t kAccentMarkSize;
extern const CodepointPair kLowercase[];
extern const size_t kLowercaseSize;
extern const uint32_t kDecompositionData[];
extern const Decomposition kDecomposition[];
extern const size_t kDecompositionSize;

}  // namespace hearth::unicode_tables
