#include "kernels/matmul.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "kernels/float16.h"
#include "kernels/kernel_registry.h"
#include "kernels/packed.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels {
namespace {

using internal::kActivationTileTokens;

// Rows of W handled together by the vec_dot path: their bytes stay in L1
// while every token's activations stream past them.
constexpr int64_t kRowTile = 16;

// Quantized activations, reused across calls made from the same thread so
// decoding a token allocates nothing.
thread_local std::vector<uint8_t> activation_scratch;

// Where QuantizeActivations puts the quantized tokens.
enum class ActivationLayout {
  kRows,        // act_type rows only (vec_dot, the GEMVs, the K-quant GEMMs)
  kBlockMajor,  // rows and GemmActivations' block-major copy (the legacy GEMMs)
  kTiled,       // GemmActivations' tile-major copy only (kernels with gemm_reads_tiles)
};

// The block-major or the tile-major copy of the activations for the GEMM (see
// GemmActivations).
struct GemmScratch {
  ActivationLayout layout = ActivationLayout::kRows;
  std::vector<int8_t> qs;
  std::vector<float> d;
  std::vector<float> s;
  std::vector<int32_t> sums;
  std::vector<int8_t> tiled_qs;
  std::vector<float> tiled_d;
  std::vector<float> tiled_s;
};
thread_local GemmScratch gemm_scratch;

// Block b of a quantized row (Q8_0 or Q8_1 blocks): its values and its d (and s, 0 for Q8_0:
// only Q4_1, with Q8_1 activations, has a minimum) as floats.
struct ActivationBlock {
  const int8_t* qs;
  float d, s;
};
ActivationBlock BlockOf(TensorType act_type, const uint8_t* row, int64_t b) {
  if (act_type == TensorType::kQ8_1) {
    const auto& block = reinterpret_cast<const BlockQ8_1*>(row)[b];
    return {block.qs, Fp16ToFp32(block.d), Fp16ToFp32(block.s)};
  }
  const auto& block = reinterpret_cast<const BlockQ8_0*>(row)[b];
  return {block.qs, Fp16ToFp32(block.d), 0.0f};
}

// Copies token t's quantized row into the block-major layout.
void ToBlockMajor(TensorType act_type, const uint8_t* row, int64_t t, int64_t n_tokens,
                  int64_t n_blocks, GemmScratch& out) {
  for (int64_t b = 0; b < n_blocks; ++b) {
    const int64_t i = b * n_tokens + t;
    const ActivationBlock block = BlockOf(act_type, row, b);
    out.d[i] = block.d;
    out.s[i] = block.s;
    std::memcpy(out.qs.data() + i * kQk, block.qs, kQk);
    int32_t sum = 0;
    for (int j = 0; j < kQk; ++j) sum += block.qs[j];
    out.sums[i] = sum;
  }
}

// Copies token t's quantized row into the tile-major layout: block b at slot
// (t / 16 * n_blocks + b) * 16 + t % 16.
void ToTileMajor(TensorType act_type, const uint8_t* row, int64_t t, int64_t n_blocks,
                 GemmScratch& out) {
  const int64_t first_slot =
      t / kActivationTileTokens * n_blocks * kActivationTileTokens + t % kActivationTileTokens;
  for (int64_t b = 0; b < n_blocks; ++b) {
    const int64_t slot = first_slot + b * kActivationTileTokens;
    const ActivationBlock block = BlockOf(act_type, row, b);
    out.tiled_d[static_cast<size_t>(slot)] = block.d;
    out.tiled_s[static_cast<size_t>(slot)] = block.s;
    std::memcpy(out.tiled_qs.data() + slot * kQk, block.qs, kQk);
  }
}

void ResizeBlockMajor(int64_t n_tokens, int64_t n_blocks, GemmScratch& blocked) {
  blocked.qs.resize(static_cast<size_t>(n_tokens * n_blocks * kQk));
  blocked.d.resize(static_cast<size_t>(n_tokens * n_blocks));
  blocked.s.resize(static_cast<size_t>(n_tokens * n_blocks));
  blocked.sums.resize(static_cast<size_t>(n_tokens * n_blocks));
}

// Sizes the tile-major buffers and zeroes their padding tokens (those of the last tile past
// n_tokens): ToTileMajor writes only real tokens.
void ResizeTileMajor(int64_t n_tokens, int64_t n_blocks, GemmScratch& tiled) {
  const int64_t n_tiles = (n_tokens + kActivationTileTokens - 1) / kActivationTileTokens;
  const auto slots = static_cast<size_t>(n_tiles * n_blocks * kActivationTileTokens);
  tiled.tiled_qs.resize(slots * kQk);
  tiled.tiled_d.resize(slots);
  tiled.tiled_s.resize(slots);
  const int64_t last_tile = n_tiles - 1;
  const int64_t real = n_tokens - last_tile * kActivationTileTokens;  // tokens in the last tile
  const int64_t padding = kActivationTileTokens - real;
  if (padding == 0) return;
  for (int64_t b = 0; b < n_blocks; ++b) {
    const int64_t first_pad = (last_tile * n_blocks + b) * kActivationTileTokens + real;
    std::fill_n(tiled.tiled_qs.begin() + first_pad * kQk, padding * kQk, int8_t{0});
    std::fill_n(tiled.tiled_d.begin() + first_pad, padding, 0.0f);
    std::fill_n(tiled.tiled_s.begin() + first_pad, padding, 0.0f);
  }
}

// GemmActivations over gemm_scratch's copy (block-major or tile-major, as last written).
internal::GemmActivations ScratchView(int64_t n_tokens, int64_t n_blocks,
                                      const GemmScratch& scratch) {
  internal::GemmActivations acts;
  acts.n_tokens = n_tokens;
  acts.n_blocks = n_blocks;
  if (scratch.layout == ActivationLayout::kTiled) {
    acts.tiled_qs = scratch.tiled_qs.data();
    acts.tiled_d = scratch.tiled_d.data();
    acts.tiled_s = scratch.tiled_s.data();
  } else {
    acts.qs = scratch.qs.data();
    acts.d = scratch.d.data();
    acts.s = scratch.s.data();
    acts.sums = scratch.sums.data();
  }
  return acts;
}

// Quantizes x ([n_tokens, n_in]) to act_type rows and lays them out as `layout` says: the rows
// in activation_scratch (returned; null for kTiled, whose rows live only in a per-thread
// buffer of one token), the block-major or tile-major copy in gemm_scratch.
const uint8_t* QuantizeActivations(const float* x, int64_t n_tokens, int64_t n_in,
                                   TensorType act_type, internal::QuantizeFn quantize,
                                   uint64_t act_row_bytes, ActivationLayout layout,
                                   ThreadPool& pool) {
  const int64_t n_blocks = n_in / kQk;
  GemmScratch& gemm = gemm_scratch;  // this thread's, captured for the workers
  gemm.layout = layout;
  if (layout == ActivationLayout::kBlockMajor) ResizeBlockMajor(n_tokens, n_blocks, gemm);
  if (layout == ActivationLayout::kTiled) ResizeTileMajor(n_tokens, n_blocks, gemm);
  const bool rows_kept = layout != ActivationLayout::kTiled;
  if (rows_kept) activation_scratch.resize(static_cast<size_t>(n_tokens) * act_row_bytes);
  uint8_t* scratch = rows_kept ? activation_scratch.data() : nullptr;
  auto quantize_tokens = [&](int64_t begin, int64_t end) {
    thread_local std::vector<uint8_t> one_row;  // kTiled: each token's row, while copied
    if (!rows_kept && one_row.size() < act_row_bytes) one_row.resize(act_row_bytes);
    for (int64_t t = begin; t < end; ++t) {
      uint8_t* row =
          rows_kept ? scratch + static_cast<uint64_t>(t) * act_row_bytes : one_row.data();
      quantize(x + t * n_in, row, n_in);
      if (layout == ActivationLayout::kBlockMajor) {
        ToBlockMajor(act_type, row, t, n_tokens, n_blocks, gemm);
      } else if (layout == ActivationLayout::kTiled) {
        ToTileMajor(act_type, row, t, n_blocks, gemm);
      }
    }
  };
  if (n_tokens > 1) {
    pool.ParallelFor(n_tokens, quantize_tokens);
  } else {
    quantize_tokens(0, n_tokens);
  }
  return scratch;
}

// The packed kernel that multiplies w by n_tokens tokens on `isa`, or null when the ISA has
// no packed GEMM for w's type.
internal::PackedGemmFn PackedKernelFor(const TensorView& w, int64_t n_tokens, Isa isa) {
  const internal::PackedTypeKernels packed = internal::PackedKernelsFor(isa, w.type);
  return n_tokens == 1 && packed.gemv != nullptr ? packed.gemv : packed.gemm;
}

bool IsLegacyActivation(TensorType act_type) {
  return act_type == TensorType::kQ8_0 || act_type == TensorType::kQ8_1;
}

// MatMul on a packed weight of a type without a packed kernel on this ISA: each row
// unpacked and multiplied by vec_dot (slow but correct).
void MatMulUnpackingRows(const TensorView& w, const float* x, int64_t n_tokens, float* y,
                         ThreadPool& pool, const KernelSet& kernels) {
  const int64_t n_in = w.row_elems();
  const int64_t n_out = w.rows();
  const TensorType act_type = ActivationTypeFor(w.type);
  const uint64_t act_row_bytes = RowBytes(act_type, static_cast<uint64_t>(n_in)).value_or(0);
  const uint8_t* act = QuantizeActivations(x, n_tokens, n_in, act_type,
                                           internal::TypeKernelsFor(kernels.isa, act_type).quantize,
                                           act_row_bytes, ActivationLayout::kRows, pool);
  const uint64_t row_bytes = w.row_bytes();
  const internal::VecDotFn vec_dot = internal::TypeKernelsFor(kernels.isa, w.type).vec_dot;
  pool.ParallelFor(n_out, [&](int64_t begin, int64_t end) {
    thread_local std::vector<uint8_t> row;
    row.resize(row_bytes);
    for (int64_t r = begin; r < end; ++r) {
      UnpackRow(w, r, row.data());
      for (int64_t t = 0; t < n_tokens; ++t) {
        y[t * n_out + r] =
            vec_dot(n_in, row.data(), act + static_cast<uint64_t>(t) * act_row_bytes);
      }
    }
  });
}

// One packed product of a shared dispatch: its row groups are numbered in units of kGroupsPerUnit
// in the dispatch's combined numbering.
struct PackedPart {
  internal::PackedGemmFn kernel = nullptr;
  const uint8_t* w = nullptr;
  uint64_t group_bytes = 0;
  int64_t n_blocks = 0;
  int64_t first_unit = 0;  // in the dispatch's combined numbering of work units
  int64_t n_groups = 0;
  float* y = nullptr;  // [n_tokens, n_groups * kPackRows]
};

// Row groups are handed to the threads in pairs: the AMX GEMM multiplies two groups (16 rows) per
// tile product and sends a lone group to the AVX2 kernel, and the GEMVs take two groups per pass.
constexpr int64_t kGroupsPerUnit = 2;

// At most this many products share one dispatch (Q/K/V, gate/up); more go one by one.
constexpr size_t kMaxSharedProducts = 4;

// Whether every product is a packed weight with a packed kernel on this ISA, of n_in
// columns, whose activations are quantized to the same type: then one quantization and
// one dispatch serve them all.
bool CanShareDispatch(std::span<const LinearOutput> products, int64_t n_tokens, Isa isa) {
  if (products.empty() || products.size() > kMaxSharedProducts) return false;
  const TensorView& first = *products[0].w;
  for (const LinearOutput& p : products) {
    if (p.w->layout != TensorLayout::kPacked || p.w->row_elems() != first.row_elems() ||
        ActivationTypeFor(p.w->type) != ActivationTypeFor(first.type) ||
        PackedKernelFor(*p.w, n_tokens, isa) == nullptr) {
      return false;
    }
  }
  return true;
}

// y = w x for every product (CanShareDispatch holds): the activations are quantized once
// and the row groups of all the products are split among the threads in one ParallelFor.
// Each output is computed by the same kernel as alone (the packed kernels' results do not
// depend on how row groups are split), so results equal MatMul's bit for bit.
void MatMulPackedShared(std::span<const LinearOutput> products, const float* x, int64_t n_tokens,
                        ThreadPool& pool, const KernelSet& kernels) {
  const TensorView& first = *products[0].w;
  const int64_t n_in = first.row_elems();
  const TensorType act_type = ActivationTypeFor(first.type);
  const bool legacy = IsLegacyActivation(act_type);
  const uint64_t act_row_bytes = RowBytes(act_type, static_cast<uint64_t>(n_in)).value_or(0);
  // Tile-major activations when every product's kernel reads them (then no kernel reads the
  // block-major copy, which is not built).
  ActivationLayout layout = legacy ? ActivationLayout::kBlockMajor : ActivationLayout::kRows;
  if (legacy && n_tokens >= kActivationTileTokens &&
      std::all_of(products.begin(), products.end(), [&](const LinearOutput& p) {
        return internal::PackedKernelsFor(kernels.isa, p.w->type).gemm_reads_tiles;
      })) {
    layout = ActivationLayout::kTiled;
  }
  const uint8_t* act = QuantizeActivations(x, n_tokens, n_in, act_type,
                                           internal::TypeKernelsFor(kernels.isa, act_type).quantize,
                                           act_row_bytes, layout, pool);
  const internal::GemmActivations acts = ScratchView(n_tokens, n_in / kQk, gemm_scratch);

  std::array<PackedPart, kMaxSharedProducts> parts;
  int64_t n_units = 0;  // work units of kGroupsPerUnit row groups, over all the products
  for (size_t i = 0; i < products.size(); ++i) {
    const TensorView& w = *products[i].w;
    PackedPart& part = parts[i];
    part.kernel = PackedKernelFor(w, n_tokens, kernels.isa);
    part.w = static_cast<const uint8_t*>(w.data);
    part.group_bytes = w.row_bytes() * kPackRows;
    part.n_blocks = legacy ? n_in / kQk : n_in / kQkK;
    part.first_unit = n_units;
    part.n_groups = w.rows() / kPackRows;
    part.y = products[i].y;
    n_units += (part.n_groups + kGroupsPerUnit - 1) / kGroupsPerUnit;
  }
  const std::span<const PackedPart> used(parts.data(), products.size());
  // Units [begin, end) of the combined numbering, product by product.
  pool.ParallelFor(n_units, [&](int64_t begin, int64_t end) {
    for (const PackedPart& part : used) {
      const int64_t lo = std::min(
          part.n_groups, (std::max(begin, part.first_unit) - part.first_unit) * kGroupsPerUnit);
      const int64_t hi = std::min(part.n_groups, (end - part.first_unit) * kGroupsPerUnit);
      if (lo >= hi) continue;
      internal::PackedGemmArgs args;
      args.w = part.w + static_cast<uint64_t>(lo) * part.group_bytes;
      args.group_bytes = part.group_bytes;
      args.n_groups = hi - lo;
      args.n_blocks = part.n_blocks;
      args.n_tokens = n_tokens;
      args.act = legacy ? &acts : nullptr;
      args.act_rows = act;
      args.act_row_bytes = act_row_bytes;
      args.y = part.y + lo * kPackRows;
      args.y_stride = part.n_groups * kPackRows;
      part.kernel(args);
    }
  });
}

}  // namespace

void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            const KernelSet& kernels) {
  if (w.layout == TensorLayout::kPacked) {
    const LinearOutput product{&w, y};
    if (CanShareDispatch({&product, 1}, n_tokens, kernels.isa)) {
      MatMulPackedShared({&product, 1}, x, n_tokens, pool, kernels);
    } else {
      MatMulUnpackingRows(w, x, n_tokens, y, pool, kernels);
    }
    return;
  }
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
  // [n_tokens, n_in] activations in act_type.
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  if (act_type != TensorType::kF32) {
    act = QuantizeActivations(
        x, n_tokens, n_in, act_type, act_kernels.quantize, act_row_bytes,
        gemm != nullptr ? ActivationLayout::kBlockMajor : ActivationLayout::kRows, pool);
  }

  const uint64_t w_row_bytes = w.row_bytes();
  const auto* w_data = static_cast<const uint8_t*>(w.data);
  if (gemm != nullptr) {
    const internal::GemmActivations acts = ScratchView(n_tokens, n_blocks, gemm_scratch);
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

void MatMulMany(std::span<const LinearOutput> products, const float* x, int64_t n_tokens,
                ThreadPool& pool, const KernelSet& kernels) {
  if (CanShareDispatch(products, n_tokens, kernels.isa)) {
    MatMulPackedShared(products, x, n_tokens, pool, kernels);
    return;
  }
  for (const LinearOutput& p : products) MatMul(*p.w, x, n_tokens, p.y, pool, kernels);
}

void GetRow(const TensorView& table, int64_t row, float* dst, const KernelSet& kernels) {
  if (table.layout == TensorLayout::kPacked) {
    thread_local std::vector<uint8_t> unpacked;
    unpacked.resize(table.row_bytes());
    UnpackRow(table, row, unpacked.data());
    kernels.dequantize_row(table.type, unpacked.data(), dst, table.row_elems());
    return;
  }
  kernels.dequantize_row(table.type, table.row(row), dst, table.row_elems());
}

}  // namespace hearth::kernels
