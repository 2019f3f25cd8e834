// Grammar: a context-free grammar over bytes, the form every constraint
// (JSON schema, tool call) compiles into before GrammarMatcher runs it.
//
// A rule has alternatives; an alternative is a sequence of byte sets and
// references to rules. GrammarBuilder collects rules; Build() flattens them
// into one element array, drops what can never finish (alternatives that use
// rules with no finite derivation), and rejects left recursion (which would
// make the matcher loop without consuming a byte).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hearth {

// A set of byte values (256 bits).
struct ByteSet {
  uint64_t bits[4] = {0, 0, 0, 0};

  static ByteSet Of(uint8_t byte) {
    ByteSet set;
    set.Add(byte);
    return set;
  }
  static ByteSet Range(uint8_t lo, uint8_t hi) {
    ByteSet set;
    set.AddRange(lo, hi);
    return set;
  }
  void Add(uint8_t byte) { bits[byte >> 6] |= uint64_t{1} << (byte & 63); }
  void AddRange(uint8_t lo, uint8_t hi) {
    for (int b = lo; b <= hi; ++b) Add(static_cast<uint8_t>(b));
  }
  void Remove(uint8_t byte) { bits[byte >> 6] &= ~(uint64_t{1} << (byte & 63)); }
  bool Has(uint8_t byte) const { return (bits[byte >> 6] >> (byte & 63)) & 1; }
  bool Empty() const { return (bits[0] | bits[1] | bits[2] | bits[3]) == 0; }
  ByteSet& operator|=(const ByteSet& other) {
    for (int i = 0; i < 4; ++i) bits[i] |= other.bits[i];
    return *this;
  }
};

enum class ElementKind : uint8_t {
  kChars,  // one byte from sets[pos]
  kRule,   // every alternative of rules[pos]
  kEnd,    // end of an alternative
};

// The flattened grammar. Positions index `kinds`, `sets` and `rule_of`.
// Position 0 holds a reference to the root rule, position 1 its end, so a
// match starts by expanding position 0.
struct Grammar {
  std::vector<ElementKind> kinds;
  std::vector<ByteSet> sets;               // meaningful where kinds[pos] == kChars
  std::vector<int32_t> rule_of;            // meaningful where kinds[pos] == kRule
  std::vector<std::vector<int32_t>> alts;  // alts[rule]: start position of each alternative
};

class GrammarBuilder {
 public:
  struct Item {
    bool is_rule = false;
    int32_t rule = -1;
    ByteSet set;
  };
  using Sequence = std::vector<Item>;

  static Item Chars(const ByteSet& set) { return Item{false, -1, set}; }
  static Item Byte(uint8_t byte) { return Item{false, -1, ByteSet::Of(byte)}; }
  static Item Ref(int32_t rule) { return Item{true, rule, ByteSet{}}; }
  // Appends one single-byte item per byte of `text`.
  static void AppendLiteral(Sequence& sequence, std::string_view text);

  // A new rule with no alternatives yet (a rule left without any matches nothing).
  int32_t AddRule();
  void AddAlternative(int32_t rule, Sequence sequence);
  // A rule with the single alternative `sequence`.
  int32_t AddRuleOf(Sequence sequence);
  int32_t rule_count() const { return static_cast<int32_t>(rules_.size()); }

  // InvalidArgument if `root` derives no finite string, or if some rule can
  // reach itself without consuming a byte.
  Result<Grammar> Build(int32_t root) const;

 private:
  std::vector<std::vector<Sequence>> rules_;
};

}  // namespace hearth
