// The packed GEMVs (packed_gemv.h): bit-identical to the packed GEMM's output for the same
// token inside any batch (the numerics contract), and equal to the scalar reference vec_dot
// within f32 rounding; plus a disabled microbenchmark of GEMV bandwidth against the GEMM run
// with one token.
#include "kernels/packed_gemv.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/avx512_emulated.h"
#include "kernels/kernel_registry.h"
#include "kernels/kernels_test_util.h"
#include "kernels/packed.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels {
namespace {

using testing::Dequantized;
using testing::IsKQuant;
using testing::QuantizedRow;
using testing::RandomFloats;
using testing::RandomRow;

constexpr TensorType kGemvTypes[] = {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ5_0,
                                     TensorType::kQ5_1, TensorType::kQ8_0, TensorType::kQ4_K,
                                     TensorType::kQ5_K, TensorType::kQ6_K};

// A random [n_out, n_in] weight: its rows, and the packed groups (32-byte aligned).
struct PackedWeight {
  TensorType type;
  int64_t n_in = 0, n_out = 0;
  uint64_t row_bytes = 0;
  std::vector<std::vector<uint8_t>> rows;
  std::unique_ptr<uint8_t[], decltype(&std::free)> packed{nullptr, &std::free};
  const uint8_t* copy = nullptr;  // when set, the packed bytes are read here instead
  const uint8_t* Data() const { return copy != nullptr ? copy : packed.get(); }
};

PackedWeight MakePacked(TensorType type, int64_t n_in, int64_t n_out, std::mt19937& rng) {
  PackedWeight w;
  w.type = type;
  w.n_in = n_in;
  w.n_out = n_out;
  w.row_bytes = *RowBytes(type, static_cast<uint64_t>(n_in));
  std::vector<uint8_t> all;
  for (int64_t r = 0; r < n_out; ++r) {
    w.rows.push_back(RandomRow(type, n_in, rng));
    all.insert(all.end(), w.rows.back().begin(), w.rows.back().end());
  }
  w.packed.reset(static_cast<uint8_t*>(std::aligned_alloc(32, (all.size() + 31) / 32 * 32)));
  const auto k = internal::PackedKernelsFor(Isa::kAvx2, type);
  const uint64_t group_bytes = kPackRows * w.row_bytes;
  for (int64_t g = 0; g < n_out / kPackRows; ++g) {
    k.pack(all.data() + g * group_bytes, w.row_bytes, w.packed.get() + g * group_bytes);
  }
  return w;
}

// Quantized activations of n_tokens tokens: the rows (for vec_dot and the K-quant kernels)
// and, for the legacy types, the block-major copy the legacy kernels read.
struct Activations {
  TensorType type;
  uint64_t row_bytes = 0;
  std::vector<uint8_t> rows;
  std::vector<int8_t> qs;
  std::vector<float> d, s;
  std::vector<int32_t> sums;
  internal::GemmActivations view;
};

Activations Quantize(TensorType weight_type, const std::vector<float>& x, int64_t n_in,
                     int64_t n_tokens) {
  Activations a;
  a.type = ActivationTypeFor(weight_type);
  a.row_bytes = *RowBytes(a.type, static_cast<uint64_t>(n_in));
  a.rows.resize(n_tokens * a.row_bytes);
  const auto quantize = internal::ScalarTypeKernels(a.type).quantize;
  for (int64_t t = 0; t < n_tokens; ++t) {
    quantize(x.data() + t * n_in, a.rows.data() + t * a.row_bytes, n_in);
  }
  if (IsKQuant(weight_type)) return a;
  const int64_t n_blocks = n_in / kQk;
  a.qs.resize(n_tokens * n_blocks * kQk);
  a.d.resize(n_tokens * n_blocks);
  a.s.resize(n_tokens * n_blocks);
  a.sums.resize(n_tokens * n_blocks);
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t b = 0; b < n_blocks; ++b) {
      const int64_t i = b * n_tokens + t;  // block-major
      const uint8_t* row = a.rows.data() + t * a.row_bytes;
      const int8_t* qs;
      if (a.type == TensorType::kQ8_1) {
        const auto& block = reinterpret_cast<const BlockQ8_1*>(row)[b];
        qs = block.qs;
        a.d[i] = Fp16ToFp32(block.d);
        a.s[i] = Fp16ToFp32(block.s);
      } else {
        const auto& block = reinterpret_cast<const BlockQ8_0*>(row)[b];
        qs = block.qs;
        a.d[i] = Fp16ToFp32(block.d);
        a.s[i] = 0.0f;
      }
      std::memcpy(&a.qs[i * kQk], qs, kQk);
      a.sums[i] = 0;
      for (int j = 0; j < kQk; ++j) a.sums[i] += qs[j];
    }
  }
  a.view.n_tokens = n_tokens;
  a.view.n_blocks = n_blocks;
  a.view.qs = a.qs.data();
  a.view.d = a.d.data();
  a.view.s = a.s.data();
  a.view.sums = a.sums.data();
  return a;
}

// y ([n_tokens, n_out]) = w . activations through fn over groups [g0, g0 + n_groups).
void RunPacked(internal::PackedGemmFn fn, const PackedWeight& w, const Activations& a,
               int64_t n_tokens, int64_t g0, int64_t n_groups, float* y) {
  internal::PackedGemmArgs args;
  args.group_bytes = kPackRows * w.row_bytes;
  args.w = w.Data() + g0 * args.group_bytes;
  args.n_groups = n_groups;
  args.n_blocks = w.n_in / (IsKQuant(w.type) ? kQkK : kQk);
  args.n_tokens = n_tokens;
  args.act = IsKQuant(w.type) ? nullptr : &a.view;
  args.act_rows = a.rows.data();
  args.act_row_bytes = a.row_bytes;
  args.y = y + g0 * kPackRows;
  args.y_stride = w.n_out;
  fn(args);
}

struct Shape {
  int64_t n_in, n_out;
};

// Shapes with 1 to 7 row groups (odd counts leave a single group after the paired ones).
std::vector<Shape> ShapesFor(TensorType type) {
  if (IsKQuant(type)) return {{256, 8}, {512, 24}, {768, 40}, {256, 56}, {1024, 16}};
  return {{32, 8}, {160, 24}, {576, 40}, {96, 56}, {64, 16}, {2048, 24}};
}

// Every token of a batch through the GEMM equals that token alone through the GEMV, bit for
// bit, for every split of the groups between two calls (as between threads).
TEST(PackedGemvTest, GemvEqualsGemmTokenBitForBit) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  std::mt19937 rng(11);
  constexpr int64_t kTokens = 7;
  for (TensorType type : kGemvTypes) {
    const auto k = internal::PackedKernelsFor(Isa::kAvx2, type);
    const internal::PackedGemmFn gemv = internal::Avx2PackedGemv(type);
    ASSERT_NE(gemv, nullptr) << TensorTypeName(type);
    for (const Shape& shape : ShapesFor(type)) {
      SCOPED_TRACE(fmt::format("{} {}x{}", TensorTypeName(type), shape.n_out, shape.n_in));
      const PackedWeight w = MakePacked(type, shape.n_in, shape.n_out, rng);
      const std::vector<float> x = RandomFloats(shape.n_in * kTokens, rng);
      const Activations batch = Quantize(type, x, shape.n_in, kTokens);
      std::vector<float> y_batch(kTokens * shape.n_out, NAN);
      const int64_t n_groups = shape.n_out / kPackRows;
      RunPacked(k.gemm, w, batch, kTokens, 0, n_groups, y_batch.data());
      for (int64_t t = 0; t < kTokens; ++t) {
        const std::vector<float> xt(x.begin() + t * shape.n_in, x.begin() + (t + 1) * shape.n_in);
        const Activations one = Quantize(type, xt, shape.n_in, 1);
        for (int64_t split = 0; split < n_groups; split += 2) {
          std::vector<float> y(shape.n_out, NAN);
          RunPacked(gemv, w, one, 1, 0, split, y.data());
          RunPacked(gemv, w, one, 1, split, n_groups - split, y.data());
          ASSERT_EQ(std::memcmp(y.data(), &y_batch[t * shape.n_out], y.size() * sizeof(float)), 0)
              << "token " << t << " split " << split << ": first output " << y[0] << " vs "
              << y_batch[t * shape.n_out];
        }
      }
    }
  }
}

// The GEMV against the scalar reference vec_dot of each row (another f32 order: equal
// within rounding of the block terms).
TEST(PackedGemvTest, GemvMatchesScalarVecDot) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  const KernelSet& scalar = KernelsFor(Isa::kScalar);
  std::mt19937 rng(12);
  for (TensorType type : kGemvTypes) {
    for (const Shape& shape : ShapesFor(type)) {
      SCOPED_TRACE(fmt::format("{} {}x{}", TensorTypeName(type), shape.n_out, shape.n_in));
      const PackedWeight w = MakePacked(type, shape.n_in, shape.n_out, rng);
      const std::vector<float> x = RandomFloats(shape.n_in, rng);
      const Activations a = Quantize(type, x, shape.n_in, 1);
      const std::vector<float> a_values = Dequantized(scalar, a.type, a.rows, shape.n_in);
      std::vector<float> y(shape.n_out, NAN);
      RunPacked(internal::Avx2PackedGemv(type), w, a, 1, 0, shape.n_out / kPackRows, y.data());
      for (int64_t r = 0; r < shape.n_out; ++r) {
        const float expected = scalar.vec_dot(type, shape.n_in, w.rows[r].data(), a.rows.data());
        const std::vector<float> row = Dequantized(scalar, type, w.rows[r], shape.n_in);
        double magnitude = 0.0;
        for (int64_t i = 0; i < shape.n_in; ++i) magnitude += std::fabs(row[i] * a_values[i]);
        EXPECT_NEAR(y[r], expected, 1e-5 * magnitude + 1e-6) << "row " << r;
      }
    }
  }
}

// Weight and activations at their extremes. Legacy types: rows quantized from values at their
// largest magnitude, activations all +-127. K-quants: every row byte 0xff (all scales, mins and
// values maximal; Q6_K's scales -1) but d = dmin = 1, activations all -128 (the int16 pair sums'
// worst case in the AVX2 kernels, as packed_kquant_test.cpp's).
void MakeExtreme(PackedWeight& w, Activations& a, const KernelSet& scalar) {
  const TensorType type = w.type;
  std::vector<float> values(w.n_in, type == TensorType::kQ8_0 ? 8.0f : 7.0f);
  for (int64_t i = 0; i < w.n_in; i += 32) values[i] = -8.0f;
  std::vector<uint8_t> all;
  for (auto& row : w.rows) {
    if (IsKQuant(type)) {
      std::fill(row.begin(), row.end(), 0xff);
      const uint64_t block_bytes = TraitsOf(type).block_bytes;
      const uint16_t one = Fp32ToFp16(1.0f);
      for (uint64_t b = 0; b < row.size() / block_bytes; ++b) {
        for (int offset : testing::Fp16FieldOffsets(type)) {
          std::memcpy(&row[b * block_bytes + offset], &one, 2);
        }
      }
    } else {
      row = QuantizedRow(scalar, type, values);
    }
    all.insert(all.end(), row.begin(), row.end());
  }
  const auto pack = internal::PackedKernelsFor(Isa::kAvx2, type).pack;
  const uint64_t group_bytes = kPackRows * w.row_bytes;
  for (int64_t g = 0; g < w.n_out / kPackRows; ++g) {
    pack(all.data() + g * group_bytes, w.row_bytes, w.packed.get() + g * group_bytes);
  }
  if (!IsKQuant(type)) {
    std::vector<float> x(w.n_in);
    for (int64_t i = 0; i < w.n_in; ++i) x[i] = i % 3 == 0 ? -1.0f : 1.0f;
    a = Quantize(type, x, w.n_in, 1);
    return;
  }
  auto* blocks = reinterpret_cast<BlockQ8_K*>(a.rows.data());
  for (int64_t b = 0; b < w.n_in / kQkK; ++b) {
    blocks[b].d = 1.0f;
    std::fill(std::begin(blocks[b].qs), std::end(blocks[b].qs), static_cast<int8_t>(-128));
    std::fill(std::begin(blocks[b].bsums), std::end(blocks[b].bsums), static_cast<int16_t>(-2048));
  }
}

// The AVX-512 VNNI GEMVs (natively where the CPU has AVX-512, and always over SIMDe's
// emulation) equal the AVX2 GEMV bit for bit: 1 to 7 groups (pairs, two pairs per pass, a lone
// last group), every split between two calls, and extreme values (MakeExtreme).
TEST(PackedGemvTest, Avx512GemvEqualsAvx2Gemv) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  const KernelSet& scalar = KernelsFor(Isa::kScalar);
  std::mt19937 rng(13);
  struct Variant {
    const char* name;
    internal::PackedGemmFn (*table)(TensorType);
  };
  std::vector<Variant> variants = {{"avx512_emulated", internal::EmulatedAvx512PackedGemv}};
  if (IsaAvailable(Isa::kAvx512)) variants.push_back({"avx512", internal::Avx512PackedGemv});
  for (TensorType type : kGemvTypes) {
    for (const Shape& shape : ShapesFor(type)) {
      for (bool extreme : {false, true}) {
        PackedWeight w = MakePacked(type, shape.n_in, shape.n_out, rng);
        Activations a = Quantize(type, RandomFloats(shape.n_in, rng), shape.n_in, 1);
        if (extreme) MakeExtreme(w, a, scalar);
        const int64_t n_groups = shape.n_out / kPackRows;
        std::vector<float> expected(shape.n_out, NAN);
        RunPacked(internal::Avx2PackedGemv(type), w, a, 1, 0, n_groups, expected.data());
        for (const Variant& v : variants) {
          SCOPED_TRACE(fmt::format("{} {} {}x{} extreme={}", v.name, TensorTypeName(type),
                                   shape.n_out, shape.n_in, extreme));
          const internal::PackedGemmFn gemv = v.table(type);
          ASSERT_NE(gemv, nullptr);
          for (int64_t split = 0; split < n_groups; ++split) {
            std::vector<float> y(shape.n_out, NAN);
            RunPacked(gemv, w, a, 1, 0, split, y.data());
            RunPacked(gemv, w, a, 1, split, n_groups - split, y.data());
            ASSERT_EQ(std::memcmp(y.data(), expected.data(), y.size() * sizeof(float)), 0)
                << "split " << split << ": first output " << y[0] << " vs " << expected[0];
          }
        }
      }
    }
  }
  EXPECT_EQ(internal::EmulatedAvx512PackedGemv(TensorType::kQ2_K), nullptr);
  if (IsaAvailable(Isa::kAvx512)) {
    for (TensorType type : kGemvTypes) {
      EXPECT_EQ(internal::PackedKernelsFor(Isa::kAvx512, type).gemv,
                internal::Avx512PackedGemv(type));
    }
  }
}

TEST(PackedGemvTest, OnlyPackedTypesHaveAGemv) {
  EXPECT_EQ(internal::Avx2PackedGemv(TensorType::kF32), nullptr);
  EXPECT_EQ(internal::Avx2PackedGemv(TensorType::kQ2_K), nullptr);
}

// --- microbenchmark (disabled; run by hand) -----------------------------------------------
//   hearth_tests --gtest_also_run_disabled_tests --gtest_filter='*PackedGemvBench*'
// Weight GB/s of one pass over distinct copies of a matrix (96 MB in all, beyond the 32 MB
// L3), each copy's groups split in equal contiguous parts between the threads; GEMV against
// the GEMM with one token (HEARTH_BENCH_ISA=avx512: the AVX-512 GEMV against the AVX2 GEMV),
// interleaved, best of 15 per round. A pass's time is its slowest thread's CPU time, so that
// other work on the machine's cores does not count. The copies lie one after the other, so a
// GEMV's prefetch past its part is not wasted as it can be in a model.

double ThreadSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double PassGBs(const std::vector<PackedWeight>& copies, const Activations& a,
               internal::PackedGemmFn fn, int n_threads) {
  std::vector<float> y(copies[0].n_out);
  double best = 1e30;
  const int64_t n_groups = copies[0].n_out / kPackRows;
  for (int rep = 0; rep < 15; ++rep) {
    std::vector<double> seconds(n_threads);
    std::vector<std::thread> threads;
    for (int i = 0; i < n_threads; ++i) {
      threads.emplace_back([&, i] {
        const int64_t g0 = n_groups * i / n_threads, g1 = n_groups * (i + 1) / n_threads;
        const double start = ThreadSeconds();
        for (const PackedWeight& w : copies) RunPacked(fn, w, a, 1, g0, g1 - g0, y.data());
        seconds[i] = ThreadSeconds() - start;
      });
    }
    for (auto& t : threads) t.join();
    best = std::min(best, *std::max_element(seconds.begin(), seconds.end()));
  }
  return static_cast<double>(copies.size() * copies[0].n_out * copies[0].row_bytes) / best * 1e-9;
}

// HEARTH_GEMV_BENCH_TYPE=Q4_0 limits the types; HEARTH_GEMV_BENCH_SHAPE=n_out,n_in picks the
// matrix (default 2048,2048; a model's shapes, e.g. 1536,576 or 49152,576, show short rows).
TEST(PackedGemvBench, DISABLED_GemvAgainstGemmOneToken) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  const char* only = std::getenv("HEARTH_GEMV_BENCH_TYPE");
  int64_t n_out = 2048, n_in = 2048;
  if (const char* shape = std::getenv("HEARTH_GEMV_BENCH_SHAPE")) {
    ASSERT_EQ(std::sscanf(shape, "%ld,%ld", &n_out, &n_in), 2) << shape;
  }
  for (TensorType type : kGemvTypes) {
    if (only != nullptr && std::string(only) != TensorTypeName(type)) continue;
    if (n_in % (IsKQuant(type) ? kQkK : kQk) != 0) continue;
    std::mt19937 rng(13);
    std::vector<PackedWeight> copies;
    copies.push_back(MakePacked(type, n_in, n_out, rng));
    const uint64_t bytes = n_out * copies[0].row_bytes;
    // Copies totalling at least 96 MB (three times the L3), one after the other in one
    // buffer on huge pages as in the model loader's arena.
    const uint64_t stride = (bytes + 31) / 32 * 32;
    const uint64_t n_copies = std::max<uint64_t>(2, (96u << 20) / bytes + 1);
    const uint64_t arena_bytes = (n_copies * stride + (2u << 20) - 1) / (2u << 20) * (2u << 20);
    std::unique_ptr<uint8_t[], decltype(&std::free)> arena(
        static_cast<uint8_t*>(std::aligned_alloc(2u << 20, arena_bytes)), &std::free);
    madvise(arena.get(), arena_bytes, MADV_HUGEPAGE);
    for (uint64_t i = 0; i < n_copies; ++i) {
      PackedWeight c;
      c.type = type;
      c.n_in = n_in;
      c.n_out = n_out;
      c.row_bytes = copies[0].row_bytes;
      c.copy = arena.get() + i * stride;
      std::memcpy(arena.get() + i * stride, copies[0].packed.get(), bytes);
      copies.push_back(std::move(c));
    }
    copies.erase(copies.begin());  // the original, off the arena
    const Activations a = Quantize(type, RandomFloats(n_in, rng), n_in, 1);
    const char* isa = std::getenv("HEARTH_BENCH_ISA");
    const bool avx512 =
        isa != nullptr && std::string(isa) == "avx512" && IsaAvailable(Isa::kAvx512);
    const auto old_fn =
        avx512 ? internal::Avx2PackedGemv(type) : internal::PackedKernelsFor(Isa::kAvx2, type).gemm;
    const auto new_fn = avx512 ? internal::Avx512PackedGemv(type) : internal::Avx2PackedGemv(type);
    for (int n_threads : {1, 2}) {
      for (int round = 0; round < 2; ++round) {
        const double old_gbs = PassGBs(copies, a, old_fn, n_threads);
        const double new_gbs = PassGBs(copies, a, new_fn, n_threads);
        fmt::print("{} GEMV {}x{} threads={}: {} {:.1f} GB/s, {} {:.1f} GB/s ({:.2f}x)\n",
                   TensorTypeName(type), n_out, n_in, n_threads, avx512 ? "avx512 gemv" : "gemv",
                   new_gbs, avx512 ? "avx2 gemv" : "gemm(1 token)", old_gbs, new_gbs / old_gbs);
      }
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
