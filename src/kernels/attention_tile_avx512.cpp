// AVX-512 kernel of the tiled prompt attention (ops_attention.cpp): DotF16TileAvx2's products
// with two of its 8-lane accumulators in each 512-bit register.
//
// Lanes 0-7 of an accumulator hold fp16 row i's dot product with one f32 row, lanes 8-15 row
// i + 1's with the same f32 row (its 8 values broadcast to both halves), so every lane sees the
// FMAs of DotF16TileAvx2's lane in the same order, and each half is reduced in that kernel's
// order (attention_reduce_avx2.h): the results equal it bit for bit, with half the FMA and
// conversion instructions. Register tile: 4 fp16 rows (2 registers, each fp16 value converted
// once) x 6 f32 rows = 12 accumulators. Rows past the last multiple of 4 go to the AVX2 kernel.
//
// Compiled twice like every *_avx512.cpp file (simd_avx512.h): natively for libhearth and
// over SIMDe's emulation for the tests.
// clang-format off (before every other include: it silences a GCC false positive in them)
#include "kernels/avx512_gcc_warnings.h"
// clang-format on

#include <algorithm>

#include "kernels/attention_reduce_avx2.h"
#include "kernels/ops.h"
#include "kernels/simd_avx512.h"
#include "kernels/simd_pairs_avx512.h"

namespace hearth::kernels::HEARTH_AVX512_NS {
namespace {

// 8 floats at p in both halves (a load-port broadcast: no shuffle).
inline __m512 LoadTwice(const float* p) { return _mm512_broadcast_f32x8(_mm256_loadu_ps(p)); }

inline __m256 LowHalf(__m512 v) { return _mm512_castps512_ps256(v); }
// (Through the f64 view: SIMDe 0.7.4 has no _mm512_extractf32x8_ps.)
inline __m256 HighHalf(__m512 v) {
  return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

// c[j][i0 + i] for i < 4, j < RB: 4 fp16 rows of `a` (2 registers, each value converted once)
// against RB f32 rows (up to 6: 12 accumulators). Few fp16 rows and many f32 rows per tile keep
// the conversions and lane inserts, which share a port with the FMAs, to 2 per 2 * RB FMAs.
template <int RB>
void Tile4(const uint16_t* a, int64_t lda, const float* const* b, int64_t n, float* const* c,
           int64_t i0) {
  __m512 acc[2][RB];
  for (int p = 0; p < 2; ++p) {
    for (int j = 0; j < RB; ++j) acc[p][j] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < n; k += 8) {
    const __m512 a01 = LoadHalvesPair(a + k, a + lda + k);
    const __m512 a23 = LoadHalvesPair(a + 2 * lda + k, a + 3 * lda + k);
    for (int j = 0; j < RB; ++j) {
      const __m512 bv = LoadTwice(b[j] + k);
      acc[0][j] = _mm512_fmadd_ps(a01, bv, acc[0][j]);
      acc[1][j] = _mm512_fmadd_ps(a23, bv, acc[1][j]);
    }
  }
  for (int j = 0; j < RB; ++j) {
    // Rows 0-3, each reduced in DotF16TileAvx2's order.
    _mm_storeu_ps(c[j] + i0, ops::internal::ReduceFour(LowHalf(acc[0][j]), HighHalf(acc[0][j]),
                                                       LowHalf(acc[1][j]), HighHalf(acc[1][j])));
  }
}

void DotF16Tile(const uint16_t* a, int64_t lda, int64_t n_a, const float* const* b, int64_t n_b,
                int64_t n, float* const* c) {
  int64_t i = 0;
  for (; i + 4 <= n_a; i += 4) {
    const uint16_t* rows = a + i * lda;
    for (int64_t j = 0; j < n_b; j += 6) {
      switch (std::min<int64_t>(6, n_b - j)) {
        case 6:
          Tile4<6>(rows, lda, b + j, n, c + j, i);
          break;
        case 5:
          Tile4<5>(rows, lda, b + j, n, c + j, i);
          break;
        case 4:
          Tile4<4>(rows, lda, b + j, n, c + j, i);
          break;
        case 3:
          Tile4<3>(rows, lda, b + j, n, c + j, i);
          break;
        case 2:
          Tile4<2>(rows, lda, b + j, n, c + j, i);
          break;
        default:
          Tile4<1>(rows, lda, b + j, n, c + j, i);
      }
    }
  }
  if (i == n_a) return;
  // The remaining rows: the AVX2 kernel, writing c[j][i ..] (its outputs shifted by i).
  float* shifted[64];
  for (int64_t j0 = 0; j0 < n_b; j0 += 64) {
    const int64_t nb = std::min<int64_t>(64, n_b - j0);
    for (int64_t j = 0; j < nb; ++j) shifted[j] = c[j0 + j] + i;
    ops::internal::DotF16TileAvx2(a + i * lda, lda, n_a - i, b + j0, nb, n, shifted);
  }
}

}  // namespace
}  // namespace hearth::kernels::HEARTH_AVX512_NS

namespace hearth::ops::internal {

// DotF16TileAvx512, or EmulatedDotF16TileAvx512 in the test binary's emulated copy.
void HEARTH_AVX512_DOT_F16_TILE(const uint16_t* a, int64_t lda, int64_t n_a, const float* const* b,
                                int64_t n_b, int64_t n, float* const* c) {
  kernels::HEARTH_AVX512_NS::DotF16Tile(a, lda, n_a, b, n_b, n, c);
}

}  // namespace hearth::ops::internal
