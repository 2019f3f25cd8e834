// AVX2 register tiles for MatMul: 4 weight rows x 2 tokens per call (prompt
// batches), so each unpacked weight block serves two tokens and each
// activation block four rows; and 4 rows x 1 token (generation), which shares
// the activation loads and runs four independent FMA chains instead of one. Every one of the 8
// outputs goes through exactly the float operations of the type's AVX2 vec_dot (same block order,
// same 8-lane FMA accumulator, same final reduction), so the results are bit-identical to calling
// vec_dot 8 times; only loads and unpacking are shared.
#include "kernels/float16.h"
#include "kernels/kernel_registry.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"

namespace hearth::kernels::avx2 {
namespace {

// Per weight type: its block, activation block, how a block's values become
// bytes, and how those bytes dot with 32 activation bytes (as VecDotQ*).
struct Q4_0Tile {
  using WeightBlock = BlockQ4_0;
  using ActBlock = BlockQ8_0;
  static constexpr bool kHasOffset = false;
  static __m256i Values(const WeightBlock& b) {
    return _mm256_sub_epi8(NibblesToBytes(b.qs), _mm256_set1_epi8(8));
  }
  static __m256i Dot(__m256i values, __m256i act) { return DotI8I8(values, act); }
  static float Offset(const WeightBlock&, const ActBlock&) { return 0.0f; }
};

struct Q4_1Tile {
  using WeightBlock = BlockQ4_1;
  using ActBlock = BlockQ8_1;
  static constexpr bool kHasOffset = true;
  static __m256i Values(const WeightBlock& b) { return NibblesToBytes(b.qs); }
  static __m256i Dot(__m256i values, __m256i act) { return DotU8I8(values, act); }
  static float Offset(const WeightBlock& w, const ActBlock& a) {
    return HalfToFloat(w.m) * HalfToFloat(a.s);
  }
};

struct Q8_0Tile {
  using WeightBlock = BlockQ8_0;
  using ActBlock = BlockQ8_0;
  static constexpr bool kHasOffset = false;
  static __m256i Values(const WeightBlock& b) { return LoadU(b.qs); }
  static __m256i Dot(__m256i values, __m256i act) { return DotI8I8(values, act); }
  static float Offset(const WeightBlock&, const ActBlock&) { return 0.0f; }
};

constexpr int kRows = internal::kTileRows;

template <typename Tile, int kTokens>
void TileDot(int64_t n, const uint8_t* w, uint64_t w_stride, const uint8_t* a, uint64_t a_stride,
             float* y, int64_t y_stride) {
  using WeightBlock = typename Tile::WeightBlock;
  using ActBlock = typename Tile::ActBlock;
  const WeightBlock* rows[kRows];
  for (int r = 0; r < kRows; ++r) rows[r] = reinterpret_cast<const WeightBlock*>(w + r * w_stride);
  const ActBlock* tokens[kTokens];
  for (int t = 0; t < kTokens; ++t) {
    tokens[t] = reinterpret_cast<const ActBlock*>(a + t * a_stride);
  }
  __m256 acc[kRows][kTokens];
  float offsets[kRows][kTokens];
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) {
      acc[r][t] = _mm256_setzero_ps();
      offsets[r][t] = 0.0f;
    }
  }
  for (int64_t b = 0; b < n / kQk; ++b) {
    __m256i act[kTokens];
    float act_d[kTokens];
    for (int t = 0; t < kTokens; ++t) {
      act[t] = LoadU(tokens[t][b].qs);
      act_d[t] = HalfToFloat(tokens[t][b].d);
    }
    for (int r = 0; r < kRows; ++r) {
      const WeightBlock& block = rows[r][b];
      const float w_d = HalfToFloat(block.d);
      const __m256i values = Tile::Values(block);
      for (int t = 0; t < kTokens; ++t) {
        if constexpr (Tile::kHasOffset) offsets[r][t] += Tile::Offset(block, tokens[t][b]);
        const __m256 d = _mm256_set1_ps(w_d * act_d[t]);
        acc[r][t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(Tile::Dot(values, act[t])), acc[r][t]);
      }
    }
  }
  for (int t = 0; t < kTokens; ++t) {
    for (int r = 0; r < kRows; ++r) {
      y[t * y_stride + r] =
          Tile::kHasOffset ? HsumPs(acc[r][t]) + offsets[r][t] : HsumPs(acc[r][t]);
    }
  }
}

}  // namespace
}  // namespace hearth::kernels::avx2

namespace hearth::kernels::internal {

namespace {

template <int kTokens>
TileDotFn Avx2TileDotFor(TensorType type) {
  switch (type) {
    case TensorType::kQ4_0:
      return avx2::TileDot<avx2::Q4_0Tile, kTokens>;
    case TensorType::kQ4_1:
      return avx2::TileDot<avx2::Q4_1Tile, kTokens>;
    case TensorType::kQ8_0:
      return avx2::TileDot<avx2::Q8_0Tile, kTokens>;
    default:
      return nullptr;
  }
}

}  // namespace

TileDotFn Avx2TileDot(TensorType type, int n_tokens) {
  switch (n_tokens) {
    case 1:
      return Avx2TileDotFor<1>(type);
    case kTileTokens:
      return Avx2TileDotFor<kTileTokens>(type);
    default:
      return nullptr;
  }
}

}  // namespace hearth::kernels::internal
