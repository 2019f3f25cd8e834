#include "sampling/json_grammar.h"

namespace hearth {
namespace {

using Item = GrammarBuilder::Item;
using Sequence = GrammarBuilder::Sequence;

Item Chars(const ByteSet& set) { return GrammarBuilder::Chars(set); }
Item Byte(char c) { return GrammarBuilder::Byte(static_cast<uint8_t>(c)); }
Item Ref(int32_t rule) { return GrammarBuilder::Ref(rule); }
Item Range(uint8_t lo, uint8_t hi) { return Chars(ByteSet::Range(lo, hi)); }

ByteSet SetOf(std::string_view bytes) {
  ByteSet set;
  for (char c : bytes) set.Add(static_cast<uint8_t>(c));
  return set;
}

ByteSet HexDigits() {
  ByteSet set = ByteSet::Range('0', '9');
  set.AddRange('a', 'f');
  set.AddRange('A', 'F');
  return set;
}

}  // namespace

ByteSet JsonGrammar::PlainAscii() {
  ByteSet set = ByteSet::Range(0x20, 0x7F);
  set.Remove('"');
  set.Remove('\\');
  return set;
}

std::vector<Sequence> JsonGrammar::CharacterForms() {
  const Item hex = Chars(HexDigits());
  const Item tail = Range(0x80, 0xBF);  // UTF-8 continuation byte
  ByteSet hex_a_to_c = ByteSet::Range('0', '9');
  hex_a_to_c.AddRange('a', 'c');
  hex_a_to_c.AddRange('A', 'C');
  return {
      {Chars(PlainAscii())},
      {Byte('\\'), Chars(SetOf("\"\\/bfnrt"))},
      // \uXXXX outside the surrogates D800-DFFF, which alone are not valid JSON text.
      {Byte('\\'), Byte('u'), Chars(hex_a_to_c), hex, hex, hex},
      {Byte('\\'), Byte('u'), Chars(SetOf("eEfF")), hex, hex, hex},
      {Byte('\\'), Byte('u'), Chars(SetOf("dD")), Range('0', '7'), hex, hex},
      // Well-formed UTF-8 (RFC 3629): no overlongs, no surrogates, <= U+10FFFF.
      {Range(0xC2, 0xDF), tail},
      {GrammarBuilder::Byte(0xE0), Range(0xA0, 0xBF), tail},
      {Range(0xE1, 0xEC), tail, tail},
      {GrammarBuilder::Byte(0xED), Range(0x80, 0x9F), tail},
      {Range(0xEE, 0xEF), tail, tail},
      {GrammarBuilder::Byte(0xF0), Range(0x90, 0xBF), tail, tail},
      {Range(0xF1, 0xF3), tail, tail, tail},
      {GrammarBuilder::Byte(0xF4), Range(0x80, 0x8F), tail, tail},
  };
}

int32_t JsonGrammar::Whitespace() {
  if (whitespace_) return *whitespace_;
  const int32_t rule = b_.AddRule();
  const Item space = Chars(SetOf(" \t\n"));
  for (int count = 0; count <= kMaxWhitespace; ++count) {
    b_.AddAlternative(rule, Sequence(static_cast<size_t>(count), space));
  }
  whitespace_ = rule;
  return rule;
}

int32_t JsonGrammar::StringRest() {
  if (string_rest_) return *string_rest_;
  // rest := char rest | '"', with the character forms inlined so that a
  // string step needs no new stack node.
  const int32_t rest = b_.AddRule();
  for (Sequence form : CharacterForms()) {
    form.push_back(Ref(rest));
    b_.AddAlternative(rest, std::move(form));
  }
  b_.AddAlternative(rest, {Byte('"')});
  string_rest_ = rest;
  return rest;
}

int32_t JsonGrammar::String(int min_length, int max_length) {
  if (min_length <= 0 && max_length < 0) {
    if (!unbounded_string_) unbounded_string_ = b_.AddRuleOf({Byte('"'), Ref(StringRest())});
    return *unbounded_string_;
  }
  // after[i]: the rest of a string that already has i characters.
  const int last = max_length >= 0 ? max_length : min_length;
  std::vector<int32_t> after(static_cast<size_t>(last) + 1);
  for (auto& rule : after) rule = b_.AddRule();
  for (int i = 0; i <= last; ++i) {
    const int32_t rule = after[static_cast<size_t>(i)];
    if (i == last && max_length < 0) {
      b_.AddAlternative(rule, {Ref(StringRest())});  // any more characters, then '"'
      continue;
    }
    if (i < last) {
      for (Sequence form : CharacterForms()) {
        form.push_back(Ref(after[static_cast<size_t>(i) + 1]));
        b_.AddAlternative(rule, std::move(form));
      }
    }
    if (i >= min_length) b_.AddAlternative(rule, {Byte('"')});
  }
  return b_.AddRuleOf({Byte('"'), Ref(after[0])});
}

int32_t JsonGrammar::OptionalDigits(int count) {
  while (optional_digits_.size() <= static_cast<size_t>(count)) {
    const int32_t rule = b_.AddRule();
    b_.AddAlternative(rule, {});
    if (!optional_digits_.empty()) {
      b_.AddAlternative(rule, {Range('0', '9'), Ref(optional_digits_.back())});
    }
    optional_digits_.push_back(rule);
  }
  return optional_digits_[static_cast<size_t>(count)];
}

int32_t JsonGrammar::Integer() {
  if (integer_) return *integer_;
  const int32_t rule = b_.AddRule();
  const int32_t more = OptionalDigits(kMaxIntegerDigits - 1);
  b_.AddAlternative(rule, {Byte('0')});
  b_.AddAlternative(rule, {Byte('-'), Byte('0')});
  b_.AddAlternative(rule, {Range('1', '9'), Ref(more)});
  b_.AddAlternative(rule, {Byte('-'), Range('1', '9'), Ref(more)});
  integer_ = rule;
  return rule;
}

int32_t JsonGrammar::Number() {
  if (number_) return *number_;
  const int32_t fraction = b_.AddRule();
  b_.AddAlternative(fraction, {});
  b_.AddAlternative(fraction,
                    {Byte('.'), Range('0', '9'), Ref(OptionalDigits(kMaxFractionDigits - 1))});
  const int32_t exponent = b_.AddRule();
  b_.AddAlternative(exponent, {});
  const Item digits = Ref(OptionalDigits(kMaxExponentDigits - 1));
  b_.AddAlternative(exponent, {Chars(SetOf("eE")), Range('0', '9'), digits});
  b_.AddAlternative(exponent, {Chars(SetOf("eE")), Chars(SetOf("+-")), Range('0', '9'), digits});
  number_ = b_.AddRuleOf({Ref(Integer()), Ref(fraction), Ref(exponent)});
  return *number_;
}

int32_t JsonGrammar::Boolean() {
  if (boolean_) return *boolean_;
  const int32_t rule = b_.AddRule();
  Sequence yes, no;
  GrammarBuilder::AppendLiteral(yes, "true");
  GrammarBuilder::AppendLiteral(no, "false");
  b_.AddAlternative(rule, std::move(yes));
  b_.AddAlternative(rule, std::move(no));
  boolean_ = rule;
  return rule;
}

int32_t JsonGrammar::Null() {
  if (null_) return *null_;
  Sequence text;
  GrammarBuilder::AppendLiteral(text, "null");
  null_ = b_.AddRuleOf(std::move(text));
  return *null_;
}

int32_t JsonGrammar::Literal(const nlohmann::ordered_json& value) {
  Sequence text;
  GrammarBuilder::AppendLiteral(
      text, value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  return b_.AddRuleOf(std::move(text));
}

int32_t JsonGrammar::Never() {
  if (!never_) never_ = b_.AddRule();
  return *never_;
}

int32_t JsonGrammar::AnyValue() {
  if (any_value_) return *any_value_;
  const int32_t value = b_.AddRule();
  any_value_ = value;  // set first: objects and arrays refer back to it
  const Item ws = Ref(Whitespace());
  // array := '[' ws ( ']' | value more ); more := ws ',' ws value more | ws ']'
  const int32_t more_items = b_.AddRule();
  b_.AddAlternative(more_items, {ws, Byte(','), ws, Ref(value), Ref(more_items)});
  b_.AddAlternative(more_items, {ws, Byte(']')});
  const int32_t array_body = b_.AddRule();
  b_.AddAlternative(array_body, {Byte(']')});
  b_.AddAlternative(array_body, {Ref(value), Ref(more_items)});
  any_array_ = b_.AddRuleOf({Byte('['), ws, Ref(array_body)});
  b_.AddAlternative(value, {Ref(AnyObject())});
  b_.AddAlternative(value, {Ref(*any_array_)});
  b_.AddAlternative(value, {Ref(String(0, -1))});
  b_.AddAlternative(value, {Ref(Number())});
  b_.AddAlternative(value, {Ref(Boolean())});
  b_.AddAlternative(value, {Ref(Null())});
  return value;
}

int32_t JsonGrammar::AnyObject() {
  if (any_object_) return *any_object_;
  const int32_t object = b_.AddRule();
  any_object_ = object;
  const Item ws = Ref(Whitespace());
  // object := '{' ws ( '}' | member more ); more := ws ',' ws member more | ws '}'
  const int32_t member = b_.AddRuleOf({Ref(String(0, -1)), ws, Byte(':'), ws, Ref(AnyValue())});
  const int32_t more = b_.AddRule();
  b_.AddAlternative(more, {ws, Byte(','), ws, Ref(member), Ref(more)});
  b_.AddAlternative(more, {ws, Byte('}')});
  const int32_t body = b_.AddRule();
  b_.AddAlternative(body, {Byte('}')});
  b_.AddAlternative(body, {Ref(member), Ref(more)});
  b_.AddAlternative(object, {Byte('{'), ws, Ref(body)});
  return object;
}

}  // namespace hearth
