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

// Tiled attention of a batch of tokens (AVX2): the queries of `tile_tokens`
// consecutive tokens and of all the heads reading one KV head are scored
// against the keys together, then weigh the values together, so every fp16 K
// and V value is read and converted once per 3 queries (the AVX2 kernel's
// register tile) instead of once per query, and the FMA units, not the
// loads and conversions, set the pace. Every
// score and output is computed with DotF16's operations in DotF16's order, and
// the softmax of each query is AttendOne's, so results equal AttendOne's bit
// for bit (AttentionBatchByPairs). Keys past a query's position get scores
// that are then ignored; positions outside a query's 8-aligned range get
// weight exactly 0, and since V is finite and the accumulators start at +0,
// adding v * 0 leaves every accumulator unchanged.
struct TileScratch {
  std::vector<float> q;       // [n_queries, head_dim] queries rounded to fp16
  std::vector<float> scores;  // [n_queries, span] relative to the tile's base position
  std::vector<float> probs;   // [n_queries, span] softmax weights rounded to fp16
  std::vector<const float*> rows;
  std::vector<float*> outs;
};

TileScratch& ThreadTileScratch(int64_t n_queries, int32_t head_dim, int64_t span) {
  thread_local TileScratch s;
  const auto grow = [](auto& v, int64_t n) {
    if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  };
  grow(s.q, n_queries * head_dim);
  grow(s.scores, n_queries * span);
  grow(s.probs, n_queries * span);
  grow(s.rows, n_queries);
  grow(s.outs, n_queries);
  return s;
}

// The work of one tile: tokens [t0, t0 + n_tokens) of a sequence, KV head kv_head.
struct Tile {
  int32_t sequence;
  int32_t kv_head;
  int32_t t0;
  int32_t n_tokens;
};

// The softmax weights of one query at position p1 whose visible keys start at
// lo: row[j - base] holds the raw score of key j on entry (for lo <= j <= p1);
// on return probs[j - base] holds its fp16-rounded weight for every j in
// [p_begin, p_end) (0 outside AttendOne's 8-aligned range [begin, end)).
void TileSoftmax(float* row, int32_t lo, int32_t p1, int64_t base, int64_t p_begin, int64_t p_end,
                 const AttentionParams& params, float* probs) {
  const auto rel = [base](int64_t j) { return j - base; };
  if (params.softcap > 0.0f) {
    for (int32_t j = lo; j <= p1; ++j) {
      row[rel(j)] = params.softcap * std::tanh(row[rel(j)] * (1.0f / params.softcap));
    }
  }
  const int64_t begin = lo & ~int64_t{7};
  const int64_t end = (static_cast<int64_t>(p1) + 8) & ~int64_t{7};
  std::fill(probs + rel(p_begin), probs + rel(begin), 0.0f);
  static const auto softmax = kernels::BestIsa() >= kernels::Isa::kAvx512
                                  ? internal::SoftmaxGroupsAvx512
                                  : internal::SoftmaxGroupsAvx2;  // the same bits
  softmax(row + rel(begin), end - begin, lo - begin, p1 - begin, params.scale, probs + rel(begin));
  std::fill(probs + rel(end), probs + rel(p_end), 0.0f);
}

// The tile kernel of this CPU: DotF16TileAvx512 and DotF16TileAvx2 give the same bits.
void DotF16Tile(const uint16_t* a, int64_t lda, int64_t n_a, const float* const* b, int64_t n_b,
                int64_t n, float* const* c) {
  static const auto fn = kernels::BestIsa() >= kernels::Isa::kAvx512 ? internal::DotF16TileAvx512
                                                                     : internal::DotF16TileAvx2;
  fn(a, lda, n_a, b, n_b, n, c);
}

void AttendTile(const AttentionSequence& seq, const Tile& tile, const AttentionShape& shape,
                const AttentionParams& params) {
  const int32_t group = shape.n_head / shape.n_head_kv;
  const int32_t d = shape.head_dim;
  const int64_t n_queries =
      static_cast<int64_t>(tile.n_tokens) * group;  // query m: token m / group
  const int32_t p_first = seq.pos0 + tile.t0;
  const int32_t p_last = p_first + tile.n_tokens - 1;
  const auto lo_of = [&](int32_t p1) {
    return params.window > 0 ? std::max(0, p1 - params.window + 1) : 0;
  };
  const int32_t lo_first = lo_of(p_first);  // the lowest visible key of the tile
  const int64_t base = lo_first & ~int64_t{31};
  const int64_t p_begin = lo_first & ~int64_t{7};                          // weights span
  const int64_t p_end = (static_cast<int64_t>(p_last) + 8) & ~int64_t{7};  // [p_begin, p_end)
  const int64_t span = p_end - base;
  TileScratch& s = ThreadTileScratch(n_queries, d, span);
  const int64_t kv_stride = static_cast<int64_t>(shape.n_head_kv) * d;
  const auto query_offset = [&](int64_t m) {
    const int64_t t = tile.t0 + m / group;
    const int64_t h = static_cast<int64_t>(tile.kv_head) * group + m % group;
    return (t * shape.n_head + h) * d;
  };
  // Scores of keys lo_first .. p_last for every query.
  for (int64_t m = 0; m < n_queries; ++m) {
    internal::ScaledToHalfToFloatRowAvx2(seq.q + query_offset(m), 1.0f, s.q.data() + m * d, d);
    s.rows[m] = s.q.data() + m * d;
    s.outs[m] = s.scores.data() + m * span + (lo_first - base);
  }
  const uint16_t* k_lo =
      seq.k + static_cast<int64_t>(lo_first) * kv_stride + static_cast<int64_t>(tile.kv_head) * d;
  DotF16Tile(k_lo, kv_stride, p_last - lo_first + 1, s.rows.data(), n_queries, d, s.outs.data());
  // Each query's weights, then the value rows against all of them.
  for (int64_t m = 0; m < n_queries; ++m) {
    const int32_t p1 = p_first + static_cast<int32_t>(m / group);
    float* probs = s.probs.data() + m * span;
    TileSoftmax(s.scores.data() + m * span, lo_of(p1), p1, base, p_begin, p_end, params, probs);
    s.rows[m] = probs + (p_begin - base);
    s.outs[m] = seq.out + query_offset(m);
  }
  const uint16_t* vh = seq.v + static_cast<int64_t>(tile.kv_head) * d * seq.v_stride;
  DotF16Tile(vh + p_begin, seq.v_stride, d, s.rows.data(), n_queries, p_end - p_begin,
             s.outs.data());
}

// Queries per tile: enough to share each converted K/V value among ~12 dot
// products (the AVX2 kernel's 4x3 register tile uses 3 at a time; more tokens
// per tile only add scores past the earlier tokens' positions).
constexpr int32_t kTileQueries = 12;

bool CanTile(const AttentionShape& shape) {
  static const bool avx2 = kernels::BestIsa() >= kernels::Isa::kAvx2;
  return avx2 && shape.head_dim % 8 == 0;
}

// Orders tiles so that every contiguous range of them holds about the same
// work per tile: costliest, cheapest, second costliest, second cheapest...
// The thread pool hands out contiguous chunks, and a causal prompt's late
// tokens cost many times its early ones.
void BalanceTiles(std::span<const AttentionSequence> sequences, const AttentionParams& params,
                  std::vector<Tile>& tiles) {
  const auto cost = [&](const Tile& t) {  // query tokens x visible keys of the last one
    const int64_t p = sequences[t.sequence].pos0 + t.t0 + t.n_tokens - 1;
    const int64_t keys = params.window > 0 ? std::min<int64_t>(p + 1, params.window) : p + 1;
    return static_cast<int64_t>(t.n_tokens) * keys;
  };
  thread_local std::vector<std::pair<int64_t, Tile>> sorted;  // reused: no allocation per call
  sorted.clear();
  for (const Tile& t : tiles) sorted.emplace_back(cost(t), t);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  size_t lo = 0, hi = sorted.size();
  for (size_t i = 0; i < tiles.size(); ++i) {
    tiles[i] = i % 2 == 0 ? sorted[lo++].second : sorted[--hi].second;
  }
}

}  // namespace

namespace internal {
void AttentionBatchByPairs(std::span<const AttentionSequence> sequences,
                           const AttentionShape& shape, const AttentionParams& params,
                           ThreadPool& pool) {
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

}  // namespace internal

void AttentionBatch(std::span<const AttentionSequence> sequences, const AttentionShape& shape,
                    const AttentionParams& params, ThreadPool& pool) {
  bool any_prompt = false;
  for (const AttentionSequence& seq : sequences) any_prompt |= seq.n_tokens > 1;
  if (!any_prompt || !CanTile(shape)) {
    internal::AttentionBatchByPairs(sequences, shape, params, pool);
    return;
  }
  const int32_t group = shape.n_head / shape.n_head_kv;
  const int32_t tile_tokens = std::max(1, kTileQueries / group);
  // Tiles of every sequence. One-token sequences keep the GEMV order
  // (llama.cpp's for one token): their tiles hold one token and are attended
  // pair by pair.
  // The caller's buffer, reused (no allocation per call). A reference, so that
  // the workers' lambda reads the caller's tiles, not their own thread_local.
  thread_local std::vector<Tile> caller_tiles;
  std::vector<Tile>& tiles = caller_tiles;
  tiles.clear();
  for (size_t i = 0; i < sequences.size(); ++i) {
    const int64_t n = sequences[i].n_tokens;
    const int32_t step = n == 1 ? 1 : tile_tokens;
    for (int64_t t0 = 0; t0 < n; t0 += step) {
      for (int32_t kv = 0; kv < shape.n_head_kv; ++kv) {
        tiles.push_back({static_cast<int32_t>(i), kv, static_cast<int32_t>(t0),
                         static_cast<int32_t>(std::min<int64_t>(step, n - t0))});
      }
    }
  }
  BalanceTiles(sequences, params, tiles);
  pool.ParallelFor(static_cast<int64_t>(tiles.size()), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Tile& tile = tiles[i];
      const AttentionSequence& seq = sequences[tile.sequence];
      if (seq.n_tokens > 1) {
        AttendTile(seq, tile, shape, params);
        continue;
      }
      AttentionScratch& scratch = ThreadScratch(shape.head_dim, seq.v_stride);
      for (int32_t g = 0; g < group; ++g) {
        const int32_t h = tile.kv_head * group + g;
        const int64_t offset = static_cast<int64_t>(h) * shape.head_dim;
        AttendOne(seq.q + offset, seq.pos0, seq.k, seq.v, seq.v_stride, tile.kv_head, shape, params,
                  /*gemv=*/true, scratch, seq.out + offset);
      }
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
