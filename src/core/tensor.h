// TensorView: a read-only view of a weight tensor, usually into the mmapped GGUF.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/tensor_type.h"

namespace hearth {

// Dimensions follow ggml: ne[0] is the innermost (contiguous) dimension, so a
// weight matrix for y = W x with W of shape [n_out, n_in] has ne = {n_in, n_out}.
struct TensorView {
  std::string_view name;
  TensorType type = TensorType::kF32;
  int n_dims = 0;
  std::array<int64_t, 4> ne = {1, 1, 1, 1};
  const void* data = nullptr;
  uint64_t nbytes = 0;

  int64_t row_elems() const { return ne[0]; }
  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
  int64_t elems() const { return ne[0] * rows(); }
  uint64_t row_bytes() const { return nbytes / static_cast<uint64_t>(rows()); }
  const uint8_t* row(int64_t i) const {
    return static_cast<const uint8_t*>(data) + static_cast<uint64_t>(i) * row_bytes();
  }
};

}  // namespace hearth
