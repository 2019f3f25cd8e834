#include "model/kv_cache.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/ops.h"

namespace hearth {
namespace {

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// Store writes K position-major and V transposed, as fp16, at the given
// positions only, whether it runs on the caller (small batches) or the pool.
TEST(KvCacheTest, StoreWritesFp16KAndTransposedV) {
  const int32_t n_head_kv = 3, head_dim = 64, n_ctx = 300;
  const int64_t row = n_head_kv * head_dim;
  for (int n_threads : {1, 2}) {
    ThreadPool pool(n_threads);
    auto cache = F16KvCache::Create(nullptr, 2, n_ctx, n_head_kv, head_dim);
    ASSERT_TRUE(cache.ok());
    F16KvCache& c = **cache;
    // A prompt chunk large enough to be split, then one token.
    const struct {
      int32_t pos0;
      int64_t n_tokens;
    } stores[] = {{5, 101}, {106, 1}, {107, 13}};
    for (const auto& s : stores) {
      const auto k = Random(s.n_tokens * row, static_cast<uint32_t>(s.pos0));
      const auto v = Random(s.n_tokens * row, static_cast<uint32_t>(s.pos0 + 1000));
      c.Store(1, s.pos0, s.n_tokens, k.data(), v.data(), pool);
      for (int64_t t = 0; t < s.n_tokens; ++t) {
        for (int64_t i = 0; i < row; ++i) {
          const int64_t p = s.pos0 + t;
          ASSERT_EQ(c.k(1)[p * row + i], ops::FloatToHalf(k[t * row + i])) << p << "," << i;
          ASSERT_EQ(c.v(1)[i * c.v_stride() + p], ops::FloatToHalf(v[t * row + i]))
              << p << "," << i;
        }
      }
    }
    // Positions never stored, and the other layer, stay zero.
    for (int64_t i = 0; i < row; ++i) {
      for (int64_t p : {0, 4, 120, 299}) {
        EXPECT_EQ(c.k(1)[p * row + i], 0) << p;
        EXPECT_EQ(c.v(1)[i * c.v_stride() + p], 0) << p;
        EXPECT_EQ(c.v(0)[i * c.v_stride() + 50], 0);
      }
    }
  }
}

}  // namespace
}  // namespace hearth
