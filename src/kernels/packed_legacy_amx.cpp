// AMX GEMMs over packed legacy row groups: not written yet.
#include "kernels/kernel_registry.h"

namespace hearth::kernels::internal {

PackedGemmFn AmxPackedLegacyGemm(TensorType /*type*/) { return nullptr; }

}  // namespace hearth::kernels::internal
