// Internal to src/kernels: per-type kernel entries of each ISA, so callers
// that loop (MatMul) resolve the function for a type once per call instead
// of switching on the type for every row.
#pragma once

#include <cstdint>

#include "core/tensor_type.h"
#include "kernels/kernels.h"

namespace hearth::kernels::internal {

using DequantizeFn = void (*)(const void* src, float* dst, int64_t n);
using QuantizeFn = void (*)(const float* src, void* dst, int64_t n);
// sum_i w[i] * a[i]; w of the weight type, a of its activation type.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);

// The entries for one tensor type on one ISA; an entry is null when the ISA
// has no such operation for the type (e.g. vec_dot for Q8_K, which is only an
// activation type).
struct TypeKernels {
  DequantizeFn dequantize = nullptr;
  QuantizeFn quantize = nullptr;
  VecDotFn vec_dot = nullptr;
};

// Scalar reference: the truth every SIMD path is tested against.
TypeKernels ScalarTypeKernels(TensorType type);
// SIMD tables; entries without SIMD code are the scalar ones. Only call these
// functions' entries after IsaAvailable(isa) is true.
TypeKernels Avx2TypeKernels(TensorType type);
TypeKernels Avx512TypeKernels(TensorType type);

// The entries of `isa` (precondition: IsaAvailable(isa)).
TypeKernels TypeKernelsFor(Isa isa, TensorType type);

// --- quantized GEMM for the legacy 32-value weight types ---------------------

// Tokens of one register tile of the GEMM (one weight row against up to this many tokens).
inline constexpr int kGemmMaxTokens = 8;

// Quantized activations of a batch, block-major so that the same block of
// consecutive tokens is contiguous: block b of token t is qs + (b * n_tokens + t) * 32.
struct GemmActivations {
  int64_t n_tokens = 0;
  int64_t n_blocks = 0;        // 32-value blocks per token
  const int8_t* qs = nullptr;  // [n_blocks][n_tokens][32]
  const float* d = nullptr;    // [n_blocks][n_tokens] block scales
  // [n_blocks][n_tokens] Q8_1's s = d * sum(qs) of each block (for Q4_1's
  // minimum); 0 for Q8_0 activations (Q4_0 and Q8_0 weights have no minimum).
  const float* s = nullptr;
  // [n_blocks][n_tokens] integer sum of each block's qs (for offsets applied in integers,
  // e.g. Q4_0's sum_j (q_j - 8) a_j = sum_j q_j a_j - 8 sum_j a_j); may be null for kernels
  // that do not read it.
  const int32_t* sums = nullptr;
  // Optional (null unless the kernel asked for it: PackedTypeKernels::gemm_reads_tiles; then
  // qs, d, s and sums may be null): the same qs, d and s, tile-major for 16-token tiles. Step i =
  // tile * n_blocks + b holds tokens 16 tile .. 16 tile + 15 of block b: their 16 x 32 bytes at
  // tiled_qs + 512 i, their d at tiled_d + 16 i and s at tiled_s + 16 i; the tokens past n_tokens
  // in the last tile are zeros. Built once per MatMul, while quantizing, instead of by every kernel
  // call.
  const int8_t* tiled_qs = nullptr;
  const float* tiled_d = nullptr;
  const float* tiled_s = nullptr;
};
// Tokens of a tile of GemmActivations' tile-major copy.
inline constexpr int64_t kActivationTileTokens = 16;

// y[t * y_stride + r] = row r of W . activations of token t, for r < n_rows,
// t < n_tokens. W's rows are of the GEMM's weight type, w_stride bytes apart.
struct GemmArgs {
  int64_t n_blocks = 0;  // blocks per row (of 32 values; of 256 for the K-quants)
  const uint8_t* w = nullptr;
  uint64_t w_stride = 0;
  int64_t n_rows = 0;
  int64_t n_tokens = 0;
  const GemmActivations* act = nullptr;  // legacy types: block-major activations
  const uint8_t* act_rows = nullptr;     // K-quants: [n_tokens] Q8_K rows
  uint64_t act_row_bytes = 0;
  float* y = nullptr;
  int64_t y_stride = 0;
};
using GemmFn = void (*)(const GemmArgs& args);
// The AVX2 GEMM for Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q8_0 weights, or null for other types. It
// performs the float operations of the AVX2 vec_dot per output in the same
// order, so results equal that vec_dot bit for bit (and a batch equals token
// by token evaluation).
GemmFn Avx2Gemm(TensorType weight_type);
// The GEMM for `type` on `isa`, or null (then MatMul calls vec_dot per output).
GemmFn GemmFor(Isa isa, TensorType type);
// The AVX2 GEMM for Q4_K / Q5_K / Q6_K weights against Q8_K activation rows
// (act_rows), bit-identical to the AVX2 vec_dot; null for other types.
GemmFn Avx2KQuantGemm(TensorType weight_type);
// The K-quant GEMM for `type` on `isa`, or null.
GemmFn KQuantGemmFor(Isa isa, TensorType type);

// --- packed weights (kernels/packed.h) ----------------------------------------------------

// Packs kPackRows row-major rows (row_bytes apart at src) into one row group at dst
// (kPackRows * row_bytes bytes). Scalar code: packing runs once at load on any ISA.
using PackGroupFn = void (*)(const uint8_t* src, uint64_t row_bytes, uint8_t* dst);
// Writes row r (< kPackRows) of the packed group at `group` back as row_bytes row-major bytes.
using UnpackGroupRowFn = void (*)(const uint8_t* group, uint64_t row_bytes, int r, uint8_t* dst);

// y[t * y_stride + r] = row r of the packed groups . activations of token t, for
// r < n_groups * kPackRows, t < n_tokens (one token: the generation GEMV).
struct PackedGemmArgs {
  const uint8_t* w = nullptr;  // the first row group
  uint64_t group_bytes = 0;    // kPackRows * row bytes
  int64_t n_groups = 0;
  int64_t n_blocks = 0;  // blocks per row (of 32 values; of 256 for the K-quants)
  int64_t n_tokens = 0;
  const GemmActivations* act = nullptr;  // legacy types: block-major Q8_0 / Q8_1 activations
  const uint8_t* act_rows = nullptr;     // K-quants: [n_tokens] Q8_K rows
  uint64_t act_row_bytes = 0;
  float* y = nullptr;
  int64_t y_stride = 0;
};
using PackedGemmFn = void (*)(const PackedGemmArgs& args);

// Every entry null: the type has no packed layout for that ISA.
struct PackedTypeKernels {
  PackGroupFn pack = nullptr;
  UnpackGroupRowFn unpack_row = nullptr;
  PackedGemmFn gemm = nullptr;
  // Optional: the same product for n_tokens == 1 (generation), with the numerics of `gemm`
  // for that output (the same integer block dot products, the same f32 operations in the
  // same order), so a token alone equals that token in a batch bit for bit. Null: `gemm`
  // runs with one token.
  PackedGemmFn gemv = nullptr;
  // Whether `gemm` reads GemmActivations' tile-major copy. MatMul then builds that copy, and
  // not the block-major one, for batches of at least kActivationTileTokens tokens when every
  // product of the dispatch reads it; `gemm` must also accept block-major activations (without
  // the tile-major copy) and, given the tile-major copy, must read nothing else.
  bool gemm_reads_tiles = false;
};
// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 on AVX2 (packed_legacy*.cpp).
PackedTypeKernels Avx2PackedLegacy(TensorType type);
// Q4_K, Q5_K, Q6_K on AVX2 (packed_kquant*.cpp).
PackedTypeKernels Avx2PackedKQuant(TensorType type);
// The AVX-512 VNNI GEMVs of the packed types (legacy and K-quants; two row groups per 512-bit
// register), with the AVX2 GEMV's numerics (bit for bit); null for other types.
PackedGemmFn Avx512PackedGemv(TensorType type);
// The packed kernels of `type` on `isa`, or all null. AVX-512 uses the AVX2 ones, except for the
// GEMV (Avx512PackedGemv) and, where AmxAvailable() and one exists for the type, the AMX GEMM.
PackedTypeKernels PackedKernelsFor(Isa isa, TensorType type);

// --- AMX (Advanced Matrix Extensions: *_amx.cpp, compiled with -mamx-tile -mamx-int8) -----

// Whether prompt GEMMs may use AMX: the CPU has AVX-512 (Isa::kAvx512), AMX-TILE and AMX-INT8,
// the OS enables the tile state, this process was granted it (Linux: arch_prctl
// ARCH_REQ_XCOMP_PERM, requested on the first call), and HEARTH_AMX is not "0" and
// HEARTH_ISA does not cap the ISA below avx512.
bool AmxAvailable();

// The AMX packed GEMMs for prompt batches (tile products of 16 tokens by 16 rows, i.e. two row
// groups), null for types without one. Their per-output integers and f32 operations are the
// AVX2 packed GEMM's, so results equal it bit for bit (and so a token alone, by the AVX2 GEMV).
// Batches under 16 tokens go to the AVX2 kernels (and so do the legacy GEMM's block-major
// activations: it multiplies the tile-major copy; the K-quant GEMM's odd last row group).
// Precondition for calling one: AmxAvailable().
PackedGemmFn AmxPackedLegacyGemm(TensorType type);  // Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
PackedGemmFn AmxPackedKQuantGemm(TensorType type);  // Q4_K, Q5_K, Q6_K

}  // namespace hearth::kernels::internal
