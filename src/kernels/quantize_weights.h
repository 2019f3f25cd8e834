// Weight quantization for `hearth quantize`: converts rows of floats into a
// GGUF tensor type the way llama-quantize does without an importance matrix.
//
// For F32/F16/BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K and Q6_K the
// output bytes equal ggml's reference quantizers' (checked against
// llama-quantize goldens in engine/quantize_golden_test.cpp). Q2_K and Q3_K are
// accepted but use a simpler choice of scales.
#pragma once

#include <cstdint>

#include "core/tensor_type.h"

namespace hearth::kernels {

// Whether QuantizeWeights can produce `type`.
bool CanQuantizeWeights(TensorType type);

// Quantizes n floats at `src` into `dst` (RowBytes(type, n) bytes).
// Preconditions: CanQuantizeWeights(type), n is a multiple of the type's block size.
// Deterministic and independent of the ISA; rows can be quantized in any order
// or in parallel.
void QuantizeWeights(TensorType type, const float* src, void* dst, int64_t n);

}  // namespace hearth::kernels
