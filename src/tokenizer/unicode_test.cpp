#include "tokenizer/unicode.h"

#include <gtest/gtest.h>

#include <set>

namespace hearth::unicode {
namespace {

TEST(UnicodeTest, ByteAlphabetIsABijection) {
  std::set<uint32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = ByteToCodepoint(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second) << b;
    uint8_t back = 0;
    ASSERT_TRUE(CodepointToByte(cp, &back));
    EXPECT_EQ(back, b);
  }
  // GPT-2's published table: printable ASCII maps to itself, space to U+0120 'Ġ',
  // newline to U+010A 'Ċ'.
  EXPECT_EQ(ByteToCodepoint('A'), static_cast<uint32_t>('A'));
  EXPECT_EQ(ByteToCodepoint(' '), 0x120u);
  EXPECT_EQ(ByteToCodepoint('\n'), 0x10Au);
  uint8_t byte;
  EXPECT_FALSE(CodepointToByte(0x4E00, &byte));
}

TEST(UnicodeTest, SanitizeAndIncompleteTail) {
  EXPECT_EQ(SanitizeUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(SanitizeUtf8("\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong NUL
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(IncompleteUtf8Tail("a\xE2\x82"), 2u);
  EXPECT_EQ(IncompleteUtf8Tail("a\xE2\x82\xAC"), 0u);
  EXPECT_EQ(IncompleteUtf8Tail("a\xF0"), 1u);
  EXPECT_EQ(IncompleteUtf8Tail("a\x80"), 0u);
  EXPECT_EQ(IncompleteUtf8Tail("a\xF8"), 0u);     // never a valid lead byte
  EXPECT_EQ(IncompleteUtf8Tail("a\xC1"), 0u);     // only overlong forms start with C1
  EXPECT_EQ(IncompleteUtf8Tail("\xE0\x80"), 0u);  // can never complete (overlong)
}

TEST(UnicodeTest, RepairLikeLlamaCpp) {
  EXPECT_EQ(RepairUtf8LikeLlamaCpp("ok \xC3\xA9"), "ok \xC3\xA9");
  // One U+FFFD per byte that starts no well-shaped sequence.
  EXPECT_EQ(RepairUtf8LikeLlamaCpp("\xF2\xA0"
                                   "D"),
            "\xEF\xBF\xBD\xEF\xBF\xBD"
            "D");
  EXPECT_EQ(RepairUtf8LikeLlamaCpp("\xFF"), "\xEF\xBF\xBD");
  // Overlong forms are decoded and re-encoded canonically.
  EXPECT_EQ(RepairUtf8LikeLlamaCpp("\xC1\x81"), "A");
  // Surrogates cannot be encoded: one U+FFFD for the sequence.
  EXPECT_EQ(RepairUtf8LikeLlamaCpp("\xED\xA0\x80x"), "\xEF\xBF\xBDx");
  EXPECT_EQ(Utf8SequenceLength(0x41), 1u);
  EXPECT_EQ(Utf8SequenceLength(0x80), 1u);
  EXPECT_EQ(Utf8SequenceLength(0xC3), 2u);
  EXPECT_EQ(Utf8SequenceLength(0xE2), 3u);
  EXPECT_EQ(Utf8SequenceLength(0xFE), 4u);
}

TEST(UnicodeTest, BertCharacterData) {
  EXPECT_TRUE(IsWhitespace(0x3000));
  EXPECT_TRUE(IsPunctuation(0x3002));  // 。
  EXPECT_TRUE(IsSymbol('$'));
  EXPECT_TRUE(IsControl(0x7));
  EXPECT_TRUE(IsAccentMark(0x301));
  EXPECT_EQ(ToLower(0x41), 0x61u);
  EXPECT_EQ(ToLower(0x416), 0x436u);  // Ж -> ж
  std::vector<uint32_t> out;
  AppendDecomposition(0xE9, &out);  // é -> e + U+0301
  EXPECT_EQ(out, (std::vector<uint32_t>{0x65, 0x301}));
  out.clear();
  AppendDecomposition(0xD55C, &out);  // 한 -> ᄒ ᅡ ᆫ
  EXPECT_EQ(out, (std::vector<uint32_t>{0x1112, 0x1161, 0x11AB}));
}

}  // namespace
}  // namespace hearth::unicode
