// AVX2 + FMA + F16C versions of the ops in ops.h (called only after a CPU check).
#include <immintrin.h>

#include "kernels/ops.h"

namespace hearth::ops::internal {

float DotF16Avx2(const uint16_t* a, const uint16_t* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 va = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256 vb = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    acc = _mm256_fmadd_ps(va, vb, acc);
  }
  // Pairwise: (0+4, 1+5, 2+6, 3+7), then (0+2, 1+3), then 0+1 (as DotF16Scalar).
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(acc, 1), _mm256_castps256_ps128(acc));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  // The tail runs in the portable file so the compiler cannot fuse it into FMAs here.
  return DotF16Tail(_mm_cvtss_f32(r), a + i, b + i, n - i);
}

}  // namespace hearth::ops::internal
