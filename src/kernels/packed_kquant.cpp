// Scalar packing of the K-quants into the row-group layouts of packed_kquant.h (runs once at
// load, on any ISA). Each row super-block is decoded into its integer fields (fp16 bits,
// 6-bit scales and mins, unsigned values), which are then placed at their packed positions;
// unpacking reads the fields back and re-encodes GGUF's block. Both encodings are bijections
// of the same fields, so unpacking is the exact inverse of packing.
#include "kernels/packed_kquant.h"

#include <cstring>

#include "kernels/packed.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels::packed_kquant {
namespace {

static_assert(kRows == kPackRows);
static_assert(kQ4KGroupBlock == kRows * sizeof(BlockQ4_K));
static_assert(kQ5KGroupBlock == kRows * sizeof(BlockQ5_K));
static_assert(kQ6KValueBlock + kQ6KScaleBlock + kQ6KDBlock == kRows * sizeof(BlockQ6_K));

// Sets bits [shift, shift + width) of *byte to value (< 2^width).
void PutBits(uint8_t* byte, int shift, int width, int value) {
  const int mask = ((1 << width) - 1) << shift;
  *byte = static_cast<uint8_t>((*byte & ~mask) | ((value << shift) & mask));
}

int GetBits(uint8_t byte, int shift, int width) { return (byte >> shift) & ((1 << width) - 1); }

// --- Q4_K and Q5_K -----------------------------------------------------------------------

// One row super-block of Q4_K (q < 16) or Q5_K (q < 32).
struct Q4KFields {
  uint16_t d, dmin;
  int scale[8], min[8];
  uint8_t q[256];
};

void DecodeScaleMin(const uint8_t* p, Q4KFields& f) {
  for (int j = 0; j < 4; ++j) {
    f.scale[j] = p[j] & 63;
    f.min[j] = p[j + 4] & 63;
    f.scale[j + 4] = (p[j + 8] & 0x0f) | ((p[j] >> 6) << 4);
    f.min[j + 4] = (p[j + 8] >> 4) | ((p[j + 4] >> 6) << 4);
  }
}

void EncodeScaleMin(const Q4KFields& f, uint8_t* p) {
  for (int j = 0; j < 4; ++j) {
    p[j] = static_cast<uint8_t>((f.scale[j] & 63) | ((f.scale[j + 4] >> 4) << 6));
    p[j + 4] = static_cast<uint8_t>((f.min[j] & 63) | ((f.min[j + 4] >> 4) << 6));
    p[j + 8] = static_cast<uint8_t>((f.scale[j + 4] & 0x0f) | ((f.min[j + 4] & 0x0f) << 4));
  }
}

// GGUF's nibble of value e: qs[32 * (s / 2) + e % 32], low for even sub-blocks s.
void PutGgufNibble(uint8_t* qs, int e, int value) {
  const int s = e / 32;
  PutBits(&qs[(s / 2) * 32 + e % 32], 4 * (s % 2), 4, value);
}

template <typename Block>
void DecodeHeader(const Block& x, Q4KFields& f) {
  f.d = x.d;
  f.dmin = x.dmin;
  DecodeScaleMin(x.scales, f);
}

template <typename Block>
void EncodeHeader(const Q4KFields& f, Block& x) {
  x.d = f.d;
  x.dmin = f.dmin;
  EncodeScaleMin(f, x.scales);
}

// GGUF's nibbles: qs[32c + l] holds value 64c + l (low) and 64c + 32 + l (high).
void DecodeNibbles(const uint8_t* qs, uint8_t* q) {
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      q[64 * c + l] = qs[32 * c + l] & 15;
      q[64 * c + 32 + l] = qs[32 * c + l] >> 4;
    }
  }
}

void DecodeQ4K(const BlockQ4_K& x, Q4KFields& f) {
  DecodeHeader(x, f);
  DecodeNibbles(x.qs, f.q);
}

void EncodeQ4K(const Q4KFields& f, BlockQ4_K& x) {
  EncodeHeader(f, x);
  for (int e = 0; e < 256; ++e) PutGgufNibble(x.qs, e, f.q[e]);
}

// Q5_K: the 5th bit of value e is bit e / 32 of qh[e % 32].
void DecodeQ5K(const BlockQ5_K& x, Q4KFields& f) {
  DecodeHeader(x, f);
  DecodeNibbles(x.qs, f.q);
  for (int e = 0; e < 256; ++e)
    f.q[e] |= static_cast<uint8_t>(((x.qh[e % 32] >> (e / 32)) & 1) << 4);
}

void EncodeQ5K(const Q4KFields& f, BlockQ5_K& x) {
  EncodeHeader(f, x);
  for (int e = 0; e < 256; ++e) {
    PutGgufNibble(x.qs, e, f.q[e] & 15);
    PutBits(&x.qh[e % 32], e / 32, 1, f.q[e] >> 4);
  }
}

// Where a value's bits are: byte offset and shift.
struct BitPlace {
  uint64_t byte;
  int shift;
};

// The nibble of value e of row r inside the values of a Q4_K/Q5_K group super-block.
BitPlace NibblePlace(int r, int e) {
  const int k = (e % 32) / 8, w = e % 8;
  return {static_cast<uint64_t>((e / 32) * 128 + k * 32 + r * 4 + w % 4), 4 * (w / 4)};
}

// The 5th bit of value e of row r inside the high-bit plane of a Q5_K group super-block.
BitPlace HighBitPlace(int r, int e) {
  const int k = (e % 32) / 8, w = e % 8;
  return {static_cast<uint64_t>((e / 32) * 32 + r * 4 + w % 4), 2 * k + w / 4};
}

// Packing writes every byte of a group super-block from the fields of its 8 rows (plain
// stores, fast at load); unpacking reads one row's fields back bit by bit (GetBits).

// d, dmin, scales and mins (the first kQ4KValues bytes, the same for Q4_K and Q5_K).
void WriteHeader(const Q4KFields* f, uint8_t* sb) {
  for (int r = 0; r < kRows; ++r) {
    std::memcpy(sb + 2 * r, &f[r].d, 2);
    std::memcpy(sb + 16 + 2 * r, &f[r].dmin, 2);
  }
  for (int x = 0; x < 32; ++x) {  // entries x = 8s + r and x + 32 (sub-block s + 4)
    const Q4KFields& a = f[x % kRows];
    const int s = x / kRows;
    sb[kQ4KScaleLow + x] = static_cast<uint8_t>((a.scale[s] & 15) | ((a.scale[s + 4] & 15) << 4));
    sb[kQ4KMinLow + x] = static_cast<uint8_t>((a.min[s] & 15) | ((a.min[s + 4] & 15) << 4));
    sb[kQ4KHighBits + x] =
        static_cast<uint8_t>((a.scale[s] >> 4) | ((a.scale[s + 4] >> 4) << 2) |
                             ((a.min[s] >> 4) << 4) | ((a.min[s + 4] >> 4) << 6));
  }
}

// The low 4 bits of every value, at NibblePlace.
void WriteNibbles(const Q4KFields* f, uint8_t* values) {
  for (int s = 0; s < 8; ++s) {
    for (int k = 0; k < 4; ++k) {
      for (int r = 0; r < kRows; ++r) {
        for (int i = 0; i < 4; ++i) {
          const int e = 32 * s + 8 * k + i;
          values[s * 128 + k * 32 + r * 4 + i] =
              static_cast<uint8_t>((f[r].q[e] & 15) | ((f[r].q[e + 4] & 15) << 4));
        }
      }
    }
  }
}

// Q5_K's 5th bits, at HighBitPlace.
void WriteFifthBits(const Q4KFields* f, uint8_t* plane) {
  for (int s = 0; s < 8; ++s) {
    for (int r = 0; r < kRows; ++r) {
      for (int i = 0; i < 4; ++i) {
        int byte = 0;
        for (int k = 0; k < 4; ++k) {
          const int e = 32 * s + 8 * k + i;
          byte |= ((f[r].q[e] >> 4) << (2 * k)) | ((f[r].q[e + 4] >> 4) << (2 * k + 1));
        }
        plane[s * 32 + r * 4 + i] = static_cast<uint8_t>(byte);
      }
    }
  }
}

void GetHeader(const uint8_t* sb, int r, Q4KFields& f) {
  std::memcpy(&f.d, sb + 2 * r, 2);
  std::memcpy(&f.dmin, sb + 16 + 2 * r, 2);
  for (int s = 0; s < 8; ++s) {
    const int x = 8 * s + r, half = x / 32;
    const uint8_t high = sb[kQ4KHighBits + x % 32];
    f.scale[s] =
        GetBits(sb[kQ4KScaleLow + x % 32], 4 * half, 4) | (GetBits(high, 2 * half, 2) << 4);
    f.min[s] =
        GetBits(sb[kQ4KMinLow + x % 32], 4 * half, 4) | (GetBits(high, 4 + 2 * half, 2) << 4);
  }
}

void GetQ4K(const uint8_t* sb, int r, Q4KFields& f) {
  GetHeader(sb, r, f);
  for (int e = 0; e < 256; ++e) {
    const BitPlace at = NibblePlace(r, e);
    f.q[e] = GetBits(sb[kQ4KValues + at.byte], at.shift, 4);
  }
}

void GetQ5K(const uint8_t* sb, int r, Q4KFields& f) {
  GetHeader(sb, r, f);
  for (int e = 0; e < 256; ++e) {
    const BitPlace low = NibblePlace(r, e), high = HighBitPlace(r, e);
    f.q[e] = GetBits(sb[kQ5KValues + low.byte], low.shift, 4) |
             (GetBits(sb[kQ5KHighPlane + high.byte], high.shift, 1) << 4);
  }
}

// --- Q6_K ---------------------------------------------------------------------------------

struct Q6KFields {
  uint16_t d;
  int8_t scale[16];
  uint8_t q[256];  // unsigned, 0..63
};

void DecodeQ6K(const BlockQ6_K& x, Q6KFields& f) {
  f.d = x.d;
  std::memcpy(f.scale, x.scales, 16);
  // Value 128 * chunk + 32 * quarter + l: low 4 bits in ql[64 * chunk + 32 * (quarter & 1) + l]
  // (high nibble for quarters 2, 3), top 2 bits at bit 2 * quarter of qh[32 * chunk + l].
  for (int chunk = 0; chunk < 2; ++chunk) {
    for (int quarter = 0; quarter < 4; ++quarter) {
      for (int l = 0; l < 32; ++l) {
        const int low = (x.ql[chunk * 64 + (quarter & 1) * 32 + l] >> (4 * (quarter >> 1))) & 15;
        const int high = (x.qh[chunk * 32 + l] >> (2 * quarter)) & 3;
        f.q[128 * chunk + 32 * quarter + l] = static_cast<uint8_t>(low | (high << 4));
      }
    }
  }
}

void EncodeQ6K(const Q6KFields& f, BlockQ6_K& x) {
  x.d = f.d;
  std::memcpy(x.scales, f.scale, 16);
  for (int e = 0; e < 256; ++e) {
    const int chunk = e / 128, quarter = (e % 128) / 32, l = e % 32;
    PutBits(&x.ql[chunk * 64 + (quarter & 1) * 32 + l], 4 * (quarter >> 1), 4, f.q[e] & 15);
    PutBits(&x.qh[chunk * 32 + l], 2 * quarter, 2, f.q[e] >> 4);
  }
}

// The three regions of super-block b of a Q6_K group of n_sb super-blocks.
template <typename Byte>
struct Q6KRegions {
  Byte* values;
  Byte* scales;
  Byte* d;
};

template <typename Byte>
Q6KRegions<Byte> RegionsQ6K(Byte* group, int64_t n_sb, int64_t b) {
  return {group + b * kQ6KValueBlock, group + n_sb * kQ6KValueBlock + b * kQ6KScaleBlock,
          group + n_sb * (kQ6KValueBlock + kQ6KScaleBlock) + b * kQ6KDBlock};
}

// A Q6_K value's 6 bits are whole (bits 0-5 of one byte) for values 4j..4j+3 of a 16-value
// half chunk with j < 3; the 4th quarter's values are split in 2-bit pieces p < 3 over bits
// 6-7 of the bytes of the three whole quarters' loads. Place of value e of row r: the byte
// holding it whole, or the byte of its piece p.
uint64_t Q6KByte(int r, int e, int load_in_half) {
  const int c = e / 32, half = (e % 32) / 16, i = e % 4;
  return c * kQ6KChunk + (3 * half + load_in_half) * 32 + r * 4 + i;
}

bool Q6KWhole(int e) { return (e % 16) / 4 < 3; }

void WriteQ6K(const Q6KFields* f, const Q6KRegions<uint8_t>& at) {
  for (int r = 0; r < kRows; ++r) {
    std::memcpy(at.d + 2 * r, &f[r].d, 2);
    for (int j = 0; j < 16; ++j) {
      at.scales[16 * (j / 2) + 2 * r + j % 2] = static_cast<uint8_t>(f[r].scale[j]);
    }
  }
  for (int e = 0; e < 256; ++e) {
    if (!Q6KWhole(e)) continue;
    const int j = (e % 16) / 4, fourth = e - e % 16 + 12 + e % 4;
    for (int r = 0; r < kRows; ++r) {
      at.values[Q6KByte(r, e, j)] =
          static_cast<uint8_t>(f[r].q[e] | (((f[r].q[fourth] >> (2 * j)) & 3) << 6));
    }
  }
}

void GetQ6K(const Q6KRegions<const uint8_t>& at, int r, Q6KFields& f) {
  std::memcpy(&f.d, at.d + 2 * r, 2);
  for (int j = 0; j < 16; ++j) {
    f.scale[j] = static_cast<int8_t>(at.scales[16 * (j / 2) + 2 * r + j % 2]);
  }
  for (int e = 0; e < 256; ++e) {
    if (Q6KWhole(e)) {
      f.q[e] = GetBits(at.values[Q6KByte(r, e, (e % 16) / 4)], 0, 6);
    } else {
      f.q[e] = 0;
      for (int p = 0; p < 3; ++p) f.q[e] |= GetBits(at.values[Q6KByte(r, e, p)], 6, 2) << (2 * p);
    }
  }
}

// Q4_K and Q5_K share their fields (Q4KFields), header and nibble plane; Q5_K adds the
// plane of fifth bits. Block: the GGUF block; kGroupBlock: one packed super-block of the group.
template <typename Block, void (*Decode)(const Block&, Q4KFields&), uint64_t kGroupBlock,
          bool kFifthBits>
void PackQ4KOrQ5K(const uint8_t* src, uint64_t row_bytes, uint8_t* dst) {
  const uint64_t n_sb = row_bytes / sizeof(Block);
  Q4KFields f[kRows];
  for (uint64_t b = 0; b < n_sb; ++b) {
    for (int r = 0; r < kRows; ++r) {
      Block x;
      std::memcpy(&x, src + r * row_bytes + b * sizeof x, sizeof x);
      Decode(x, f[r]);
    }
    uint8_t* sb = dst + b * kGroupBlock;
    WriteHeader(f, sb);
    if constexpr (kFifthBits) WriteFifthBits(f, sb + kQ5KHighPlane);
    WriteNibbles(f, sb + (kFifthBits ? kQ5KValues : kQ4KValues));
  }
}

template <typename Block, void (*Get)(const uint8_t*, int, Q4KFields&),
          void (*Encode)(const Q4KFields&, Block&), uint64_t kGroupBlock>
void UnpackRowQ4KOrQ5K(const uint8_t* group, uint64_t row_bytes, int r, uint8_t* dst) {
  const uint64_t n_sb = row_bytes / sizeof(Block);
  Q4KFields f;
  for (uint64_t b = 0; b < n_sb; ++b) {
    Get(group + b * kGroupBlock, r, f);
    Block x;
    Encode(f, x);
    std::memcpy(dst + b * sizeof x, &x, sizeof x);
  }
}

}  // namespace

void PackQ4K(const uint8_t* src, uint64_t row_bytes, uint8_t* dst) {
  PackQ4KOrQ5K<BlockQ4_K, DecodeQ4K, kQ4KGroupBlock, false>(src, row_bytes, dst);
}

void UnpackRowQ4K(const uint8_t* group, uint64_t row_bytes, int r, uint8_t* dst) {
  UnpackRowQ4KOrQ5K<BlockQ4_K, GetQ4K, EncodeQ4K, kQ4KGroupBlock>(group, row_bytes, r, dst);
}

void PackQ5K(const uint8_t* src, uint64_t row_bytes, uint8_t* dst) {
  PackQ4KOrQ5K<BlockQ5_K, DecodeQ5K, kQ5KGroupBlock, true>(src, row_bytes, dst);
}

void UnpackRowQ5K(const uint8_t* group, uint64_t row_bytes, int r, uint8_t* dst) {
  UnpackRowQ4KOrQ5K<BlockQ5_K, GetQ5K, EncodeQ5K, kQ5KGroupBlock>(group, row_bytes, r, dst);
}

void PackQ6K(const uint8_t* src, uint64_t row_bytes, uint8_t* dst) {
  const int64_t n_sb = static_cast<int64_t>(row_bytes / sizeof(BlockQ6_K));
  Q6KFields f[kRows];
  for (int64_t b = 0; b < n_sb; ++b) {
    for (int r = 0; r < kRows; ++r) {
      BlockQ6_K x;
      std::memcpy(&x, src + r * row_bytes + b * sizeof x, sizeof x);
      DecodeQ6K(x, f[r]);
    }
    WriteQ6K(f, RegionsQ6K(dst, n_sb, b));
  }
}

void UnpackRowQ6K(const uint8_t* group, uint64_t row_bytes, int r, uint8_t* dst) {
  const int64_t n_sb = static_cast<int64_t>(row_bytes / sizeof(BlockQ6_K));
  Q6KFields f;
  for (int64_t b = 0; b < n_sb; ++b) {
    GetQ6K(RegionsQ6K(group, n_sb, b), r, f);
    BlockQ6_K x;
    EncodeQ6K(f, x);
    std::memcpy(dst + b * sizeof x, &x, sizeof x);
  }
}

}  // namespace hearth::kernels::packed_kquant
