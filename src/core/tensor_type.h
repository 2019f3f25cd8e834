// Tensor element types as GGUF numbers them (ggml's `enum ggml_type`), with the
// block layout of each: `block_elems` values are stored in `block_bytes` bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hearth {

enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct TensorTypeTraits {
  TensorType type;
  std::string_view name;  // "Q4_K", as llama.cpp prints it
  uint32_t block_elems;   // values per block (1 for plain types)
  uint32_t block_bytes;   // bytes per block
};

// Traits for a raw GGUF type number; nullopt for numbers Hearth does not know
// (including ggml types Hearth cannot compute with, such as the IQ* family).
std::optional<TensorTypeTraits> LookupTensorType(uint32_t raw_type);

// Precondition: `type` is a TensorType enumerator.
const TensorTypeTraits& TraitsOf(TensorType type);

inline std::string_view TensorTypeName(TensorType type) { return TraitsOf(type).name; }

// Bytes for one row of `elems` values; nullopt if `elems` is not a whole number
// of blocks. Callers check products of rows with core/checked_math.h.
std::optional<uint64_t> RowBytes(TensorType type, uint64_t elems);

}  // namespace hearth
