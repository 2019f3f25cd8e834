// DequantizeRow against the `gguf` Python package's dequantization (the
// reference implementation of the formats), for every weight type and ISA.
// The goldens come from tests/golden/quant/make_quant_goldens.py. Both sides
// apply the same float operations in the same order (e.g. (d * scale) * q -
// dmin * min), so the comparison is bit-exact.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/kernels_test_util.h"
#include "testing/test_paths.h"

namespace hearth::kernels {
namespace {

struct Golden {
  uint32_t type = 0;
  uint32_t n_values = 0;
  std::vector<uint8_t> raw;
  std::vector<float> values;
};

// Reads "HQG1", u32 type, u32 n_values, u32 n_raw, raw bytes, n_values floats.
bool ReadGolden(const std::string& path, Golden* golden, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot open " + path;
    return false;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>());
  uint32_t header[3];
  if (bytes.size() < 16 || std::memcmp(bytes.data(), "HQG1", 4) != 0) {
    *error = path + ": not an HQG1 golden";
    return false;
  }
  std::memcpy(header, bytes.data() + 4, sizeof header);
  golden->type = header[0];
  golden->n_values = header[1];
  const uint64_t n_raw = header[2];
  if (bytes.size() != 16 + n_raw + 4ull * golden->n_values) {
    *error = path + ": size does not match its header";
    return false;
  }
  golden->raw.assign(bytes.begin() + 16, bytes.begin() + 16 + n_raw);
  golden->values.resize(golden->n_values);
  std::memcpy(golden->values.data(), bytes.data() + 16 + n_raw, 4ull * golden->n_values);
  return true;
}

TEST(QuantGoldenTest, DequantizeMatchesGgufPackageBitExactly) {
  for (TensorType type : testing::WeightTypes()) {
    const std::string name(TensorTypeName(type));
    SCOPED_TRACE(name);
    Golden golden;
    std::string error;
    ASSERT_TRUE(ReadGolden(hearth::testing::SourceDir() + "/tests/golden/quant/" + name + ".bin",
                           &golden, &error))
        << error;
    ASSERT_EQ(golden.type, static_cast<uint32_t>(type));
    ASSERT_EQ(RowBytes(type, golden.n_values), golden.raw.size());
    for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
      if (!IsaAvailable(isa)) continue;  // SIMD sets are checked against scalar in quant_isa_test
      std::vector<float> got(golden.n_values);
      KernelsFor(isa).dequantize_row(type, golden.raw.data(), got.data(), golden.n_values);
      for (uint32_t i = 0; i < golden.n_values; ++i) {
        uint32_t got_bits, want_bits;
        std::memcpy(&got_bits, &got[i], 4);
        std::memcpy(&want_bits, &golden.values[i], 4);
        ASSERT_EQ(got_bits, want_bits)
            << fmt::format("{} value {}: {} vs gguf {}", IsaName(isa), i, got[i], golden.values[i]);
      }
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
