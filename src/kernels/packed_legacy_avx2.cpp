// AVX2 kernels on packed row groups of the legacy types (layout: packed_legacy.h).
//
// For one row group and one block, the weight bytes are unpacked once into 8 register
// chunks (chunk c, lane r = row r's values 4c .. 4c+3) and shared by a tile of up to kTile
// tokens. Per token, chunk c meets the token's activation bytes 4c .. 4c+3 broadcast to
// every lane: maddubs gives int16 pairs per lane, the chunks are summed in int16 while that
// cannot overflow (4-bit: 8 * 2 * 15 * 128 = 30720; 5-bit: 4 chunks at a time; Q8_0: one),
// and a madd with ones leaves in lane r row r's exact integer block dot product. Offsets
// (Q4_0's -8, Q5_0's -16) are applied to that integer with the block's integer activation
// sum, as vec_dot does. Then, per output, in block order:
//   acc = fma(float(isum), d_w * d_a, acc)          [Q4_1, Q5_1: acc = fma(m_w, s_a, acc)]
// These f32 operations do not depend on the tile, the number of tokens or the thread split,
// so a batch equals token-by-token evaluation bit for bit (packed.h's contract).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "kernels/packed.h"
#include "kernels/packed_legacy.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels::avx2 {
namespace {

using internal::GemmActivations;
using internal::LegacySections;

// Tokens per register tile: kTile accumulators plus the 8 weight chunks fit the 16 ymm
// registers (Q8_0's 16 chunk registers partly live in L1, read as memory operands).
constexpr int kTile = 4;

inline __m256i Load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

inline __m256i Broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

inline __m256 LoadHalves(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// The 8 chunks of 4-bit values of block b (unsigned bytes 0..15).
inline void NibbleChunks(const uint8_t* qs, __m256i w[8]) {
  const __m256i mask = _mm256_set1_epi8(0x0F);
  for (int k = 0; k < 4; ++k) {
    const __m256i v = Load(qs + 32 * k);
    w[k] = _mm256_and_si256(v, mask);
    w[k + 4] = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
  }
}

// ORs the fifth bits (bit i of byte j = chunk i's byte j) into the 8 chunks.
inline void AddFifthBits(const uint8_t* qh, __m256i w[8]) {
  const __m256i bits = Load(qh);
  const __m256i bit4 = _mm256_set1_epi8(0x10);
  auto add = [&](int i, __m256i shifted) {
    w[i] = _mm256_or_si256(w[i], _mm256_and_si256(shifted, bit4));
  };
  add(0, _mm256_slli_epi32(bits, 4));
  add(1, _mm256_slli_epi32(bits, 3));
  add(2, _mm256_slli_epi32(bits, 2));
  add(3, _mm256_slli_epi32(bits, 1));
  add(4, bits);
  add(5, _mm256_srli_epi32(bits, 1));
  add(6, _mm256_srli_epi32(bits, 2));
  add(7, _mm256_srli_epi32(bits, 3));
}

// Sum of maddubs(w[c], a[4c..4c+3]) for c in [first, first + n), in int16 (no overflow for
// the callers' value ranges), widened to int32 per lane.
template <int kFirst, int kCount>
inline __m256i UnsignedDot(const __m256i w[8], const int8_t* a) {
  __m256i pairs = _mm256_maddubs_epi16(w[kFirst], Broadcast4(a + 4 * kFirst));
  for (int c = kFirst + 1; c < kFirst + kCount; ++c) {
    pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(w[c], Broadcast4(a + 4 * c)));
  }
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// The weight types. Unpack fills the block's chunks; Dot returns each row's integer block
// dot product with the token's block `a` (before the offset); kOffset * sum(a) is
// subtracted after it.
struct Q4_0K {
  static constexpr TensorType kType = TensorType::kQ4_0;
  static constexpr int kOffset = 8;
  static constexpr bool kHasMin = false;
  struct Chunks {
    __m256i w[8];
  };
  static void Unpack(const uint8_t* group, const LegacySections& s, int64_t b, Chunks& c) {
    NibbleChunks(group + s.qs + b * 128, c.w);
  }
  static __m256i Dot(const Chunks& c, const int8_t* a) { return UnsignedDot<0, 8>(c.w, a); }
};

struct Q4_1K : Q4_0K {
  static constexpr TensorType kType = TensorType::kQ4_1;
  static constexpr int kOffset = 0;
  static constexpr bool kHasMin = true;
};

struct Q5_0K {
  static constexpr TensorType kType = TensorType::kQ5_0;
  static constexpr int kOffset = 16;
  static constexpr bool kHasMin = false;
  struct Chunks {
    __m256i w[8];
  };
  static void Unpack(const uint8_t* group, const LegacySections& s, int64_t b, Chunks& c) {
    NibbleChunks(group + s.qs + b * 128, c.w);
    AddFifthBits(group + s.qh + b * 32, c.w);
  }
  // 5-bit values: 4 chunks at most per int16 sum (4 * 2 * 31 * 128 = 31744).
  static __m256i Dot(const Chunks& c, const int8_t* a) {
    return _mm256_add_epi32(UnsignedDot<0, 4>(c.w, a), UnsignedDot<4, 4>(c.w, a));
  }
};

struct Q5_1K : Q5_0K {
  static constexpr TensorType kType = TensorType::kQ5_1;
  static constexpr int kOffset = 0;
  static constexpr bool kHasMin = true;
};

struct Q8_0K {
  static constexpr TensorType kType = TensorType::kQ8_0;
  static constexpr int kOffset = 0;
  static constexpr bool kHasMin = false;
  // maddubs needs an unsigned operand: |w|, with w's sign moved onto the activation.
  struct Chunks {
    __m256i magnitude[8];
    __m256i sign[8];
  };
  static void Unpack(const uint8_t* group, const LegacySections& s, int64_t b, Chunks& c) {
    const uint8_t* qs = group + s.qs + b * 256;
    for (int k = 0; k < 8; ++k) {
      c.sign[k] = Load(qs + 32 * k);
      c.magnitude[k] = _mm256_sign_epi8(c.sign[k], c.sign[k]);
    }
  }
  // One maddubs pair can reach 2 * 128 * 127, so each chunk is widened on its own.
  static __m256i Dot(const Chunks& c, const int8_t* a) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i sum = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      const __m256i signed_a = _mm256_sign_epi8(Broadcast4(a + 4 * k), c.sign[k]);
      sum = _mm256_add_epi32(
          sum, _mm256_madd_epi16(_mm256_maddubs_epi16(c.magnitude[k], signed_a), ones));
    }
    return sum;
  }
};

// One row group times kTokens consecutive tokens from t0: y[(t0 + t) * y_stride + r] for
// the group's rows r < 8 (y points at the group's first row).
template <typename K, int kTokens>
void GroupTimesTokens(const uint8_t* group, const LegacySections& s, int64_t n_blocks,
                      const GemmActivations& act, int64_t t0, float* y, int64_t y_stride) {
  __m256 acc[kTokens];
  for (int t = 0; t < kTokens; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n_blocks; ++b) {
    typename K::Chunks chunks;
    K::Unpack(group, s, b, chunks);
    const __m256 dw = LoadHalves(group + s.d + b * 16);
    __m256 mw = _mm256_setzero_ps();
    if constexpr (K::kHasMin) mw = LoadHalves(group + s.m + b * 16);
    const int64_t i0 = b * act.n_tokens + t0;  // (block b, token t0), block-major
    for (int t = 0; t < kTokens; ++t) {
      const int64_t i = i0 + t;
      __m256i isum = K::Dot(chunks, act.qs + i * kQk);
      if constexpr (K::kOffset != 0) {
        isum = _mm256_sub_epi32(isum, _mm256_set1_epi32(K::kOffset * act.sums[i]));
      }
      const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(act.d[i]));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), scale, acc[t]);
      if constexpr (K::kHasMin) acc[t] = _mm256_fmadd_ps(mw, _mm256_set1_ps(act.s[i]), acc[t]);
    }
  }
  for (int t = 0; t < kTokens; ++t) _mm256_storeu_ps(y + (t0 + t) * y_stride, acc[t]);
}

template <typename K>
using GroupFn = void (*)(const uint8_t*, const LegacySections&, int64_t, const GemmActivations&,
                         int64_t, float*, int64_t);

template <typename K, int... kTokens>
constexpr std::array<GroupFn<K>, sizeof...(kTokens)> GroupFns(
    std::integer_sequence<int, kTokens...>) {
  return {GroupTimesTokens<K, kTokens + 1>...};
}

template <typename K>
void PackedGemm(const internal::PackedGemmArgs& g) {
  static constexpr auto kFns = GroupFns<K>(std::make_integer_sequence<int, kTile>());
  const LegacySections s = internal::LegacySectionsOf(K::kType, g.n_blocks);
  for (int64_t group = 0; group < g.n_groups; ++group) {
    const uint8_t* w = g.w + static_cast<uint64_t>(group) * g.group_bytes;
    float* y = g.y + group * kPackRows;
    for (int64_t t0 = 0; t0 < g.n_tokens; t0 += kTile) {
      const int64_t n = std::min<int64_t>(kTile, g.n_tokens - t0);
      kFns[n - 1](w, s, g.n_blocks, *g.act, t0, y, g.y_stride);
    }
  }
}

}  // namespace
}  // namespace hearth::kernels::avx2

namespace hearth::kernels::internal {

PackedTypeKernels Avx2PackedLegacy(TensorType type) {
  PackedTypeKernels k;
  k.pack = LegacyPackGroup(type);
  k.unpack_row = LegacyUnpackGroupRow(type);
  switch (type) {
    case TensorType::kQ4_0:
      k.gemm = avx2::PackedGemm<avx2::Q4_0K>;
      break;
    case TensorType::kQ4_1:
      k.gemm = avx2::PackedGemm<avx2::Q4_1K>;
      break;
    case TensorType::kQ5_0:
      k.gemm = avx2::PackedGemm<avx2::Q5_0K>;
      break;
    case TensorType::kQ5_1:
      k.gemm = avx2::PackedGemm<avx2::Q5_1K>;
      break;
    case TensorType::kQ8_0:
      k.gemm = avx2::PackedGemm<avx2::Q8_0K>;
      break;
    default:
      return {};
  }
  return k;
}

}  // namespace hearth::kernels::internal
