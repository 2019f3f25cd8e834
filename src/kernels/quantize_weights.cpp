// Hearth's weight quantizers for the legacy 32-value types (Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0), written to produce the same bytes as ggml's reference
// quantizers (what llama-quantize uses without an importance matrix): the
// same operations in the same order, so the float rounding is the same too.
// Q2_K/Q3_K use a plain min/max choice of scales (valid blocks, not ggml's
// search); Q4_K/Q5_K/Q6_K live in quantize_kquants.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/float16.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_scalar.h"

namespace hearth::kernels::scalar {
namespace {

// The value of largest magnitude (keeping its sign), as ggml's quantizers use.
float SignedAbsMax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

// q[j] in [0, 2^bits) for x[j] = d * (q[j] - offset): ggml's Q4_0/Q5_0 rule,
// d = max / -offset, q = trunc(x * (1/d) + (offset + 0.5)) clamped. The
// constant offset + 0.5 is added in one step, as ggml does, so the sum is
// rounded once.
float QuantizeSymmetric(const float* x, int bits, uint8_t* q) {
  const int offset = 1 << (bits - 1);
  const float rounding_offset = static_cast<float>(offset) + 0.5f;  // exact
  const float d = SignedAbsMax(x, kQk) / static_cast<float>(-offset);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < kQk; ++j) {
    const int v = static_cast<int8_t>(x[j] * id + rounding_offset);
    q[j] = static_cast<uint8_t>(std::min(v, 2 * offset - 1));
  }
  return d;
}

// x[j] = d * q[j] + min: ggml's Q4_1/Q5_1 rule. Returns d, sets *min_out.
float QuantizeAffine(const float* x, int bits, uint8_t* q, float* min_out) {
  const int qmax = (1 << bits) - 1;
  float min = x[0], max = x[0];
  for (int j = 1; j < kQk; ++j) {
    min = std::min(min, x[j]);
    max = std::max(max, x[j]);
  }
  const float d = (max - min) / static_cast<float>(qmax);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < kQk; ++j) {
    const int v = static_cast<int8_t>((x[j] - min) * id + 0.5f);
    q[j] = static_cast<uint8_t>(std::min(v, qmax));
  }
  *min_out = min;
  return d;
}

void PackNibbles(const uint8_t* q, uint8_t* qs) {
  for (int j = 0; j < kQk / 2; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0x0f) | ((q[j + kQk / 2] & 0x0f) << 4));
  }
}

void PackHighBits(const uint8_t* q, uint8_t* qh) {
  uint32_t bits = 0;
  for (int j = 0; j < kQk; ++j) bits |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
  std::memcpy(qh, &bits, sizeof bits);
}

int Clamp(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

// One K-quant super-block with mins: `groups` groups, q in [0, qmax], 6-bit
// (or 4-bit for Q2_K) integer scales and mins, x ~ dl * q - ml.
struct AffineSuperBlock {
  float d, dmin;
  int scale[16], min[16];
  uint8_t q[kQkK];
};

void QuantizeAffineSuperBlock(const float* x, int groups, int qmax, int scale_max,
                              AffineSuperBlock* out) {
  const int group = kQkK / groups;
  float scales[16], mins[16], max_scale = 0.0f, max_min = 0.0f;
  for (int g = 0; g < groups; ++g) {
    const float* xg = x + g * group;
    float lo = 0.0f, hi = 0.0f;  // mins are subtracted, so keep lo <= 0
    for (int l = 0; l < group; ++l) {
      lo = std::min(lo, xg[l]);
      hi = std::max(hi, xg[l]);
    }
    scales[g] = (hi - lo) / static_cast<float>(qmax);
    mins[g] = -lo;
    max_scale = std::max(max_scale, scales[g]);
    max_min = std::max(max_min, mins[g]);
  }
  out->d = Fp16ToFp32(Fp32ToFp16(max_scale / static_cast<float>(scale_max)));
  out->dmin = Fp16ToFp32(Fp32ToFp16(max_min / static_cast<float>(scale_max)));
  for (int g = 0; g < groups; ++g) {
    out->scale[g] = out->d > 0.0f ? Clamp(NearestInt(scales[g] / out->d), 0, scale_max) : 0;
    out->min[g] = out->dmin > 0.0f ? Clamp(NearestInt(mins[g] / out->dmin), 0, scale_max) : 0;
    const float dl = out->d * static_cast<float>(out->scale[g]);
    const float ml = out->dmin * static_cast<float>(out->min[g]);
    for (int l = 0; l < group; ++l) {
      const int v = dl > 0.0f ? NearestInt((x[g * group + l] + ml) / dl) : 0;
      out->q[g * group + l] = static_cast<uint8_t>(Clamp(v, 0, qmax));
    }
  }
}

// Signed groups of 16 (Q3_K, Q6_K): x ~ d * scale[g] * q, q in [-offset, offset).
struct SymmetricSuperBlock {
  float d;
  int scale[16];
  int8_t q[kQkK];
};

void QuantizeSymmetricSuperBlock(const float* x, int offset, int scale_max,
                                 SymmetricSuperBlock* out) {
  float scales[16], max_abs_scale = 0.0f;
  for (int g = 0; g < 16; ++g) {
    // The largest-magnitude value maps to -offset, the end with more room.
    scales[g] = SignedAbsMax(x + g * 16, 16) / static_cast<float>(-offset);
    max_abs_scale = std::max(max_abs_scale, std::fabs(scales[g]));
  }
  out->d = Fp16ToFp32(Fp32ToFp16(max_abs_scale / static_cast<float>(scale_max)));
  for (int g = 0; g < 16; ++g) {
    out->scale[g] =
        out->d > 0.0f ? Clamp(NearestInt(scales[g] / out->d), -scale_max, scale_max) : 0;
    const float dl = out->d * static_cast<float>(out->scale[g]);
    for (int l = 0; l < 16; ++l) {
      const int v = dl != 0.0f ? NearestInt(x[g * 16 + l] / dl) : 0;
      out->q[g * 16 + l] = static_cast<int8_t>(Clamp(v, -offset, offset - 1));
    }
  }
}

}  // namespace

void QuantizeQ4_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_0*>(dst);
  uint8_t q[kQk];
  for (int64_t b = 0; b < n / kQk; ++b) {
    blocks[b].d = Fp32ToFp16(QuantizeSymmetric(src + b * kQk, 4, q));
    PackNibbles(q, blocks[b].qs);
  }
}

void QuantizeQ8_0Weights(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kQk; ++b) {
    const float* x = src + b * kQk;
    float amax = 0.0f;
    for (int j = 0; j < kQk; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].d = Fp32ToFp16(d);
    // roundf: halves away from zero (the activation quantizer rounds to even).
    for (int j = 0; j < kQk; ++j) blocks[b].qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));
  }
}

void QuantizeQ5_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ5_0*>(dst);
  uint8_t q[kQk];
  for (int64_t b = 0; b < n / kQk; ++b) {
    blocks[b].d = Fp32ToFp16(QuantizeSymmetric(src + b * kQk, 5, q));
    PackNibbles(q, blocks[b].qs);
    PackHighBits(q, blocks[b].qh);
  }
}

void QuantizeQ4_1(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_1*>(dst);
  uint8_t q[kQk];
  for (int64_t b = 0; b < n / kQk; ++b) {
    float min;
    blocks[b].d = Fp32ToFp16(QuantizeAffine(src + b * kQk, 4, q, &min));
    blocks[b].m = Fp32ToFp16(min);
    PackNibbles(q, blocks[b].qs);
  }
}

void QuantizeQ5_1(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ5_1*>(dst);
  uint8_t q[kQk];
  for (int64_t b = 0; b < n / kQk; ++b) {
    float min;
    blocks[b].d = Fp32ToFp16(QuantizeAffine(src + b * kQk, 5, q, &min));
    blocks[b].m = Fp32ToFp16(min);
    PackNibbles(q, blocks[b].qs);
    PackHighBits(q, blocks[b].qh);
  }
}

void QuantizeQ2_K(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ2_K*>(dst);
  AffineSuperBlock s;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    QuantizeAffineSuperBlock(src + b * kQkK, 16, 3, 15, &s);
    BlockQ2_K& y = blocks[b];
    y.d = Fp32ToFp16(s.d);
    y.dmin = Fp32ToFp16(s.dmin);
    for (int g = 0; g < 16; ++g) y.scales[g] = static_cast<uint8_t>(s.scale[g] | (s.min[g] << 4));
    std::memset(y.qs, 0, sizeof y.qs);
    for (int e = 0; e < kQkK; ++e) {
      const int chunk = e / 128, shift = 2 * ((e % 128) / 32), l = e % 32;
      y.qs[chunk * 32 + l] |= static_cast<uint8_t>(s.q[e] << shift);
    }
  }
}

void QuantizeQ3_K(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ3_K*>(dst);
  SymmetricSuperBlock s;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    QuantizeSymmetricSuperBlock(src + b * kQkK, 4, 31, &s);
    BlockQ3_K& y = blocks[b];
    y.d = Fp32ToFp16(s.d);
    std::memset(y.scales, 0, sizeof y.scales);
    for (int g = 0; g < 16; ++g) {
      const int biased = s.scale[g] + 32;
      y.scales[g % 8] |= static_cast<uint8_t>((biased & 0x0f) << (g < 8 ? 0 : 4));
      y.scales[8 + g % 4] |= static_cast<uint8_t>((biased >> 4) << (2 * (g / 4)));
    }
    std::memset(y.qs, 0, sizeof y.qs);
    std::memset(y.hmask, 0, sizeof y.hmask);
    for (int e = 0; e < kQkK; ++e) {
      const int chunk = e / 128, plane = (e % 128) / 32, l = e % 32;
      const int biased = s.q[e] + 4;  // 0..7: low 2 bits in qs, bit 2 in hmask
      y.qs[chunk * 32 + l] |= static_cast<uint8_t>((biased & 3) << (2 * plane));
      y.hmask[l] |= static_cast<uint8_t>((biased >> 2) << (4 * chunk + plane));
    }
  }
}

}  // namespace hearth::kernels::scalar
