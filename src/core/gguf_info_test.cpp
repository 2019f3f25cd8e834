#include "core/gguf_info.h"

#include <gtest/gtest.h>

#include "core/gguf_writer.h"
#include "core/sha256.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

using Bytes = std::vector<uint8_t>;

// A small "llama" model image with the metadata `hearth show` reports.
Bytes TinyModel() {
  GgufWriter writer;
  writer.AddString("general.architecture", "llama");
  writer.AddString("general.name", "Tiny Test");
  writer.AddString("general.license", "apache-2.0");
  writer.AddString("general.author", "hearth tests");
  writer.AddArray<int32_t>("general.tags", std::vector<int32_t>{1, 2});
  writer.AddUint32("llama.context_length", 2048);
  writer.AddUint32("llama.embedding_length", 64);
  writer.AddUint32("llama.block_count", 2);
  writer.AddUint32("llama.attention.head_count", 4);
  writer.AddString("tokenizer.ggml.model", "gpt2");
  writer.AddStringArray("tokenizer.ggml.tokens", std::vector<std::string>{"<s>", "</s>", "a\nb"});
  writer.AddUint32("tokenizer.ggml.bos_token_id", 0);
  writer.AddUint32("tokenizer.ggml.eos_token_id", 2);
  writer.AddUint32("tokenizer.ggml.padding_token_id", 7);  // outside the vocabulary
  writer.AddBool("tokenizer.ggml.add_bos_token", true);
  writer.AddString("tokenizer.chat_template",
                   "{% for m in messages %}\n{{ m.content }}\n{% endfor %}");
  writer.AddTensor("a", TensorType::kF32, {4, 2}, Bytes(32));
  writer.AddTensor("b", TensorType::kQ8_0, {32, 3}, Bytes(3 * 34));
  writer.AddTensor("c", TensorType::kF32, {5}, Bytes(20));
  auto bytes = writer.WriteToBuffer();
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : Bytes{};
}

TEST(GgufInfoTest, DescribesEveryField) {
  const Bytes bytes = TinyModel();
  auto file = GgufFile::FromBytes("tiny.gguf", bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto info = DescribeModel(**file);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->path, "tiny.gguf");
  EXPECT_EQ(info->file_size, bytes.size());
  EXPECT_EQ(info->sha256, *Sha256Hex(bytes.data(), bytes.size()));
  EXPECT_EQ(info->gguf_version, 3u);
  EXPECT_EQ(info->architecture, "llama");
  EXPECT_EQ(info->name, "Tiny Test");
  EXPECT_EQ(info->license, "apache-2.0");
  EXPECT_EQ(info->parameter_count, 8u + 96u + 5u);
  EXPECT_EQ(info->tensor_count, 3u);
  using Counts = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(info->tensor_types, (Counts{{"F32", 2}, {"Q8_0", 1}}));
  EXPECT_EQ(info->context_length, 2048u);
  EXPECT_EQ(info->embedding_length, 64u);
  EXPECT_EQ(info->block_count, 2u);
  EXPECT_EQ(info->head_count, 4u);
  EXPECT_EQ(info->head_count_kv, std::nullopt);
  EXPECT_EQ(info->vocab_size, 3u);
  EXPECT_EQ(info->tokenizer_model, "gpt2");
  ASSERT_EQ(info->special_tokens.size(), 3u);
  EXPECT_EQ(info->special_tokens[0].role, "bos");
  EXPECT_EQ(info->special_tokens[0].text, "<s>");
  EXPECT_EQ(info->special_tokens[1].role, "eos");
  EXPECT_EQ(info->special_tokens[1].text, "a\nb");
  EXPECT_EQ(info->special_tokens[2].role, "pad");
  EXPECT_EQ(info->special_tokens[2].id, 7u);
  EXPECT_EQ(info->special_tokens[2].text, std::nullopt);
  EXPECT_EQ(info->add_bos, true);
  EXPECT_EQ(info->add_eos, std::nullopt);
  ASSERT_EQ(info->other_general.size(), 2u);
  EXPECT_EQ(info->other_general[0].key, "general.author");
  EXPECT_EQ(info->other_general[1].json, nlohmann::ordered_json::array({1, 2}));

  const std::string text = RenderModelInfoText(*info);
  EXPECT_NE(text.find("architecture:      llama\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tensors:           3 (F32: 2, Q8_0: 1)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("parameters:        109 (109)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("heads:             4 (kv: (absent))\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bos = 0 '<s>', eos = 2 'a\\nb', pad = 7 (not in vocabulary)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("add bos / eos:     yes / (absent)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("chat template:     52 bytes, first line: {% for m in messages %}\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("general.tags:      [array of 2 int32]\n"), std::string::npos) << text;

  const nlohmann::ordered_json json = ModelInfoToJson(*info);
  EXPECT_EQ(json["chat_template"], "{% for m in messages %}\n{{ m.content }}\n{% endfor %}");
  EXPECT_EQ(json["tensor_types"]["Q8_0"], 1);
  EXPECT_TRUE(json["head_count_kv"].is_null());
  EXPECT_EQ(json["special_tokens"][2]["text"], nullptr);
  EXPECT_EQ(json["general"]["general.author"], "hearth tests");
}

TEST(GgufInfoTest, MissingKeysAreAbsentNotErrors) {
  GgufWriter writer;
  auto bytes = writer.WriteToBuffer();
  ASSERT_TRUE(bytes.ok());
  auto file = GgufFile::FromBytes("empty.gguf", bytes->data(), bytes->size());
  ASSERT_TRUE(file.ok());
  auto info = DescribeModel(**file, {.compute_sha256 = false});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->architecture, std::nullopt);
  EXPECT_EQ(info->sha256, std::nullopt);
  EXPECT_EQ(info->vocab_size, std::nullopt);
  EXPECT_TRUE(info->special_tokens.empty());
  EXPECT_NE(RenderModelInfoText(*info).find("tensors:           0 (none)"), std::string::npos);
  EXPECT_TRUE(ModelInfoToJson(*info)["chat_template"].is_null());
}

TEST(GgufInfoTest, JsonSurvivesInvalidUtf8) {
  GgufWriter writer;
  writer.AddString("general.name", "bad \xff\xfe utf-8");
  auto bytes = writer.WriteToBuffer();
  ASSERT_TRUE(bytes.ok());
  auto file = GgufFile::FromBytes("utf8.gguf", bytes->data(), bytes->size());
  ASSERT_TRUE(file.ok());
  auto info = DescribeModel(**file);
  ASSERT_TRUE(info.ok());
  const std::string json = RenderModelInfoJson(*info);
  EXPECT_NE(json.find("\"name\": \"bad \xef\xbf\xbd\xef\xbf\xbd utf-8\""), std::string::npos)
      << json;
}

TEST(GgufInfoTest, WrongTypesAreErrorsNamingTheKey) {
  GgufWriter writer;
  writer.AddString("general.architecture", "llama");
  writer.AddString("llama.context_length", "long");
  auto bytes = writer.WriteToBuffer();
  ASSERT_TRUE(bytes.ok());
  auto file = GgufFile::FromBytes("bad.gguf", bytes->data(), bytes->size());
  ASSERT_TRUE(file.ok());
  auto info = DescribeModel(**file);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(info.status().message().find("'llama.context_length'"), std::string::npos);
}

TEST(GgufInfoTest, Stories260K) {
  auto file = GgufFile::Open(testing::SharedDir() + "/data/tinystories-260k/stories260K.gguf");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto info = DescribeModel(**file);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  // Reference digest from coreutils `sha256sum`.
  EXPECT_EQ(info->sha256, "047bf46455a544931cff6fef14d7910154c56afbc23ab1c5e56a72e69912c04b");
  EXPECT_EQ(info->parameter_count, 292800u);  // from the gguf Python package
  EXPECT_EQ(info->vocab_size, 512u);
  EXPECT_EQ(info->block_count, 5u);
  EXPECT_EQ(info->head_count, 8u);
  EXPECT_EQ(info->head_count_kv, 4u);
  ASSERT_FALSE(info->special_tokens.empty());
  EXPECT_EQ(info->special_tokens[0].role, "bos");
  EXPECT_EQ(info->special_tokens[0].id, 1u);
}

}  // namespace
}  // namespace hearth
