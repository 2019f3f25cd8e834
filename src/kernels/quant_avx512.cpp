// AVX-512 (F/BW/VL/DQ/VNNI) kernels; only reached through Avx512TypeKernels
// after IsaAvailable(Isa::kAvx512).
#include "kernels/kernel_registry.h"

namespace hearth::kernels::internal {

// Types without AVX-512 code use the AVX2 entries (every AVX-512 CPU has AVX2).
TypeKernels Avx512TypeKernels(TensorType type) { return Avx2TypeKernels(type); }

}  // namespace hearth::kernels::internal
