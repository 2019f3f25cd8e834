// Attention over the fp16 KV cache (ops.h: Attention, AttentionBatch).
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/ops.h"

namespace hearth::ops {
namespace {

// Per-thread buffers, grown to the longest context seen and then reused: an
// operation allocates nothing (and zero-fills nothing: AttendOne writes every
// entry it reads).
struct AttentionScratch {
  std::vector<uint16_t> q;      // [head_dim] the query in fp16
  std::vector<float> scores;    // [v_stride]
  std::vector<uint16_t> probs;  // [v_stride] softmax weights in fp16, 0 where masked
};

AttentionScratch& ThreadScratch(int32_t head_dim, int64_t v_stride) {
  thread_local AttentionScratch scratch;
  if (scratch.q.size() < static_cast<size_t>(head_dim)) scratch.q.resize(head_dim);
  if (scratch.scores.size() < static_cast<size_t>(v_stride)) {
    scratch.scores.resize(v_stride);
    scratch.probs.resize(v_stride);
  }
  return scratch;
}

void DotF16Rows(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x, int64_t n,
                float* out) {
  static const auto fn = kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::DotF16RowsAvx2
                                                                   : internal::DotF16RowsScalar;
  fn(rows, stride, n_rows, x, n, out);
}

void DotF16GemvRows(const uint16_t* rows, int64_t stride, int64_t n_rows, const uint16_t* x,
                    int64_t n, float* out) {
  static const auto fn = kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::DotF16GemvRowsAvx2
                                                                   : internal::DotF16GemvRowsScalar;
  fn(rows, stride, n_rows, x, n, out);
}

float ScaleRowAndMax(float* x, int64_t n, float scale) {
  static const auto fn = kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::ScaleRowAndMaxAvx2
                                                                   : internal::ScaleRowAndMaxScalar;
  return fn(x, n, scale);
}

void ExpShiftedRow(float* x, int64_t n, float shift) {
  static const auto fn = kernels::BestIsa() >= kernels::Isa::kAvx2 ? internal::ExpShiftedRowAvx2
                                                                   : internal::ExpShiftedRowScalar;
  fn(x, n, shift);
}

void ScaledToHalfRow(const float* x, float scale, uint16_t* dst, int64_t n) {
  static const auto fn = kernels::BestIsa() >= kernels::Isa::kAvx2
                             ? internal::ScaledToHalfRowAvx2
                             : internal::ScaledToHalfRowScalar;
  fn(x, scale, dst, n);
}

// One query head of one token.
void AttendOne(const float* q, int32_t p1, const uint16_t* k, const uint16_t* v, int64_t v_stride,
               int32_t kv_head, const AttentionShape& shape, const AttentionParams& params,
               bool gemv, AttentionScratch& s, float* out) {
  // Many dot products with one vector, in llama.cpp's order for this batch size.
  const auto dot_rows = gemv ? DotF16GemvRows : DotF16Rows;
  const int32_t d = shape.head_dim;
  const int32_t lo = params.window > 0 ? std::max(0, p1 - params.window + 1) : 0;
  ScaledToHalfRow(q, 1.0f, s.q.data(), d);
  // Raw scores q.k of the visible keys, then softcap and scale.
  const int64_t kv_stride = static_cast<int64_t>(shape.n_head_kv) * d;
  const uint16_t* k_lo =
      k + static_cast<int64_t>(lo) * kv_stride + static_cast<int64_t>(kv_head) * d;
  dot_rows(k_lo, kv_stride, p1 - lo + 1, s.q.data(), d, s.scores.data() + lo);
  if (params.softcap > 0.0f) {
    for (int32_t j = lo; j <= p1; ++j) {
      s.scores[j] = params.softcap * std::tanh(s.scores[j] * (1.0f / params.softcap));
    }
  }
  const float max = ScaleRowAndMax(s.scores.data() + lo, p1 - lo + 1, params.scale);
  // Keep 8-aligned absolute positions so each position lands in the same
  // lane as in llama.cpp's computation over the whole cache; masked
  // positions weigh exactly 0.
  // (groups of 8 for the softmax and the GEMM, of 32 for the GEMV).
  const int64_t align = gemv ? 32 : 8;
  const int64_t begin = lo & ~(align - 1);
  const int64_t end = (static_cast<int64_t>(p1) + align) & ~(align - 1);
  std::fill(s.scores.begin() + begin, s.scores.begin() + lo, 0.0f);
  std::fill(s.scores.begin() + p1 + 1, s.scores.begin() + end, 0.0f);
  ExpShiftedRow(s.scores.data() + lo, p1 - lo + 1, max);
  const float inv = static_cast<float>(1.0 / SumInGroupsOf8(s.scores.data(), begin, end));
  ScaledToHalfRow(s.scores.data() + begin, inv, s.probs.data() + begin, end - begin);
  const uint16_t* vh = v + static_cast<int64_t>(kv_head) * d * v_stride;
  dot_rows(vh + begin, v_stride, d, s.probs.data() + begin, end - begin, out);
}

// The (token, head) pairs of a batch of sequences, numbered sequence by
// sequence: pair `item` of sequence s is token item / n_head, head item % n_head.
class PairIndex {
 public:
  PairIndex(std::span<const AttentionSequence> sequences, int32_t n_head) {
    first_.reserve(sequences.size() + 1);
    int64_t total = 0;
    for (const AttentionSequence& seq : sequences) {
      first_.push_back(total);
      total += seq.n_tokens * n_head;
    }
    first_.push_back(total);
  }
  int64_t size() const { return first_.back(); }
  // The sequence holding pair `item` (a short linear scan: batches are small).
  size_t SequenceOf(int64_t item, size_t hint) const {
    while (item >= first_[hint + 1]) ++hint;
    return hint;
  }
  int64_t First(size_t seq) const { return first_[seq]; }

 private:
  std::vector<int64_t> first_;  // [n_sequences + 1] first pair of each sequence
};

}  // namespace

void AttentionBatch(std::span<const AttentionSequence> sequences, const AttentionShape& shape,
                    const AttentionParams& params, ThreadPool& pool) {
  const int32_t group = shape.n_head / shape.n_head_kv;
  const PairIndex pairs(sequences, shape.n_head);
  pool.ParallelFor(pairs.size(), [&](int64_t begin, int64_t end) {
    size_t s = pairs.SequenceOf(begin, 0);
    for (int64_t item = begin; item < end; ++item) {
      s = pairs.SequenceOf(item, s);
      const AttentionSequence& seq = sequences[s];
      AttentionScratch& scratch = ThreadScratch(shape.head_dim, seq.v_stride);
      const int64_t pair = item - pairs.First(s);
      const int64_t t = pair / shape.n_head;
      const int32_t h = static_cast<int32_t>(pair % shape.n_head);
      const int64_t offset = (t * shape.n_head + h) * shape.head_dim;
      AttendOne(seq.q + offset, seq.pos0 + static_cast<int32_t>(t), seq.k, seq.v, seq.v_stride,
                h / group, shape, params, /*gemv=*/seq.n_tokens == 1, scratch, seq.out + offset);
    }
  });
}

void Attention(const float* q, int64_t n_tokens, int32_t pos0, const uint16_t* k, const uint16_t* v,
               int64_t v_stride, const AttentionShape& shape, const AttentionParams& params,
               float* out, ThreadPool& pool) {
  const AttentionSequence seq{q, n_tokens, pos0, k, v, v_stride, out};
  AttentionBatch(std::span<const AttentionSequence>(&seq, 1), shape, params, pool);
}

}  // namespace hearth::ops
