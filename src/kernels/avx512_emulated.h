// Test binary only (target hearth_avx512_emulated in CMakeLists.txt): the
// AVX-512 kernels of *_avx512.cpp compiled a second time with SIMDe's portable
// implementation of the AVX-512 intrinsics (simd_avx512.h), so they run, and are
// tested, on CPUs with AVX2 but without AVX-512. Never linked into libhearth.
#pragma once

#include "core/tensor_type.h"
#include "kernels/kernel_registry.h"
#include "kernels/kernel_set_from_table.h"

namespace hearth::kernels::internal {

// Avx512TypeKernels' table, with the AVX-512 entries emulated. Precondition:
// IsaAvailable(Isa::kAvx2) (the emulation and the reused AVX2 entries are AVX2 code).
TypeKernels EmulatedAvx512TypeKernels(TensorType type);

// Avx512PackedGemv, emulated (packed_gemv_avx512.cpp).
PackedGemmFn EmulatedAvx512PackedGemv(TensorType type);

// The emulated set; its isa field says kAvx512, so it must not be passed to
// MatMul (which resolves its kernels by isa); call its entries directly.
inline constexpr KernelSet kEmulatedAvx512Set =
    KernelSetFrom<Isa::kAvx512, EmulatedAvx512TypeKernels>();

}  // namespace hearth::kernels::internal

namespace hearth::ops::internal {

// DotF16TileAvx512, emulated (attention_tile_avx512.cpp).
void EmulatedDotF16TileAvx512(const uint16_t* a, int64_t lda, int64_t n_a, const float* const* b,
                              int64_t n_b, int64_t n, float* const* c);
// SoftmaxGroupsAvx512, emulated (attention_tile_avx512.cpp).
void EmulatedSoftmaxGroupsAvx512(float* x, int64_t n, int64_t first, int64_t last, float scale,
                                 float* probs);

}  // namespace hearth::ops::internal
