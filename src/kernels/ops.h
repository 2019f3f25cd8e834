// Elementwise and attention operations of a transformer forward pass.
//
// Numerics follow ggml's CPU backend (what llama.cpp computes with flash
// attention off) so that Hearth's logits match llama.cpp's:
//  - RMSNorm sums squares in double, then scales in f32.
//  - RoPE angles come from theta_i = pos * base^(-2i/n_dims), built by repeated
//    f32 multiplication as ggml does, with cos/sin in f32.
//  - GELU uses the tanh approximation evaluated on the fp16-rounded input and
//    rounded to fp16 (ggml's lookup table).
//  - Attention reads an fp16 KV cache: q is rounded to fp16, q.k is accumulated
//    in f32, softmax is f32 (sum in double), the weights are rounded to fp16
//    and dotted with fp16 V. Dot products accumulate in 8 f32 lanes with FMA
//    then reduce pairwise, as ggml's AVX2 F16 GEMM does.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"

namespace hearth::ops {

// IEEE 754 binary16 <-> binary32, round to nearest even (as F16C does).
uint16_t FloatToHalf(float value);
float HalfToFloat(uint16_t value);
void FloatToHalfRow(const float* src, uint16_t* dst, int64_t n);

// y = x / sqrt(mean(x^2) + eps) * w for each of `rows` rows of n floats.
// w: [n] or nullptr (no weight). x and y may alias.
void RmsNorm(const float* x, const float* w, float* y, int64_t rows, int64_t n, float eps);

// y[i] = a[i] + b[i]; y may alias a or b.
void Add(const float* a, const float* b, float* y, int64_t n);
// y[i] = a[i] + bias[i % n_bias] over rows: adds a [n_bias] vector to every row.
void AddRowBias(float* x, const float* bias, int64_t rows, int64_t n_bias);
// x[i] *= s.
void Scale(float* x, int64_t n, float s);

// The operations above and the gated activations over many rows, split among
// `pool`'s threads by whole rows (or, for Add, contiguous ranges), so each row
// is computed exactly as the single-threaded call computes it. Inputs too
// small to pay for a dispatch run on the caller.
void RmsNorm(const float* x, const float* w, float* y, int64_t rows, int64_t n, float eps,
             ThreadPool& pool);
void Add(const float* a, const float* b, float* y, int64_t n, ThreadPool& pool);
void AddRowBias(float* x, const float* bias, int64_t rows, int64_t n_bias, ThreadPool& pool);
void Scale(float* x, int64_t n, float s, ThreadPool& pool);
// Row r: y[r*n ..] = act(gate[r*n ..]) * up[r*n ..] (SwiGlu or GeGlu of each row).
void SwiGluRows(const float* gate, const float* up, float* y, int64_t rows, int64_t n,
                ThreadPool& pool);
void GeGluRows(const float* gate, const float* up, float* y, int64_t rows, int64_t n,
               ThreadPool& pool);

// dst[c * dst_stride + r] = FloatToHalf(src[r * src_stride + c]) for r < n_rows,
// c < n_cols: rows of f32 stored transposed as fp16 (the V cache's layout).
void TransposeToHalf(const float* src, int64_t n_rows, int64_t n_cols, int64_t src_stride,
                     uint16_t* dst, int64_t dst_stride);

struct RopeParams {
  int32_t n_dims = 0;  // rotated dimensions per head (<= head_dim); the rest pass through
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;              // positions are multiplied by this (linear scaling)
  bool neox = false;                    // false: rotate pairs (2i, 2i+1); true: (i, i + n_dims/2)
  const float* freq_factors = nullptr;  // [n_dims/2] divisors of theta, or nullptr
};

// Rotates x: [n_tokens, n_head, head_dim] in place; token t has position pos[t].
void Rope(float* x, int64_t n_tokens, int32_t n_head, int32_t head_dim, const int32_t* pos,
          const RopeParams& params);

// The cos and sin of every rotated pair at each token's position: what Rope
// computes on every call, built once per forward pass so that its layers
// (which all rotate at the same positions) share it.
struct RopeTable {
  int32_t n_pairs = 0;     // n_dims / 2
  std::vector<float> cos;  // [n_tokens, n_pairs]
  std::vector<float> sin;  // [n_tokens, n_pairs]
};
void BuildRopeTable(const int32_t* pos, int64_t n_tokens, const RopeParams& params,
                    RopeTable& table);
// Rope with a table built for the same positions and params (bit for bit Rope's result).
void ApplyRope(float* x, int64_t n_tokens, int32_t n_head, int32_t head_dim, const RopeTable& table,
               bool neox);

// ApplyRope split among `pool`'s threads by tokens (bit for bit ApplyRope).
void ApplyRope(float* x, int64_t n_tokens, int32_t n_head, int32_t head_dim, const RopeTable& table,
               bool neox, ThreadPool& pool);

// Numerically stable softmax of x[0..n) in place (ExpGgml, SumInGroupsOf8).
void Softmax(float* x, int64_t n);

// exp(x) as ggml's AVX2 code computes it (a polynomial within ~1.5 ulp of
// expf, but not always equal to it): llama.cpp's softmax and SiLU use it, and
// one ulp can flip an fp16 or Q8 rounding downstream.
float ExpGgml(float x);
// Sum of x[begin..end) as ggml's softmax accumulates it (begin a multiple of 8).
double SumInGroupsOf8(const float* x, int64_t begin, int64_t end);

// SiLU(x) = x / (1 + exp(-x)) with ExpGgml.
float Silu(float x);
// ggml's tanh-approximated GELU through its fp16 table.
float Gelu(float x);
// y[i] = act(gate[i]) * up[i]; y may alias gate or up.
void SwiGlu(const float* gate, const float* up, float* y, int64_t n);
void GeGlu(const float* gate, const float* up, float* y, int64_t n);

// sum_i a[i] * b[i] for fp16 vectors in f32, in one of ggml's two orders:
// DotF16 as its F16 GEMM (llamafile tinyBLAS: one 8-lane FMA accumulator),
// used by llama.cpp for batches of >= 2 tokens; DotF16Gemv as ggml_vec_dot_f16
// (four 8-lane accumulators over steps of 32, the rest added in double), used
// for a single token.
float DotF16(const uint16_t* a, const uint16_t* b, int64_t n);
float DotF16Gemv(const uint16_t* a, const uint16_t* b, int64_t n);

struct AttentionShape {
  int32_t n_head = 0;
  int32_t n_head_kv = 0;  // divides n_head; query head h reads kv head h / (n_head / n_head_kv)
  int32_t head_dim = 0;
};

struct AttentionParams {
  float scale = 1.0f;    // multiplies q.k (after the softcap)
  float softcap = 0.0f;  // > 0: s = softcap * tanh(s / softcap) before scaling
  int32_t window = 0;    // > 0: key at p0 is visible from p1 only if p1 - p0 < window
};

// Causal attention of n_tokens queries at positions pos0 .. pos0+n_tokens-1
// over keys/values at positions 0 .. pos0+n_tokens-1.
//  q:   [n_tokens, n_head, head_dim] f32
//  k:   [>= pos0+n_tokens, n_head_kv, head_dim] fp16 (position-major)
//  v:   [n_head_kv, head_dim, v_stride] fp16 (transposed: positions innermost),
//       v_stride a multiple of 32 and >= pos0+n_tokens rounded up to 32; entries
//       past the filled positions must be finite (they are multiplied by 0).
// One token uses DotF16Gemv, more use DotF16, as llama.cpp does.
//  out: [n_tokens, n_head, head_dim] f32
// Work is split over (token, head) pairs on `pool`.
void Attention(const float* q, int64_t n_tokens, int32_t pos0, const uint16_t* k, const uint16_t* v,
               int64_t v_stride, const AttentionShape& shape, const AttentionParams& params,
               float* out, ThreadPool& pool);

// One sequence's part of AttentionBatch: Attention's arguments.
struct AttentionSequence {
  const float* q = nullptr;  // [n_tokens, n_head, head_dim]
  int64_t n_tokens = 0;
  int32_t pos0 = 0;
  const uint16_t* k = nullptr;  // this sequence's cache, laid out as for Attention
  const uint16_t* v = nullptr;
  int64_t v_stride = 0;
  float* out = nullptr;  // [n_tokens, n_head, head_dim]
};

// Attention of several sequences, each over its own cache and each exactly as
// Attention would compute it alone (so one-token sequences take the GEMV path
// whatever else is in the batch), in ONE parallel operation over all their
// (token, head) pairs: a decode step of many sequences pays one dispatch.
void AttentionBatch(std::span<const AttentionSequence> sequences, const AttentionShape& shape,
                    const AttentionParams& params, ThreadPool& pool);

namespace internal {
// The portable and AVX2 versions of DotF16 (the latter needs AVX2+FMA+F16C).
float DotF16Scalar(const uint16_t* a, const uint16_t* b, int64_t n);
float DotF16Avx2(const uint16_t* a, const uint16_t* b, int64_t n);
void SwiGluScalar(const float* gate, const float* up, float* y, int64_t n);
void SwiGluAvx2(const float* gate, const float* up, float* y, int64_t n);
float DotF16GemvScalar(const uint16_t* a, const uint16_t* b, int64_t n);
float DotF16GemvAvx2(const uint16_t* a, const uint16_t* b, int64_t n);
// out[j] = DotF16(rows + j * stride, x, n) for j < n_rows (bit for bit): the
// attention scores of many keys, or the outputs of many value rows.
void DotF16RowsScalar(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x,
                      int64_t n, float* out);
void DotF16RowsAvx2(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x,
                    int64_t n, float* out);
// out[j] = DotF16Gemv(rows + j * stride, x, n) for j < n_rows (bit for bit): the
// scores of many keys, or the outputs of many value rows, of a one-token query.
void DotF16GemvRowsScalar(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x,
                          int64_t n, float* out);
void DotF16GemvRowsAvx2(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x,
                        int64_t n, float* out);
// c[j][i] = DotF16(a + i * lda, b[j] rounded to fp16, n) bit for bit, for
// i < n_a, j < n_b: b[j] holds fp16 values in f32 and n is a multiple of 8.
// Each fp16 value of `a` is converted once per tile of up to 3 rows of b.
// The scores of many keys against many queries, or the outputs of many value
// rows for many queries (attention of a batch of tokens).
void DotF16TileAvx2(const uint16_t* a, int64_t lda, int64_t n_a, const float* const* b, int64_t n_b,
                    int64_t n, float* const* c);
// DotF16TileAvx2's results bit for bit, two of its accumulators per 512-bit register.
void DotF16TileAvx512(const uint16_t* a, int64_t lda, int64_t n_a, const float* const* b,
                      int64_t n_b, int64_t n, float* const* c);
// dst[i] = HalfToFloat(FloatToHalf(x[i] * scale)): ScaledToHalfRow read back in f32.
void ScaledToHalfToFloatRowAvx2(const float* x, float scale, float* dst, int64_t n);
// One query's softmax weights over n scores (n a multiple of 8) of which
// [first, last] are visible: bit for bit AttendOne's ScaleRowAndMax,
// ExpShiftedRow (0 outside [first, last]), SumInGroupsOf8 and
// ScaledToHalfRow, with the weights read back in f32 into probs[0..n).
// x is overwritten.
void SoftmaxGroupsAvx2(float* x, int64_t n, int64_t first, int64_t last, float scale, float* probs);
// SoftmaxGroupsAvx2's results bit for bit, the exponentials 16 lanes at a time.
void SoftmaxGroupsAvx512(float* x, int64_t n, int64_t first, int64_t last, float scale,
                         float* probs);
// AttentionBatch one (token, head) pair at a time (the order of llama.cpp's
// computation, and the path of CPUs without AVX2): the reference the tiled
// path must equal bit for bit.
void AttentionBatchByPairs(std::span<const AttentionSequence> sequences,
                           const AttentionShape& shape, const AttentionParams& params,
                           ThreadPool& pool);
// TransposeToHalf (the AVX2 one converts and transposes 8x8 blocks).
void TransposeToHalfScalar(const float* src, int64_t n_rows, int64_t n_cols, int64_t src_stride,
                           uint16_t* dst, int64_t dst_stride);
void TransposeToHalfAvx2(const float* src, int64_t n_rows, int64_t n_cols, int64_t src_stride,
                         uint16_t* dst, int64_t dst_stride);
void GeGluScalar(const float* gate, const float* up, float* y, int64_t n);
void GeGluAvx2(const float* gate, const float* up, float* y, int64_t n);
// ggml's GELU table: the fp16 GELU of every fp16 value (Gelu between -10 and 10).
const uint16_t* GeluHalfTable();
// sums[r] = sum over i of x[r * n + i]^2 for 8 rows: each square rounded to
// f32, added in double in element order (RmsNorm's sum, ggml's order).
void SumSquares8RowsAvx2(const float* x, int64_t n, double* sums);
// y[i] = (x[i] * scale) * w[i] (w may be nullptr: y[i] = x[i] * scale), two
// f32 roundings as RmsNorm's scalar passes. y may alias x.
void ScaleRowAvx2(const float* x, const float* w, float* y, int64_t n, float scale);
// ApplyRope of tokens [t_begin, t_end) only.
void ApplyRopeTokens(float* x, int64_t t_begin, int64_t t_end, int32_t n_head, int32_t head_dim,
                     const RopeTable& table, bool neox);
// ApplyRope's rotation of one head's n_pairs pairs (i, i + n_pairs if neox,
// else 2i, 2i + 1) by the angles whose cos/sin are given.
void RotateHeadScalar(float* v, const float* cos, const float* sin, int32_t n_pairs, bool neox);
void RotateHeadAvx2(float* v, const float* cos, const float* sin, int32_t n_pairs, bool neox);
// x[i] *= scale, and returns the largest x[i] (-inf if n == 0; NaNs are skipped).
float ScaleRowAndMaxScalar(float* x, int64_t n, float scale);
float ScaleRowAndMaxAvx2(float* x, int64_t n, float scale);
// x[i] = ExpGgml(x[i] - shift): the softmax numerators of attention.
void ExpShiftedRowScalar(float* x, int64_t n, float shift);
void ExpShiftedRowAvx2(float* x, int64_t n, float shift);
// dst[i] = FloatToHalf(x[i] * scale) (F16C rounds to nearest even, as FloatToHalf).
void ScaledToHalfRowScalar(const float* x, float scale, uint16_t* dst, int64_t n);
void ScaledToHalfRowAvx2(const float* x, float scale, uint16_t* dst, int64_t n);
void FloatToHalfRowScalar(const float* src, uint16_t* dst, int64_t n);
void FloatToHalfRowAvx2(const float* src, uint16_t* dst, int64_t n);
// The part of DotF16Gemv past the last whole step of 32: added in double.
float DotF16GemvTail(float sum, const uint16_t* a, const uint16_t* b, int64_t n);
// RotateHeadScalar's rotation of the pairs first .. n_pairs - 1 only (the AVX2 tail).
void RotatePairs(float* v, const float* cos, const float* sin, int32_t first, int32_t n_pairs,
                 bool neox);
// sum + a[i] * b[i] for i < n, each product rounded to f32 before adding.
float DotF16Tail(float sum, const uint16_t* a, const uint16_t* b, int64_t n);
}  // namespace internal

}  // namespace hearth::ops
