// AMX GEMMs over packed K-quant row groups (layouts in packed_kquant.h): not written yet.
#include "kernels/kernel_registry.h"

namespace hearth::kernels::internal {

PackedGemmFn AmxPackedKQuantGemm(TensorType /*type*/) { return nullptr; }

}  // namespace hearth::kernels::internal
