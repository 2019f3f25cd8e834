// Internal to src/kernels: the AVX2 GEMVs (one token, the generation step) on packed row
// groups (packed_gemv_avx2.cpp), the `gemv` entries of PackedTypeKernels.
//
// Contract (kernel_registry.h): for its one token a GEMV computes every output with the f32
// operations of the packed GEMM of the type, in the same order (per block or super-block, as
// documented at the top of packed_legacy_avx2.cpp / packed_kquant_avx2.cpp), so an output is
// bit-identical to the GEMM's for that token in any batch. Only the integer block dot
// products, which are exact, are computed differently (several row groups per pass, the
// activation broadcasts shared between them).
#pragma once

#include "core/tensor_type.h"
#include "kernels/kernel_registry.h"

namespace hearth::kernels::internal {

// The AVX2 GEMV of a packed `type` (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K), or null.
PackedGemmFn Avx2PackedGemv(TensorType type);

}  // namespace hearth::kernels::internal
