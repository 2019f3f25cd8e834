#include "core/checked_math.h"

#include <gtest/gtest.h>

#include <limits>

namespace hearth {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(CheckedMathTest, AddDetectsOverflow) {
  EXPECT_EQ(CheckedAdd(2, 3), 5u);
  EXPECT_EQ(CheckedAdd(kMax - 1, 1), kMax);
  EXPECT_EQ(CheckedAdd(kMax, 1), std::nullopt);
  EXPECT_EQ(CheckedAdd(1ull << 63, 1ull << 63), std::nullopt);
}

TEST(CheckedMathTest, MulDetectsOverflow) {
  EXPECT_EQ(CheckedMul(0, kMax), 0u);
  EXPECT_EQ(CheckedMul(1ull << 32, (1ull << 32) - 1), kMax - ((1ull << 32) - 1));
  EXPECT_EQ(CheckedMul(1ull << 32, 1ull << 32), std::nullopt);
  EXPECT_EQ(CheckedMul(3, 6148914691236517206ull), std::nullopt);  // 3 * ceil(2^64/3)
}

TEST(CheckedMathTest, AlignUpAndPowersOfTwo) {
  EXPECT_EQ(CheckedAlignUp(0, 32), 0u);
  EXPECT_EQ(CheckedAlignUp(1, 32), 32u);
  EXPECT_EQ(CheckedAlignUp(64, 32), 64u);
  EXPECT_EQ(CheckedAlignUp(kMax - 3, 32), std::nullopt);
  EXPECT_TRUE(IsPowerOfTwo(1));
  EXPECT_TRUE(IsPowerOfTwo(1ull << 63));
  EXPECT_FALSE(IsPowerOfTwo(0));
  EXPECT_FALSE(IsPowerOfTwo(3));
  EXPECT_FALSE(IsPowerOfTwo(kMax));
}

}  // namespace
}  // namespace hearth
