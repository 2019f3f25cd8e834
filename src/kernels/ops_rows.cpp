// Row-parallel forms of the elementwise ops (ops.h), and TransposeToHalf.
#include <algorithm>

#include "kernels/kernels.h"
#include "kernels/ops.h"

namespace hearth::ops {
namespace {

// Below this many floats an operation runs on the caller: a dispatch costs a
// few microseconds, about what the whole op costs at this size.
constexpr int64_t kMinParallelElements = 16 * 1024;

// fn(first_row, n_rows) over [0, rows), in parallel when the rows hold enough work.
template <typename Fn>
void ForRows(int64_t rows, int64_t row_size, ThreadPool& pool, const Fn& fn) {
  if (pool.size() == 1 || rows < 2 || rows * row_size < kMinParallelElements) {
    fn(int64_t{0}, rows);
    return;
  }
  pool.ParallelFor(rows, [&](int64_t begin, int64_t end) { fn(begin, end - begin); });
}

}  // namespace

void RmsNorm(const float* x, const float* w, float* y, int64_t rows, int64_t n, float eps,
             ThreadPool& pool) {
  ForRows(rows, n, pool,
          [&](int64_t r, int64_t count) { RmsNorm(x + r * n, w, y + r * n, count, n, eps); });
}

void Add(const float* a, const float* b, float* y, int64_t n, ThreadPool& pool) {
  // Ranges of whole 1024-float blocks (each element is independent).
  constexpr int64_t kBlock = 1024;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  ForRows(blocks, kBlock, pool, [&](int64_t first, int64_t count) {
    const int64_t begin = first * kBlock;
    const int64_t end = std::min(n, (first + count) * kBlock);
    Add(a + begin, b + begin, y + begin, end - begin);
  });
}

void AddRowBias(float* x, const float* bias, int64_t rows, int64_t n_bias, ThreadPool& pool) {
  ForRows(rows, n_bias, pool, [&](int64_t first, int64_t count) {
    AddRowBias(x + first * n_bias, bias, count, n_bias);
  });
}

void Scale(float* x, int64_t n, float s, ThreadPool& pool) {
  constexpr int64_t kBlock = 1024;
  ForRows((n + kBlock - 1) / kBlock, kBlock, pool, [&](int64_t first, int64_t count) {
    const int64_t begin = first * kBlock;
    Scale(x + begin, std::min(n, (first + count) * kBlock) - begin, s);
  });
}

void ApplyRope(float* x, int64_t n_tokens, int32_t n_head, int32_t head_dim, const RopeTable& table,
               bool neox, ThreadPool& pool) {
  ForRows(n_tokens, static_cast<int64_t>(n_head) * head_dim, pool,
          [&](int64_t first, int64_t count) {
            internal::ApplyRopeTokens(x, first, first + count, n_head, head_dim, table, neox);
          });
}

void SwiGluRows(const float* gate, const float* up, float* y, int64_t rows, int64_t n,
                ThreadPool& pool) {
  // Row by row: ggml's vector/tail split of SiLU depends on the position in the row.
  ForRows(rows, n, pool, [&](int64_t first, int64_t count) {
    for (int64_t r = first; r < first + count; ++r) SwiGlu(gate + r * n, up + r * n, y + r * n, n);
  });
}

void GeGluRows(const float* gate, const float* up, float* y, int64_t rows, int64_t n,
               ThreadPool& pool) {
  ForRows(rows, n, pool, [&](int64_t first, int64_t count) {
    GeGlu(gate + first * n, up + first * n, y + first * n, count * n);
  });
}

void TransposeToHalf(const float* src, int64_t n_rows, int64_t n_cols, int64_t src_stride,
                     uint16_t* dst, int64_t dst_stride) {
  static const auto fn = kernels::BestIsa() >= kernels::Isa::kAvx2
                             ? internal::TransposeToHalfAvx2
                             : internal::TransposeToHalfScalar;
  fn(src, n_rows, n_cols, src_stride, dst, dst_stride);
}

namespace internal {

void TransposeToHalfScalar(const float* src, int64_t n_rows, int64_t n_cols, int64_t src_stride,
                           uint16_t* dst, int64_t dst_stride) {
  for (int64_t r = 0; r < n_rows; ++r) {
    for (int64_t c = 0; c < n_cols; ++c)
      dst[c * dst_stride + r] = FloatToHalf(src[r * src_stride + c]);
  }
}

}  // namespace internal
}  // namespace hearth::ops
