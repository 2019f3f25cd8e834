// Packed layouts and AVX2 kernels for the K-quants (Q4_K, Q5_K, Q6_K): see kernels/packed.h.
// Placeholder until the packk branch lands: no K-quant type is packed yet.
#include "kernels/kernel_registry.h"

namespace hearth::kernels::internal {

PackedTypeKernels Avx2PackedKQuant(TensorType) { return {}; }

}  // namespace hearth::kernels::internal
