// The malformed-GGUF corpus (tests/gguf_corpus/, made by make_corpus.py) and a
// truncation sweep: every prefix of a valid image must be rejected cleanly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "core/gguf.h"
#include "core/gguf_writer.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

using Bytes = std::vector<uint8_t>;

std::string CorpusDir() { return testing::SourceDir() + "/tests/gguf_corpus"; }

Bytes ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<GgufValueType> ValueTypeByName(std::string_view name) {
  for (uint32_t raw = 0; raw <= static_cast<uint32_t>(GgufValueType::kFloat64); ++raw) {
    const auto type = static_cast<GgufValueType>(raw);
    if (GgufValueTypeName(type) == name) return type;
  }
  return std::nullopt;
}

// Opens `bytes` and, if the case names an accessor, applies it; returns the
// first failure (OK if everything succeeded).
Status OpenAndAccess(const std::string& name, const Bytes& bytes, const nlohmann::json& entry) {
  auto file = GgufFile::FromBytes(name, bytes.data(), bytes.size());
  if (!file.ok()) return file.status();
  if (!entry.contains("accessor")) return Status::Ok();
  const auto& accessor = entry["accessor"];
  if (accessor.contains("array")) {
    const auto type = ValueTypeByName(accessor["elem_type"].get<std::string>());
    if (!type) return InternalError("bad elem_type in manifest");
    return (*file)->GetArray(accessor["array"].get<std::string>(), *type).status();
  }
  if (accessor.contains("uint"))
    return (*file)->GetUint(accessor["uint"].get<std::string>()).status();
  return InternalError("unknown accessor in manifest: {}", accessor.dump());
}

// Re-encodes an accepted file with GgufWriter; the copy must parse to the
// same metadata keys and tensors (the writer accepts all the reader accepts).
Status RoundTrip(const std::string& name, const Bytes& bytes) {
  HEARTH_ASSIGN_OR_RETURN(auto file, GgufFile::FromBytes(name, bytes.data(), bytes.size()));
  GgufWriter writer;
  for (const auto& [key, value] : file->metadata()) writer.Add(key, EncodeValue(value));
  for (const GgufTensorInfo& t : file->tensors()) {
    writer.AddTensorView(t.name, t.type, {t.ne.begin(), t.ne.begin() + t.n_dims},
                         {t.data, t.nbytes});
  }
  HEARTH_ASSIGN_OR_RETURN(Bytes copy, writer.WriteToBuffer());
  HEARTH_ASSIGN_OR_RETURN(auto reparsed, GgufFile::FromBytes(name, copy.data(), copy.size()));
  if (reparsed->metadata().size() != file->metadata().size() ||
      reparsed->tensors().size() != file->tensors().size()) {
    return InternalError("{}: round trip changed the file", name);
  }
  return Status::Ok();
}

nlohmann::json LoadManifest() {
  std::ifstream in(CorpusDir() + "/expected.json");
  EXPECT_TRUE(in.good()) << "missing " << CorpusDir() << "/expected.json (set HEARTH_SOURCE_DIR)";
  return in.good() ? nlohmann::json::parse(in) : nlohmann::json::array();
}

TEST(GgufCorpusTest, EveryFileFailsWithItsExpectedError) {
  const nlohmann::json manifest = LoadManifest();
  ASSERT_GE(manifest.size(), 40u);
  for (const auto& entry : manifest) {
    const std::string name = entry["file"];
    SCOPED_TRACE(name);
    const Bytes bytes = ReadFileBytes(CorpusDir() + "/" + name);
    const Status status = OpenAndAccess(name, bytes, entry);
    const std::string code = entry["code"];
    if (code == "ok") {
      EXPECT_TRUE(status.ok()) << status.ToString();
      const Status round_trip = RoundTrip(name, bytes);
      EXPECT_TRUE(round_trip.ok()) << round_trip.ToString();
      continue;
    }
    ASSERT_FALSE(status.ok()) << "accepted a malformed file";
    EXPECT_EQ(StatusCodeName(status.code()), code) << status.ToString();
    EXPECT_EQ(status.message().rfind(name + ": ", 0), 0u)
        << "message must start with the file name";
    EXPECT_NE(status.message().find(entry["message"].get<std::string>()), std::string::npos)
        << "got: " << status.message();
  }
}

// Crashers found by fuzzing are added as files; each must be in the manifest.
TEST(GgufCorpusTest, ManifestListsEveryCorpusFile) {
  std::set<std::string> listed;
  for (const auto& entry : LoadManifest()) listed.insert(entry["file"].get<std::string>());
  std::set<std::string> present;
  for (const auto& item : std::filesystem::directory_iterator(CorpusDir())) {
    if (item.path().extension() == ".gguf") present.insert(item.path().filename().string());
  }
  EXPECT_EQ(listed, present);
}

// A valid image using every value type, nested arrays and several tensors.
Bytes RichImage() {
  GgufWriter writer;
  writer.AddString("general.architecture", "llama");
  writer.Add("u8", EncodeUint8(1));
  writer.Add("i16", EncodeInt16(-2));
  writer.AddUint64("u64", 3);
  writer.Add("f64", EncodeFloat64(4.5));
  writer.AddBool("b", true);
  writer.AddStringArray("tokenizer.ggml.tokens", std::vector<std::string>{"<unk>", "a", "bc"});
  writer.AddArray<float>("tokenizer.ggml.scores", std::vector<float>{0, -1, -2});
  writer.Add("nested", EncodeArrayOfArrays(std::vector<GgufEncodedValue>{
                           EncodeArray<int32_t>(std::vector<int32_t>{1, 2}),
                           EncodeStringArray(std::vector<std::string>{"x"})}));
  writer.AddTensor("a", TensorType::kF32, {4, 2}, Bytes(32, 1));
  writer.AddTensor("q", TensorType::kQ8_0, {32}, Bytes(34, 2));
  writer.AddTensor("h", TensorType::kF16, {3}, Bytes(6, 3));
  auto bytes = writer.WriteToBuffer();
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : Bytes{};
}

TEST(GgufCorpusTest, EveryTruncationIsRejectedAsCorrupt) {
  const Bytes full = RichImage();
  auto whole = GgufFile::FromBytes("t.gguf", full.data(), full.size());
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  const GgufTensorInfo& first = (*whole)->tensors().front();
  const uint64_t data_start = static_cast<uint64_t>(first.data - full.data()) - first.offset;
  uint64_t data_end = 0;  // padding after the last tensor is optional
  for (const GgufTensorInfo& t : (*whole)->tensors()) {
    data_end = std::max<uint64_t>(data_end, static_cast<uint64_t>(t.data - full.data()) + t.nbytes);
  }
  EXPECT_TRUE(GgufFile::FromBytes("t.gguf", full.data(), data_end).ok());
  for (uint64_t length = 0; length < data_end; ++length) {
    // A fresh copy of exactly `length` bytes, so ASan catches any read past it.
    const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length));
    auto file = GgufFile::FromBytes("t.gguf", prefix.data(), prefix.size());
    ASSERT_FALSE(file.ok()) << "accepted a file truncated to " << length << " bytes";
    const Status status = file.status();
    EXPECT_EQ(status.code(), StatusCode::kCorrupt) << length << ": " << status.ToString();
    // Inside the header/tables the cut is reported as a truncation; inside
    // the padding or data, as tensor data running past the end.
    const char* expected =
        length + 32 <= data_start ? "truncated" : "runs past the end of the file";
    if (length + 32 <= data_start || length >= data_start) {
      EXPECT_NE(status.message().find(expected), std::string::npos)
          << length << ": " << status.message();
    }
  }
}

TEST(GgufCorpusTest, CustomLimitsAreEnforced) {
  const Bytes full = RichImage();
  auto open = [&](const GgufLimits& limits) {
    return GgufFile::FromBytes("t.gguf", full.data(), full.size(), limits).status();
  };
  GgufLimits kv;
  kv.max_kv_count = 3;
  EXPECT_NE(open(kv).message().find("header: kv_count: 9 metadata entries exceeds the limit of 3"),
            std::string::npos);
  GgufLimits tensors;
  tensors.max_tensor_count = 2;
  EXPECT_NE(open(tensors).message().find("3 tensors exceeds the limit of 2"), std::string::npos);
  GgufLimits elems;
  elems.max_array_elems = 2;
  EXPECT_NE(open(elems).message().find("'tokenizer.ggml.tokens': array of 3 elements exceeds"),
            std::string::npos);
  GgufLimits strings;
  strings.max_string_bytes = 4;
  EXPECT_NE(open(strings).message().find("metadata entry #0: key: string of 20 bytes exceeds"),
            std::string::npos);
  GgufLimits depth;
  depth.max_array_depth = 1;
  EXPECT_NE(open(depth).message().find("'nested': arrays nested 2 deep exceed the limit of 1"),
            std::string::npos);
  GgufLimits nested;
  nested.max_nested_arrays = 1;
  EXPECT_NE(open(nested).message().find("'nested': arrays of arrays hold more than 1 arrays"),
            std::string::npos);
}

}  // namespace
}  // namespace hearth
