// LoadVocab / Tokenizer::FromGguf on GGUF images: metadata defaults and
// overrides, and the errors for malformed vocabularies.
#include <gtest/gtest.h>

#include "core/gguf.h"
#include "core/gguf_writer.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace hearth {
namespace {

// A small "llama" vocabulary: <unk> <s> </s>, 256 byte tokens, "▁a".
GgufWriter SpmWriter() {
  GgufWriter writer;
  writer.AddString("general.architecture", "llama");
  writer.AddString("tokenizer.ggml.model", "llama");
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(fmt::format("<0x{:02X}>", b));
    types.push_back(6);
  }
  tokens.push_back(
      "\xE2\x96\x81"
      "a");
  types.push_back(1);
  writer.AddStringArray("tokenizer.ggml.tokens", tokens);
  writer.AddArray<int32_t>("tokenizer.ggml.token_type", types);
  writer.AddArray<float>("tokenizer.ggml.scores", std::vector<float>(tokens.size(), 0.0f));
  return writer;
}

struct Loaded {
  std::vector<uint8_t> bytes;
  std::unique_ptr<GgufFile> file;
};

Result<std::unique_ptr<Tokenizer>> Load(const GgufWriter& writer, Loaded* keep) {
  auto bytes = writer.WriteToBuffer();
  if (!bytes.ok()) return bytes.status();
  keep->bytes = std::move(bytes).value();
  auto file = GgufFile::FromBytes("test.gguf", keep->bytes.data(), keep->bytes.size());
  if (!file.ok()) return file.status();
  keep->file = std::move(file).value();
  return Tokenizer::FromGguf(*keep->file);
}

TEST(VocabGgufTest, SentencePieceDefaultsAndOverrides) {
  Loaded keep;
  auto tok = Load(SpmWriter(), &keep);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  // llama.cpp's defaults for "llama": bos 1, eos 2, add_bos, space prefix.
  EXPECT_EQ((*tok)->bos(), 1);
  EXPECT_EQ((*tok)->eos(), 2);
  EXPECT_TRUE((*tok)->add_bos());
  EXPECT_FALSE((*tok)->add_eos());
  EXPECT_EQ((*tok)->Encode("a", true, false), (std::vector<TokenId>{1, 259}));
  // The tokenizer owns copies of everything: the file may go away.
  keep.file.reset();
  keep.bytes = std::vector<uint8_t>();
  EXPECT_EQ((*tok)->Encode("a", true, false), (std::vector<TokenId>{1, 259}));
  EXPECT_EQ((*tok)->TokenToPiece(259, false), " a");

  GgufWriter writer = SpmWriter();
  writer.AddBool("tokenizer.ggml.add_bos_token", false);
  writer.AddBool("tokenizer.ggml.add_eos_token", true);
  writer.AddBool("tokenizer.ggml.add_space_prefix", false);
  Loaded keep2;
  auto tok2 = Load(writer, &keep2);
  ASSERT_TRUE(tok2.ok()) << tok2.status().ToString();
  EXPECT_FALSE((*tok2)->add_bos());
  // No space prefix: "a" alone has no piece, so it falls back to its byte.
  EXPECT_EQ((*tok2)->Encode("a", true, false), (std::vector<TokenId>{3 + 'a', 2}));
}

TEST(VocabGgufTest, RejectsOutOfRangeTokenIdsNamingTheKey) {
  GgufWriter writer = SpmWriter();
  writer.AddUint32("tokenizer.ggml.eos_token_id", 100000);
  Loaded keep;
  auto tok = Load(writer, &keep);
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(tok.status().message().find("tokenizer.ggml.eos_token_id"), std::string::npos)
      << tok.status().message();
  EXPECT_NE(tok.status().message().find("100000"), std::string::npos);
}

TEST(VocabGgufTest, RejectsUnknownModelAndMissingMerges) {
  GgufWriter writer;
  writer.AddString("tokenizer.ggml.model", "rwkv");
  writer.AddStringArray("tokenizer.ggml.tokens", std::vector<std::string>{"a"});
  Loaded keep;
  auto tok = Load(writer, &keep);
  EXPECT_EQ(tok.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(tok.status().message().find("rwkv"), std::string::npos);

  GgufWriter bpe;
  bpe.AddString("tokenizer.ggml.model", "gpt2");
  bpe.AddStringArray("tokenizer.ggml.tokens", std::vector<std::string>{"a"});
  Loaded keep2;
  auto tok2 = Load(bpe, &keep2);
  ASSERT_FALSE(tok2.ok());
  EXPECT_NE(tok2.status().message().find("tokenizer.ggml.merges"), std::string::npos)
      << tok2.status().message();
}

TEST(VocabGgufTest, RejectsMalformedByteTokenFromCorpus) {
  // The GGUF reader accepts this file on purpose; the tokenizer must not.
  const std::string path =
      hearth::testing::SourceDir() + "/tests/gguf_corpus/vocab_bad_byte_escape.gguf";
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto tok = Tokenizer::FromGguf(**file);
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::kCorrupt);
  const std::string message = tok.status().message();
  EXPECT_NE(message.find("byte token 1"), std::string::npos) << message;
  EXPECT_NE(message.find("<0xZZ>"), std::string::npos) << message;
  EXPECT_NE(message.find("vocab_bad_byte_escape.gguf"), std::string::npos) << message;
}

}  // namespace
}  // namespace hearth
