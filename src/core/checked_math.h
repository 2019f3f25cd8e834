// Overflow-checked unsigned arithmetic for sizes and offsets read from files.
//
// Every size computed from untrusted input (a count times an element size, an
// offset plus a length) goes through these helpers, so a crafted file cannot
// wrap an addition or multiplication around to a small value that then passes
// a bounds check.
#pragma once

#include <cstdint>
#include <optional>

namespace hearth {

// a + b, or nullopt when the sum does not fit in 64 bits.
inline std::optional<uint64_t> CheckedAdd(uint64_t a, uint64_t b) {
  uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// a * b, or nullopt when the product does not fit in 64 bits.
inline std::optional<uint64_t> CheckedMul(uint64_t a, uint64_t b) {
  uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

inline bool IsPowerOfTwo(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

// `value` rounded up to a multiple of `alignment`, or nullopt on overflow.
// Precondition: IsPowerOfTwo(alignment).
inline std::optional<uint64_t> CheckedAlignUp(uint64_t value, uint64_t alignment) {
  auto bumped = CheckedAdd(value, alignment - 1);
  if (!bumped) return std::nullopt;
  return *bumped & ~(alignment - 1);
}

}  // namespace hearth
