// Internal to src/kernels: per-type kernel entries of each ISA, so callers
// that loop (MatMul) resolve the function for a type once per call instead
// of switching on the type for every row.
#pragma once

#include <cstdint>

#include "core/tensor_type.h"
#include "kernels/kernels.h"

namespace hearth::kernels::internal {

using DequantizeFn = void (*)(const void* src, float* dst, int64_t n);
using QuantizeFn = void (*)(const float* src, void* dst, int64_t n);
// sum_i w[i] * a[i]; w of the weight type, a of its activation type.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);

// The entries for one tensor type on one ISA; an entry is null when the ISA
// has no such operation for the type (e.g. vec_dot for Q8_K, which is only an
// activation type).
struct TypeKernels {
  DequantizeFn dequantize = nullptr;
  QuantizeFn quantize = nullptr;
  VecDotFn vec_dot = nullptr;
};

// Scalar reference: the truth every SIMD path is tested against.
TypeKernels ScalarTypeKernels(TensorType type);
// SIMD tables; entries without SIMD code are the scalar ones. Only call these
// functions' entries after IsaAvailable(isa) is true.
TypeKernels Avx2TypeKernels(TensorType type);
TypeKernels Avx512TypeKernels(TensorType type);

// The entries of `isa` (precondition: IsaAvailable(isa)).
TypeKernels TypeKernelsFor(Isa isa, TensorType type);

// A register tile of MatMul: for r < kTileRows, t < n_tokens (kTileTokens or 1),
//   y[t * y_stride + r] = vec_dot(n, w + r * w_stride, a + t * a_stride)
// with the ISA's vec_dot for the type, bit for bit (same float operations in
// the same order); only loads and weight unpacking are shared.
inline constexpr int kTileRows = 4;
inline constexpr int kTileTokens = 2;
using TileDotFn = void (*)(int64_t n, const uint8_t* w, uint64_t w_stride, const uint8_t* a,
                           uint64_t a_stride, float* y, int64_t y_stride);
// The AVX2 tile of kTileRows x n_tokens for `type`, or null when there is none.
TileDotFn Avx2TileDot(TensorType type, int n_tokens);
// The tile of kTileRows x n_tokens (kTileTokens or 1) matching
// TypeKernelsFor(isa, type).vec_dot, or null (then MatMul calls vec_dot).
// MatMul uses only the kTileTokens tile: the 1-token tile (generation) was
// measured ~25% slower than row-by-row vec_dot when the weights stream from
// DRAM (SmolLM2-135M Q4_1, one thread), though faster when they are cached.
TileDotFn TileDotFor(Isa isa, TensorType type, int n_tokens);

}  // namespace hearth::kernels::internal
