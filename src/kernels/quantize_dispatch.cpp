// QuantizeWeights: picks the weight quantizer for a type. Q8_0 differs from
// the activation quantizer behind KernelSet::quantize_row (ggml rounds
// weights half away from zero and activations to even).
#include "kernels/quant_scalar.h"
#include "kernels/quantize_weights.h"

namespace hearth::kernels {
namespace {

using WeightQuantizer = void (*)(const float* src, void* dst, int64_t n);

WeightQuantizer QuantizerFor(TensorType type) {
  switch (type) {
    case TensorType::kF32:
      return scalar::QuantizeF32;
    case TensorType::kF16:
      return scalar::QuantizeF16;
    case TensorType::kBF16:
      return scalar::QuantizeBf16;
    case TensorType::kQ4_0:
      return scalar::QuantizeQ4_0;
    case TensorType::kQ4_1:
      return scalar::QuantizeQ4_1;
    case TensorType::kQ5_0:
      return scalar::QuantizeQ5_0;
    case TensorType::kQ5_1:
      return scalar::QuantizeQ5_1;
    case TensorType::kQ8_0:
      return scalar::QuantizeQ8_0Weights;
    case TensorType::kQ2_K:
      return scalar::QuantizeQ2_K;
    case TensorType::kQ3_K:
      return scalar::QuantizeQ3_K;
    case TensorType::kQ4_K:
      return scalar::QuantizeQ4_K;
    case TensorType::kQ5_K:
      return scalar::QuantizeQ5_K;
    case TensorType::kQ6_K:
      return scalar::QuantizeQ6_K;
    default:
      return nullptr;
  }
}

}  // namespace

bool CanQuantizeWeights(TensorType type) { return QuantizerFor(type) != nullptr; }

void QuantizeWeights(TensorType type, const float* src, void* dst, int64_t n) {
  QuantizerFor(type)(src, dst, n);
}

}  // namespace hearth::kernels
