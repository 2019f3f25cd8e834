// GrammarMatcher: runs a Grammar over bytes, keeping every way the input so
// far can still be parsed (a set of pushdown stacks, as an Earley-style
// recogniser without left recursion).
//
// A stack is a StackTop: the position of the byte set the next byte must
// match, plus the id of its parent node in an arena; each parent node holds
// the position to resume after the current rule ends. Stacks share their
// parents, so advancing costs a few nodes per byte. The arena only grows;
// Mark()/Rewind() drop nodes made while trying bytes that were not kept.
//
// Not thread-safe: one matcher per sequence.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sampling/grammar.h"

namespace hearth {

struct StackTop {
  int32_t pos;     // a kChars position, or kAccept: the whole input matched
  int32_t parent;  // arena node id, -1 for the bottom
  bool operator==(const StackTop&) const = default;
};

class GrammarMatcher {
 public:
  static constexpr int32_t kAccept = -1;
  // Upper bound on stacks kept after one byte. Dropping extra stacks is safe
  // (each remaining one can still finish; see GrammarBuilder::Build), it
  // only narrows the choice; grammars made from schemas stay far below.
  static constexpr size_t kMaxStacks = 4096;

  explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

  // The stacks before any input.
  void Start(std::vector<StackTop>& out);
  // The stacks after `byte` from each of `in`; empty if no stack accepts it.
  void Advance(std::span<const StackTop> in, uint8_t byte, std::vector<StackTop>& out);
  // The bytes some stack of `tops` accepts next.
  ByteSet NextBytes(std::span<const StackTop> tops) const;
  static bool Accepts(std::span<const StackTop> tops);

  size_t Mark() const { return arena_.size(); }
  void Rewind(size_t mark) { arena_.resize(mark); }

 private:
  struct Node {
    int32_t pos;
    int32_t parent;
  };
  // Expands (pos, parent) until every resulting stack waits on a byte set
  // (or has accepted), appending them to `out`.
  void Close(int32_t pos, int32_t parent, std::vector<StackTop>& out);
  // Open-addressing set of (pos, parent) pairs, cleared by bumping a
  // generation counter so that clearing costs nothing.
  void NewGeneration();
  bool InsertSeen(std::vector<uint64_t>& table, std::vector<uint32_t>& gens, uint32_t gen,
                  StackTop key);

  std::shared_ptr<const Grammar> grammar_;
  std::vector<Node> arena_;
  std::vector<StackTop> work_;
  std::vector<uint64_t> expanded_keys_, emitted_keys_;
  std::vector<uint32_t> expanded_gens_, emitted_gens_;
  uint32_t expanded_gen_ = 1, emitted_gen_ = 1;
};

}  // namespace hearth
