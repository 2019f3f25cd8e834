#include "kernels/ops.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/kernels.h"

namespace hearth::ops {
namespace {

float HalfToFloatSlow(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) {  // inf / nan
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  if (exponent == 0) {  // zero / subnormal: mantissa * 2^-24
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

const std::array<float, 65536>& HalfTable() {
  static const auto* table = [] {
    auto* t = new std::array<float, 65536>();
    for (uint32_t i = 0; i < 65536; ++i) (*t)[i] = HalfToFloatSlow(static_cast<uint16_t>(i));
    return t;
  }();
  return *table;
}

// ggml's GELU constants and formula (tanh approximation), evaluated in f32
// with the one FMA that llama.cpp's build contracts (1 + a*x*x).
float GeluTanhF32(float x) {
  constexpr float kCoefA = 0.044715f;
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * std::fma(kCoefA * x, x, 1.0f)));
}

// GELU of every fp16 value, rounded to fp16: ggml evaluates GELU through this table.
const std::array<uint16_t, 65536>& GeluTable() {
  static const auto* table = [] {
    auto* t = new std::array<uint16_t, 65536>();
    for (uint32_t i = 0; i < 65536; ++i) {
      (*t)[i] = FloatToHalf(GeluTanhF32(HalfToFloat(static_cast<uint16_t>(i))));
    }
    return t;
  }();
  return *table;
}

using DotF16Fn = float (*)(const uint16_t*, const uint16_t*, int64_t);

// The kernels' ISA choice (which honours HEARTH_ISA) also picks these paths.
DotF16Fn PickDotF16() {
  return kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::DotF16Avx2 : internal::DotF16Scalar;
}

}  // namespace

uint16_t FloatToHalf(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {  // inf stays inf; nan stays a (quiet) nan
    return sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u : 0u);
  }
  if (magnitude >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to inf
  if (magnitude < 0x38800000u) {
    // Below 2^-14 the result is subnormal: adding 0.5 puts the half's unit
    // (2^-24) at the float's last mantissa bit, so the FPU rounds (to nearest even).
    const float shifted = std::bit_cast<float>(magnitude) + 0.5f;
    return sign | static_cast<uint16_t>(std::bit_cast<uint32_t>(shifted) - 0x3f000000u);
  }
  // Rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even.
  const uint32_t odd = (magnitude >> 13) & 1u;
  magnitude += 0xc8000fffu + odd;
  return sign | static_cast<uint16_t>(magnitude >> 13);
}

float HalfToFloat(uint16_t value) { return HalfTable()[value]; }

void FloatToHalfRow(const float* src, uint16_t* dst, int64_t n) {
  static const auto fn = kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::FloatToHalfRowAvx2
                                                                   : internal::FloatToHalfRowScalar;
  fn(src, dst, n);
}

namespace {

// sum_i x[i]^2 for `kRows` rows at once: each row's squares (rounded to f32)
// are added in double one after another, as ggml does, but the rows' addition
// chains are independent, so the CPU overlaps them instead of waiting out one
// long dependent chain per row.
template <int kRows>
void SumSquares(const float* x, int64_t n, double* sums) {
  double acc[kRows] = {};
  for (int64_t i = 0; i < n; ++i) {
    for (int r = 0; r < kRows; ++r) {
      const float v = x[r * n + i];
      acc[r] += static_cast<double>(v * v);
    }
  }
  for (int r = 0; r < kRows; ++r) sums[r] = acc[r];
}

void ScaleRow(const float* x, const float* w, float* y, int64_t n, double sum, float eps) {
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  static const bool avx2 = kernels::BestIsa() >= kernels::Isa::kAvx2;
  if (avx2) {
    internal::ScaleRowAvx2(x, w, y, n, scale);
    return;
  }
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale;
  if (w != nullptr) {
    for (int64_t i = 0; i < n; ++i) y[i] *= w[i];
  }
}

}  // namespace

void RmsNorm(const float* x, const float* w, float* y, int64_t rows, int64_t n, float eps) {
  static const bool avx2 = kernels::BestIsa() >= kernels::Isa::kAvx2;
  constexpr int kGroup = 4;
  double sums[8];
  int64_t r = 0;
  if (avx2) {
    for (; r + 8 <= rows; r += 8) {
      internal::SumSquares8RowsAvx2(x + r * n, n, sums);
      for (int k = 0; k < 8; ++k) ScaleRow(x + (r + k) * n, w, y + (r + k) * n, n, sums[k], eps);
    }
  }
  for (; r + kGroup <= rows; r += kGroup) {
    SumSquares<kGroup>(x + r * n, n, sums);
    for (int k = 0; k < kGroup; ++k) ScaleRow(x + (r + k) * n, w, y + (r + k) * n, n, sums[k], eps);
  }
  for (; r < rows; ++r) {
    SumSquares<1>(x + r * n, n, sums);
    ScaleRow(x + r * n, w, y + r * n, n, sums[0], eps);
  }
}

void Add(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void AddRowBias(float* x, const float* bias, int64_t rows, int64_t n_bias) {
  for (int64_t r = 0; r < rows; ++r) Add(x + r * n_bias, bias, x + r * n_bias, n_bias);
}

void Scale(float* x, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

void BuildRopeTable(const int32_t* pos, int64_t n_tokens, const RopeParams& params,
                    RopeTable& table) {
  const int32_t half = params.n_dims / 2;
  const float theta_scale = std::pow(params.freq_base, -2.0f / static_cast<float>(params.n_dims));
  table.n_pairs = half;
  table.cos.resize(static_cast<size_t>(n_tokens) * half);
  table.sin.resize(static_cast<size_t>(n_tokens) * half);
  for (int64_t t = 0; t < n_tokens; ++t) {
    float* cos_row = table.cos.data() + t * half;
    float* sin_row = table.sin.data() + t * half;
    // theta_i = pos * theta_scale^i, by repeated f32 multiplication (as ggml builds it).
    float theta = static_cast<float>(pos[t]);
    for (int32_t i = 0; i < half; ++i) {
      const float factor = params.freq_factors ? params.freq_factors[i] : 1.0f;
      const float angle = params.freq_scale * (theta / factor);
      cos_row[i] = std::cos(angle);
      sin_row[i] = std::sin(angle);
      theta *= theta_scale;
    }
  }
}

void ApplyRope(float* x, int64_t n_tokens, int32_t n_head, int32_t head_dim, const RopeTable& table,
               bool neox) {
  internal::ApplyRopeTokens(x, 0, n_tokens, n_head, head_dim, table, neox);
}

void internal::ApplyRopeTokens(float* x, int64_t t_begin, int64_t t_end, int32_t n_head,
                               int32_t head_dim, const RopeTable& table, bool neox) {
  static const auto rotate = kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::RotateHeadAvx2
                                                                       : internal::RotateHeadScalar;
  const int32_t half = table.n_pairs;
  for (int64_t t = t_begin; t < t_end; ++t) {
    const float* cos_row = table.cos.data() + t * half;
    const float* sin_row = table.sin.data() + t * half;
    for (int32_t h = 0; h < n_head; ++h) {
      rotate(x + (t * n_head + h) * static_cast<int64_t>(head_dim), cos_row, sin_row, half, neox);
    }
  }
}

void Rope(float* x, int64_t n_tokens, int32_t n_head, int32_t head_dim, const int32_t* pos,
          const RopeParams& params) {
  RopeTable table;
  BuildRopeTable(pos, n_tokens, params, table);
  ApplyRope(x, n_tokens, n_head, head_dim, table, params.neox);
}

double SumInGroupsOf8(const float* x, int64_t begin, int64_t end) {
  // ggml adds each group of 8 exponentials pairwise in f32 (as an 8-lane
  // register), then accumulates the group sums in double; a partial last
  // group is added one value at a time.
  double sum = 0.0;
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    const float* v = x + i;
    sum += static_cast<double>(((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7])));
  }
  for (; i < end; ++i) sum += static_cast<double>(x[i]);
  return sum;
}

void Softmax(float* x, int64_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  for (int64_t i = 0; i < n; ++i) x[i] = ExpGgml(x[i] - max);
  const float inv = static_cast<float>(1.0 / SumInGroupsOf8(x, 0, n));
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float ExpGgml(float x) {
  // Range reduction: x = n ln2 + b with n an integer (rounded through the 1.5*2^23 trick).
  const float shifter = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, shifter);
  const float n = z - shifter;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const uint32_t e = std::bit_cast<uint32_t>(z) << 23;
  const float k = std::bit_cast<float>(e + std::bit_cast<uint32_t>(1.0f));  // 2^n
  // exp(b) - 1 by a degree-5 polynomial, evaluated in ggml's order.
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                    std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, 0x1.ffffecp-1f * b);
  if (!(std::fabs(n) > 126.0f)) return std::fma(j, k, k);
  // 2^n does not fit one float: scale in two steps (or saturate to 0 / inf).
  const uint32_t g = n <= 0.0f ? 0x82000000u : 0u;
  const float s1 = std::bit_cast<float>(g + 0x7f000000u);
  const float s2 = std::bit_cast<float>(e - g);
  if (std::fabs(n) > 192.0f) return s1 * s1;
  return std::fma(s2, j, s2) * s1;
}

float Silu(float x) { return x / (1.0f + ExpGgml(0.0f - x)); }

float Gelu(float x) {
  // ggml short-cuts the tails, where GELU is 0 or the identity in f16.
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  return HalfToFloat(GeluTable()[FloatToHalf(x)]);
}

void SwiGlu(const float* gate, const float* up, float* y, int64_t n) {
  static const auto fn =
      kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::SwiGluAvx2 : internal::SwiGluScalar;
  fn(gate, up, y, n);
}

namespace internal {

void DotF16RowsScalar(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x,
                      int64_t n, float* out) {
  for (int64_t j = 0; j < n_rows; ++j) out[j] = DotF16Scalar(rows + j * stride, x, n);
}

void DotF16GemvRowsScalar(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x,
                          int64_t n, float* out) {
  for (int64_t j = 0; j < n_rows; ++j) out[j] = DotF16GemvScalar(rows + j * stride, x, n);
}

void RotateHeadScalar(float* v, const float* cos, const float* sin, int32_t n_pairs, bool neox) {
  RotatePairs(v, cos, sin, 0, n_pairs, neox);
}

void RotatePairs(float* v, const float* cos, const float* sin, int32_t first, int32_t n_pairs,
                 bool neox) {
  for (int32_t i = first; i < n_pairs; ++i) {
    const int32_t i0 = neox ? i : 2 * i;
    const int32_t i1 = neox ? i + n_pairs : 2 * i + 1;
    const float x0 = v[i0];
    const float x1 = v[i1];
    // llama.cpp's build (-march=native, contraction on) fuses these into
    // FMAs exactly so; the plain expressions differ in the last bit.
    v[i0] = std::fma(x0, cos[i], -(x1 * sin[i]));
    v[i1] = std::fma(x0, sin[i], x1 * cos[i]);
  }
}

float ScaleRowAndMaxScalar(float* x, int64_t n, float scale) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    x[i] *= scale;
    max = std::max(max, x[i]);
  }
  return max;
}

void ExpShiftedRowScalar(float* x, int64_t n, float shift) {
  for (int64_t i = 0; i < n; ++i) x[i] = ExpGgml(x[i] - shift);
}

void FloatToHalfRowScalar(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = FloatToHalf(src[i]);
}

void ScaledToHalfRowScalar(const float* x, float scale, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = FloatToHalf(x[i] * scale);
}

void SwiGluScalar(const float* gate, const float* up, float* y, int64_t n) {
  // ggml runs whole groups of 8 through its vector exp and the rest through libm.
  const int64_t vector_end = n - n % 8;
  for (int64_t i = 0; i < vector_end; ++i) y[i] = Silu(gate[i]) * up[i];
  for (int64_t i = vector_end; i < n; ++i) {
    y[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
  }
}

}  // namespace internal

void GeGlu(const float* gate, const float* up, float* y, int64_t n) {
  static const auto fn =
      kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::GeGluAvx2 : internal::GeGluScalar;
  fn(gate, up, y, n);
}

namespace internal {

void GeGluScalar(const float* gate, const float* up, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = Gelu(gate[i]) * up[i];
}

const uint16_t* GeluHalfTable() { return GeluTable().data(); }

}  // namespace internal

namespace internal {

float DotF16Scalar(const uint16_t* a, const uint16_t* b, int64_t n) {
  const auto& half = HalfTable();
  float lanes[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) lanes[l] = std::fma(half[a[i + l]], half[b[i + l]], lanes[l]);
  }
  // The pairwise reduction of an 8-lane register: (0+4, 1+5, 2+6, 3+7), then
  // (0+2, 1+3), then 0+1.
  const float sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) +
                    ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
  return DotF16Tail(sum, a + i, b + i, n - i);
}

float DotF16GemvScalar(const uint16_t* a, const uint16_t* b, int64_t n) {
  const auto& half = HalfTable();
  float acc[4][8] = {};
  const int64_t steps_end = n & ~int64_t{31};
  for (int64_t i = 0; i < steps_end; i += 32) {
    for (int r = 0; r < 4; ++r) {
      for (int l = 0; l < 8; ++l) {
        const int64_t k = i + 8 * r + l;
        acc[r][l] = std::fma(half[a[k]], half[b[k]], acc[r][l]);
      }
    }
  }
  // Registers 0+2 and 1+3, then 0+1; then the 8 lanes: (l, l+4) pairs, then
  // two horizontal adds: ((0+4)+(1+5)) + ((2+6)+(3+7)).
  float lanes[8];
  for (int l = 0; l < 8; ++l) lanes[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  float t[4];
  for (int l = 0; l < 4; ++l) t[l] = lanes[l] + lanes[l + 4];
  const float sum = (t[0] + t[1]) + (t[2] + t[3]);
  return DotF16GemvTail(sum, a + steps_end, b + steps_end, n - steps_end);
}

float DotF16GemvTail(float sum, const uint16_t* a, const uint16_t* b, int64_t n) {
  const auto& half = HalfTable();
  double total = sum;
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(half[a[i]] * half[b[i]]);
  return static_cast<float>(total);
}

float DotF16Tail(float sum, const uint16_t* a, const uint16_t* b, int64_t n) {
  const auto& half = HalfTable();
  for (int64_t i = 0; i < n; ++i) sum += half[a[i]] * half[b[i]];
  return sum;
}

}  // namespace internal

float DotF16(const uint16_t* a, const uint16_t* b, int64_t n) {
  static const DotF16Fn fn = PickDotF16();
  return fn(a, b, n);
}

float DotF16Gemv(const uint16_t* a, const uint16_t* b, int64_t n) {
  static const DotF16Fn fn = kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::DotF16GemvAvx2
                                                                       : internal::DotF16GemvScalar;
  return fn(a, b, n);
}

}  // namespace hearth::ops
