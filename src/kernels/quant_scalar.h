// Internal to src/kernels: the scalar reference kernels, one function per type.
// SIMD files call them for the types or tails they do not vectorize.
#pragma once

#include <cstdint>

namespace hearth::kernels::scalar {

// --- float types (quant_scalar.cpp) ---
void DequantizeF32(const void* src, float* dst, int64_t n);
void DequantizeF16(const void* src, float* dst, int64_t n);
void DequantizeBf16(const void* src, float* dst, int64_t n);
void QuantizeF32(const float* src, void* dst, int64_t n);
void QuantizeF16(const float* src, void* dst, int64_t n);
void QuantizeBf16(const float* src, void* dst, int64_t n);
float VecDotF32(int64_t n, const void* w, const void* a);
float VecDotF16(int64_t n, const void* w, const void* a);
float VecDotBf16(int64_t n, const void* w, const void* a);

// --- legacy 32-value blocks (quant_scalar.cpp) ---
void DequantizeQ4_0(const void* src, float* dst, int64_t n);
void DequantizeQ4_1(const void* src, float* dst, int64_t n);
void DequantizeQ5_0(const void* src, float* dst, int64_t n);
void DequantizeQ5_1(const void* src, float* dst, int64_t n);
void DequantizeQ8_0(const void* src, float* dst, int64_t n);
void DequantizeQ8_1(const void* src, float* dst, int64_t n);
// Activation quantizers, as ggml's x86 build: d = amax / 127, values scaled by
// 127 / amax and rounded to nearest even.
void QuantizeQ8_0(const float* src, void* dst, int64_t n);
void QuantizeQ8_1(const float* src, void* dst, int64_t n);
float VecDotQ4_0(int64_t n, const void* w, const void* a);  // a: Q8_0
float VecDotQ4_1(int64_t n, const void* w, const void* a);  // a: Q8_1
float VecDotQ5_0(int64_t n, const void* w, const void* a);  // a: Q8_0
float VecDotQ5_1(int64_t n, const void* w, const void* a);  // a: Q8_1
float VecDotQ8_0(int64_t n, const void* w, const void* a);  // a: Q8_0

// --- K-quants, 256-value super-blocks (quant_scalar_k.cpp) ---
void DequantizeQ2_K(const void* src, float* dst, int64_t n);
void DequantizeQ3_K(const void* src, float* dst, int64_t n);
void DequantizeQ4_K(const void* src, float* dst, int64_t n);
void DequantizeQ5_K(const void* src, float* dst, int64_t n);
void DequantizeQ6_K(const void* src, float* dst, int64_t n);
void DequantizeQ8_K(const void* src, float* dst, int64_t n);
// As ggml: d = max / -127 where max is the value of largest magnitude;
// q = min(127, round_nearest_even(x * -127 / max)); bsums per 16 values.
void QuantizeQ8_K(const float* src, void* dst, int64_t n);
float VecDotQ2_K(int64_t n, const void* w, const void* a);  // a: Q8_K
float VecDotQ3_K(int64_t n, const void* w, const void* a);
float VecDotQ4_K(int64_t n, const void* w, const void* a);
float VecDotQ5_K(int64_t n, const void* w, const void* a);
float VecDotQ6_K(int64_t n, const void* w, const void* a);

// --- weight quantizers (quantize_weights.cpp, quantize_kquants.cpp): the same
// bytes as ggml's reference quantizers (llama-quantize without an importance
// matrix) for Q4_0..Q8_0 and Q4_K/Q5_K/Q6_K; Q2_K/Q3_K use a plain min/max
// choice of scales (valid blocks, not ggml's search).
// Q8_0 as a weight: d = amax / 127, q = roundf(x / d) (halves away from zero).
void QuantizeQ8_0Weights(const float* src, void* dst, int64_t n);
void QuantizeQ4_0(const float* src, void* dst, int64_t n);
void QuantizeQ4_1(const float* src, void* dst, int64_t n);
void QuantizeQ5_0(const float* src, void* dst, int64_t n);
void QuantizeQ5_1(const float* src, void* dst, int64_t n);
void QuantizeQ2_K(const float* src, void* dst, int64_t n);
void QuantizeQ3_K(const float* src, void* dst, int64_t n);
void QuantizeQ4_K(const float* src, void* dst, int64_t n);
void QuantizeQ5_K(const float* src, void* dst, int64_t n);
void QuantizeQ6_K(const float* src, void* dst, int64_t n);

// Round to nearest, ties to even, for |x| < 2^22 (as ggml's nearest_int).
static inline int NearestInt(float x) {
  // Adding 1.5 * 2^23 leaves the rounded integer in the low mantissa bits.
  const float shifted = x + 12582912.f;
  int32_t bits;
  __builtin_memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

}  // namespace hearth::kernels::scalar
