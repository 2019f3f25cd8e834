// Block layouts of the quantized GGUF tensor types (ggml's ggml-common.h).
//
// Scales stored as fp16 are kept as raw uint16_t bits; convert with
// float16.h. All multi-byte fields are little-endian (as GGUF files are, and as
// every CPU Hearth runs on is).
#pragma once

#include <cstdint>

namespace hearth::kernels {

inline constexpr int kQk = 32;    // values per block of the legacy types
inline constexpr int kQkK = 256;  // values per super-block of the K-quants
inline constexpr int kKScaleBytes = 12;

// x[j] = d * (q[j] - 8); q[j] is the low nibble of qs[j] for j < 16, the
// high nibble of qs[j - 16] otherwise.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQk / 2];
};

// x[j] = d * q[j] + m (nibbles as in Q4_0).
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQk / 2];
};

// x[j] = d * (q[j] - 16); the 5th bit of q[j] is bit j of qh (little-endian u32).
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQk / 2];
};

// x[j] = d * q[j] + m (5-bit q as in Q5_0).
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQk / 2];
};

// x[j] = d * qs[j].
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQk];
};

// Activation type for Q4_1/Q5_1: as Q8_0 plus s = d * sum(qs) (fp16).
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQk];
};

// 16 groups of 16: x = d * (scales[g] & 15) * q - dmin * (scales[g] >> 4), q 2-bit.
struct BlockQ2_K {
  uint8_t scales[kQkK / 16];
  uint8_t qs[kQkK / 4];
  uint16_t d;
  uint16_t dmin;
};

// 16 groups of 16: x = d * (scale6[g] - 32) * (q2 - (hmask bit ? 0 : 4)).
struct BlockQ3_K {
  uint8_t hmask[kQkK / 8];
  uint8_t qs[kQkK / 4];
  uint8_t scales[kKScaleBytes];
  uint16_t d;
};

// 8 groups of 32: x = d * scale6[g] * q4 - dmin * min6[g].
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQkK / 2];
};

// As Q4_K with a 5th bit per value in qh.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQkK / 8];
  uint8_t qs[kQkK / 2];
};

// 16 groups of 16: x = d * scales[g] * (q6 - 32).
struct BlockQ6_K {
  uint8_t ql[kQkK / 2];
  uint8_t qh[kQkK / 4];
  int8_t scales[kQkK / 16];
  uint16_t d;
};

// Activation type for the K-quants: float scale, and bsums[g] = sum of the
// 16 qs of group g (used to apply the weights' mins and offsets cheaply).
struct BlockQ8_K {
  float d;
  int8_t qs[kQkK];
  int16_t bsums[kQkK / 16];
};

// Sizes must match core/tensor_type.cpp's block_bytes.
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

}  // namespace hearth::kernels
