// Internal to src/kernels: the packed row-group layouts of the K-quants (kernels/packed.h),
// shared by the scalar pack/unpack code (packed_kquant.cpp) and the AVX2 kernels
// (packed_kquant_avx2.cpp).
//
// A group holds kPackRows rows of n_sb super-blocks each and keeps their exact byte size
// (kPackRows * row_bytes): the bytes are rearranged, never expanded. Notation: row r < 8,
// super-block b < n_sb, value e < 256 of the super-block; a "lane" is 4 bytes (one 32-bit
// lane of a 256-bit register), lane r belongs to row r, so one 32-byte load holds the same
// few values of all 8 rows.
//
// Q4_K (8 sub-blocks of 32; 144 bytes per row super-block, 1152 per group super-block).
// Super-block b of the group starts at b * 1152 (32-byte aligned when the group is):
//   [0, 16)      d of rows 0..7 (fp16)
//   [16, 32)     dmin of rows 0..7 (fp16)
//   [32, 64)     scales, low 4 bits: entry x = 8 * s + r (sub-block s) in byte x % 32,
//                low nibble for x < 32, high nibble otherwise
//   [64, 96)     mins, low 4 bits, the same way
//   [96, 128)    top 2 bits: byte x % 32 bits 0-1 / 2-3: scale x (x < 32 / x >= 32),
//                bits 4-5 / 6-7: min x (x < 32 / x >= 32)
//   [128, 1152)  values: sub-block s at 128 + 128 * s, 4 loads k < 4 of 32 bytes; lane r,
//                byte i of load k: low nibble value 32s + 8k + i, high nibble 32s + 8k + 4 + i
//                (a load split into nibbles matches two 4-byte broadcasts of activations)
//
// Q5_K (as Q4_K plus a 5th bit per value; 176 bytes per row super-block, 1408 per group
// super-block at b * 1408): [0, 128) as Q4_K's; [128, 384) the 5th bits: sub-block s at 128 + 32s,
// lane r byte i bit 2k (bit 2k + 1) = value 32s + 8k + i (32s + 8k + 4 + i), k < 4, i.e. the
// bits of the low (high) nibbles of Q4_K's load k; [384, 1408) the low 4 bits as Q4_K's values.
//
// Q6_K (16 sub-blocks of 16; 210 bytes per row super-block, 1680 per group super-block; 1680 is
// not a multiple of 32, so the group is split into three regions to keep the values aligned):
//   values  at b * 1536: chunk c < 8 (values 32c..32c+31, sub-blocks 2c and 2c+1) at 192 * c,
//           6 loads of 32 bytes, 3 per half chunk h < 2 (values 32c + 16h + [0, 16)); lane r,
//           byte i of load 3h + j (j < 3): bits 0-5 = value 32c + 16h + 4j + i, bits 6-7 =
//           bits 2j..2j+1 of value 32c + 16h + 12 + i. Values are stored unsigned (q + 32,
//           0..63): three value registers are one AND each, the fourth is gathered from the
//           top bits of the three loads.
//   scales  at n_sb * 1536 + b * 128: chunk c at 16 * c, byte 2r + e = scale of sub-block
//           2c + e of row r (int8): widened to int16 it is the multiplier of pairs for the
//           sub-block offset term
//   d       at n_sb * 1664 + b * 16: d of rows 0..7 (fp16)
#pragma once

#include <cstdint>

namespace hearth::kernels::packed_kquant {

inline constexpr int kRows = 8;  // == kPackRows (static_assert in packed_kquant.cpp)

inline constexpr uint64_t kQ4KGroupBlock = 1152;
inline constexpr uint64_t kQ4KScaleLow = 32;
inline constexpr uint64_t kQ4KMinLow = 64;
inline constexpr uint64_t kQ4KHighBits = 96;
inline constexpr uint64_t kQ4KValues = 128;

inline constexpr uint64_t kQ5KGroupBlock = 1408;
inline constexpr uint64_t kQ5KHighPlane = 128;
inline constexpr uint64_t kQ5KValues = 384;

inline constexpr uint64_t kQ6KValueBlock = 1536;  // per group super-block
inline constexpr uint64_t kQ6KChunk = 192;        // 32 values of 8 rows
inline constexpr uint64_t kQ6KScaleBlock = 128;
inline constexpr uint64_t kQ6KDBlock = 16;

// Row-major rows (row_bytes apart) -> one packed group, and row r of a group back.
void PackQ4K(const uint8_t* src, uint64_t row_bytes, uint8_t* dst);
void UnpackRowQ4K(const uint8_t* group, uint64_t row_bytes, int r, uint8_t* dst);
void PackQ5K(const uint8_t* src, uint64_t row_bytes, uint8_t* dst);
void UnpackRowQ5K(const uint8_t* group, uint64_t row_bytes, int r, uint8_t* dst);
void PackQ6K(const uint8_t* src, uint64_t row_bytes, uint8_t* dst);
void UnpackRowQ6K(const uint8_t* group, uint64_t row_bytes, int r, uint8_t* dst);

}  // namespace hearth::kernels::packed_kquant
