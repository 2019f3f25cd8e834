// TensorView: a read-only view of a weight tensor, usually into the mmapped GGUF.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/tensor_type.h"

namespace hearth {

// Dimensions follow ggml: ne[0] is the innermost (contiguous) dimension, so a
// weight matrix for y = W x with W of shape [n_out, n_in] has ne = {n_in, n_out}.
// How a 2-D weight's rows are laid out in memory.
enum class TensorLayout {
  kRowMajor,  // GGUF's layout: row r is row_bytes() bytes at data + r * row_bytes()
  // Repacked at load by kernels::PackWeight into groups of kernels::kPackRows rows whose
  // blocks are interleaved for the register-tiled kernels (kernels/packed.h). The size is
  // the same as row-major, but row(i) is not a row: use kernels::GetRow / MatMul.
  kPacked,
};

struct TensorView {
  std::string_view name;
  TensorType type = TensorType::kF32;
  int n_dims = 0;
  std::array<int64_t, 4> ne = {1, 1, 1, 1};
  const void* data = nullptr;
  uint64_t nbytes = 0;
  TensorLayout layout = TensorLayout::kRowMajor;

  int64_t row_elems() const { return ne[0]; }
  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
  int64_t elems() const { return ne[0] * rows(); }
  uint64_t row_bytes() const { return nbytes / static_cast<uint64_t>(rows()); }
  // Precondition: layout == kRowMajor.
  const uint8_t* row(int64_t i) const {
    return static_cast<const uint8_t*>(data) + static_cast<uint64_t>(i) * row_bytes();
  }
};

}  // namespace hearth
