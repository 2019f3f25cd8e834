// Scalar reference kernels for the K-quants (256-value super-blocks) and their
// activation type Q8_K. Each weight block is first unpacked to small integers
// and integer scales; dequantization then applies the float scales in ggml's
// order of operations (so results are bit-identical to ggml and gguf-py), and
// dot products sum integers per group before one float scaling per block.
#include <cmath>
#include <cstring>

#include "kernels/float16.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_scalar.h"

namespace hearth::kernels::scalar {
namespace {

// A super-block's integer content: q[e] for its 256 values, with a scale and
// a min per group (16 groups of 16, or 8 groups of 32 for Q4_K/Q5_K).
struct Unpacked {
  int8_t q[kQkK];
  int scale[16];
  int min[16];
};

// The 12-byte packing of eight 6-bit scales and eight 6-bit mins (Q4_K, Q5_K):
// bytes 0-3 hold scales 0-3 (low 6 bits) and the top 2 bits of scales 4-7;
// bytes 4-7 the same for mins; bytes 8-11 the low 4 bits of scales/mins 4-7.
void UnpackScaleMin6(const uint8_t* packed, int* scale, int* min) {
  for (int j = 0; j < 4; ++j) {
    scale[j] = packed[j] & 63;
    min[j] = packed[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    scale[j] = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
    min[j] = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

void UnpackQ2_K(const BlockQ2_K& b, Unpacked* u) {
  for (int e = 0; e < kQkK; ++e) {
    const int chunk = e / 128, shift = 2 * ((e % 128) / 32), l = e % 32;
    u->q[e] = static_cast<int8_t>((b.qs[chunk * 32 + l] >> shift) & 3);
  }
  for (int g = 0; g < 16; ++g) {
    u->scale[g] = b.scales[g] & 0x0f;
    u->min[g] = b.scales[g] >> 4;
  }
}

// Q3_K's sixteen 6-bit scales: low nibbles in bytes 0-7 (scales 0-7 in the
// low halves, 8-15 in the high halves), top 2 bits in bytes 8-11.
void UnpackQ3_K(const BlockQ3_K& b, Unpacked* u) {
  for (int e = 0; e < kQkK; ++e) {
    const int chunk = e / 128, plane = (e % 128) / 32, l = e % 32;
    const int low = (b.qs[chunk * 32 + l] >> (2 * plane)) & 3;
    const int high_set = (b.hmask[l] >> (4 * chunk + plane)) & 1;
    u->q[e] = static_cast<int8_t>(low - (high_set ? 0 : 4));
  }
  for (int g = 0; g < 16; ++g) {
    const int low = g < 8 ? (b.scales[g] & 0x0f) : (b.scales[g - 8] >> 4);
    const int high = (b.scales[8 + g % 4] >> (2 * (g / 4))) & 3;
    u->scale[g] = (low | (high << 4)) - 32;
    u->min[g] = 0;
  }
}

void UnpackQ4_K(const BlockQ4_K& b, Unpacked* u) {
  for (int e = 0; e < kQkK; ++e) {
    const int chunk = e / 64, half = (e % 64) / 32, l = e % 32;
    u->q[e] = static_cast<int8_t>((b.qs[chunk * 32 + l] >> (4 * half)) & 0x0f);
  }
  UnpackScaleMin6(b.scales, u->scale, u->min);
}

void UnpackQ5_K(const BlockQ5_K& b, Unpacked* u) {
  for (int e = 0; e < kQkK; ++e) {
    const int chunk = e / 64, half = (e % 64) / 32, l = e % 32;
    const int low = (b.qs[chunk * 32 + l] >> (4 * half)) & 0x0f;
    const int high = (b.qh[l] >> (e / 32)) & 1;
    u->q[e] = static_cast<int8_t>(low | (high << 4));
  }
  UnpackScaleMin6(b.scales, u->scale, u->min);
}

void UnpackQ6_K(const BlockQ6_K& b, Unpacked* u) {
  for (int e = 0; e < kQkK; ++e) {
    const int chunk = e / 128, quarter = (e % 128) / 32, l = e % 32;
    const uint8_t low_byte = b.ql[chunk * 64 + (quarter & 1) * 32 + l];
    const int low = (low_byte >> (4 * (quarter >> 1))) & 0x0f;
    const int high = (b.qh[chunk * 32 + l] >> (2 * quarter)) & 3;
    u->q[e] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
  for (int g = 0; g < 16; ++g) {
    u->scale[g] = b.scales[g];
    u->min[g] = 0;
  }
}

// x = (d * scale[g]) * q - (dmin * min[g]), group size `group`.
void DequantizeUnpacked(const Unpacked& u, float d, float dmin, int group, float* dst) {
  for (int g = 0; g < kQkK / group; ++g) {
    const float dl = d * static_cast<float>(u.scale[g]);
    const float ml = dmin * static_cast<float>(u.min[g]);
    for (int l = 0; l < group; ++l) {
      dst[g * group + l] = dl * static_cast<float>(u.q[g * group + l]) - ml;
    }
  }
}

// Same without a min term: (d * scale[g]) * q (Q3_K, Q6_K).
void DequantizeUnpackedNoMin(const Unpacked& u, float d, float* dst) {
  for (int g = 0; g < 16; ++g) {
    const float dl = d * static_cast<float>(u.scale[g]);
    for (int l = 0; l < 16; ++l) dst[g * 16 + l] = dl * static_cast<float>(u.q[g * 16 + l]);
  }
}

// sum_g scale[g] * sum_{i in g} q[i] * a[i], all in integers.
int ScaledIntDot(const Unpacked& u, const int8_t* a, int group) {
  int total = 0;
  for (int g = 0; g < kQkK / group; ++g) {
    int dot = 0;
    for (int l = 0; l < group; ++l) dot += u.q[g * group + l] * a[g * group + l];
    total += u.scale[g] * dot;
  }
  return total;
}

// sum_g min[g] * (sum of the activations of group g), from Q8_K's bsums.
int MinTimesSums(const Unpacked& u, const BlockQ8_K& a, int group) {
  int total = 0;
  const int sums_per_group = group / 16;
  for (int g = 0; g < kQkK / group; ++g) {
    int group_sum = 0;
    for (int k = 0; k < sums_per_group; ++k) group_sum += a.bsums[g * sums_per_group + k];
    total += u.min[g] * group_sum;
  }
  return total;
}

template <typename Block, void (*Unpack)(const Block&, Unpacked*)>
void DequantizeWithMin(const void* src, float* dst, int64_t n, int group) {
  const auto* blocks = static_cast<const Block*>(src);
  Unpacked u;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    Unpack(blocks[b], &u);
    DequantizeUnpacked(u, Fp16ToFp32(blocks[b].d), Fp16ToFp32(blocks[b].dmin), group,
                       dst + b * kQkK);
  }
}

template <typename Block, void (*Unpack)(const Block&, Unpacked*)>
void DequantizeNoMin(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const Block*>(src);
  Unpacked u;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    Unpack(blocks[b], &u);
    DequantizeUnpackedNoMin(u, Fp16ToFp32(blocks[b].d), dst + b * kQkK);
  }
}

// Per block: d_a * d * sum(scale * q . a) - d_a * dmin * sum(min * group sums).
template <typename Block, void (*Unpack)(const Block&, Unpacked*)>
float VecDotWithMin(int64_t n, const void* w, const void* a, int group) {
  const auto* x = static_cast<const Block*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  Unpacked u;
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    Unpack(x[b], &u);
    const int isum = ScaledIntDot(u, y[b].qs, group);
    const int summs = MinTimesSums(u, y[b], group);
    const float dall = y[b].d * Fp16ToFp32(x[b].d);
    const float dmin = y[b].d * Fp16ToFp32(x[b].dmin);
    sum += dall * static_cast<float>(isum) - dmin * static_cast<float>(summs);
  }
  return sum;
}

template <typename Block, void (*Unpack)(const Block&, Unpacked*)>
float VecDotNoMin(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const Block*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  Unpacked u;
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    Unpack(x[b], &u);
    const float d = Fp16ToFp32(x[b].d) * y[b].d;
    sum += d * static_cast<float>(ScaledIntDot(u, y[b].qs, 16));
  }
  return sum;
}

}  // namespace

void DequantizeQ2_K(const void* src, float* dst, int64_t n) {
  DequantizeWithMin<BlockQ2_K, UnpackQ2_K>(src, dst, n, 16);
}
void DequantizeQ3_K(const void* src, float* dst, int64_t n) {
  DequantizeNoMin<BlockQ3_K, UnpackQ3_K>(src, dst, n);
}
void DequantizeQ4_K(const void* src, float* dst, int64_t n) {
  DequantizeWithMin<BlockQ4_K, UnpackQ4_K>(src, dst, n, 32);
}
void DequantizeQ5_K(const void* src, float* dst, int64_t n) {
  DequantizeWithMin<BlockQ5_K, UnpackQ5_K>(src, dst, n, 32);
}
void DequantizeQ6_K(const void* src, float* dst, int64_t n) {
  DequantizeNoMin<BlockQ6_K, UnpackQ6_K>(src, dst, n);
}

void DequantizeQ8_K(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_K*>(src);
  for (int64_t b = 0; b < n / kQkK; ++b) {
    for (int j = 0; j < kQkK; ++j) dst[b * kQkK + j] = blocks[b].d * blocks[b].qs[j];
  }
}

void QuantizeQ8_K(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_K*>(dst);
  for (int64_t b = 0; b < n / kQkK; ++b) {
    const float* x = src + b * kQkK;
    BlockQ8_K& y = blocks[b];
    float amax = 0.0f, max = 0.0f;  // max: the value whose magnitude is amax
    for (int j = 0; j < kQkK; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      std::memset(&y, 0, sizeof y);
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQkK; ++j) {
      const int v = NearestInt(iscale * x[j]);
      y.qs[j] = static_cast<int8_t>(v < 127 ? v : 127);
    }
    for (int g = 0; g < kQkK / 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y.qs[g * 16 + l];
      y.bsums[g] = static_cast<int16_t>(sum);
    }
    y.d = 1.0f / iscale;
  }
}

float VecDotQ2_K(int64_t n, const void* w, const void* a) {
  return VecDotWithMin<BlockQ2_K, UnpackQ2_K>(n, w, a, 16);
}
float VecDotQ3_K(int64_t n, const void* w, const void* a) {
  return VecDotNoMin<BlockQ3_K, UnpackQ3_K>(n, w, a);
}
float VecDotQ4_K(int64_t n, const void* w, const void* a) {
  return VecDotWithMin<BlockQ4_K, UnpackQ4_K>(n, w, a, 32);
}
float VecDotQ5_K(int64_t n, const void* w, const void* a) {
  return VecDotWithMin<BlockQ5_K, UnpackQ5_K>(n, w, a, 32);
}
float VecDotQ6_K(int64_t n, const void* w, const void* a) {
  return VecDotNoMin<BlockQ6_K, UnpackQ6_K>(n, w, a);
}

}  // namespace hearth::kernels::scalar
