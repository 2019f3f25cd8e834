// Tokenizer behaviour on small hand-built vocabularies, where the expected ids
// follow from the algorithm definitions (merge order by score or rank, greedy
// longest match, special-token splitting) and can be worked out by hand.
#include "tokenizer/tokenizer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tokenizer/unicode.h"
#include "tokenizer/vocab.h"

namespace hearth {
namespace {

using Ids = std::vector<TokenId>;

std::unique_ptr<Tokenizer> Make(Vocab vocab) {
  auto tokenizer = CreateTokenizer(std::move(vocab));
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  return tokenizer.ok() ? std::move(tokenizer).value() : nullptr;
}

TokenId Add(Vocab* v, std::string text, TokenType type = TokenType::kNormal, float score = 0) {
  v->tokens.push_back(std::move(text));
  v->types.push_back(type);
  v->scores.push_back(score);
  return static_cast<TokenId>(v->tokens.size() - 1);
}

// --- SentencePiece -----------------------------------------------------------

// <unk> <s> </s>, the 256 byte tokens, then a few pieces with scores.
struct SpmFixture {
  Vocab vocab;
  TokenId space, a, b, space_a, ab, space_ab, im_end;
  SpmFixture() {
    vocab.model = VocabModel::kSentencePiece;
    vocab.unk = Add(&vocab, "<unk>", TokenType::kUnknown);
    vocab.bos = Add(&vocab, "<s>", TokenType::kControl);
    vocab.eos = Add(&vocab, "</s>", TokenType::kControl);
    for (int byte = 0; byte < 256; ++byte)
      Add(&vocab, fmt::format("<0x{:02X}>", byte), TokenType::kByte);
    space = Add(&vocab, "\xE2\x96\x81", TokenType::kNormal, -5);
    a = Add(&vocab, "a", TokenType::kNormal, -6);
    b = Add(&vocab, "b", TokenType::kNormal, -7);
    space_a = Add(&vocab,
                  "\xE2\x96\x81"
                  "a",
                  TokenType::kNormal, -1);
    ab = Add(&vocab, "ab", TokenType::kNormal, -2);
    space_ab = Add(&vocab,
                   "\xE2\x96\x81"
                   "ab",
                   TokenType::kNormal, -3);
    im_end = Add(&vocab, "<|im_end|>", TokenType::kControl);
    vocab.add_bos = true;
    vocab.add_space_prefix = true;
  }
  TokenId Byte(int value) const { return 3 + value; }
};

TEST(SpmTokenizerTest, MergesBestScoreFirst) {
  SpmFixture f;
  auto tok = Make(f.vocab);
  // "▁ab": "▁a" (-1) beats "ab" (-2), then "▁a"+"b" = "▁ab" exists.
  EXPECT_EQ(tok->Encode("ab", false, false), (Ids{f.space_ab}));
  // Without "▁ab" the first merge still wins and "b" stays alone.
  f.vocab.tokens[f.space_ab] = "unused-piece";
  auto tok2 = Make(f.vocab);
  EXPECT_EQ(tok2->Encode("ab", false, false), (Ids{f.space_a, f.b}));
  // Make "ab" the better pair: "▁" and "ab" remain (no "▁ab").
  f.vocab.scores[f.ab] = 0;
  auto tok3 = Make(f.vocab);
  EXPECT_EQ(tok3->Encode("ab", false, false), (Ids{f.space, f.ab}));
}

TEST(SpmTokenizerTest, SpacePrefixBosAndByteFallback) {
  SpmFixture f;
  auto tok = Make(f.vocab);
  EXPECT_EQ(tok->Encode("", true, false), (Ids{f.vocab.bos}));
  EXPECT_EQ(tok->Encode("", false, false), Ids{});
  // "é" (C3 A9) has no piece: its bytes come out as byte tokens.
  EXPECT_EQ(tok->Encode("a\xC3\xA9", true, false),
            (Ids{f.vocab.bos, f.space_a, f.Byte(0xC3), f.Byte(0xA9)}));
  EXPECT_EQ(tok->Decode(tok->Encode("a \xC3\xA9", false, false), false), " a \xC3\xA9");
  // As in llama.cpp, a truncated sequence takes the length its lead byte
  // announces, here swallowing the first bytes of the U+2581 after it.
  EXPECT_EQ(tok->Encode("\xE5 a", false, false),
            (Ids{f.space, f.Byte(0xE5), f.Byte(0xE2), f.Byte(0x96), f.Byte(0x81), f.a}));
  f.vocab.add_space_prefix = false;
  auto no_prefix = Make(f.vocab);
  EXPECT_EQ(no_prefix->Encode("ab", false, false), (Ids{f.ab}));
}

TEST(SpmTokenizerTest, SpecialTokensNeedParseSpecial) {
  SpmFixture f;
  auto tok = Make(f.vocab);
  const Ids parsed = tok->Encode("a<|im_end|>a", false, true);
  // The text after a special token gets the space prefix again (llama.cpp).
  EXPECT_EQ(parsed, (Ids{f.space_a, f.im_end, f.space_a}));
  const Ids plain = tok->Encode("a<|im_end|>", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), f.im_end), 0);
  EXPECT_EQ(tok->Decode(plain, false), " a<|im_end|>");
  // Control tokens render only on request.
  EXPECT_EQ(tok->TokenToPiece(f.im_end, false), "");
  EXPECT_EQ(tok->TokenToPiece(f.im_end, true), "<|im_end|>");
  EXPECT_EQ(tok->TokenToPiece(f.Byte('\n'), false), "\n");
}

TEST(SpmTokenizerTest, EndOfGenerationFromMetadataAndTokenTexts) {
  SpmFixture f;
  const TokenId custom = Add(&f.vocab, "<|custom_stop|>", TokenType::kControl);
  auto tok = Make(f.vocab);
  EXPECT_TRUE(tok->IsEndOfGeneration(f.vocab.eos));
  EXPECT_TRUE(tok->IsEndOfGeneration(f.im_end));  // a known end-of-turn text
  EXPECT_FALSE(tok->IsEndOfGeneration(custom));   // control, but nothing says it ends a turn
  EXPECT_FALSE(tok->IsEndOfGeneration(f.vocab.bos));
  EXPECT_FALSE(tok->IsEndOfGeneration(f.a));
  // Metadata may name any id as end of turn.
  f.vocab.eot = custom;
  EXPECT_TRUE(Make(f.vocab)->IsEndOfGeneration(custom));
  // An end-of-turn text typed normal is still treated as control (llama.cpp):
  // not matched in plain text, hidden unless special tokens are rendered.
  f.vocab.types[f.im_end] = TokenType::kNormal;
  auto retyped = Make(f.vocab);
  EXPECT_TRUE(retyped->IsEndOfGeneration(f.im_end));
  EXPECT_EQ(retyped->TokenToPiece(f.im_end, false), "");
  const Ids plain = retyped->Encode("<|im_end|>", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), f.im_end), 0);
}

// --- Byte-level BPE ----------------------------------------------------------

std::string ByteChar(uint8_t byte) {
  return unicode::CodepointToUtf8(unicode::ByteToCodepoint(byte));
}

// The 256 byte characters (id = byte value) plus merged pieces.
struct BpeFixture {
  Vocab vocab;
  TokenId th, the, sp_t, sp_th, sp_the, eot, user;
  BpeFixture() {
    vocab.model = VocabModel::kByteLevelBpe;
    vocab.pre = "gpt-2";
    for (int byte = 0; byte < 256; ++byte) Add(&vocab, ByteChar(static_cast<uint8_t>(byte)));
    const std::string sp = ByteChar(' ');  // "Ġ"
    th = Add(&vocab, "th");
    the = Add(&vocab, "the");
    sp_t = Add(&vocab, sp + "t");
    sp_th = Add(&vocab, sp + "th");
    sp_the = Add(&vocab, sp + "the");
    eot = Add(&vocab, "<|endoftext|>", TokenType::kControl);
    user = Add(&vocab, "<user>", TokenType::kUserDefined);
    // Ranks: "t h" first, then "Ġ th" beats "th e", so " the" is (Ġth)e.
    vocab.merges = {"t h", "Ġ t", "Ġ th", "th e", "Ġth e"};
    vocab.eos = eot;
    vocab.bos = eot;
  }
};

TEST(BpeTokenizerTest, MergesLowestRankFirst) {
  BpeFixture f;
  auto tok = Make(f.vocab);
  EXPECT_EQ(tok->Encode("the", false, false), (Ids{f.the}));
  // " the": "t h" (rank 0) first, then "Ġ th" (2), then "Ġth e" (4).
  EXPECT_EQ(tok->Encode(" the", false, false), (Ids{f.sp_the}));
  // Pre-tokenizer splits "the the" into "the" and " the".
  EXPECT_EQ(tok->Encode("the the", false, false), (Ids{f.the, f.sp_the}));
  // Without "Ġ th" the pieces stay "Ġ" + "the".
  f.vocab.merges = {"t h", "Ġ t", "th e"};
  auto tok2 = Make(f.vocab);
  EXPECT_EQ(tok2->Encode(" the", false, false), (Ids{' ', f.the}));
  // Unmerged bytes map to their byte characters.
  EXPECT_EQ(tok->Encode("\n\xC3\xA9", false, false), (Ids{'\n', 0xC3, 0xA9}));
}

TEST(BpeTokenizerTest, DecodesByteAlphabetBackToBytes) {
  BpeFixture f;
  auto tok = Make(f.vocab);
  for (const std::string text : {"the the\n", " \t\xC3\xA9\xF0\x9F\x98\x80 x", "a  b   c"}) {
    EXPECT_EQ(tok->Decode(tok->Encode(text, false, false), false), text);
  }
  // Malformed UTF-8 is repaired as llama.cpp does: one U+FFFD per bad byte,
  // overlong forms decoded.
  EXPECT_EQ(tok->Decode(tok->Encode("a\xFF", false, false), false), "a\xEF\xBF\xBD");
  EXPECT_EQ(tok->Decode(tok->Encode("\xF2\xA0"
                                    "D",
                                    false, false),
                        false),
            "\xEF\xBF\xBD\xEF\xBF\xBD"
            "D");
  EXPECT_EQ(tok->Decode(tok->Encode("\xC1\x81", false, false), false), "A");
}

TEST(BpeTokenizerTest, SpecialAndUserDefinedTokens) {
  BpeFixture f;
  auto tok = Make(f.vocab);
  EXPECT_EQ(tok->Encode("the<|endoftext|>", false, true), (Ids{f.the, f.eot}));
  const Ids plain = tok->Encode("the<|endoftext|>", false, false);
  EXPECT_GT(plain.size(), 2u);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), f.eot), 0);
  // User-defined tokens are always matched, as in llama.cpp.
  EXPECT_EQ(tok->Encode("<user>the", false, false), (Ids{f.user, f.the}));
  EXPECT_EQ(tok->TokenToPiece(f.user, false), "<user>");
  // No add_bos metadata: add_special adds nothing for this vocabulary.
  EXPECT_FALSE(tok->add_bos());
  EXPECT_EQ(tok->Encode("the", true, false), (Ids{f.the}));
}

TEST(BpeTokenizerTest, StripAttributesEatWhitespaceAroundSpecialTokens) {
  BpeFixture f;
  f.vocab.rstrip_tokens = {f.user};
  auto tok = Make(f.vocab);
  EXPECT_EQ(tok->Encode("<user> \n the", false, false), (Ids{f.user, f.the}));
  EXPECT_EQ(tok->Encode("the <user>", false, false), (Ids{f.the, ' ', f.user}));
  f.vocab.rstrip_tokens.clear();
  f.vocab.lstrip_tokens = {f.user};
  auto left = Make(f.vocab);
  EXPECT_EQ(left->Encode("the \t<user>", false, false), (Ids{f.the, f.user}));
  f.vocab.lstrip_tokens = {static_cast<TokenId>(f.vocab.tokens.size())};
  EXPECT_EQ(CreateTokenizer(f.vocab).status().code(), StatusCode::kOutOfRange);
}

TEST(BpeTokenizerTest, LongestSpecialTokenWins) {
  BpeFixture f;
  const TokenId shorter = Add(&f.vocab, "<|end", TokenType::kControl);
  auto tok = Make(f.vocab);
  EXPECT_EQ(tok->Encode("<|endoftext|><|end", false, true), (Ids{f.eot, shorter}));
}

// --- WordPiece ---------------------------------------------------------------

struct WpmFixture {
  Vocab vocab;
  TokenId unk, cls, sep, hello, comma, un, aff, able, bang, cafe, zhong;
  WpmFixture() {
    vocab.model = VocabModel::kWordPiece;
    Add(&vocab, "[PAD]", TokenType::kControl);
    unk = Add(&vocab, "[UNK]", TokenType::kControl);
    cls = Add(&vocab, "[CLS]", TokenType::kControl);
    sep = Add(&vocab, "[SEP]", TokenType::kControl);
    hello = Add(&vocab, "\xE2\x96\x81hello");
    comma = Add(&vocab, "\xE2\x96\x81,");
    un = Add(&vocab, "\xE2\x96\x81un");
    aff = Add(&vocab, "aff");
    able = Add(&vocab, "able");
    bang = Add(&vocab, "\xE2\x96\x81!");
    cafe = Add(&vocab,
               "\xE2\x96\x81"
               "cafe");
    zhong = Add(&vocab, "\xE2\x96\x81\xE4\xB8\xAD");  // 中
    vocab.unk = unk;
    vocab.bos = cls;
    vocab.eos = sep;
    vocab.add_bos = vocab.add_eos = true;
  }
};

TEST(WpmTokenizerTest, NormalizesSplitsAndMatchesGreedily) {
  WpmFixture f;
  auto tok = Make(f.vocab);
  EXPECT_EQ(tok->Encode("Hello, UNAFFABLE!", false, false),
            (Ids{f.hello, f.comma, f.un, f.aff, f.able, f.bang}));
  // Accents are stripped (NFD, then marks dropped) and CJK ideographs split off.
  EXPECT_EQ(tok->Encode("Caf\xC3\xA9\xE4\xB8\xAD", false, false), (Ids{f.cafe, f.zhong}));
  // A word with an unmatched part is a single [UNK].
  EXPECT_EQ(tok->Encode("hello unaffablex", false, false), (Ids{f.hello, f.unk}));
  EXPECT_EQ(tok->Encode("hello", true, false), (Ids{f.cls, f.hello, f.sep}));
  EXPECT_EQ(tok->Decode(tok->Encode("Hello, unaffable", false, false), false),
            " hello , unaffable");
  f.vocab.lowercase = f.vocab.strip_accents = false;
  auto cased = Make(f.vocab);
  EXPECT_EQ(cased->Encode("Hello", false, false), (Ids{f.unk}));
}

// --- Validation --------------------------------------------------------------

TEST(VocabValidationTest, RejectsMalformedByteToken) {
  SpmFixture f;
  f.vocab.tokens[f.Byte(0x41)] = "<0xZZ>";
  auto tok = CreateTokenizer(f.vocab);
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(tok.status().message().find(fmt::format("byte token {}", f.Byte(0x41))),
            std::string::npos)
      << tok.status().message();
  EXPECT_NE(tok.status().message().find("<0xZZ>"), std::string::npos);
}

TEST(VocabValidationTest, RejectsOutOfRangeSpecialIds) {
  SpmFixture f;
  f.vocab.eos = static_cast<TokenId>(f.vocab.tokens.size());
  auto tok = CreateTokenizer(f.vocab);
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(tok.status().message().find("eos_token_id"), std::string::npos);
}

TEST(VocabValidationTest, RejectsInconsistentArraysAndUnknownPreTokenizer) {
  SpmFixture f;
  f.vocab.scores.pop_back();
  EXPECT_EQ(CreateTokenizer(f.vocab).status().code(), StatusCode::kCorrupt);
  BpeFixture g;
  g.vocab.pre = "no-such-pre";
  auto tok = CreateTokenizer(g.vocab);
  EXPECT_EQ(tok.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(tok.status().message().find("no-such-pre"), std::string::npos);
  EXPECT_EQ(CreateTokenizer(Vocab{}).status().code(), StatusCode::kCorrupt);  // empty
}

// --- Streaming ---------------------------------------------------------------

TEST(StreamingDecoderTest, HoldsBackCharactersSplitOverByteTokens) {
  SpmFixture f;
  auto tok = Make(f.vocab);
  StreamingDecoder decoder(*tok, false);
  EXPECT_EQ(decoder.Push(f.a), "a");
  // "é" = C3 A9
  EXPECT_EQ(decoder.Push(f.Byte(0xC3)), "");
  EXPECT_EQ(decoder.Push(f.Byte(0xA9)), "\xC3\xA9");
  // "😀" = F0 9F 98 80, one byte per token.
  EXPECT_EQ(decoder.Push(f.Byte(0xF0)), "");
  EXPECT_EQ(decoder.Push(f.Byte(0x9F)), "");
  EXPECT_EQ(decoder.Push(f.Byte(0x98)), "");
  EXPECT_EQ(decoder.Push(f.Byte(0x80)), "\xF0\x9F\x98\x80");
  EXPECT_EQ(decoder.Flush(), "");
}

TEST(StreamingDecoderTest, ReplacesInvalidAndUnfinishedSequences) {
  SpmFixture f;
  auto tok = Make(f.vocab);
  StreamingDecoder decoder(*tok, false);
  // A stray continuation byte can never become valid: replaced at once.
  EXPECT_EQ(decoder.Push(f.Byte(0x80)), "\xEF\xBF\xBD");
  EXPECT_EQ(decoder.Push(f.Byte(0xE2)), "");
  EXPECT_EQ(decoder.Push(f.Byte(0x82)), "");
  // The 3-byte sequence is cut short by "a": the fragment becomes one U+FFFD
  // (Unicode's "maximal subpart" practice).
  EXPECT_EQ(decoder.Push(f.a), std::string("\xEF\xBF\xBD") + "a");
  EXPECT_EQ(decoder.Push(f.Byte(0xF0)), "");
  EXPECT_EQ(decoder.Flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(decoder.Flush(), "");
}

}  // namespace
}  // namespace hearth
