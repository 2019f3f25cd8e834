// IEEE half (fp16) and bfloat16 <-> float conversions, bit-exact with the x86
// F16C instructions (vcvtph2ps / vcvtps2ph with round-to-nearest-even) that
// ggml uses on x86, and with ggml's bf16 rounding.
//
// The helpers are `static inline` on purpose: this header is included by files
// compiled with different ISA flags (*_avx2.cpp, *_avx512.cpp). With ordinary
// `inline` the linker would keep one copy of each function, possibly the one
// compiled for AVX-512, and call it from scalar code on CPUs without it.
#pragma once

#include <cstdint>
#include <cstring>

namespace hearth::kernels {

static inline uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

static inline float BitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Exact for every fp16 value; subnormals become normal floats; a signalling
// NaN comes back quiet (as vcvtph2ps does), keeping its payload.
static inline float Fp16ToFp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) {  // inf or NaN
    const uint32_t quiet = mantissa != 0 ? 0x00400000u : 0u;
    return BitsToFloat(sign | 0x7f800000u | quiet | (mantissa << 13));
  }
  if (exponent == 0) {
    if (mantissa == 0) return BitsToFloat(sign);  // +-0
    // Subnormal: value = mantissa * 2^-24; normalize so the implicit bit is set.
    uint32_t float_exponent = 127 - 15 + 1;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --float_exponent;
    }
    mantissa &= 0x3ffu;
    return BitsToFloat(sign | (float_exponent << 23) | (mantissa << 13));
  }
  return BitsToFloat(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

// Rounds to nearest, ties to even; overflow gives +-inf; NaN stays NaN (quiet,
// payload truncated to its top 9 bits, as vcvtps2ph does).
static inline uint16_t Fp32ToFp16(float f) {
  const uint32_t bits = FloatBits(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) {  // NaN
    return static_cast<uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  }
  // 65520 (0x477ff000) is halfway between 65504 (max half) and 65536: ties go
  // to the even neighbour, which is infinity.
  if (magnitude >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  const uint32_t exponent = magnitude >> 23;
  if (magnitude < 0x38800000u) {  // below 2^-14: a half subnormal or zero
    // value in units of 2^-24 is full_mantissa * 2^(exponent - 126).
    const uint32_t shift = 126 - exponent;
    if (shift > 24) return sign;  // below 2^-25 (or exactly it: tie -> 0)
    const uint32_t full_mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    uint32_t result = full_mantissa >> shift;
    const uint32_t remainder = full_mantissa & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (remainder > half || (remainder == half && (result & 1u))) ++result;
    return static_cast<uint16_t>(sign | result);
  }
  uint32_t result = ((exponent - 112) << 10) | ((magnitude >> 13) & 0x3ffu);
  const uint32_t remainder = magnitude & 0x1fffu;
  // A carry out of the mantissa correctly bumps the exponent.
  if (remainder > 0x1000u || (remainder == 0x1000u && (result & 1u))) ++result;
  return static_cast<uint16_t>(sign | result);
}

static inline float Bf16ToFp32(uint16_t h) { return BitsToFloat(static_cast<uint32_t>(h) << 16); }

// As ggml: round to nearest even; NaN keeps its sign and top payload bits and
// is forced quiet. Subnormals are rounded like any other value.
static inline uint16_t Fp32ToBf16(float f) {
  const uint32_t bits = FloatBits(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  }
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace hearth::kernels
