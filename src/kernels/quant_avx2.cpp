// AVX2 + FMA + F16C kernels for the float types and the legacy 32-value
// blocks, plus the activation quantizers. Compiled with -mavx2 -mfma -mf16c;
// only reached through Avx2TypeKernels after IsaAvailable(Isa::kAvx2).
//
// Quantizers and dequantizers perform exactly the scalar reference's float
// operations (results are bit-identical); dot products compute the same
// integer block sums and accumulate the scaled blocks in 8 float lanes with
// FMA, as ggml's AVX2 code does.
#include "kernels/quant_avx2.h"

#include "kernels/float16.h"
#include "kernels/kernel_registry.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_scalar.h"
#include "kernels/simd_avx2.h"

namespace hearth::kernels::avx2 {
namespace {

// ---------------------------------------------------------------- float types

// Four independent accumulators hide FMA latency; n % 32 values go scalar.
// Reduce: the final 8-lane sum, as ggml's code for the type does it.
template <__m256 (*Load8)(const void*, int64_t), float (*ToFloat)(const void*, int64_t),
          float (*Reduce)(__m256)>
float VecDotFloat(int64_t n, const void* w, const void* a) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm256_fmadd_ps(Load8(w, i + 8 * k), Load8(a, i + 8 * k), acc[k]);
    }
  }
  // The pairing of the 4 accumulators is ggml's; Reduce finishes as ggml does.
  const __m256 total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));
  double sum = Reduce(total);  // ggml adds the n % 32 tail in double
  for (; i < n; ++i) sum += static_cast<double>(ToFloat(w, i) * ToFloat(a, i));
  return static_cast<float>(sum);
}

__m256 LoadF32(const void* p, int64_t i) {
  return _mm256_loadu_ps(static_cast<const float*>(p) + i);
}
float F32At(const void* p, int64_t i) { return static_cast<const float*>(p)[i]; }

__m256 LoadF16(const void* p, int64_t i) {
  return _mm256_cvtph_ps(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(p) + i)));
}
float F16At(const void* p, int64_t i) { return HalfToFloat(static_cast<const uint16_t*>(p)[i]); }

__m256 LoadBf16(const void* p, int64_t i) {
  const __m128i h =
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(p) + i));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
float Bf16At(const void* p, int64_t i) { return Bf16ToFp32(static_cast<const uint16_t*>(p)[i]); }

void DequantizeF16(const void* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, LoadF16(src, i));
  for (; i < n; ++i) dst[i] = F16At(src, i);
}

void DequantizeBf16(const void* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, LoadBf16(src, i));
  for (; i < n; ++i) dst[i] = Bf16At(src, i);
}

void QuantizeF16(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i packed = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i), packed);
  }
  for (; i < n; ++i) h[i] = Fp32ToFp16(src[i]);
}

// Vector form of Fp32ToBf16: round to nearest even, NaN forced quiet.
void QuantizeBf16(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  const __m256i one = _mm256_set1_epi32(1);
  for (; i + 16 <= n; i += 16) {
    __m256i halves[2];
    for (int k = 0; k < 2; ++k) {
      const __m256i u = _mm256_castps_si256(_mm256_loadu_ps(src + i + 8 * k));
      const __m256i bias = _mm256_add_epi32(_mm256_set1_epi32(0x7fff),
                                            _mm256_and_si256(_mm256_srli_epi32(u, 16), one));
      const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, bias), 16);
      const __m256i quiet_nan = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
      const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)),
                                                _mm256_set1_epi32(0x7f800000));
      halves[k] = _mm256_blendv_epi8(rounded, quiet_nan, is_nan);
    }
    // packus works per 128-bit lane; restore element order afterwards.
    const __m256i packed =
        _mm256_permute4x64_epi64(_mm256_packus_epi32(halves[0], halves[1]), 0xd8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + i), packed);
  }
  for (; i < n; ++i) h[i] = Fp32ToBf16(src[i]);
}

// ------------------------------------------------------ activation quantizers

// f to fp16 by F16C's vcvtps2ph, rounding to nearest even: Fp32ToFp16's result (float16.h is
// written to match this instruction), without its branches.
inline uint16_t FloatToHalf(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}

// One block of 32 as the scalar QuantizeBlock8: q = round_even(x * 127 / amax).
// Returns d (unrounded); *sum gets the sum of the quantized values.
float QuantizeBlock8(const float* x, uint16_t* d_out, int8_t* qs, int* sum) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  __m256 v[4];
  __m256 amax8 = _mm256_setzero_ps();
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm256_loadu_ps(x + 8 * k);
    amax8 = _mm256_max_ps(amax8, _mm256_andnot_ps(sign_bit, v[k]));
  }
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax8), _mm256_extractf128_ps(amax8, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  const float amax = _mm_cvtss_f32(m);
  const float d = amax / 127.f;
  const float id = amax != 0.0f ? 127.f / amax : 0.0f;
  *d_out = FloatToHalf(d);
  __m256i q[4];
  for (int k = 0; k < 4; ++k) {
    const __m256 scaled = _mm256_mul_ps(v[k], _mm256_set1_ps(id));
    q[k] =
        _mm256_cvtps_epi32(_mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  *sum = HsumI32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
  // The packs interleave 128-bit lanes; the permute puts dwords back in order.
  const __m256i packed =
      _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
  const __m256i ordered =
      _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), ordered);
  return d;
}

void QuantizeQ8_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kQk; ++b) {
    int sum;
    QuantizeBlock8(src + b * kQk, &blocks[b].d, blocks[b].qs, &sum);
  }
}

void QuantizeQ8_1(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(dst);
  for (int64_t b = 0; b < n / kQk; ++b) {
    int sum;
    const float d = QuantizeBlock8(src + b * kQk, &blocks[b].d, blocks[b].qs, &sum);
    blocks[b].s = FloatToHalf(d * static_cast<float>(sum));
  }
}

// As scalar::QuantizeQ8_K; the largest-magnitude value is the first one
// reaching amax, as in the scalar scan.
void QuantizeQ8_K(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_K*>(dst);
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / kQkK; ++b) {
    const float* x = src + b * kQkK;
    BlockQ8_K& y = blocks[b];
    __m256 amax8 = _mm256_setzero_ps();
    for (int j = 0; j < kQkK; j += 8) {
      amax8 = _mm256_max_ps(amax8, _mm256_andnot_ps(sign_bit, _mm256_loadu_ps(x + j)));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, amax8);
    float amax = 0.0f;
    for (float lane : lanes) amax = lane > amax ? lane : amax;
    if (amax == 0.0f) {
      std::memset(&y, 0, sizeof y);
      continue;
    }
    float max = 0.0f;
    for (int j = 0; j < kQkK; ++j) {
      if (x[j] == amax || x[j] == -amax) {
        max = x[j];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m256 scale = _mm256_set1_ps(iscale);
    for (int j = 0; j < kQkK; j += 32) {
      __m256i q[4];
      for (int k = 0; k < 4; ++k) {
        const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), scale);
        q[k] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_round_ps(
                                    scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)),
                                _mm256_set1_epi32(127));
      }
      const __m256i packed =
          _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
      const __m256i ordered =
          _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y.qs + j), ordered);
      // Group sums of 16: widen to int16, add pairs of 8 within each half.
      const __m256i lo16 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(ordered));
      const __m256i hi16 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(ordered, 1));
      y.bsums[j / 16] =
          static_cast<int16_t>(HsumI32(_mm256_madd_epi16(lo16, _mm256_set1_epi16(1))));
      y.bsums[j / 16 + 1] =
          static_cast<int16_t>(HsumI32(_mm256_madd_epi16(hi16, _mm256_set1_epi16(1))));
    }
    y.d = 1.0f / iscale;
  }
}

// ------------------------------------------------------------- dequantization

void DequantizeQ4_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_0*>(src);
  for (int64_t b = 0; b < n / kQk; ++b, dst += kQk) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(blocks[b].d));
    const __m256i q = _mm256_sub_epi8(NibblesToBytes(blocks[b].qs), _mm256_set1_epi8(8));
    for (int k = 0; k < 4; ++k) {
      const __m128i q8 = k < 2 ? _mm256_castsi256_si128(q) : _mm256_extracti128_si256(q, 1);
      const __m256i q32 = _mm256_cvtepi8_epi32((k & 1) ? _mm_srli_si128(q8, 8) : q8);
      _mm256_storeu_ps(dst + 8 * k, _mm256_mul_ps(_mm256_cvtepi32_ps(q32), d));
    }
  }
}

void DequantizeQ8_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_0*>(src);
  for (int64_t b = 0; b < n / kQk; ++b, dst += kQk) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(blocks[b].d));
    for (int k = 0; k < 4; ++k) {
      const __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(blocks[b].qs + 8 * k));
      _mm256_storeu_ps(dst + 8 * k, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8)), d));
    }
  }
}

// ------------------------------------------------------------- dot products

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

// 5-bit values: nibble | (qh bit << 4).
inline __m256i FiveBitValues(const uint8_t* qs, const uint8_t* qh) {
  return _mm256_or_si256(NibblesToBytes(qs),
                         _mm256_and_si256(BitsToBytes(qh), _mm256_set1_epi8(0x10)));
}

float VecDotQ5_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQk; ++b) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(x[b].d) * HalfToFloat(y[b].d));
    const __m256i qx = _mm256_sub_epi8(FiveBitValues(x[b].qs, x[b].qh), _mm256_set1_epi8(16));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(DotI8I8(qx, LoadU(y[b].qs))), acc);
  }
  return HsumPs(acc);
}

float VecDotQ5_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  __m256 acc = _mm256_setzero_ps();
  float offsets = 0.0f;
  for (int64_t b = 0; b < n / kQk; ++b) {
    offsets += HalfToFloat(x[b].m) * HalfToFloat(y[b].s);
    const __m256 d = _mm256_set1_ps(HalfToFloat(x[b].d) * HalfToFloat(y[b].d));
    const __m256i dot = DotU8I8(FiveBitValues(x[b].qs, x[b].qh), LoadU(y[b].qs));
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

}  // namespace

float VecDotF32(int64_t n, const void* w, const void* a) {
  return VecDotFloat<LoadF32, F32At, HsumPsHadd>(n, w, a);
}
float VecDotF16(int64_t n, const void* w, const void* a) {
  return VecDotFloat<LoadF16, F16At, HsumPsHadd>(n, w, a);
}
float VecDotBf16(int64_t n, const void* w, const void* a) {
  return VecDotFloat<LoadBf16, Bf16At, HsumPs>(n, w, a);
}

}  // namespace hearth::kernels::avx2

namespace hearth::kernels::internal {

TypeKernels Avx2TypeKernels(TensorType type) {
  using namespace avx2;  // NOLINT: a table of avx2:: entries
  const TypeKernels scalar = ScalarTypeKernels(type);
  switch (type) {
    case TensorType::kF32:
      return {scalar.dequantize, scalar.quantize, VecDotF32};
    case TensorType::kF16:
      return {DequantizeF16, QuantizeF16, VecDotF16};
    case TensorType::kBF16:
      return {DequantizeBf16, QuantizeBf16, VecDotBf16};
    case TensorType::kQ4_0:
      return {DequantizeQ4_0, scalar.quantize, VecDotQ4_0};
    case TensorType::kQ4_1:
      return {scalar.dequantize, scalar.quantize, VecDotQ4_1};
    case TensorType::kQ5_0:
      return {scalar.dequantize, scalar.quantize, VecDotQ5_0};
    case TensorType::kQ5_1:
      return {scalar.dequantize, scalar.quantize, VecDotQ5_1};
    case TensorType::kQ8_0:
      return {DequantizeQ8_0, QuantizeQ8_0, VecDotQ8_0};
    case TensorType::kQ8_1:
      return {scalar.dequantize, QuantizeQ8_1, nullptr};
    case TensorType::kQ8_K:
      return {scalar.dequantize, QuantizeQ8_K, nullptr};
    case TensorType::kQ2_K:
      return {scalar.dequantize, scalar.quantize, VecDotQ2_K};
    case TensorType::kQ3_K:
      return {scalar.dequantize, scalar.quantize, VecDotQ3_K};
    case TensorType::kQ4_K:
      return {scalar.dequantize, scalar.quantize, VecDotQ4_K};
    case TensorType::kQ5_K:
      return {scalar.dequantize, scalar.quantize, VecDotQ5_K};
    case TensorType::kQ6_K:
      return {scalar.dequantize, scalar.quantize, VecDotQ6_K};
    default:
      return scalar;
  }
}

}  // namespace hearth::kernels::internal
