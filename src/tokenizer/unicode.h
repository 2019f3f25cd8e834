// UTF-8 and Unicode helpers shared by the tokenizers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::unicode {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the UTF-8 sequence a lead byte announces, from its high four bits
// alone (llama.cpp's table): 1 for ASCII and stray continuation bytes, 2 for
// C0..DF, 3 for E0..EF, 4 for F0..FF.
size_t Utf8SequenceLength(uint8_t lead);

// Decodes one code point at text[pos]. On an invalid or truncated sequence
// returns false and sets *length to the number of bytes to skip (>= 1).
bool DecodeUtf8(std::string_view text, size_t pos, uint32_t* cp, size_t* length);

void AppendUtf8(uint32_t cp, std::string* out);
std::string CodepointToUtf8(uint32_t cp);

// Replaces every invalid or truncated UTF-8 sequence by one U+FFFD (Unicode's
// "maximal subpart" practice). For display: streaming decode.
std::string SanitizeUtf8(std::string_view text);

// The repair llama.cpp applies before pre-tokenizing, so token ids match it on
// malformed input too: a sequence whose lead and continuation bytes have the
// right shape is decoded as is (overlong forms thus become the shorter,
// canonical encoding); every byte that starts no such sequence becomes one
// U+FFFD. Shapes that decode to a surrogate or past U+10FFFF (which llama.cpp
// passes on, but which are not UTF-8) also become U+FFFD, one per sequence.
// The result is always valid UTF-8.
std::string RepairUtf8LikeLlamaCpp(std::string_view text);

// Number of bytes at the end of `text` that form an incomplete (but so far
// valid) UTF-8 sequence: 0..3.
size_t IncompleteUtf8Tail(std::string_view text);

// GPT-2 byte-level alphabet: every byte maps to one printable code point.
uint32_t ByteToCodepoint(uint8_t byte);
// Inverse of ByteToCodepoint; false if `cp` is not in the alphabet.
bool CodepointToByte(uint32_t cp, uint8_t* byte);

// Character classes and mappings used by the BERT normalizer.
bool IsWhitespace(uint32_t cp);
bool IsControl(uint32_t cp);      // general category C*, excluding whitespace
bool IsPunctuation(uint32_t cp);  // P*
bool IsSymbol(uint32_t cp);       // S*
bool IsAccentMark(uint32_t cp);   // Mn
bool IsCjkIdeograph(uint32_t cp);
uint32_t ToLower(uint32_t cp);  // simple (one code point) lowercase mapping
// Appends the full canonical decomposition (NFD) of `cp` to `out`.
void AppendDecomposition(uint32_t cp, std::vector<uint32_t>* out);

}  // namespace hearth::unicode
