// The scalar fp16 conversions against the F16C instructions ggml uses on x86.
// Compiled with -mavx2 -mfma -mf16c; skipped on CPUs without them.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <random>

#include "kernels/float16.h"
#include "kernels/kernels.h"

namespace hearth::kernels {
namespace {

class Float16F16cTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU lacks AVX2/F16C";
  }
};

TEST_F(Float16F16cTest, HalfToFloatMatchesVcvtph2psForEveryHalf) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float hw = _cvtsh_ss(static_cast<unsigned short>(h));
    ASSERT_EQ(FloatBits(Fp16ToFp32(static_cast<uint16_t>(h))), FloatBits(hw)) << h;
  }
}

TEST_F(Float16F16cTest, FloatToHalfMatchesVcvtps2ph) {
  // Every float whose top 20 bits are those of a half or a half midpoint
  // region, plus random bit patterns (NaNs, subnormals and overflow included).
  std::mt19937 rng(3);
  std::uniform_int_distribution<uint32_t> bits;
  for (uint32_t i = 0; i < (1u << 22); ++i) {
    const uint32_t pattern = (i << 10) ^ (bits(rng) & 0x3ffu);  // all exponents, sampled mantissas
    const float f = BitsToFloat(pattern);
    const uint16_t hw = _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT);
    ASSERT_EQ(Fp32ToFp16(f), hw) << std::hex << pattern;
  }
  for (int i = 0; i < (1 << 20); ++i) {
    const float f = BitsToFloat(bits(rng));
    ASSERT_EQ(Fp32ToFp16(f), _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT)) << f;
  }
}

}  // namespace
}  // namespace hearth::kernels
