#include "tokenizer/pretokenizer.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

using Pieces = std::vector<std::string_view>;

Pieces SplitWith(std::string_view pre, std::string_view text) {
  auto tokenizer = RegexPreTokenizer::ForName(pre);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  return tokenizer.ok() ? (*tokenizer)->Split(text) : Pieces{};
}

TEST(RegexPreTokenizerTest, EveryKnownPresetCompiles) {
  for (const std::string& name : RegexPreTokenizer::KnownNames()) {
    auto tokenizer = RegexPreTokenizer::ForName(name);
    ASSERT_TRUE(tokenizer.ok()) << name << ": " << tokenizer.status().ToString();
    // Pieces cover the text exactly, in order.
    const std::string text = "Hi there, it's 2024!\n\n  \xE4\xBD\xA0\xE5\xA5\xBD \xC3\x84pfel\t";
    std::string joined;
    for (std::string_view piece : (*tokenizer)->Split(text)) {
      EXPECT_FALSE(piece.empty()) << name;
      joined.append(piece);
    }
    EXPECT_EQ(joined, text) << name;
  }
  EXPECT_EQ(RegexPreTokenizer::ForName("nope").status().code(), StatusCode::kUnsupported);
}

TEST(RegexPreTokenizerTest, Gpt2AndLlama3Splits) {
  // GPT-2: "\s+(?!\S)" leaves the last space to start the next word.
  EXPECT_EQ(SplitWith("gpt-2", "Hello world's  123"),
            (Pieces{"Hello", " world", "'s", " ", " 123"}));
  // Llama 3: numbers in groups of three, no space attached to them.
  EXPECT_EQ(SplitWith("llama-bpe", "Hello world's  12345"),
            (Pieces{"Hello", " world", "'s", " ", " ", "123", "45"}));
  // Qwen2: single digits; case-insensitive contractions.
  EXPECT_EQ(SplitWith("qwen2", "IT'S 42"), (Pieces{"IT", "'S", " ", "4", "2"}));
  // SmolLM/StarCoder: digits isolated first, then GPT-2's split.
  EXPECT_EQ(SplitWith("smollm", "a 12b"), (Pieces{"a", " ", "1", "2", "b"}));
}

TEST(RegexPreTokenizerTest, LongRunsSplitLikeShortOnes) {
  // 100k spaces: the lookahead alternative backtracks over the whole run; the
  // JIT needs a bigger stack than its default for this.
  const std::string text = "a" + std::string(100000, ' ') + "b" + std::string(100000, 'x');
  const Pieces pieces = SplitWith("gpt-2", text);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0], "a");
  EXPECT_EQ(pieces[1].size(), 99999u);  // all spaces but the one " b" takes
  EXPECT_EQ(pieces[2].size(), 100002u);
}

TEST(RegexPreTokenizerTest, InvalidPatternIsAnError) {
  auto tokenizer = RegexPreTokenizer::FromPatterns({"(unclosed"});
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(tokenizer.status().message().find("(unclosed"), std::string::npos);
}

}  // namespace
}  // namespace hearth
