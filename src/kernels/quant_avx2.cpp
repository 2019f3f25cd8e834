// AVX2 + FMA + F16C kernels. Compiled with -mavx2 -mfma -mf16c: only reached
// through Avx2TypeKernels after IsaAvailable(Isa::kAvx2).
#include "kernels/kernel_registry.h"

namespace hearth::kernels::internal {

// SIMD entries are added type by type; until then the scalar reference.
TypeKernels Avx2TypeKernels(TensorType type) { return ScalarTypeKernels(type); }

}  // namespace hearth::kernels::internal
