// JsonGrammar: the rules every JSON grammar shares (whitespace, strings,
// numbers, literals, any value), built on demand in one GrammarBuilder and
// reused by every schema node that needs them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sampling/grammar.h"

namespace hearth {

// Digits kept bounded so that a model cannot loop on "0.000..." forever, and
// so integers stay exact in an int64 / double.
inline constexpr int kMaxIntegerDigits = 15;
inline constexpr int kMaxFractionDigits = 15;
inline constexpr int kMaxExponentDigits = 2;  // 1e999 would not fit a double
// Whitespace between tokens: at most this many of space, tab, newline.
inline constexpr int kMaxWhitespace = 2;

class JsonGrammar {
 public:
  using Sequence = GrammarBuilder::Sequence;

  explicit JsonGrammar(GrammarBuilder& builder) : b_(builder) {}
  GrammarBuilder& builder() { return b_; }

  int32_t Whitespace();
  // A JSON string of min_length..max_length characters (code points; an
  // escape counts as one). max_length < 0: unbounded.
  int32_t String(int min_length, int max_length);
  int32_t Integer();
  int32_t Number();
  int32_t Boolean();
  int32_t Null();
  // Exactly `value`, written compactly.
  int32_t Literal(const nlohmann::ordered_json& value);
  int32_t AnyValue();
  int32_t AnyObject();
  // A rule with no alternatives: matches nothing.
  int32_t Never();

  // The forms of one string character, each one alternative: plain ASCII,
  // the escapes (no lone surrogates), and each well-formed UTF-8 sequence.
  static std::vector<Sequence> CharacterForms();
  // Printable ASCII except '"' and '\\': what needs no escape.
  static ByteSet PlainAscii();

 private:
  // Rule "up to `count` more digits".
  int32_t OptionalDigits(int count);
  // The characters and closing quote of a string whose '"' is written.
  int32_t StringRest();

  GrammarBuilder& b_;
  std::optional<int32_t> whitespace_, string_rest_, unbounded_string_, integer_, number_, boolean_,
      null_, any_value_, any_object_, any_array_, never_;
  std::vector<int32_t> optional_digits_;  // [k]: up to k digits
};

}  // namespace hearth
