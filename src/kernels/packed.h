// Weights repacked once at load into interleaved row groups, the layout that the
// register-tiled matrix kernels read (issue 3: "weights repacked once at load into
// interleaved row blocks sized for the register tiles").
//
// A packed matrix keeps its GGUF type and byte size; its rows are taken kPackRows at a
// time (row group g = rows [g * kPackRows, (g + 1) * kPackRows)), and each group's
// kPackRows * row_bytes bytes are rearranged per type so that one 256-bit load holds the
// same few values of all kPackRows rows (one lane per row). A GEMM then multiplies a
// broadcast group of activation bytes against every row at once and accumulates each
// row's dot product in its own lane: no horizontal sums, and the unpacking of a weight
// block is shared by every token of a batch. The per-type byte layout is private to
// the kernels (packed_*.cpp) and documented there.
//
// Numerics (the contract every packed kernel keeps, tested in packed_test.cpp):
// - Activations are quantized exactly as for vec_dot (ActivationTypeFor), and each
//   block's integer dot product is vec_dot's integer (offsets such as Q4_0's -8 are applied
//   in integers, never as a float correction), so outputs equal vec_dot's up to the order
//   of the f32 accumulation over blocks.
// - The f32 operations of one output (row, token) do not depend on the number of tokens in
//   the batch, the token's place in it, or how rows are split among threads: a batch is
//   bit-identical to evaluating its tokens one at a time (the scheduler relies on this).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace hearth::kernels {

// Rows per interleaved group: one 32-bit lane per row in a 256-bit register.
inline constexpr int64_t kPackRows = 8;

// Whether a [n_rows, n_cols] weight of `type` has a packed layout whose kernels run on
// `isa` (n_rows % kPackRows == 0, n_cols a whole number of the type's blocks, and a packed
// GEMM for the type on that ISA).
bool CanPack(Isa isa, TensorType type, int64_t n_rows, int64_t n_cols);

// Packs the row-major weight `w` into dst (w.nbytes bytes, 32-byte aligned) and returns the
// view of the packed copy (layout kPacked, data = dst). Precondition: CanPack for w's type
// and shape on some ISA. Groups are packed in parallel on `pool`.
TensorView PackWeight(const TensorView& w, void* dst, ThreadPool& pool);

// Row `row` of a packed weight back in GGUF's row-major block format (row_bytes bytes at
// dst): the exact inverse of the packing.
void UnpackRow(const TensorView& packed, int64_t row, void* dst);

}  // namespace hearth::kernels
