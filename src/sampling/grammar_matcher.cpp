#include "sampling/grammar_matcher.h"

#include <algorithm>
#include <utility>

namespace hearth {
namespace {

constexpr size_t kSeenTableSize = 1 << 14;  // power of two; far above kMaxStacks

uint64_t KeyOf(StackTop top) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(top.pos)) << 32) |
         static_cast<uint32_t>(top.parent);
}

}  // namespace

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar)
    : grammar_(std::move(grammar)),
      expanded_keys_(kSeenTableSize),
      emitted_keys_(kSeenTableSize),
      expanded_gens_(kSeenTableSize, 0),
      emitted_gens_(kSeenTableSize, 0) {}

bool GrammarMatcher::InsertSeen(std::vector<uint64_t>& table, std::vector<uint32_t>& gens,
                                uint32_t gen, StackTop key_top) {
  const uint64_t key = KeyOf(key_top);
  size_t slot = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 50) & (kSeenTableSize - 1);
  for (size_t probes = 0; probes < kSeenTableSize; ++probes) {
    if (gens[slot] != gen) {
      gens[slot] = gen;
      table[slot] = key;
      return true;
    }
    if (table[slot] == key) return false;
    slot = (slot + 1) & (kSeenTableSize - 1);
  }
  return false;  // full: treat as seen (bounded by kMaxStacks in practice)
}

void GrammarMatcher::Close(int32_t pos, int32_t parent, std::vector<StackTop>& out) {
  const Grammar& g = *grammar_;
  work_.clear();
  work_.push_back({pos, parent});
  while (!work_.empty()) {
    StackTop top = work_.back();
    work_.pop_back();
    switch (g.kinds[static_cast<size_t>(top.pos)]) {
      case ElementKind::kChars:
        if (out.size() < kMaxStacks &&
            InsertSeen(emitted_keys_, emitted_gens_, emitted_gen_, top)) {
          out.push_back(top);
        }
        break;
      case ElementKind::kEnd:
        if (top.parent < 0) {
          const StackTop accept{kAccept, -1};
          if (InsertSeen(emitted_keys_, emitted_gens_, emitted_gen_, accept)) out.push_back(accept);
        } else {
          const Node& node = arena_[static_cast<size_t>(top.parent)];
          work_.push_back({node.pos, node.parent});
        }
        break;
      case ElementKind::kRule: {
        if (!InsertSeen(expanded_keys_, expanded_gens_, expanded_gen_, top)) break;
        // Tail call: when nothing follows the reference, resume the parent
        // directly, so right-recursive rules (repetition) do not grow stacks.
        const int32_t next = top.pos + 1;
        int32_t resume = top.parent;
        if (g.kinds[static_cast<size_t>(next)] != ElementKind::kEnd) {
          resume = static_cast<int32_t>(arena_.size());
          arena_.push_back({next, top.parent});
        }
        const auto& alts = g.alts[static_cast<size_t>(g.rule_of[static_cast<size_t>(top.pos)])];
        for (auto it = alts.rbegin(); it != alts.rend(); ++it) work_.push_back({*it, resume});
        break;
      }
    }
  }
}

void GrammarMatcher::NewGeneration() {
  // Wrapping to 0 would make stale slots look current: clear them instead.
  if (++expanded_gen_ == 0) {
    std::fill(expanded_gens_.begin(), expanded_gens_.end(), 0);
    expanded_gen_ = 1;
  }
  if (++emitted_gen_ == 0) {
    std::fill(emitted_gens_.begin(), emitted_gens_.end(), 0);
    emitted_gen_ = 1;
  }
}

void GrammarMatcher::Start(std::vector<StackTop>& out) {
  out.clear();
  NewGeneration();
  Close(0, -1, out);
}

void GrammarMatcher::Advance(std::span<const StackTop> in, uint8_t byte,
                             std::vector<StackTop>& out) {
  out.clear();
  NewGeneration();
  const Grammar& g = *grammar_;
  for (const StackTop& top : in) {
    if (top.pos == kAccept) continue;
    if (!g.sets[static_cast<size_t>(top.pos)].Has(byte)) continue;
    Close(top.pos + 1, top.parent, out);
  }
}

ByteSet GrammarMatcher::NextBytes(std::span<const StackTop> tops) const {
  ByteSet set;
  for (const StackTop& top : tops) {
    if (top.pos != kAccept) set |= grammar_->sets[static_cast<size_t>(top.pos)];
  }
  return set;
}

bool GrammarMatcher::Accepts(std::span<const StackTop> tops) {
  for (const StackTop& top : tops) {
    if (top.pos == kAccept) return true;
  }
  return false;
}

}  // namespace hearth
