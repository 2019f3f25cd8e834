// Numeric kernels on GGUF tensor types: dequantization, activation
// quantization and quantized dot products, with a scalar reference and SIMD
// variants chosen once at run time from the CPU's features.
//
// Numerics follow ggml's CPU backend so results match llama.cpp: activations
// are quantized to the weight type's "activation type" (ggml's vec_dot_type:
// Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, F16 for
// F16, BF16 for BF16, F32 for F32) and then dotted block by block.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/tensor_type.h"

namespace hearth::kernels {

enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
std::string_view IsaName(Isa isa);

// Whether this CPU (and this build) can run `isa`.
bool IsaAvailable(Isa isa);
// The best ISA this CPU has (AVX-512 with VNNI, else AVX2, else scalar); HEARTH_ISA=
// scalar|avx2|avx512 in the environment caps it (see BestIsa in dispatch.cpp).
Isa BestIsa();

// Types usable as weights by DequantizeRow / VecDot / MatMul.
bool IsWeightTypeSupported(TensorType type);

// ggml's vec_dot_type for weights of `weight_type`.
TensorType ActivationTypeFor(TensorType weight_type);

// Function table for one ISA. Every entry exists for every ISA (falling back
// to the scalar reference where there is no faster code).
struct KernelSet {
  Isa isa;
  // dst[0..n) = values of the first n elements at src. n % block_elems == 0.
  void (*dequantize_row)(TensorType type, const void* src, float* dst, int64_t n);
  // Quantizes n floats into `type` (every activation type, and every weight type
  // of Hearth's quantizer). n % block_elems == 0.
  void (*quantize_row)(TensorType type, const float* src, void* dst, int64_t n);
  // sum_i w[i] * a[i] over n elements: w is a row of `weight_type`, a is a row of
  // ActivationTypeFor(weight_type).
  float (*vec_dot)(TensorType weight_type, int64_t n, const void* w, const void* a);
};

const KernelSet& KernelsFor(Isa isa);  // precondition: IsaAvailable(isa)
const KernelSet& BestKernels();

}  // namespace hearth::kernels
