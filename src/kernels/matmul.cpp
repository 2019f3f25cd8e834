#include "kernels/matmul.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/float16.h"
#include "kernels/kernel_registry.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels {
namespace {

// Rows of W handled together by the vec_dot path: their bytes stay in L1
// while every token's activations stream past them.
constexpr int64_t kRowTile = 16;

// Quantized activations, reused across calls made from the same thread so
// decoding a token allocates nothing.
thread_local std::vector<uint8_t> activation_scratch;

// The block-major copy of the activations for the GEMM (see GemmActivations).
struct GemmScratch {
  std::vector<int8_t> qs;
  std::vector<float> d;
  std::vector<float> s;
};
thread_local GemmScratch gemm_scratch;

// Copies token t's quantized row (Q8_0 or Q8_1 blocks) into the block-major layout.
void ToBlockMajor(TensorType act_type, const uint8_t* row, int64_t t, int64_t n_tokens,
                  int64_t n_blocks, GemmScratch& out) {
  for (int64_t b = 0; b < n_blocks; ++b) {
    const int64_t i = b * n_tokens + t;
    const int8_t* qs;
    if (act_type == TensorType::kQ8_1) {
      const auto& block = reinterpret_cast<const BlockQ8_1*>(row)[b];
      qs = block.qs;
      out.d[i] = Fp16ToFp32(block.d);
      out.s[i] = Fp16ToFp32(block.s);
    } else {
      const auto& block = reinterpret_cast<const BlockQ8_0*>(row)[b];
      qs = block.qs;
      out.d[i] = Fp16ToFp32(block.d);
      out.s[i] = 0.0f;  // only Q4_1 (with Q8_1 activations) has a minimum
    }
    std::memcpy(out.qs.data() + i * kQk, qs, kQk);
  }
}

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
  const internal::GemmFn gemm = n_in % kQk == 0 ? internal::GemmFor(kernels.isa, w.type) : nullptr;
  // Prompt batches of K-quants: a GEMM that unpacks each weight block once for
  // several tokens (one token gains nothing over vec_dot).
  const internal::GemmFn k_gemm =
      n_tokens > 1 && n_in % kQkK == 0 ? internal::KQuantGemmFor(kernels.isa, w.type) : nullptr;
  const int64_t n_blocks = n_in / kQk;
  GemmScratch& blocked = gemm_scratch;
  if (gemm != nullptr) {
    blocked.qs.resize(static_cast<size_t>(n_tokens * n_blocks * kQk));
    blocked.d.resize(static_cast<size_t>(n_tokens * n_blocks));
    blocked.s.resize(static_cast<size_t>(n_tokens * n_blocks));
  }

  // [n_tokens, n_in] activations in act_type.
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  if (act_type != TensorType::kF32) {
    activation_scratch.resize(static_cast<size_t>(n_tokens) * act_row_bytes);
    uint8_t* scratch = activation_scratch.data();
    const auto quantize = act_kernels.quantize;
    auto quantize_tokens = [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        uint8_t* row = scratch + static_cast<uint64_t>(t) * act_row_bytes;
        quantize(x + t * n_in, row, n_in);
        if (gemm != nullptr) ToBlockMajor(act_type, row, t, n_tokens, n_blocks, blocked);
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
  if (gemm != nullptr) {
    internal::GemmActivations acts;
    acts.n_tokens = n_tokens;
    acts.n_blocks = n_blocks;
    acts.qs = blocked.qs.data();
    acts.d = blocked.d.data();
    acts.s = blocked.s.data();
    // y: [n_tokens, n_out]; each thread takes a contiguous range of rows.
    pool.ParallelFor(n_out, [&](int64_t begin, int64_t end) {
      internal::GemmArgs args;
      args.n_blocks = n_blocks;
      args.w = w_data + static_cast<uint64_t>(begin) * w_row_bytes;
      args.w_stride = w_row_bytes;
      args.n_rows = end - begin;
      args.n_tokens = n_tokens;
      args.act = &acts;
      args.y = y + begin;
      args.y_stride = n_out;
      gemm(args);
    });
    return;
  }
  if (k_gemm != nullptr) {
    pool.ParallelFor(n_out, [&](int64_t begin, int64_t end) {
      internal::GemmArgs args;
      args.n_blocks = n_in / kQkK;
      args.w = w_data + static_cast<uint64_t>(begin) * w_row_bytes;
      args.w_stride = w_row_bytes;
      args.n_rows = end - begin;
      args.n_tokens = n_tokens;
      args.act_rows = act;
      args.act_row_bytes = act_row_bytes;
      args.y = y + begin;
      args.y_stride = n_out;
      k_gemm(args);
    });
    return;
  }
  // y: [n_tokens, n_out]
  pool.ParallelFor(n_out, [&](int64_t begin, int64_t end) {
    for (int64_t tile = begin; tile < end; tile += kRowTile) {
      const int64_t tile_end = std::min(end, tile + kRowTile);
      for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t r = tile; r < tile_end; ++r) {
          y[t * n_out + r] = vec_dot(n_in, w_data + static_cast<uint64_t>(r) * w_row_bytes,
                                     act + static_cast<uint64_t>(t) * act_row_bytes);
        }
      }
    }
  });
}

void GetRow(const TensorView& table, int64_t row, float* dst, const KernelSet& kernels) {
  kernels.dequantize_row(table.type, table.row(row), dst, table.row_elems());
}

}  // namespace hearth::kernels
