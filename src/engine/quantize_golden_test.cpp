// Hearth's quantizer against llama.cpp's llama-quantize on the committed
// random test models: for every file type, each tensor must get the same type
// and the same bytes (SHA-256), and general.file_type the same number.
// tests/quantize/goldens.json is made by tests/quantize/make_goldens.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/gguf.h"
#include "core/sha256.h"
#include "engine/quantize.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

using nlohmann::json;

json LoadGoldens() {
  const std::string path = testing::SourceDir() + "/tests/quantize/goldens.json";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return in.good() ? json::parse(in) : json::object();
}

std::string TempPath(const std::string& stem) {
  return ::testing::TempDir() + "/" + stem + "-" + std::to_string(::getpid()) + ".gguf";
}

class QuantizeGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizeGoldenTest, MatchesLlamaQuantize) {
  static const json goldens = LoadGoldens();
  const std::string key = GetParam();  // "rand-llama-F16/Q4_K_M"
  ASSERT_TRUE(goldens.contains(key)) << key << " missing from goldens.json";
  const json& golden = goldens[key];
  const std::string model = key.substr(0, key.find('/'));
  const std::string type_name = key.substr(key.find('/') + 1);

  auto ftype = ParseQuantizeFileType(type_name);
  ASSERT_TRUE(ftype.ok()) << ftype.status().ToString();
  const std::string in = testing::SourceDir() + "/tests/models/" + model + ".gguf";
  const std::string out = TempPath(model + "-" + type_name);
  QuantizeOptions options;
  options.threads = 2;
  auto summary = QuantizeModel(in, out, *ftype, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();

  auto file = GgufFile::Open(out);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->GetUint("general.file_type").value(), golden["file_type"].get<uint64_t>());
  const json& tensors = golden["tensors"];
  EXPECT_EQ((*file)->tensors().size(), tensors.size());
  for (const GgufTensorInfo& t : (*file)->tensors()) {
    SCOPED_TRACE(t.name);
    ASSERT_TRUE(tensors.contains(t.name));
    EXPECT_EQ(TensorTypeName(t.type), tensors[t.name]["type"].get<std::string>());
    EXPECT_EQ(Sha256Hex(t.data, t.nbytes).value(), tensors[t.name]["sha256"].get<std::string>());
  }
  file = Status(StatusCode::kCancelled, "closed");  // unmap before removing
  std::remove(out.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    RandModels, QuantizeGoldenTest,
    ::testing::Values("rand-llama-F16/Q8_0", "rand-llama-F16/Q4_0", "rand-llama-F16/Q4_1",
                      "rand-llama-F16/Q5_0", "rand-llama-F16/Q5_1", "rand-llama-F16/Q4_K_S",
                      "rand-llama-F16/Q4_K_M", "rand-llama-F16/Q5_K_S", "rand-llama-F16/Q5_K_M",
                      "rand-llama-F16/Q6_K", "rand-llama-F16/F16", "rand-llama-F16/F32",
                      "rand-qwen2-F16/Q8_0", "rand-qwen2-F16/Q4_0", "rand-qwen2-F16/Q4_K_M",
                      "rand-qwen2-F16/Q5_K_M", "rand-qwen2-F16/Q6_K"),
    [](const ::testing::TestParamInfo<std::string>& info) {
      std::string name = info.param;
      for (char& c : name) {
        if (c == '-' || c == '/') c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace hearth
