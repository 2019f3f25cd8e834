// MatMul and GetRow against a naive loop: dequantize each weight row and the
// quantized activations to floats, then dot in double.
#include "kernels/matmul.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/kernels_test_util.h"

namespace hearth::kernels {
namespace {

using testing::Dequantized;
using testing::QuantizedRow;
using testing::RandomFloats;
using testing::RandomRow;

struct Shape {
  int64_t n_in, n_out, n_tokens;
};

TensorView MakeView(TensorType type, int64_t n_in, int64_t n_out, const std::vector<uint8_t>& d) {
  TensorView view;
  view.name = "w";
  view.type = type;
  view.n_dims = 2;
  view.ne = {n_in, n_out, 1, 1};
  view.data = d.data();
  view.nbytes = d.size();
  return view;
}

// For every type, ISA and thread count: y[t][r] equals the dot of dequantized
// row r with token t's activations, quantized as MatMul must (to the weight
// type's activation type). Tolerance as in quant_reference_test: 1e-5 of
// sum |w_i a_i|, float rounding of block-wise integer sums (plus OffsetSlack
// for Q4_1/Q5_1).
TEST(MatMulTest, MatchesNaiveDequantizedLoop) {
  std::mt19937 rng(5);
  const Shape shapes[] = {{256, 7, 1}, {512, 5, 3}, {256, 33, 17}, {768, 1, 2}};
  for (int threads = 1; threads <= 3; ++threads) {
    ThreadPool pool(threads);
    for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
      if (!IsaAvailable(isa)) continue;  // covered by the ISA tests' explicit skips
      const KernelSet& kernels = KernelsFor(isa);
      for (TensorType type : testing::WeightTypes()) {
        for (const Shape& s : shapes) {
          SCOPED_TRACE(fmt::format("{} {} threads={} n_in={} n_out={} n_tokens={}", IsaName(isa),
                                   TensorTypeName(type), threads, s.n_in, s.n_out, s.n_tokens));
          std::vector<uint8_t> w_data;
          for (int64_t r = 0; r < s.n_out; ++r) {
            const auto row = RandomRow(type, s.n_in, rng);
            w_data.insert(w_data.end(), row.begin(), row.end());
          }
          const TensorView w = MakeView(type, s.n_in, s.n_out, w_data);
          const std::vector<float> x = RandomFloats(s.n_in * s.n_tokens, rng);
          std::vector<float> y(static_cast<size_t>(s.n_out * s.n_tokens), NAN);
          MatMul(w, x.data(), s.n_tokens, y.data(), pool, kernels);

          const TensorType act_type = ActivationTypeFor(type);
          const Shape shape = s;
          for (int64_t t = 0; t < shape.n_tokens; ++t) {
            const std::vector<float> xt(x.begin() + t * shape.n_in,
                                        x.begin() + (t + 1) * shape.n_in);
            const auto a_row = QuantizedRow(KernelsFor(Isa::kScalar), act_type, xt);
            const auto a = Dequantized(KernelsFor(Isa::kScalar), act_type, a_row, shape.n_in);
            for (int64_t r = 0; r < shape.n_out; ++r) {
              std::vector<float> wr(static_cast<size_t>(shape.n_in));
              GetRow(w, r, wr.data(), KernelsFor(Isa::kScalar));
              double expected = 0.0, magnitude = 0.0;
              for (int64_t i = 0; i < shape.n_in; ++i) {
                expected += static_cast<double>(wr[i]) * a[i];
                magnitude += std::fabs(static_cast<double>(wr[i]) * a[i]);
              }
              const std::vector<uint8_t> w_row(w.row(r), w.row(r) + w.row_bytes());
              const double slack = testing::OffsetSlack(type, w_row, a_row);
              ASSERT_NEAR(y[t * shape.n_out + r], expected, 1e-5 * magnitude + slack)
                  << "token " << t << " row " << r;
            }
          }
        }
      }
    }
  }
}

TEST(MatMulTest, GetRowReturnsTheRequestedRow) {
  std::mt19937 rng(6);
  for (TensorType type : testing::WeightTypes()) {
    SCOPED_TRACE(std::string(TensorTypeName(type)));
    const int64_t n_in = 512, n_rows = 3;
    std::vector<std::vector<uint8_t>> rows;
    std::vector<uint8_t> data;
    for (int64_t r = 0; r < n_rows; ++r) {
      rows.push_back(RandomRow(type, n_in, rng));
      data.insert(data.end(), rows.back().begin(), rows.back().end());
    }
    const TensorView table = MakeView(type, n_in, n_rows, data);
    for (int64_t r = 0; r < n_rows; ++r) {
      std::vector<float> got(n_in);
      GetRow(table, r, got.data());
      EXPECT_EQ(got, Dequantized(KernelsFor(Isa::kScalar), type, rows[r], n_in));
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
