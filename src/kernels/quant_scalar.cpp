// Scalar reference kernels for the float types and the legacy 32-value
// block types. Dot products accumulate integers within a block and scale by
// the block's floats afterwards, as ggml does.
#include "kernels/quant_scalar.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/float16.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels::scalar {
namespace {

// 4-bit value j (0..31) of a 16-byte nibble array: low nibbles hold the first
// half of the block, high nibbles the second half.
inline int Nibble(const uint8_t* qs, int j) {
  return j < kQk / 2 ? (qs[j] & 0x0f) : (qs[j - kQk / 2] >> 4);
}

// 5th bit of value j, from the little-endian 32-bit qh field.
inline int HighBit(const uint8_t* qh, int j) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  return static_cast<int>((bits >> j) & 1u);
}

// ggml's x86 activation quantizer for one block of 32. Returns the unrounded
// scale d and sets *sum to the sum of the quantized values (for Q8_1's s).
float QuantizeBlock8(const float* x, uint16_t* d_out, int8_t* qs, int* sum_out) {
  float amax = 0.0f;
  for (int j = 0; j < kQk; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.f;
  const float id = amax != 0.0f ? 127.f / amax : 0.0f;
  *d_out = Fp32ToFp16(d);
  int sum = 0;
  for (int j = 0; j < kQk; ++j) {
    qs[j] = static_cast<int8_t>(NearestInt(x[j] * id));
    sum += qs[j];
  }
  *sum_out = sum;
  return d;
}

}  // namespace

// ---------------------------------------------------------------- float types

void DequantizeF32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void DequantizeF16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = Fp16ToFp32(h[i]);
}

void DequantizeBf16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToFp32(h[i]);
}

void QuantizeF32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void QuantizeF16(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) h[i] = Fp32ToFp16(src[i]);
}

void QuantizeBf16(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) h[i] = Fp32ToBf16(src[i]);
}

// ggml's reference accumulates the float products in double.
float VecDotF32(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * y[i]);
  return static_cast<float>(sum);
}

// Products of two fp16 (or two bf16) values are exact in float.
float VecDotF16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Fp16ToFp32(x[i]) * Fp16ToFp32(y[i]));
  return static_cast<float>(sum);
}

float VecDotBf16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Bf16ToFp32(x[i]) * Bf16ToFp32(y[i]));
  return static_cast<float>(sum);
}

// ------------------------------------------------------------- dequantization

void DequantizeQ4_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_0*>(src);
  for (int64_t b = 0; b < n / kQk; ++b, dst += kQk) {
    const float d = Fp16ToFp32(blocks[b].d);
    for (int j = 0; j < kQk; ++j) dst[j] = static_cast<float>(Nibble(blocks[b].qs, j) - 8) * d;
  }
}

void DequantizeQ4_1(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_1*>(src);
  for (int64_t b = 0; b < n / kQk; ++b, dst += kQk) {
    const float d = Fp16ToFp32(blocks[b].d);
    const float m = Fp16ToFp32(blocks[b].m);
    for (int j = 0; j < kQk; ++j) dst[j] = static_cast<float>(Nibble(blocks[b].qs, j)) * d + m;
  }
}

void DequantizeQ5_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ5_0*>(src);
  for (int64_t b = 0; b < n / kQk; ++b, dst += kQk) {
    const float d = Fp16ToFp32(blocks[b].d);
    for (int j = 0; j < kQk; ++j) {
      const int q = Nibble(blocks[b].qs, j) | (HighBit(blocks[b].qh, j) << 4);
      dst[j] = static_cast<float>(q - 16) * d;
    }
  }
}

void DequantizeQ5_1(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ5_1*>(src);
  for (int64_t b = 0; b < n / kQk; ++b, dst += kQk) {
    const float d = Fp16ToFp32(blocks[b].d);
    const float m = Fp16ToFp32(blocks[b].m);
    for (int j = 0; j < kQk; ++j) {
      const int q = Nibble(blocks[b].qs, j) | (HighBit(blocks[b].qh, j) << 4);
      dst[j] = static_cast<float>(q) * d + m;
    }
  }
}

void DequantizeQ8_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_0*>(src);
  for (int64_t b = 0; b < n / kQk; ++b, dst += kQk) {
    const float d = Fp16ToFp32(blocks[b].d);
    for (int j = 0; j < kQk; ++j) dst[j] = static_cast<float>(blocks[b].qs[j]) * d;
  }
}

void DequantizeQ8_1(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_1*>(src);
  for (int64_t b = 0; b < n / kQk; ++b, dst += kQk) {
    const float d = Fp16ToFp32(blocks[b].d);
    for (int j = 0; j < kQk; ++j) dst[j] = static_cast<float>(blocks[b].qs[j]) * d;
  }
}

// ------------------------------------------------------ activation quantizers

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
    // ggml uses the unrounded d here, not the fp16 one stored in the block.
    blocks[b].s = Fp32ToFp16(d * static_cast<float>(sum));
  }
}

// ------------------------------------------------------------- dot products

float VecDotQ4_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQk; ++b) {
    int sumi = 0;
    for (int j = 0; j < kQk; ++j) sumi += (Nibble(x[b].qs, j) - 8) * y[b].qs[j];
    sum += Fp16ToFp32(x[b].d) * Fp16ToFp32(y[b].d) * static_cast<float>(sumi);
  }
  return sum;
}

// The weights' offset m times the activations' sum is m * s, s = d_a * sum(q_a).
float VecDotQ4_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQk; ++b) {
    int sumi = 0;
    for (int j = 0; j < kQk; ++j) sumi += Nibble(x[b].qs, j) * y[b].qs[j];
    sum += Fp16ToFp32(x[b].d) * Fp16ToFp32(y[b].d) * static_cast<float>(sumi) +
           Fp16ToFp32(x[b].m) * Fp16ToFp32(y[b].s);
  }
  return sum;
}

float VecDotQ5_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQk; ++b) {
    int sumi = 0;
    for (int j = 0; j < kQk; ++j) {
      const int q = Nibble(x[b].qs, j) | (HighBit(x[b].qh, j) << 4);
      sumi += (q - 16) * y[b].qs[j];
    }
    sum += Fp16ToFp32(x[b].d) * Fp16ToFp32(y[b].d) * static_cast<float>(sumi);
  }
  return sum;
}

float VecDotQ5_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQk; ++b) {
    int sumi = 0;
    for (int j = 0; j < kQk; ++j) {
      const int q = Nibble(x[b].qs, j) | (HighBit(x[b].qh, j) << 4);
      sumi += q * y[b].qs[j];
    }
    sum += Fp16ToFp32(x[b].d) * Fp16ToFp32(y[b].d) * static_cast<float>(sumi) +
           Fp16ToFp32(x[b].m) * Fp16ToFp32(y[b].s);
  }
  return sum;
}

float VecDotQ8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQk; ++b) {
    int sumi = 0;
    for (int j = 0; j < kQk; ++j) sumi += x[b].qs[j] * y[b].qs[j];
    sum += Fp16ToFp32(x[b].d) * Fp16ToFp32(y[b].d) * static_cast<float>(sumi);
  }
  return sum;
}

}  // namespace hearth::kernels::scalar
