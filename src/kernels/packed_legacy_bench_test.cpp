// Microbenchmark (disabled by default; not a timed test) of the packed legacy-type GEMM
// (Q4_0, Q5_0, Q8_0; and Q4_K, Q6_K for the shapes they fit) through MatMul, as the model calls it
// (activation quantization included). Run with
//   hearth_tests --gtest_also_run_disabled_tests --gtest_filter='*PackedLegacyBench*'
// (HEARTH_BENCH_ISA=avx512 measures the AVX-512 kernels: AMX prompts where the CPU has it).
// Prints multiply-adds per TSC cycle per thread for a weight that stays in L2 and for the
// prompt shapes of SmolLM2-135M (576 <-> 1536) and of a 1B llama (2048 <-> 5632), 512 tokens.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <time.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <string_view>
#include <vector>

#include "kernels/kernel_registry.h"
#include "kernels/kernels_test_util.h"
#include "kernels/matmul.h"
#include "kernels/packed.h"
#include "kernels/quant_blocks.h"

namespace hearth::kernels {
namespace {

struct Shape {
  int64_t n_out, n_in, n_tokens;
};

// TSC ticks per nanosecond, measured once against the steady clock.
double TscGhz() {
  static const double ghz = [] {
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t c0 = __rdtsc();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(50)) {
    }
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    return static_cast<double>(__rdtsc() - c0) / ns;
  }();
  return ghz;
}

// The ISA measured: HEARTH_BENCH_ISA=avx512 (with AMX where the CPU has it) or AVX2 by default.
const KernelSet& BenchKernels() {
  const char* isa = std::getenv("HEARTH_BENCH_ISA");
  const bool avx512 = isa != nullptr && std::string_view(isa) == "avx512";
  return KernelsFor(avx512 && IsaAvailable(Isa::kAvx512) ? Isa::kAvx512 : Isa::kAvx2);
}

// Multiply-adds per TSC cycle per thread of MatMul on a packed [n_out, n_in] weight of `type`
// (best of `reps`).
double MacsPerCycle(TensorType type, const Shape& s, int threads, int reps) {
  std::mt19937 rng(1);
  std::vector<uint8_t> rows;
  for (int64_t r = 0; r < s.n_out; ++r) {
    const auto row = testing::RandomRow(type, s.n_in, rng);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  TensorView w;
  w.name = "w";
  w.type = type;
  w.n_dims = 2;
  w.ne = {s.n_in, s.n_out, 1, 1};
  w.data = rows.data();
  w.nbytes = rows.size();
  std::unique_ptr<uint8_t[], decltype(&std::free)> packed(
      static_cast<uint8_t*>(std::aligned_alloc(32, (rows.size() + 31) / 32 * 32)), &std::free);
  ThreadPool pool(threads);
  const TensorView pw = PackWeight(w, packed.get(), pool);
  const std::vector<float> x = testing::RandomFloats(s.n_in * s.n_tokens, rng);
  std::vector<float> y(s.n_out * s.n_tokens);
  MatMul(pw, x.data(), s.n_tokens, y.data(), pool, BenchKernels());  // warm up
  // One thread runs on the caller: its CPU time, which a machine shared with other work
  // disturbs less than wall time, converted to TSC cycles.
  const auto cycles = [&] {
    if (threads > 1) return static_cast<double>(__rdtsc());
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec)) * TscGhz();
  };
  double best = 1e300;
  for (int rep = 0; rep < reps; ++rep) {
    const double start = cycles();
    MatMul(pw, x.data(), s.n_tokens, y.data(), pool, BenchKernels());
    best = std::min(best, cycles() - start);
  }
  return static_cast<double>(s.n_out * s.n_in * s.n_tokens) / best / threads;
}

TEST(PackedLegacyBench, DISABLED_GemmMacsPerCycle) {
  if (!IsaAvailable(Isa::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  const Shape shapes[] = {{256, 2048, 64},   {1536, 576, 512},  {576, 1536, 512},
                          {2048, 2048, 512}, {5632, 2048, 512}, {2048, 5632, 512}};
  const char* env = std::getenv("HEARTH_BENCH_THREADS");
  const int threads = env != nullptr ? std::atoi(env) : 1;
  const char* filter = std::getenv("HEARTH_BENCH_FILTER");  // e.g. "Q4_0 2048x"
  for (TensorType type : {TensorType::kQ4_0, TensorType::kQ8_0, TensorType::kQ5_0,
                          TensorType::kQ4_K, TensorType::kQ6_K}) {
    for (const Shape& s : shapes) {
      if (filter != nullptr &&
          fmt::format("{} {}x{}", TensorTypeName(type), s.n_out, s.n_in).find(filter) ==
              std::string::npos)
        continue;
      if (s.n_in % kQkK != 0 && (type == TensorType::kQ4_K || type == TensorType::kQ6_K)) continue;
      const double macs = MacsPerCycle(type, s, threads, s.n_out * s.n_in > 4'000'000 ? 2 : 5);
      fmt::print("{} {}x{} tokens={} threads={}: {:.1f} MAC/cycle/thread\n", TensorTypeName(type),
                 s.n_out, s.n_in, s.n_tokens, threads, macs);
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
