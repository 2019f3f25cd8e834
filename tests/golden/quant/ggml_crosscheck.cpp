// Ad-hoc cross-check (not part of hearth_tests): Hearth's kernels against a built
// ggml CPU backend. Build against llama.cpp's ggml (scripts/golden/build_llama_cpp.sh):
//   G=~/.cache/hearth/llama.cpp-0.3.36
//   g++ -O2 -std=c++20 -Isrc -I$G/sdist/vendor/llama.cpp/ggml/include \
//     tests/golden/quant/ggml_crosscheck.cpp build/release/libhearth.a -L$G/build/bin \
//     -lggml-cpu -lggml-base -lfmt -lpthread -Wl,-rpath,$G/build/bin -o /tmp/ggml_crosscheck
// Prints, per weight type, whether dequantization and activation quantization
// are bit-identical to ggml's and how often vec_dot is.
#include <cstring>
#include <cmath>
#include <random>
#include "ggml.h"
#include "ggml-cpu.h"
#include "kernels/kernels.h"
#include "kernels/kernels_test_util.h"
using namespace hearth;
using namespace hearth::kernels;
int main() {
  ggml_cpu_init();
  std::mt19937 rng(42);
  const KernelSet& ks = BestKernels();
  printf("hearth isa %s\n", std::string(IsaName(ks.isa)).c_str());
  for (TensorType type : testing::WeightTypes()) {
    const int64_t n = 4096;
    const auto gt = static_cast<ggml_type>(type);
    const auto* cpu = ggml_get_type_traits_cpu(gt);
    const auto* tr = ggml_get_type_traits(gt);
    int deq_mismatch = 0, q_mismatch_rows = 0, dot_exact = 0;
    double max_rel = 0;
    const TensorType act = ActivationTypeFor(type);
    bool act_ok = static_cast<int>(cpu->vec_dot_type) == static_cast<int>(act);
    for (int rep = 0; rep < 50; ++rep) {
      auto w = testing::RandomRow(type, n, rng);
      std::vector<float> d1(n), d2(n);
      ks.dequantize_row(type, w.data(), d1.data(), n);
      if (tr->to_float) tr->to_float(w.data(), d2.data(), n); else memcpy(d2.data(), w.data(), n*4);
      deq_mismatch += memcmp(d1.data(), d2.data(), n * 4) != 0;
      auto x = testing::RandomFloats(n, rng);
      auto a1 = testing::QuantizedRow(ks, act, x);
      std::vector<uint8_t> a2(a1.size());
      const auto* acpu = ggml_get_type_traits_cpu(cpu->vec_dot_type);
      if (acpu->from_float) acpu->from_float(x.data(), a2.data(), n); else memcpy(a2.data(), x.data(), n*4);
      q_mismatch_rows += memcmp(a1.data(), a2.data(), a1.size()) != 0;
      float s_ggml = 0;
      cpu->vec_dot(n, &s_ggml, 0, w.data(), 0, a2.data(), 0, 1);
      const float s_mine = ks.vec_dot(type, n, w.data(), a2.data());
      double mag = 0; auto af = testing::Dequantized(KernelsFor(Isa::kScalar), act, a2, n);
      for (int64_t i = 0; i < n; ++i) mag += std::fabs((double)d1[i] * af[i]);
      max_rel = std::max(max_rel, std::fabs((double)s_mine - s_ggml) / mag);
      dot_exact += s_mine == s_ggml;
    }
    printf("%-5s act_type_ok=%d dequant_mismatch_rows=%d/50 actquant_mismatch_rows=%d/50 dot_exact=%d/50 max|diff|/sum|wa|=%.2e\n",
           std::string(TensorTypeName(type)).c_str(), act_ok, deq_mismatch, q_mismatch_rows, dot_exact, max_rel);
  }
}
