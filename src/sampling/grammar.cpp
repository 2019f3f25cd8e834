#include "sampling/grammar.h"

#include <utility>

namespace hearth {
namespace {

using Sequence = GrammarBuilder::Sequence;

// Marks rules that derive at least one finite string (or, with `nullable`,
// the empty string): a rule qualifies once one of its alternatives has only
// qualifying items. Worklist over "unmet items per alternative", so linear in
// the grammar's size however the rules refer to each other.
std::vector<bool> RulesThatFinish(const std::vector<std::vector<Sequence>>& rules,
                                  const std::vector<std::vector<bool>>& kept, bool nullable) {
  const size_t n = rules.size();
  std::vector<bool> done(n, false);
  struct Use {
    int32_t rule;
    int32_t alt;
  };
  std::vector<std::vector<Use>> users(n);
  std::vector<std::vector<int32_t>> unmet(n);
  std::vector<int32_t> ready;
  for (size_t r = 0; r < n; ++r) {
    unmet[r].assign(rules[r].size(), 0);
    for (size_t a = 0; a < rules[r].size(); ++a) {
      if (!kept.empty() && !kept[r][a]) {
        unmet[r][a] = -1;  // dropped alternative: never counts
        continue;
      }
      bool impossible = false;
      for (const auto& item : rules[r][a]) {
        if (item.is_rule) {
          users[static_cast<size_t>(item.rule)].push_back(
              {static_cast<int32_t>(r), static_cast<int32_t>(a)});
          ++unmet[r][a];
        } else if (nullable || item.set.Empty()) {
          impossible = true;  // a byte is never empty; an empty set never matches
        }
      }
      if (impossible) {
        unmet[r][a] = -1;
      } else if (unmet[r][a] == 0 && !done[r]) {
        done[r] = true;
        ready.push_back(static_cast<int32_t>(r));
      }
    }
  }
  while (!ready.empty()) {
    const int32_t r = ready.back();
    ready.pop_back();
    for (const Use& use : users[static_cast<size_t>(r)]) {
      int32_t& count = unmet[static_cast<size_t>(use.rule)][static_cast<size_t>(use.alt)];
      if (count <= 0) continue;
      if (--count == 0 && !done[static_cast<size_t>(use.rule)]) {
        done[static_cast<size_t>(use.rule)] = true;
        ready.push_back(use.rule);
      }
    }
  }
  return done;
}

// True if some rule reaches itself through leading items that can all be
// empty (left recursion). Iterative depth-first search with colours.
bool HasLeftRecursion(const std::vector<std::vector<Sequence>>& rules,
                      const std::vector<std::vector<bool>>& kept,
                      const std::vector<bool>& nullable) {
  const size_t n = rules.size();
  std::vector<std::vector<int32_t>> edges(n);
  for (size_t r = 0; r < n; ++r) {
    for (size_t a = 0; a < rules[r].size(); ++a) {
      if (!kept[r][a]) continue;
      for (const auto& item : rules[r][a]) {
        if (!item.is_rule) break;
        edges[r].push_back(item.rule);
        if (!nullable[static_cast<size_t>(item.rule)]) break;
      }
    }
  }
  enum : uint8_t { kWhite, kGrey, kBlack };
  std::vector<uint8_t> colour(n, kWhite);
  std::vector<std::pair<int32_t, size_t>> stack;  // (rule, next edge)
  for (size_t start = 0; start < n; ++start) {
    if (colour[start] != kWhite) continue;
    stack.push_back({static_cast<int32_t>(start), 0});
    colour[start] = kGrey;
    while (!stack.empty()) {
      auto& [rule, next] = stack.back();
      const auto& out = edges[static_cast<size_t>(rule)];
      if (next == out.size()) {
        colour[static_cast<size_t>(rule)] = kBlack;
        stack.pop_back();
        continue;
      }
      const int32_t to = out[next++];
      if (colour[static_cast<size_t>(to)] == kGrey) return true;
      if (colour[static_cast<size_t>(to)] == kWhite) {
        colour[static_cast<size_t>(to)] = kGrey;
        stack.push_back({to, 0});
      }
    }
  }
  return false;
}

}  // namespace

void GrammarBuilder::AppendLiteral(Sequence& sequence, std::string_view text) {
  for (char c : text) sequence.push_back(Byte(static_cast<uint8_t>(c)));
}

int32_t GrammarBuilder::AddRule() {
  rules_.emplace_back();
  return static_cast<int32_t>(rules_.size() - 1);
}

void GrammarBuilder::AddAlternative(int32_t rule, Sequence sequence) {
  rules_[static_cast<size_t>(rule)].push_back(std::move(sequence));
}

int32_t GrammarBuilder::AddRuleOf(Sequence sequence) {
  const int32_t rule = AddRule();
  AddAlternative(rule, std::move(sequence));
  return rule;
}

Result<Grammar> GrammarBuilder::Build(int32_t root) const {
  const size_t n = rules_.size();
  if (root < 0 || static_cast<size_t>(root) >= n) return InternalError("grammar root out of range");
  const std::vector<bool> productive = RulesThatFinish(rules_, {}, /*nullable=*/false);
  if (!productive[static_cast<size_t>(root)]) {
    return InvalidArgumentError("schema cannot be satisfied by any finite JSON value");
  }
  // Keep only alternatives whose every rule can finish: then any partial
  // match can always be completed, so the matcher never walks into a dead end.
  std::vector<std::vector<bool>> kept(n);
  for (size_t r = 0; r < n; ++r) {
    kept[r].assign(rules_[r].size(), true);
    for (size_t a = 0; a < rules_[r].size(); ++a) {
      for (const auto& item : rules_[r][a]) {
        if (item.is_rule ? !productive[static_cast<size_t>(item.rule)] : item.set.Empty()) {
          kept[r][a] = false;
          break;
        }
      }
    }
  }
  const std::vector<bool> nullable = RulesThatFinish(rules_, kept, /*nullable=*/true);
  if (HasLeftRecursion(rules_, kept, nullable)) {
    return InvalidArgumentError("schema refers to itself without consuming input ($ref cycle)");
  }
  Grammar grammar;
  auto push = [&grammar](ElementKind kind, const ByteSet& set, int32_t rule) {
    grammar.kinds.push_back(kind);
    grammar.sets.push_back(set);
    grammar.rule_of.push_back(rule);
  };
  push(ElementKind::kRule, {}, root);
  push(ElementKind::kEnd, {}, -1);
  grammar.alts.resize(n);
  for (size_t r = 0; r < n; ++r) {
    for (size_t a = 0; a < rules_[r].size(); ++a) {
      if (!kept[r][a]) continue;
      grammar.alts[r].push_back(static_cast<int32_t>(grammar.kinds.size()));
      for (const auto& item : rules_[r][a]) {
        if (item.is_rule) {
          push(ElementKind::kRule, {}, item.rule);
        } else {
          push(ElementKind::kChars, item.set, -1);
        }
      }
      push(ElementKind::kEnd, {}, -1);
    }
  }
  return grammar;
}

}  // namespace hearth
