#include "core/gguf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "core/gguf_writer.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

using Bytes = std::vector<uint8_t>;

std::unique_ptr<GgufFile> ParseOrDie(const Bytes& bytes, const GgufLimits& limits = {}) {
  auto file = GgufFile::FromBytes("test.gguf", bytes.data(), bytes.size(), limits);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(file).value() : nullptr;
}

Bytes WriteOrDie(const GgufWriter& writer) {
  auto bytes = writer.WriteToBuffer();
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? std::move(bytes).value() : Bytes{};
}

Bytes FloatBytes(std::vector<float> values) {
  Bytes out(values.size() * sizeof(float));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

TEST(GgufTest, ScalarsRoundTripThroughTheWriter) {
  GgufWriter writer;
  writer.Add("u8", EncodeUint8(200));
  writer.Add("i8", EncodeInt8(-100));
  writer.Add("u16", EncodeUint16(60000));
  writer.Add("i16", EncodeInt16(-30000));
  writer.AddUint32("u32", 4000000000u);
  writer.AddInt32("i32", -2000000000);
  writer.AddUint64("u64", 18000000000000000000ull);
  writer.Add("i64", EncodeInt64(-9000000000000000000ll));
  writer.AddFloat32("f32", 0.25f);
  writer.Add("f64", EncodeFloat64(-1e300));
  writer.AddBool("yes", true);
  writer.AddBool("no", false);
  writer.AddString("s", "héllo");
  const Bytes bytes = WriteOrDie(writer);
  auto file = ParseOrDie(bytes);
  ASSERT_NE(file, nullptr);

  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->metadata().size(), 13u);
  EXPECT_EQ(file->metadata()[0].first, "u8");  // file order kept
  EXPECT_EQ(*file->GetUint("u8"), 200u);
  EXPECT_EQ(*file->GetInt("i8"), -100);
  EXPECT_EQ(*file->GetUint("u16"), 60000u);
  EXPECT_EQ(*file->GetInt("i16"), -30000);
  EXPECT_EQ(*file->GetUint("u32"), 4000000000u);
  EXPECT_EQ(*file->GetInt("i32"), -2000000000);
  EXPECT_EQ(*file->GetUint("u64"), 18000000000000000000ull);
  EXPECT_EQ(*file->GetInt("i64"), -9000000000000000000ll);
  EXPECT_EQ(*file->GetFloat("f32"), 0.25);
  EXPECT_EQ(*file->GetFloat("f64"), -1e300);
  EXPECT_TRUE(*file->GetBool("yes"));
  EXPECT_FALSE(*file->GetBool("no"));
  EXPECT_EQ(*file->GetString("s"), "héllo");
  EXPECT_EQ(file->Find("u32")->type, GgufValueType::kUint32);
  EXPECT_TRUE(file->Find("i16")->is_integer());
  EXPECT_TRUE(file->Find("f32")->is_float());
  EXPECT_FALSE(file->Find("yes")->is_integer());
  EXPECT_EQ(file->Find("missing"), nullptr);
}

TEST(GgufTest, TypedAccessorsRejectWrongTypesNamingTheKey) {
  GgufWriter writer;
  writer.AddInt32("neg", -5);
  writer.AddUint64("big", 1ull << 63);
  writer.AddUint32("count", 7);
  writer.AddString("name", "x");
  writer.AddArray<int32_t>("tokenizer.ggml.scores", std::vector<int32_t>{1, 2});
  const Bytes bytes = WriteOrDie(writer);
  auto file = ParseOrDie(bytes);
  ASSERT_NE(file, nullptr);

  auto negative = file->GetUint("neg");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(negative.status().message(),
            "test.gguf: metadata key 'neg': value -5 is negative, expected an unsigned integer");
  EXPECT_EQ(*file->GetInt("neg"), -5);
  EXPECT_EQ(*file->GetFloat("neg"), -5.0);  // integers are accepted as floats
  EXPECT_EQ(*file->GetFloat("count"), 7.0);
  EXPECT_EQ(file->GetInt("big").status().code(), StatusCode::kCorrupt);

  auto as_string = file->GetString("count");
  EXPECT_EQ(as_string.status().message(),
            "test.gguf: metadata key 'count': expected string, got uint32");
  EXPECT_EQ(file->GetBool("count").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(file->GetUint("name").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(file->GetFloat("name").status().code(), StatusCode::kCorrupt);

  auto scores = file->GetArray("tokenizer.ggml.scores", GgufValueType::kFloat32);
  ASSERT_FALSE(scores.ok());
  EXPECT_EQ(scores.status().message(),
            "test.gguf: metadata key 'tokenizer.ggml.scores': expected array of float32, got "
            "array of int32");
  EXPECT_FALSE(file->GetArray("tokenizer.ggml.scores", GgufValueType::kUint32).ok());
  auto any_int = file->GetArray("tokenizer.ggml.scores", GgufValueType::kUint32, true);
  ASSERT_TRUE(any_int.ok());
  EXPECT_EQ((*any_int)->IntAt(1), 2);
  EXPECT_FALSE(file->GetArray("count", GgufValueType::kUint32, true).ok());

  auto missing = file->GetUint("absent");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "test.gguf: metadata key 'absent' not found");
  EXPECT_EQ(*file->GetUintOr("absent", 9), 9u);
  EXPECT_EQ(*file->GetUintOr("count", 9), 7u);
  EXPECT_FALSE(file->GetUintOr("neg", 9).ok());  // present but wrong: still an error
  EXPECT_EQ(*file->GetFloatOr("absent", 1.5), 1.5);
  EXPECT_TRUE(*file->GetBoolOr("absent", true));
  EXPECT_FALSE(file->GetBoolOr("count", true).ok());
  EXPECT_EQ(*file->GetStringOr("absent", "dflt"), "dflt");
  EXPECT_EQ(*file->GetStringOr("name", "dflt"), "x");
}

TEST(GgufTest, ArraysIncludingArraysOfArraysRoundTrip) {
  const std::vector<std::string> tokens = {"<unk>", "a", "", "<0x0A>"};
  const std::vector<float> scores = {0.5f, -1.0f, 3.25f, 0.0f};
  const std::vector<int32_t> types = {2, 1, 1, 6};
  const std::vector<uint64_t> big = {1ull << 63, 5};
  GgufWriter writer;
  writer.AddStringArray("tokens", tokens);
  writer.AddArray<float>("scores", scores);
  writer.AddArray<int32_t>("types", types);
  writer.AddArray<uint64_t>("big", big);
  writer.Add("flags", EncodeBoolArray({true, false, true}));
  writer.AddArray<double>("empty", std::vector<double>{});
  const std::vector<GgufEncodedValue> inner = {
      EncodeArray<int16_t>(std::vector<int16_t>{-1, 2}), EncodeStringArray(tokens),
      EncodeArrayOfArrays(std::vector<GgufEncodedValue>{EncodeArray<uint8_t>(Bytes{7})})};
  bool ok = false;
  writer.Add("nested", EncodeArrayOfArrays(inner, &ok));
  ASSERT_TRUE(ok);
  const Bytes bytes = WriteOrDie(writer);
  auto file = ParseOrDie(bytes);
  ASSERT_NE(file, nullptr);

  const GgufValue* tok = *file->GetArray("tokens", GgufValueType::kString);
  ASSERT_EQ(tok->count, 4u);
  ASSERT_EQ(tok->strings.size(), 4u);
  for (size_t i = 0; i < tokens.size(); ++i) EXPECT_EQ(tok->strings[i], tokens[i]);
  const GgufValue* sc = *file->GetArray("scores", GgufValueType::kFloat32);
  for (size_t i = 0; i < scores.size(); ++i) EXPECT_EQ(sc->FloatAt(i), scores[i]);
  EXPECT_TRUE(sc->is_float());
  EXPECT_EQ(sc->IntAt(2), 3);  // truncated toward zero
  const GgufValue* ty = *file->GetArray("types", GgufValueType::kInt32);
  for (size_t i = 0; i < types.size(); ++i) EXPECT_EQ(ty->IntAt(i), types[i]);
  EXPECT_TRUE(ty->is_integer());
  EXPECT_EQ(ty->FloatAt(3), 6.0);
  const GgufValue* bg = *file->GetArray("big", GgufValueType::kUint64);
  EXPECT_EQ(bg->FloatAt(0), 9223372036854775808.0);
  const GgufValue* fl = *file->GetArray("flags", GgufValueType::kBool);
  EXPECT_EQ(fl->IntAt(0), 1);
  EXPECT_EQ(fl->IntAt(1), 0);
  EXPECT_EQ((*file->GetArray("empty", GgufValueType::kFloat64))->count, 0u);

  const GgufValue* nested = *file->GetArray("nested", GgufValueType::kArray);
  ASSERT_EQ(nested->arrays.size(), 3u);
  EXPECT_EQ(nested->arrays[0].elem_type, GgufValueType::kInt16);
  EXPECT_EQ(nested->arrays[0].IntAt(0), -1);
  EXPECT_EQ(nested->arrays[1].strings.at(3), "<0x0A>");
  ASSERT_EQ(nested->arrays[2].arrays.size(), 1u);
  EXPECT_EQ(nested->arrays[2].arrays[0].IntAt(0), 7);
  EXPECT_EQ(nested->arrays[1].IntAt(0), 0);  // string elements have no integer value
}

TEST(GgufTest, EncodeValueCopiesEveryValueExactly) {
  GgufWriter writer;
  writer.AddString("general.architecture", "llama");
  writer.AddFloat32("eps", 1e-5f);
  writer.Add("i8", EncodeInt8(-3));
  writer.Add("nested", EncodeArrayOfArrays(std::vector<GgufEncodedValue>{
                           EncodeArray<float>(std::vector<float>{1.5f}),
                           EncodeStringArray(std::vector<std::string>{"x", "yz"})}));
  writer.Add("flags", EncodeBoolArray({false, true}));
  writer.AddTensor("t", TensorType::kF32, {2}, FloatBytes({1, 2}));
  const Bytes original = WriteOrDie(writer);
  auto file = ParseOrDie(original);
  ASSERT_NE(file, nullptr);

  GgufWriter copy;
  for (const auto& [key, value] : file->metadata()) copy.Add(key, EncodeValue(value));
  for (const GgufTensorInfo& t : file->tensors()) {
    copy.AddTensorView(t.name, t.type, {t.ne.begin(), t.ne.begin() + t.n_dims}, {t.data, t.nbytes});
  }
  EXPECT_EQ(WriteOrDie(copy), original);
}

TEST(GgufTest, TensorsAreAlignedAndViewTheirData) {
  GgufWriter writer;
  writer.AddString("general.architecture", "test");
  const Bytes a = FloatBytes({1, 2, 3, 4, 5, 6});
  writer.AddTensorView("a", TensorType::kF32, {3, 2}, a);
  Bytes q(2 * 18);  // two Q4_0 blocks of 32 values
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<uint8_t>(i);
  writer.AddTensor("q", TensorType::kQ4_0, {64}, q);
  writer.AddTensor("b", TensorType::kF16, {1, 1, 1, 3}, Bytes(6, 0xAB));
  const Bytes bytes = WriteOrDie(writer);
  auto file = ParseOrDie(bytes);
  ASSERT_NE(file, nullptr);

  EXPECT_EQ(file->alignment(), 32u);
  ASSERT_EQ(file->tensors().size(), 3u);
  EXPECT_EQ(file->tensors()[1].name, "q");
  for (const GgufTensorInfo& t : file->tensors()) {
    EXPECT_EQ(t.offset % 32, 0u) << t.name;
    EXPECT_EQ(static_cast<uint64_t>(t.data - bytes.data()) % 32, 0u) << t.name;
  }
  auto view = file->GetTensor("a");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->name, "a");
  EXPECT_EQ(view->n_dims, 2);
  EXPECT_EQ(view->ne, (std::array<int64_t, 4>{3, 2, 1, 1}));
  EXPECT_EQ(view->nbytes, 24u);
  EXPECT_EQ(view->rows(), 2);
  EXPECT_EQ(std::memcmp(view->data, a.data(), a.size()), 0);
  const GgufTensorInfo* qi = file->FindTensor("q");
  ASSERT_NE(qi, nullptr);
  EXPECT_EQ(qi->type, TensorType::kQ4_0);
  EXPECT_EQ(qi->nbytes, 36u);
  EXPECT_EQ(std::memcmp(qi->data, q.data(), q.size()), 0);
  EXPECT_EQ(file->FindTensor("b")->ne[3], 3);
  auto missing = file->GetTensor("nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "test.gguf: tensor 'nope' not found");
}

TEST(GgufTest, CustomAlignmentAndVersion2) {
  GgufWriter writer(2);
  writer.SetAlignment(64);
  writer.AddTensor("x", TensorType::kF32, {3}, FloatBytes({1, 2, 3}));
  writer.AddTensor("y", TensorType::kF32, {1}, FloatBytes({4}));
  const Bytes bytes = WriteOrDie(writer);
  auto file = ParseOrDie(bytes);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->version(), 2u);
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(file->tensors()[1].offset, 64u);
  EXPECT_EQ(static_cast<uint64_t>(file->tensors()[0].data - bytes.data()) % 64, 0u);
  EXPECT_EQ(bytes.size() % 64, 0u);
}

TEST(GgufTest, WriterRejectsInvalidInput) {
  {
    GgufWriter writer;
    writer.AddUint32("k", 1);
    writer.AddUint32("k", 2);
    EXPECT_EQ(writer.WriteToBuffer().status().code(), StatusCode::kInvalidArgument);
  }
  {
    GgufWriter writer;
    writer.AddTensor("q", TensorType::kQ4_0, {16}, Bytes(9));  // not whole blocks
    EXPECT_FALSE(writer.status().ok());
  }
  {
    GgufWriter writer;
    writer.AddTensor("f", TensorType::kF32, {2}, Bytes(4));  // needs 8 bytes
    EXPECT_FALSE(writer.WriteToBuffer().ok());
  }
  {
    GgufWriter writer;
    writer.SetAlignment(3);
    EXPECT_FALSE(writer.status().ok());
  }
  {
    GgufWriter writer;
    writer.AddTensor("t", TensorType::kF32, {1}, FloatBytes({1}));
    writer.AddTensor("t", TensorType::kF32, {1}, FloatBytes({1}));
    EXPECT_FALSE(writer.status().ok());
  }
}

TEST(GgufTest, OpenMapsAFileWrittenByWriteToFile) {
  GgufWriter writer;
  writer.AddString("general.name", "mapped");
  writer.AddTensor("w", TensorType::kF32, {2, 2}, FloatBytes({1, 2, 3, 4}));
  const std::string path =
      ::testing::TempDir() + "/gguf_open_" + std::to_string(::getpid()) + ".gguf";
  ASSERT_TRUE(writer.WriteToFile(path).ok());
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->path(), path);
  EXPECT_EQ(*(*file)->GetString("general.name"), "mapped");
  float last = 0;
  std::memcpy(&last, (*file)->FindTensor("w")->data + 12, 4);
  EXPECT_EQ(last, 4.0f);
  EXPECT_EQ((*file)->file_size(), WriteOrDie(writer).size());
  std::remove(path.c_str());
}

TEST(GgufTest, OpenReportsOsErrors) {
  auto missing = GgufFile::Open("/nonexistent/dir/model.gguf");
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  EXPECT_NE(missing.status().message().find("/nonexistent/dir/model.gguf"), std::string::npos);
  EXPECT_EQ(GgufFile::Open("/").status().code(), StatusCode::kIoError);  // a directory
}

TEST(GgufTest, OpensStories260K) {
  const std::string path = testing::SharedDir() + "/data/tinystories-260k/stories260K.gguf";
  auto opened = GgufFile::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const GgufFile& file = **opened;
  // Facts cross-checked with the gguf Python package's GGUFReader.
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.metadata().size(), 19u);
  EXPECT_EQ(*file.GetString("general.architecture"), "llama");
  EXPECT_EQ(*file.GetString("tokenizer.ggml.model"), "llama");
  EXPECT_EQ((*file.GetArray("tokenizer.ggml.tokens", GgufValueType::kString))->count, 512u);
  EXPECT_EQ((*file.GetArray("tokenizer.ggml.scores", GgufValueType::kFloat32))->count, 512u);
  EXPECT_EQ((*file.GetArray("tokenizer.ggml.token_type", GgufValueType::kInt32))->count, 512u);
  EXPECT_EQ(*file.GetUint("llama.context_length"), 128u);
  EXPECT_EQ(*file.GetUint("llama.embedding_length"), 64u);
  EXPECT_EQ(*file.GetUint("llama.block_count"), 5u);
  EXPECT_EQ(*file.GetUint("llama.attention.head_count_kv"), 4u);
  EXPECT_NEAR(*file.GetFloat("llama.attention.layer_norm_rms_epsilon"), 1e-5, 1e-10);
  ASSERT_EQ(file.tensors().size(), 48u);
  uint64_t elems = 0;
  for (const GgufTensorInfo& t : file.tensors()) {
    EXPECT_EQ(t.type, TensorType::kF32) << t.name;
    elems += t.nbytes / 4;
  }
  EXPECT_EQ(elems, 292800u);
  const GgufTensorInfo* embd = file.FindTensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->ne[0], 64);
  EXPECT_EQ(embd->ne[1], 512);
  EXPECT_EQ(embd->data - file.bytes(), 14176);  // absolute offset per GGUFReader
  const GgufTensorInfo* q = file.FindTensor("blk.0.attn_q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->data - file.bytes(), 276576);
}

}  // namespace
}  // namespace hearth
