// Internal to src/kernels: the packed layout of the legacy 32-value types (Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0), shared by the scalar pack/unpack code (packed_legacy.cpp) and the AVX2
// kernels (packed_legacy_avx2.cpp).
//
// A row group holds kPackRows rows of n_blocks blocks each, as four sections one after the
// other (each indexed by block b; "lane r" = bytes [4r, 4r + 4) of a 32-byte vector):
//   qs [n_blocks][qs_vectors][32 bytes]: vector k, lane r = row r's qs[4k .. 4k + 4).
//       For the 4-bit types (16 qs bytes, 4 vectors) the low nibbles of vector k are values
//       4k .. 4k+3 of each row and the high nibbles values 16+4k .. 16+4k+3: one load,
//       `& 0x0F` and `>> 4 & 0x0F` give two register chunks. Q8_0: 8 vectors of signed bytes.
//   qh [n_blocks][32 bytes] (Q5 types): lane r = row r's 32 fifth bits rearranged so that
//       bit i of byte j is the fifth bit of value 4i + j (chunk i's byte j): chunk i's fifth
//       bits are then one 32-bit shift and `& 0x10` away.
//   d  [n_blocks][kPackRows] fp16 scales (one 128-bit load, 8 lanes after vcvtph2ps).
//   m  [n_blocks][kPackRows] fp16 minimums (Q4_1, Q5_1).
// The sizes add up to kPackRows * the GGUF block size, so a packed matrix has the row-major
// one's size.
#pragma once

#include <cstdint>

#include "core/tensor_type.h"
#include "kernels/kernel_registry.h"

namespace hearth::kernels::internal {

// Byte offsets of the sections inside one row group of n_blocks blocks.
struct LegacySections {
  uint64_t qs = 0;
  uint64_t qh = 0;
  uint64_t d = 0;
  uint64_t m = 0;
};

// Whether `type` is one of the legacy types with a packed layout.
bool IsPackedLegacyType(TensorType type);
// Precondition: IsPackedLegacyType(type).
LegacySections LegacySectionsOf(TensorType type, int64_t n_blocks);
PackGroupFn LegacyPackGroup(TensorType type);
UnpackGroupRowFn LegacyUnpackGroupRow(TensorType type);

}  // namespace hearth::kernels::internal
