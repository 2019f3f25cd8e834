// AVX2 + FMA + F16C kernels of the tiled prompt attention (ops_attention.cpp):
// many fp16 rows dotted with many f32 rows, each fp16 value converted once per
// register tile instead of once per dot product.
#include <immintrin.h>

#include <algorithm>

#include "kernels/attention_reduce_avx2.h"
#include "kernels/ops.h"

namespace hearth::ops::internal {
namespace {

__m256 LoadHalf8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// c[j][i0 + i] for i < RA, j < RB: RA fp16 rows of `a` against RB f32 rows.
template <int RA, int RB>
void Tile(const uint16_t* a, int64_t lda, const float* const* b, int64_t n, float* const* c,
          int64_t i0) {
  __m256 acc[RA][RB];
  for (int i = 0; i < RA; ++i) {
    for (int j = 0; j < RB; ++j) acc[i][j] = _mm256_setzero_ps();
  }
  for (int64_t k = 0; k < n; k += 8) {
    __m256 bv[RB];
    for (int j = 0; j < RB; ++j) bv[j] = _mm256_loadu_ps(b[j] + k);
    for (int i = 0; i < RA; ++i) {
      const __m256 av = LoadHalf8(a + i * lda + k);
      for (int j = 0; j < RB; ++j) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
    }
  }
  if constexpr (RA == 4) {
    int j = 0;
    for (; j + 2 <= RB; j += 2) {
      const __m256 r = ReduceFourPairs(acc[0][j], acc[1][j], acc[2][j], acc[3][j], acc[0][j + 1],
                                       acc[1][j + 1], acc[2][j + 1], acc[3][j + 1]);
      _mm_storeu_ps(c[j] + i0, _mm256_castps256_ps128(r));
      _mm_storeu_ps(c[j + 1] + i0, _mm256_extractf128_ps(r, 1));
    }
    if (j < RB) _mm_storeu_ps(c[j] + i0, ReduceFour(acc[0][j], acc[1][j], acc[2][j], acc[3][j]));
  } else {
    for (int i = 0; i < RA; ++i) {
      for (int j = 0; j < RB; ++j) c[j][i0 + i] = ReduceOne(acc[i][j]);
    }
  }
}

// Tile<RA, *> over a column block of 1, 2 or 3 f32 rows.
template <int RA>
void TileCols(int64_t rb, const uint16_t* a, int64_t lda, const float* const* b, int64_t n,
              float* const* c, int64_t i0) {
  if (rb == 3) {
    Tile<RA, 3>(a, lda, b, n, c, i0);
  } else if (rb == 2) {
    Tile<RA, 2>(a, lda, b, n, c, i0);
  } else {
    Tile<RA, 1>(a, lda, b, n, c, i0);
  }
}

}  // namespace

void DotF16TileAvx2(const uint16_t* a, int64_t lda, int64_t n_a, const float* const* b, int64_t n_b,
                    int64_t n, float* const* c) {
  // Four fp16 rows at a time (each converted once) against up to three f32
  // rows: 12 accumulators, 4 conversions per 12 FMAs.
  int64_t i = 0;
  for (; i + 4 <= n_a; i += 4) {
    for (int64_t j = 0; j < n_b; j += 3) {
      TileCols<4>(std::min<int64_t>(3, n_b - j), a + i * lda, lda, b + j, n, c + j, i);
    }
  }
  for (; i < n_a; ++i) {
    for (int64_t j = 0; j < n_b; j += 3) {
      TileCols<1>(std::min<int64_t>(3, n_b - j), a + i * lda, lda, b + j, n, c + j, i);
    }
  }
}

void ScaledToHalfToFloatRowAvx2(const float* x, float scale, float* dst, int64_t n) {
  const __m256 s = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h =
        _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(x + i), s), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) dst[i] = HalfToFloat(FloatToHalf(x[i] * scale));
}

}  // namespace hearth::ops::internal
