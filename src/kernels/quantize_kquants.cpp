// Weight quantizers for Q4_K, Q5_K and Q6_K that search for good scales the
// way ggml's reference quantizers do when no importance matrix is given:
//
//  - Q4_K/Q5_K (groups of 32 with a scale and a min): for each group, try a
//    range of inverse scales around nmax / (max - min), assign levels, then
//    solve the weighted least-squares fit of x ~ scale * q + min for those
//    levels, keeping the fit with the smallest weighted squared error. The
//    weights av(|x|) + |x| favour large values.
//  - Q6_K (signed groups of 16): try inverse scales around nmax / max and keep
//    the one maximising (sum w x q)^2 / (sum w q^2), w = x^2, which is the
//    least-squares error criterion for a scale-only fit.
//
// The per-group scales are then quantized to 6 (Q4_K/Q5_K) or 8 (Q6_K) bits
// against one fp16 super-block scale and the values re-assigned to levels
// against those rounded scales. Float operations are done in the same order
// as ggml's, so the bytes match llama-quantize's.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/float16.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_scalar.h"

namespace hearth::kernels::scalar {
namespace {

constexpr float kGroupMaxEps = 1e-15f;  // groups below this are all zero

// Parameters of the scale search for one affine K-quant type.
struct AffineSearch {
  int nmax;      // largest level (15 for 4 bits, 31 for 5 bits)
  float rmin;    // first offset added to nmax when trying inverse scales
  float rdelta;  // step between tries
  int nstep;     // tries are rmin + rdelta * [0, nstep]
};

constexpr AffineSearch kQ4KSearch{15, -1.0f, 0.1f, 20};
constexpr AffineSearch kQ5KSearch{31, -0.5f, 0.1f, 15};

// Weighted squared error of x ~ scale * q + min over a group.
float AffineError(const float* x, const float* w, const uint8_t* q, int n, float scale, float min) {
  float error = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float diff = scale * q[i] + min - x[i];
    error += w[i] * (diff * diff);
  }
  return error;
}

// Chooses levels q[i] in [0, s.nmax] and returns the scale for x ~ scale * q - *neg_min
// (so *neg_min >= 0). `aux` is scratch of n bytes.
float FitAffineGroup(const float* x, const float* w, int n, const AffineSearch& s, uint8_t* q,
                     uint8_t* aux, float* neg_min) {
  float min = x[0], max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;  // the min is subtracted, so it must not be positive
  if (max == min) {
    std::memset(q, 0, n);
    *neg_min = -min;
    return 0.0f;
  }
  float iscale = s.nmax / (max - min);
  float scale = 1 / iscale;
  for (int i = 0; i < n; ++i) {
    q[i] = static_cast<uint8_t>(std::clamp(NearestInt(iscale * (x[i] - min)), 0, s.nmax));
  }
  float best_error = AffineError(x, w, q, n, scale, min);
  for (int step = 0; step <= s.nstep; ++step) {
    iscale = (s.rmin + s.rdelta * step + s.nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(NearestInt(iscale * (x[i] - min)), 0, s.nmax);
      aux[i] = static_cast<uint8_t>(l);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0)) continue;  // also skips NaN
    // Least squares for x ~ this_scale * l + this_min.
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    const float error = AffineError(x, w, aux, n, this_scale, this_min);
    if (error < best_error) {
      std::memcpy(q, aux, n);
      best_error = error;
      scale = this_scale;
      min = this_min;
    }
  }
  *neg_min = -min;
  return scale;
}

// Inverse of UnpackScaleMin6 in quant_scalar_k.cpp: 8 six-bit scales and mins
// in 12 bytes.
void PackScaleMin6(const int* scale, const int* min, uint8_t* packed) {
  for (int j = 0; j < 4; ++j) {
    packed[j] = static_cast<uint8_t>((scale[j] & 63) | ((scale[j + 4] >> 4) << 6));
    packed[j + 4] = static_cast<uint8_t>((min[j] & 63) | ((min[j + 4] >> 4) << 6));
    packed[j + 8] = static_cast<uint8_t>((scale[j + 4] & 0x0f) | ((min[j + 4] & 0x0f) << 4));
  }
}

// One Q4_K/Q5_K super-block before bit packing.
struct AffineSuperBlock {
  uint16_t d, dmin;  // fp16
  int scale[8], min[8];
  uint8_t q[kQkK];
};

void QuantizeAffineSuperBlock(const float* x, const AffineSearch& s, AffineSuperBlock* out) {
  float scales[8], neg_mins[8], weights[32];
  uint8_t aux[32];
  float max_scale = 0, max_min = 0;
  for (int g = 0; g < 8; ++g) {
    const float* xg = x + 32 * g;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xg[l] * xg[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xg[l]);
    scales[g] = FitAffineGroup(xg, weights, 32, s, out->q + 32 * g, aux, &neg_mins[g]);
    max_scale = std::max(max_scale, scales[g]);
    max_min = std::max(max_min, neg_mins[g]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int g = 0; g < 8; ++g) {
    // ggml stores nearest_int's result in a uint8_t before the clamp.
    out->scale[g] = std::min(63, NearestInt(inv_scale * scales[g]) & 0xff);
    out->min[g] = std::min(63, NearestInt(inv_min * neg_mins[g]) & 0xff);
  }
  out->d = Fp32ToFp16(max_scale / 63.f);
  out->dmin = Fp32ToFp16(max_min / 63.f);
  const int nmax = s.nmax;
  for (int g = 0; g < 8; ++g) {
    const float d = Fp16ToFp32(out->d) * out->scale[g];
    if (d == 0.0f) continue;  // keep the levels of the group fit
    const float dm = Fp16ToFp32(out->dmin) * out->min[g];
    for (int l = 0; l < 32; ++l) {
      const int v = NearestInt((x[32 * g + l] + dm) / d);
      out->q[32 * g + l] = static_cast<uint8_t>(std::clamp(v, 0, nmax));
    }
  }
}

// Levels q[i] in [0, 2 * nmax) (stored with +nmax bias) for x ~ scale * (q - nmax);
// ggml's make_qx_quants with squared-value weights and no importance matrix.
float FitSymmetricGroup(const float* x, int n, int nmax, int8_t* q) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::memset(q, 0, n);
    return 0.0f;
  }
  // Sums for the levels at one inverse scale; writes them to q when asked.
  auto fit = [&](float iscale, float* sumlx, float* suml2, bool store) {
    *sumlx = *suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
      if (store) q[i] = static_cast<int8_t>(l + nmax);
      const float w = x[i] * x[i];
      *sumlx += w * x[i] * l;
      *suml2 += w * l * l;
    }
  };
  float sumlx, suml2;
  fit(-nmax / max, &sumlx, &suml2, true);
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    const float iscale = -(nmax + 0.1f * step) / max;
    fit(iscale, &sumlx, &suml2, false);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      fit(iscale, &sumlx, &suml2, true);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

}  // namespace

void QuantizeQ4_K(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_K*>(dst);
  AffineSuperBlock s;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    QuantizeAffineSuperBlock(src + b * kQkK, kQ4KSearch, &s);
    BlockQ4_K& y = blocks[b];
    y.d = s.d;
    y.dmin = s.dmin;
    PackScaleMin6(s.scale, s.min, y.scales);
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        y.qs[chunk * 32 + l] =
            static_cast<uint8_t>(s.q[chunk * 64 + l] | (s.q[chunk * 64 + 32 + l] << 4));
      }
    }
  }
}

void QuantizeQ5_K(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ5_K*>(dst);
  AffineSuperBlock s;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    QuantizeAffineSuperBlock(src + b * kQkK, kQ5KSearch, &s);
    BlockQ5_K& y = blocks[b];
    y.d = s.d;
    y.dmin = s.dmin;
    PackScaleMin6(s.scale, s.min, y.scales);
    std::memset(y.qh, 0, sizeof y.qh);
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        const int lo = s.q[chunk * 64 + l], hi = s.q[chunk * 64 + 32 + l];
        y.qs[chunk * 32 + l] = static_cast<uint8_t>((lo & 0x0f) | ((hi & 0x0f) << 4));
        y.qh[l] |=
            static_cast<uint8_t>(((lo >> 4) << (2 * chunk)) | ((hi >> 4) << (2 * chunk + 1)));
      }
    }
  }
}

namespace {

// One Q6_K super-block: levels 0..63 (bias 32) and int8 group scales.
bool QuantizeQ6_KLevels(const float* x, BlockQ6_K* y, int8_t* q) {
  float scales[16];
  float max_scale = 0, max_abs_scale = 0;
  for (int g = 0; g < 16; ++g) {
    scales[g] = FitSymmetricGroup(x + 16 * g, 16, 32, q + 16 * g);
    const float abs_scale = std::fabs(scales[g]);
    if (abs_scale > max_abs_scale) {
      max_abs_scale = abs_scale;
      max_scale = scales[g];
    }
  }
  if (max_abs_scale < kGroupMaxEps) return false;
  const float iscale = -128.f / max_scale;
  y->d = Fp32ToFp16(1 / iscale);
  for (int g = 0; g < 16; ++g) {
    y->scales[g] = static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[g])));
  }
  for (int g = 0; g < 16; ++g) {
    const float d = Fp16ToFp32(y->d) * y->scales[g];
    if (d == 0.0f) continue;  // keep the levels of the group fit
    for (int l = 0; l < 16; ++l) {
      q[16 * g + l] = static_cast<int8_t>(std::clamp(NearestInt(x[16 * g + l] / d), -32, 31) + 32);
    }
  }
  return true;
}

}  // namespace

void QuantizeQ6_K(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ6_K*>(dst);
  int8_t q[kQkK];
  for (int64_t b = 0; b < n / kQkK; ++b) {
    BlockQ6_K& y = blocks[b];
    if (!QuantizeQ6_KLevels(src + b * kQkK, &y, q)) {
      std::memset(&y, 0, sizeof y);  // an all-zero super-block
      continue;
    }
    // Element e = 128 * chunk + 32 * quarter + l: low nibble in ql, top two bits in qh.
    for (int chunk = 0; chunk < 2; ++chunk) {
      const int8_t* qc = q + 128 * chunk;
      uint8_t* ql = y.ql + 64 * chunk;
      uint8_t* qh = y.qh + 32 * chunk;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((qc[l] & 0x0f) | ((qc[l + 64] & 0x0f) << 4));
        ql[l + 32] = static_cast<uint8_t>((qc[l + 32] & 0x0f) | ((qc[l + 96] & 0x0f) << 4));
        qh[l] = static_cast<uint8_t>((qc[l] >> 4) | ((qc[l + 32] >> 4) << 2) |
                                     ((qc[l + 64] >> 4) << 4) | ((qc[l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace hearth::kernels::scalar
