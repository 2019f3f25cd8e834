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

// The block-major copy of the activations for the GEMM, and its tile-major copy when a kernel
// reads it (see GemmActivations).
struct GemmScratch {
  std::vector<int8_t> qs;
  std::vector<float> d;
  std::vector<float> s;
  std::vector<int32_t> sums;
  bool tiled = false;
  std::vector<int8_t> tiled_qs;
  std::vector<float> tiled_d;
  std::vector<float> tiled_s;
};
thread_local GemmScratch gemm_scratch;

// Copies block b of token t, already in the block-major layout at index i = b * n_tokens + t,
// into the tile-major one.
void ToTileMajor(int64_t i, int64_t b, int64_t t, int64_t n_blocks, GemmScratch& out) {
  const int64_t step = t / kActivationTileTokens * n_blocks + b;
  const int64_t slot = step * kActivationTileTokens + t % kActivationTileTokens;
  std::memcpy(out.tiled_qs.data() + slot * kQk, out.qs.data() + i * kQk, kQk);
  out.tiled_d[static_cast<size_t>(slot)] = out.d[static_cast<size_t>(i)];
  out.tiled_s[static_cast<size_t>(slot)] = out.s[static_cast<size_t>(i)];
}

// Copies token t's quantized row (Q8_0 or Q8_1 blocks) into the block-major layout (and the
// tile-major one when out.tiled).
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
    int32_t sum = 0;
    for (int j = 0; j < kQk; ++j) sum += qs[j];
    out.sums[i] = sum;
    if (out.tiled) ToTileMajor(i, b, t, n_blocks, out);
  }
}

// Sizes the block-major buffers, and the tile-major ones when `tiled`, whose padding tokens
// (those of the last tile past n_tokens) are zeroed here: ToBlockMajor writes only real tokens.
void ResizeBlockMajor(int64_t n_tokens, int64_t n_blocks, bool tiled, GemmScratch& blocked) {
  blocked.qs.resize(static_cast<size_t>(n_tokens * n_blocks * kQk));
  blocked.d.resize(static_cast<size_t>(n_tokens * n_blocks));
  blocked.s.resize(static_cast<size_t>(n_tokens * n_blocks));
  blocked.sums.resize(static_cast<size_t>(n_tokens * n_blocks));
  blocked.tiled = tiled;
  if (!tiled) return;
  const int64_t n_tiles = (n_tokens + kActivationTileTokens - 1) / kActivationTileTokens;
  const auto slots = static_cast<size_t>(n_tiles * n_blocks * kActivationTileTokens);
  blocked.tiled_qs.resize(slots * kQk);
  blocked.tiled_d.resize(slots);
  blocked.tiled_s.resize(slots);
  const int64_t last_tile = n_tiles - 1;
  const int64_t real = n_tokens - last_tile * kActivationTileTokens;  // tokens in the last tile
  const int64_t padding = kActivationTileTokens - real;
  if (padding == 0) return;
  for (int64_t b = 0; b < n_blocks; ++b) {
    const int64_t first_pad = (last_tile * n_blocks + b) * kActivationTileTokens + real;
    std::fill_n(blocked.tiled_qs.begin() + first_pad * kQk, padding * kQk, int8_t{0});
    std::fill_n(blocked.tiled_d.begin() + first_pad, padding, 0.0f);
    std::fill_n(blocked.tiled_s.begin() + first_pad, padding, 0.0f);
  }
}

internal::GemmActivations BlockMajorView(int64_t n_tokens, int64_t n_blocks,
                                         const GemmScratch& blocked) {
  internal::GemmActivations acts;
  acts.n_tokens = n_tokens;
  acts.n_blocks = n_blocks;
  acts.qs = blocked.qs.data();
  acts.d = blocked.d.data();
  acts.s = blocked.s.data();
  acts.sums = blocked.sums.data();
  if (blocked.tiled) {
    acts.tiled_qs = blocked.tiled_qs.data();
    acts.tiled_d = blocked.tiled_d.data();
    acts.tiled_s = blocked.tiled_s.data();
  }
  return acts;
}

// Quantizes x ([n_tokens, n_in]) to act_type rows in activation_scratch (returned), and
// when block_major also into gemm_scratch's block-major layout (and its tile-major one when
// `tiled`).
const uint8_t* QuantizeActivations(const float* x, int64_t n_tokens, int64_t n_in,
                                   TensorType act_type, internal::QuantizeFn quantize,
                                   uint64_t act_row_bytes, bool block_major, bool tiled,
                                   ThreadPool& pool) {
  const int64_t n_blocks = n_in / kQk;
  if (block_major) ResizeBlockMajor(n_tokens, n_blocks, tiled, gemm_scratch);
  activation_scratch.resize(static_cast<size_t>(n_tokens) * act_row_bytes);
  uint8_t* scratch = activation_scratch.data();
  GemmScratch& blocked = gemm_scratch;  // this thread's, captured for the workers
  auto quantize_tokens = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      uint8_t* row = scratch + static_cast<uint64_t>(t) * act_row_bytes;
      quantize(x + t * n_in, row, n_in);
      if (block_major) ToBlockMajor(act_type, row, t, n_tokens, n_blocks, blocked);
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
                                           act_row_bytes, /*block_major=*/false,
                                           /*tiled=*/false, pool);
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
  // The tile-major copy is built when some product's kernel reads it.
  bool tiled = false;
  if (legacy && n_tokens >= kActivationTileTokens) {
    for (const LinearOutput& p : products) {
      tiled = tiled || internal::PackedKernelsFor(kernels.isa, p.w->type).gemm_reads_tiles;
    }
  }
  const uint8_t* act = QuantizeActivations(x, n_tokens, n_in, act_type,
                                           internal::TypeKernelsFor(kernels.isa, act_type).quantize,
                                           act_row_bytes, legacy, tiled, pool);
  const internal::GemmActivations acts = BlockMajorView(n_tokens, n_in / kQk, gemm_scratch);

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
    act = QuantizeActivations(x, n_tokens, n_in, act_type, act_kernels.quantize, act_row_bytes,
                              gemm != nullptr, /*tiled=*/false, pool);
  }

  const uint64_t w_row_bytes = w.row_bytes();
  const auto* w_data = static_cast<const uint8_t*>(w.data);
  if (gemm != nullptr) {
    const internal::GemmActivations acts = BlockMajorView(n_tokens, n_blocks, gemm_scratch);
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
