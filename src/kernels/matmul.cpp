#include "kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "kernels/kernel_registry.h"

namespace hearth::kernels {
namespace {

// Rows of W handled together: their bytes stay in L1 while every token's
// activations stream past them.
constexpr int64_t kRowTile = 16;

// Quantized activations, reused across calls made from the same thread so
// decoding a token allocates nothing.
thread_local std::vector<uint8_t> activation_scratch;

}  // namespace

void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            const KernelSet& kernels) {
  const int64_t n_in = w.row_elems();
  const int64_t n_out = w.rows();
  const TensorType act_type = ActivationTypeFor(w.type);
  // Resolve the per-type entries once per call, not per row.
  const internal::TypeKernels weight_kernels = internal::TypeKernelsFor(kernels.isa, w.type);
  const internal::TypeKernels act_kernels = internal::TypeKernelsFor(kernels.isa, act_type);
  const internal::VecDotFn vec_dot = weight_kernels.vec_dot;
  const uint64_t act_row_bytes = RowBytes(act_type, static_cast<uint64_t>(n_in)).value_or(0);

  // [n_tokens, n_in] activations in act_type.
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  if (act_type != TensorType::kF32) {
    activation_scratch.resize(static_cast<size_t>(n_tokens) * act_row_bytes);
    uint8_t* scratch = activation_scratch.data();
    const auto quantize = act_kernels.quantize;
    auto quantize_tokens = [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        quantize(x + t * n_in, scratch + static_cast<uint64_t>(t) * act_row_bytes, n_in);
      }
    };
    if (n_tokens > 1) {
      pool.ParallelFor(n_tokens, quantize_tokens);
    } else {
      quantize_tokens(0, n_tokens);
    }
    act = scratch;
  }

  const uint64_t w_row_bytes = w.row_bytes();
  const auto* w_data = static_cast<const uint8_t*>(w.data);
  const internal::TileDotFn tile_dot =
      internal::TileDotFor(kernels.isa, w.type, internal::kTileTokens);
  // y: [n_tokens, n_out]
  pool.ParallelFor(n_out, [&](int64_t begin, int64_t end) {
    const auto dot = [&](int64_t r, int64_t t) {
      y[t * n_out + r] = vec_dot(n_in, w_data + static_cast<uint64_t>(r) * w_row_bytes,
                                 act + static_cast<uint64_t>(t) * act_row_bytes);
    };
    for (int64_t tile = begin; tile < end; tile += kRowTile) {
      const int64_t tile_end = std::min(end, tile + kRowTile);
      int64_t t = 0;
      if (tile_dot != nullptr) {
        // Register tiles of kTileRows x kTileTokens; the ragged edges by vec_dot.
        for (; t + internal::kTileTokens <= n_tokens; t += internal::kTileTokens) {
          int64_t r = tile;
          for (; r + internal::kTileRows <= tile_end; r += internal::kTileRows) {
            tile_dot(n_in, w_data + static_cast<uint64_t>(r) * w_row_bytes, w_row_bytes,
                     act + static_cast<uint64_t>(t) * act_row_bytes, act_row_bytes,
                     y + t * n_out + r, n_out);
          }
          for (; r < tile_end; ++r) {
            for (int64_t u = t; u < t + internal::kTileTokens; ++u) dot(r, u);
          }
        }
      }
      for (; t < n_tokens; ++t) {
        for (int64_t r = tile; r < tile_end; ++r) dot(r, t);
      }
    }
  });
}

void GetRow(const TensorView& table, int64_t row, float* dst, const KernelSet& kernels) {
  kernels.dequantize_row(table.type, table.row(row), dst, table.row_elems());
}

}  // namespace hearth::kernels
