// AVX-512 (F/BW/VL/DQ/VNNI) kernels; only reached through Avx512TypeKernels
// after IsaAvailable(Isa::kAvx512). Types and operations without AVX-512 code
// use the AVX2 entries (every CPU with these AVX-512 features has AVX2).
//
// The quantized dot products keep the AVX2 structure and replace the
// maddubs + madd pair with one VNNI dpbusd (u8 x s8 summed in fours into
// int32, no int16 saturation). The int32 lanes and the float accumulation
// match the AVX2 kernels (and so ggml's AVX2 code, which llama.cpp also runs
// on AVX-512 CPUs for these types).
// clang-format off (before every other include: it silences a GCC false positive in them)
#include "kernels/avx512_gcc_warnings.h"
// clang-format on

#include "kernels/float16.h"
#include "kernels/kernel_registry.h"
#include "kernels/quant_avx2.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_avx2.h"
#include "kernels/simd_avx512.h"

// avx512, or avx512_emulated in the test binary's second compilation (simd_avx512.h).
namespace hearth::kernels::HEARTH_AVX512_NS {
namespace {

using avx2::HalfToFloat;
using avx2::HsumI32;
using avx2::HsumPs;
using avx2::LoadU;
using avx2::NibblesToBytes;
using avx2::ShiftBytesRight;

inline __m256i DotU8I8(__m256i u, __m256i s) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}

inline __m256i DotI8I8(__m256i x, __m256i y) {
  return DotU8I8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

inline __m256i LowBits(__m256i v, int shift, int mask) {
  return _mm256_and_si256(ShiftBytesRight(v, shift), _mm256_set1_epi8(static_cast<char>(mask)));
}

// ---------------------------------------------------------------- float types

// 16-lane FMA with four accumulators; the n % 64 tail goes scalar.
template <__m512 (*Load16)(const void*, int64_t), float (*ToFloat)(const void*, int64_t)>
float VecDotFloat(int64_t n, const void* w, const void* a) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm512_fmadd_ps(Load16(w, i + 16 * k), Load16(a, i + 16 * k), acc[k]);
    }
  }
  const __m512 total = _mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3]));
  float sum = _mm512_reduce_add_ps(total);
  for (; i < n; ++i) sum += ToFloat(w, i) * ToFloat(a, i);
  return sum;
}

__m512 LoadF32(const void* p, int64_t i) {
  return _mm512_loadu_ps(static_cast<const float*>(p) + i);
}
float F32At(const void* p, int64_t i) { return static_cast<const float*>(p)[i]; }

__m512 LoadF16(const void* p, int64_t i) {
  return _mm512_cvtph_ps(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(p) + i)));
}
float F16At(const void* p, int64_t i) { return HalfToFloat(static_cast<const uint16_t*>(p)[i]); }

float VecDotF32(int64_t n, const void* w, const void* a) {
  return VecDotFloat<LoadF32, F32At>(n, w, a);
}
float VecDotF16(int64_t n, const void* w, const void* a) {
  return VecDotFloat<LoadF16, F16At>(n, w, a);
}

// ------------------------------------------------------------- legacy blocks

float VecDotQ4_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQk; ++b) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(x[b].d) * HalfToFloat(y[b].d));
    const __m256i qx = _mm256_sub_epi8(NibblesToBytes(x[b].qs), _mm256_set1_epi8(8));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(DotI8I8(qx, LoadU(y[b].qs))), acc);
  }
  return HsumPs(acc);
}

float VecDotQ4_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  __m256 acc = _mm256_setzero_ps();
  float offsets = 0.0f;  // sum of m * s over blocks
  for (int64_t b = 0; b < n / kQk; ++b) {
    offsets += HalfToFloat(x[b].m) * HalfToFloat(y[b].s);
    const __m256 d = _mm256_set1_ps(HalfToFloat(x[b].d) * HalfToFloat(y[b].d));
    const __m256i dot = DotU8I8(NibblesToBytes(x[b].qs), LoadU(y[b].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot), acc);
  }
  return HsumPs(acc) + offsets;
}

float VecDotQ8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQk; ++b) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(x[b].d) * HalfToFloat(y[b].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(DotI8I8(LoadU(x[b].qs), LoadU(y[b].qs))), acc);
  }
  return HsumPs(acc);
}

// ---------------------------------------------------------------- K-quants

// Eight 6-bit scales and mins of Q4_K (see quant_scalar_k.cpp).
inline void UnpackScaleMin6(const uint8_t* packed, int* scale, int* min) {
  for (int j = 0; j < 4; ++j) {
    scale[j] = packed[j] & 63;
    min[j] = packed[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    scale[j] = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
    min[j] = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

// One 64-value chunk of Q4_K: low nibbles are group 2c (activations a[0..32)),
// high nibbles group 2c+1 (a[32..64)); one 512-bit dpbusd covers both, and
// each 256-bit half is multiplied by its group's scale.
float VecDotQ4_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m512i nibble = _mm512_set1_epi8(0x0f);
  __m256 acc = _mm256_setzero_ps();
  __m128 acc_min = _mm_setzero_ps();
  for (int64_t b = 0; b < n / kQkK; ++b) {
    int scale[8], min[8];
    UnpackScaleMin6(x[b].scales, scale, min);
    __m512i isum = _mm512_setzero_si512();
    for (int chunk = 0; chunk < 4; ++chunk) {
      const __m256i bits = LoadU(x[b].qs + 32 * chunk);
      const __m512i both =
          _mm512_inserti64x4(_mm512_castsi256_si512(bits), _mm256_srli_epi16(bits, 4), 1);
      const __m512i q = _mm512_and_si512(both, nibble);
      const __m512i act = _mm512_loadu_si512(y[b].qs + 64 * chunk);
      const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, act);
      const __m512i scales = _mm512_inserti64x4(_mm512_set1_epi32(scale[2 * chunk]),
                                                _mm256_set1_epi32(scale[2 * chunk + 1]), 1);
      isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(dot, scales));
    }
    // Fold the two groups' halves: lane k then matches ggml's AVX2 lanes.
    const __m256i isum256 =
        _mm256_add_epi32(_mm512_castsi512_si256(isum), _mm512_extracti64x4_epi64(isum, 1));
    const float d = y[b].d * Fp16ToFp32(x[b].d);
    const float dmin = -y[b].d * Fp16ToFp32(x[b].dmin);
    acc_min = _mm_fmadd_ps(_mm_set1_ps(dmin),
                           _mm_cvtepi32_ps(avx2::MinsTimesGroupSums(min, y[b].bsums)), acc_min);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum256), acc);
  }
  acc_min = _mm_add_ps(acc_min, _mm_movehl_ps(acc_min, acc_min));
  acc_min = _mm_add_ss(acc_min, _mm_movehdup_ps(acc_min));
  return HsumPs(acc) + _mm_cvtss_f32(acc_min);
}

// Q6_K values q in 0..63 mean q - 32; the -32 comes out through bsums. Each
// 32-value quarter spans two groups of 16: dwords 0-3 and 4-7 of its dpbusd.
float VecDotQ6_K(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQkK; ++b) {
    __m256i isum = _mm256_setzero_si256();
    for (int chunk = 0; chunk < 2; ++chunk) {
      const __m256i low_a = LoadU(x[b].ql + 64 * chunk);
      const __m256i low_b = LoadU(x[b].ql + 64 * chunk + 32);
      const __m256i high = LoadU(x[b].qh + 32 * chunk);
      for (int quarter = 0; quarter < 4; ++quarter) {
        const __m256i low = LowBits((quarter & 1) ? low_b : low_a, 4 * (quarter >> 1), 0x0f);
        const __m256i top = _mm256_slli_epi16(LowBits(high, 2 * quarter, 3), 4);
        const int g = 8 * chunk + 2 * quarter;
        const __m256i dot =
            DotU8I8(_mm256_or_si256(low, top), LoadU(y[b].qs + 128 * chunk + 32 * quarter));
        const __m256i scales =
            _mm256_set_m128i(_mm_set1_epi32(x[b].scales[g + 1]), _mm_set1_epi32(x[b].scales[g]));
        isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(dot, scales));
      }
    }
    isum = _mm256_sub_epi32(isum, avx2::Q6OffsetLanes(x[b].scales, y[b].bsums));
    const float d = y[b].d * Fp16ToFp32(x[b].d);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);
  }
  return HsumPs(acc);
}

}  // namespace
}  // namespace hearth::kernels::HEARTH_AVX512_NS

namespace hearth::kernels::internal {

// Avx512TypeKernels, or EmulatedAvx512TypeKernels (avx512_emulated.h) when emulated.
TypeKernels HEARTH_AVX512_TYPE_KERNELS(TensorType type) {
  namespace simd = HEARTH_AVX512_NS;
  TypeKernels entries = Avx2TypeKernels(type);
  switch (type) {
    case TensorType::kF32:
      entries.vec_dot = simd::VecDotF32;
      break;
    case TensorType::kF16:
      entries.vec_dot = simd::VecDotF16;
      break;
    case TensorType::kQ4_0:
      entries.vec_dot = simd::VecDotQ4_0;
      break;
    case TensorType::kQ4_1:
      entries.vec_dot = simd::VecDotQ4_1;
      break;
    case TensorType::kQ8_0:
      entries.vec_dot = simd::VecDotQ8_0;
      break;
    case TensorType::kQ4_K:
      entries.vec_dot = simd::VecDotQ4_K;
      break;
    case TensorType::kQ6_K:
      entries.vec_dot = simd::VecDotQ6_K;
      break;
    default:
      break;
  }
  return entries;
}

}  // namespace hearth::kernels::internal
