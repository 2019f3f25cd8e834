// QuantizeModel end to end: the written file reopens, keeps every metadata key
// (in order, same values) except general.file_type and
// general.quantization_version, keeps tensor order and shapes, and
// re-quantizing from a quantized input works.
#include "engine/quantize.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/gguf_writer.h"
#include "kernels/kernels.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

std::string ModelPath(const std::string& name) {
  return testing::SourceDir() + "/tests/models/" + name + ".gguf";
}

std::string TempPath(const std::string& stem) {
  return ::testing::TempDir() + "/" + stem + "-" + std::to_string(::getpid()) + ".gguf";
}

std::unique_ptr<GgufFile> OpenOrDie(const std::string& path) {
  auto file = GgufFile::Open(path);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(file).value() : nullptr;
}

std::vector<float> Dequantize(const GgufTensorInfo& t) {
  const int64_t n = t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
  std::vector<float> values(static_cast<size_t>(n));
  kernels::KernelsFor(kernels::Isa::kScalar).dequantize_row(t.type, t.data, values.data(), n);
  return values;
}

TEST(QuantizeModelTest, KeepsMetadataTensorOrderAndShapes) {
  const std::string out = TempPath("qwen2-q4_0");
  QuantizeOptions options;
  int progress_lines = 0;
  options.progress = [&](const std::string&) { ++progress_lines; };
  auto summary = QuantizeModel(ModelPath("rand-qwen2-F16"), out,
                               ParseQuantizeFileType("Q4_0").value(), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto in = OpenOrDie(ModelPath("rand-qwen2-F16"));
  auto written = OpenOrDie(out);
  ASSERT_TRUE(in && written);
  EXPECT_EQ(progress_lines, summary->n_converted);
  EXPECT_GT(summary->n_converted, 0);
  EXPECT_LT(summary->bytes_out, summary->bytes_in);

  // Metadata: same keys in the same order, same values, except the two keys
  // quantization sets.
  ASSERT_EQ(written->metadata().size(), in->metadata().size());
  for (size_t i = 0; i < in->metadata().size(); ++i) {
    const auto& [key, value] = in->metadata()[i];
    SCOPED_TRACE(key);
    ASSERT_EQ(written->metadata()[i].first, key);
    const GgufValue& copy = written->metadata()[i].second;
    if (key == "general.file_type") {
      EXPECT_EQ(copy.u64, 2u);  // LLAMA_FTYPE_MOSTLY_Q4_0
      EXPECT_EQ(copy.type, GgufValueType::kUint32);
    } else if (key == "general.quantization_version") {
      EXPECT_EQ(copy.u64, 2u);
    } else {
      EXPECT_EQ(copy.type, value.type);
      EXPECT_EQ(EncodeValue(copy).payload, EncodeValue(value).payload);
    }
  }
  EXPECT_EQ(written->alignment(), in->alignment());

  ASSERT_EQ(written->tensors().size(), in->tensors().size());
  for (size_t i = 0; i < in->tensors().size(); ++i) {
    const GgufTensorInfo& a = in->tensors()[i];
    const GgufTensorInfo& b = written->tensors()[i];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.n_dims, a.n_dims);
    EXPECT_EQ(b.ne, a.ne);
    EXPECT_EQ(b.offset % written->alignment(), 0u);
    if (a.n_dims == 1) {
      EXPECT_EQ(b.type, a.type);  // norms and biases are copied as they are
      EXPECT_EQ(std::vector<uint8_t>(b.data, b.data + b.nbytes),
                std::vector<uint8_t>(a.data, a.data + a.nbytes));
    }
  }
  written.reset();
  std::remove(out.c_str());
}

// A Q4_0 model re-quantized to Q8_0 stays within about half a Q8_0 step of
// the Q4_0 values (re-quantizing goes through F32).
TEST(QuantizeModelTest, RequantizesQuantizedInput) {
  const std::string out = TempPath("llama-q4_0-to-q8_0");
  auto summary =
      QuantizeModel(ModelPath("rand-llama-Q4_0"), out, ParseQuantizeFileType("Q8_0").value());
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto in = OpenOrDie(ModelPath("rand-llama-Q4_0"));
  auto written = OpenOrDie(out);
  ASSERT_TRUE(in && written);
  int checked = 0;
  for (size_t i = 0; i < in->tensors().size(); ++i) {
    const GgufTensorInfo& a = in->tensors()[i];
    const GgufTensorInfo& b = written->tensors()[i];
    if (b.type != TensorType::kQ8_0 || a.type == TensorType::kQ8_0) continue;
    SCOPED_TRACE(a.name);
    const std::vector<float> x = Dequantize(a), y = Dequantize(b);
    for (size_t block = 0; block < x.size() / 32; ++block) {
      float amax = 0;
      for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[block * 32 + j]));
      for (int j = 0; j < 32; ++j) {
        // Half a step, plus the step's fp16 rounding (2^-11 relative) times 127.
        ASSERT_LE(std::fabs(x[block * 32 + j] - y[block * 32 + j]), amax / 127 * 0.57f + 1e-6f);
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
  written.reset();
  std::remove(out.c_str());
}

TEST(QuantizeModelTest, ReportsMissingInput) {
  auto summary = QuantizeModel(testing::SourceDir() + "/tests/models/no-such-model.gguf",
                               TempPath("never"), ParseQuantizeFileType("Q8_0").value());
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.status().message().find("no-such-model.gguf"), std::string::npos);
}

// A model without general.architecture cannot be given llama.cpp's rules.
TEST(QuantizeModelTest, RejectsFileWithoutArchitecture) {
  GgufWriter writer;
  writer.AddString("general.name", "bare");
  std::vector<float> weights(64 * 2, 0.5f);
  writer.AddTensor("w.weight", TensorType::kF32, {64, 2},
                   std::vector<uint8_t>(reinterpret_cast<uint8_t*>(weights.data()),
                                        reinterpret_cast<uint8_t*>(weights.data()) + 512));
  const std::string in = TempPath("bare");
  ASSERT_TRUE(writer.WriteToFile(in).ok());
  auto summary = QuantizeModel(in, TempPath("bare-out"), ParseQuantizeFileType("Q8_0").value());
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.status().message().find("general.architecture"), std::string::npos);
  std::remove(in.c_str());
}

}  // namespace
}  // namespace hearth
