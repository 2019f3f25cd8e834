#include "sampling/grammar.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sampling/constraint_vocab_trie.h"
#include "sampling/grammar_matcher.h"

namespace hearth {
namespace {

using B = GrammarBuilder;

// Feeds `text` and returns whether every byte was accepted; `tops` holds the stacks after it.
bool Feed(GrammarMatcher& matcher, std::string_view text, std::vector<StackTop>& tops) {
  matcher.Start(tops);
  std::vector<StackTop> next;
  for (char c : text) {
    matcher.Advance(tops, static_cast<uint8_t>(c), next);
    if (next.empty()) return false;
    std::swap(tops, next);
  }
  return true;
}

std::shared_ptr<const Grammar> BuildOrDie(const GrammarBuilder& builder, int32_t root) {
  auto grammar = builder.Build(root);
  EXPECT_TRUE(grammar.ok()) << grammar.status().ToString();
  return std::make_shared<const Grammar>(std::move(grammar).value());
}

TEST(GrammarTest, AlternativesAndNextBytes) {
  GrammarBuilder b;
  const int32_t root = b.AddRule();
  B::Sequence ab, ac;
  B::AppendLiteral(ab, "ab");
  B::AppendLiteral(ac, "ac");
  b.AddAlternative(root, ab);
  b.AddAlternative(root, ac);
  GrammarMatcher matcher(BuildOrDie(b, root));
  std::vector<StackTop> tops;
  ASSERT_TRUE(Feed(matcher, "a", tops));
  const ByteSet next = matcher.NextBytes(tops);
  EXPECT_TRUE(next.Has('b'));
  EXPECT_TRUE(next.Has('c'));
  EXPECT_FALSE(next.Has('a'));
  EXPECT_FALSE(GrammarMatcher::Accepts(tops));
  ASSERT_TRUE(Feed(matcher, "ac", tops));
  EXPECT_TRUE(GrammarMatcher::Accepts(tops));
  EXPECT_FALSE(Feed(matcher, "ad", tops));
  EXPECT_FALSE(Feed(matcher, "acx", tops));
}

TEST(GrammarTest, RejectsLeftRecursionEvenThroughEmptyRules) {
  GrammarBuilder direct;
  const int32_t a = direct.AddRule();
  direct.AddAlternative(a, {B::Ref(a), B::Byte('x')});
  direct.AddAlternative(a, {B::Byte('y')});
  EXPECT_EQ(direct.Build(a).status().code(), StatusCode::kInvalidArgument);

  GrammarBuilder hidden;
  const int32_t empty = hidden.AddRuleOf({});
  const int32_t r = hidden.AddRule();
  hidden.AddAlternative(r, {B::Ref(empty), B::Ref(r), B::Byte('x')});
  hidden.AddAlternative(r, {B::Byte('y')});
  EXPECT_EQ(hidden.Build(r).status().code(), StatusCode::kInvalidArgument);
}

TEST(GrammarTest, RejectsRulesWithoutFiniteMatchesAndPrunesDeadAlternatives) {
  GrammarBuilder endless;
  const int32_t loop = endless.AddRule();
  endless.AddAlternative(loop, {B::Byte('x'), B::Ref(loop)});
  EXPECT_EQ(endless.Build(loop).status().code(), StatusCode::kInvalidArgument);

  GrammarBuilder mixed;
  const int32_t dead = mixed.AddRule();
  mixed.AddAlternative(dead, {B::Byte('z'), B::Ref(dead)});
  const int32_t root = mixed.AddRule();
  mixed.AddAlternative(root, {B::Byte('x'), B::Ref(dead)});
  mixed.AddAlternative(root, {B::Byte('y')});
  GrammarMatcher matcher(BuildOrDie(mixed, root));
  std::vector<StackTop> tops;
  EXPECT_FALSE(Feed(matcher, "x", tops));  // would never finish: not offered
  EXPECT_TRUE(Feed(matcher, "y", tops));
}

TEST(GrammarTest, RightRecursionDoesNotGrowTheStack) {
  GrammarBuilder b;
  const int32_t many = b.AddRule();  // many := 'a' many | 'b'
  b.AddAlternative(many, {B::Byte('a'), B::Ref(many)});
  b.AddAlternative(many, {B::Byte('b')});
  const int32_t root = b.AddRuleOf({B::Byte('['), B::Ref(many), B::Byte(']')});
  GrammarMatcher matcher(BuildOrDie(b, root));
  std::vector<StackTop> tops;
  ASSERT_TRUE(Feed(matcher, "[" + std::string(10000, 'a') + "b]", tops));
  EXPECT_TRUE(GrammarMatcher::Accepts(tops));
  EXPECT_LT(matcher.Mark(), 10u);  // arena nodes: one per open '[', not one per 'a'
}

TEST(GrammarTest, AmbiguityIsDeduplicated) {
  GrammarBuilder b;
  const int32_t x = b.AddRuleOf({B::Byte('x')});
  int32_t rule = x;
  for (int i = 0; i < 30; ++i) {  // 2^30 derivations of "x" if not shared
    const int32_t both = b.AddRule();
    b.AddAlternative(both, {B::Ref(rule)});
    b.AddAlternative(both, {B::Ref(rule)});
    rule = both;
  }
  GrammarMatcher matcher(BuildOrDie(b, rule));
  std::vector<StackTop> tops;
  matcher.Start(tops);
  EXPECT_EQ(tops.size(), 1u);
  ASSERT_TRUE(Feed(matcher, "x", tops));
  EXPECT_TRUE(GrammarMatcher::Accepts(tops));
}

TEST(VocabTrieTest, PreOrderWithSharedPrefixes) {
  const std::vector<std::string> pieces = {"ab", "a", "", "b", "abc", "ab", "x"};
  const int32_t excluded[] = {6};
  const VocabTrie trie(pieces, excluded);
  // root, a, ab, abc, b
  ASSERT_EQ(trie.size(), 5u);
  EXPECT_EQ(trie.byte(1), 'a');
  EXPECT_EQ(trie.depth(3), 3);
  EXPECT_EQ(trie.end(1), 4u);  // the subtree of "a" holds "ab" and "abc"
  EXPECT_EQ(std::vector<int32_t>(trie.tokens(1).begin(), trie.tokens(1).end()),
            std::vector<int32_t>{1});
  EXPECT_EQ(std::vector<int32_t>(trie.tokens(2).begin(), trie.tokens(2).end()),
            (std::vector<int32_t>{0, 5}));
  EXPECT_EQ(trie.tokens(3)[0], 4);
  EXPECT_EQ(trie.byte(4), 'b');
  EXPECT_EQ(trie.end(4), 5u);
  EXPECT_EQ(trie.max_depth(), 3);
}

}  // namespace
}  // namespace hearth
