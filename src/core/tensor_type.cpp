#include "core/tensor_type.h"

#include <array>

namespace hearth {
namespace {

constexpr std::array<TensorTypeTraits, 20> kTraits = {{
    {TensorType::kF32, "F32", 1, 4},
    {TensorType::kF16, "F16", 1, 2},
    {TensorType::kQ4_0, "Q4_0", 32, 2 + 16},
    {TensorType::kQ4_1, "Q4_1", 32, 2 + 2 + 16},
    {TensorType::kQ5_0, "Q5_0", 32, 2 + 4 + 16},
    {TensorType::kQ5_1, "Q5_1", 32, 2 + 2 + 4 + 16},
    {TensorType::kQ8_0, "Q8_0", 32, 2 + 32},
    {TensorType::kQ8_1, "Q8_1", 32, 2 + 2 + 32},
    {TensorType::kQ2_K, "Q2_K", 256, 16 + 64 + 2 + 2},
    {TensorType::kQ3_K, "Q3_K", 256, 32 + 64 + 12 + 2},
    {TensorType::kQ4_K, "Q4_K", 256, 2 + 2 + 12 + 128},
    {TensorType::kQ5_K, "Q5_K", 256, 2 + 2 + 12 + 32 + 128},
    {TensorType::kQ6_K, "Q6_K", 256, 128 + 64 + 16 + 2},
    {TensorType::kQ8_K, "Q8_K", 256, 4 + 256 + 16 * 2},
    {TensorType::kI8, "I8", 1, 1},
    {TensorType::kI16, "I16", 1, 2},
    {TensorType::kI32, "I32", 1, 4},
    {TensorType::kI64, "I64", 1, 8},
    {TensorType::kF64, "F64", 1, 8},
    {TensorType::kBF16, "BF16", 1, 2},
}};

}  // namespace

std::optional<TensorTypeTraits> LookupTensorType(uint32_t raw_type) {
  for (const auto& traits : kTraits) {
    if (static_cast<uint32_t>(traits.type) == raw_type) return traits;
  }
  return std::nullopt;
}

const TensorTypeTraits& TraitsOf(TensorType type) {
  for (const auto& traits : kTraits) {
    if (traits.type == type) return traits;
  }
  return kTraits[0];  // unreachable for valid enumerators
}

std::optional<uint64_t> RowBytes(TensorType type, uint64_t elems) {
  const auto& traits = TraitsOf(type);
  if (elems % traits.block_elems != 0) return std::nullopt;
  return elems / traits.block_elems * traits.block_bytes;
}

}  // namespace hearth
