// Test helpers for src/kernels: random but valid rows of every type.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "core/tensor_type.h"
#include "kernels/float16.h"
#include "kernels/kernels.h"

namespace hearth::kernels::testing {

inline const std::vector<TensorType>& WeightTypes() {
  static const std::vector<TensorType> types = {
      TensorType::kF32,  TensorType::kF16,  TensorType::kBF16, TensorType::kQ8_0, TensorType::kQ4_0,
      TensorType::kQ4_1, TensorType::kQ5_0, TensorType::kQ5_1, TensorType::kQ2_K, TensorType::kQ3_K,
      TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};
  return types;
}

// The K-quants with a packed layout and a tiled GEMM (256-value super-blocks, Q8_K activations).
inline bool IsKQuant(TensorType type) {
  return type == TensorType::kQ4_K || type == TensorType::kQ5_K || type == TensorType::kQ6_K;
}

inline const std::vector<TensorType>& ActivationTypes() {
  static const std::vector<TensorType> types = {TensorType::kQ8_0, TensorType::kQ8_1,
                                                TensorType::kQ8_K, TensorType::kF16,
                                                TensorType::kBF16, TensorType::kF32};
  return types;
}

// Byte offsets of the fp16 scale fields inside one block of `type`.
inline std::vector<int> Fp16FieldOffsets(TensorType type) {
  switch (type) {
    case TensorType::kQ4_0:
    case TensorType::kQ5_0:
    case TensorType::kQ8_0:
      return {0};
    case TensorType::kQ4_1:
    case TensorType::kQ5_1:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
      return {0, 2};
    case TensorType::kQ2_K:
      return {80, 82};
    case TensorType::kQ3_K:
      return {108};
    case TensorType::kQ6_K:
      return {208};
    default:
      return {};
  }
}

inline std::vector<float> RandomFloats(int64_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

// A row of n values of `type` with random payload bits and finite scales of
// random sign and magnitude in [2^-10, 2^-4].
inline std::vector<uint8_t> RandomRow(TensorType type, int64_t n, std::mt19937& rng) {
  const auto& traits = TraitsOf(type);
  const int64_t n_blocks = n / traits.block_elems;
  std::vector<uint8_t> row(static_cast<size_t>(n_blocks) * traits.block_bytes);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> exponent(-10.0f, -4.0f);
  if (type == TensorType::kF32 || type == TensorType::kF16 || type == TensorType::kBF16) {
    const std::vector<float> values = RandomFloats(n, rng);
    for (int64_t i = 0; i < n; ++i) {
      if (type == TensorType::kF32) {
        std::memcpy(&row[i * 4], &values[i], 4);
      } else {
        const uint16_t h = type == TensorType::kF16 ? Fp32ToFp16(values[i]) : Fp32ToBf16(values[i]);
        std::memcpy(&row[i * 2], &h, 2);
      }
    }
    return row;
  }
  for (auto& b : row) b = static_cast<uint8_t>(byte(rng));
  for (int64_t b = 0; b < n_blocks; ++b) {
    for (int offset : Fp16FieldOffsets(type)) {
      const float sign = byte(rng) < 128 ? -1.0f : 1.0f;
      const uint16_t h = Fp32ToFp16(sign * std::exp2(exponent(rng)));
      std::memcpy(&row[b * traits.block_bytes + offset], &h, 2);
    }
  }
  return row;
}

inline std::vector<uint8_t> QuantizedRow(const KernelSet& kernels, TensorType type,
                                         const std::vector<float>& values) {
  const int64_t n = static_cast<int64_t>(values.size());
  std::vector<uint8_t> row(*RowBytes(type, static_cast<uint64_t>(n)));
  kernels.quantize_row(type, values.data(), row.data(), n);
  return row;
}

inline std::vector<float> Dequantized(const KernelSet& kernels, TensorType type,
                                      const std::vector<uint8_t>& row, int64_t n) {
  std::vector<float> values(static_cast<size_t>(n));
  kernels.dequantize_row(type, row.data(), values.data(), n);
  return values;
}

// Q4_1/Q5_1 dot products use Q8_1's s = fp16(d * sum q) for the weights'
// offsets m, while a dequantized reference uses fp16(d) * sum q: the two differ
// by up to 2^-10 relative (two fp16 roundings). Returns that slack,
// sum_b |m_b * s_b| * 2^-10, to add to a test's tolerance (0 for other types).
inline double OffsetSlack(TensorType weight_type, const std::vector<uint8_t>& w,
                          const std::vector<uint8_t>& a) {
  if (weight_type != TensorType::kQ4_1 && weight_type != TensorType::kQ5_1) return 0.0;
  const uint32_t w_bytes = TraitsOf(weight_type).block_bytes;
  const uint32_t a_bytes = TraitsOf(TensorType::kQ8_1).block_bytes;
  double slack = 0.0;
  for (size_t b = 0; b < w.size() / w_bytes; ++b) {
    uint16_t m, s;  // both at byte 2 of their blocks
    std::memcpy(&m, &w[b * w_bytes + 2], 2);
    std::memcpy(&s, &a[b * a_bytes + 2], 2);
    slack += std::fabs(static_cast<double>(Fp16ToFp32(m)) * Fp16ToFp32(s)) * std::ldexp(1.0, -10);
  }
  return slack;
}

}  // namespace hearth::kernels::testing
