// Per-tensor type rules of the llama.cpp mixes, as a table: file type, tensor
// name, expected type. The expectations were worked out by hand from
// llama.cpp's llama-quant.cpp (and the 2-layer cases are also checked against
// llama-quantize's real output in quantize_golden_test.cpp).
#include "engine/quantize_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace hearth {
namespace {

using T = TensorType;

struct ModelShape {
  int n_layer = 32;
  int64_t n_embd = 4096;
  int64_t n_ff = 11008;
  bool tied = false;
};

// A llama-style model's tensors in GGUF writer order.
std::vector<QuantizeTensorDesc> LlamaTensors(const ModelShape& m) {
  std::vector<QuantizeTensorDesc> t;
  auto add = [&](std::string name, int64_t ne0, int64_t ne1) {
    t.push_back({std::move(name), T::kF16, {ne0, ne1, 1, 1}});
  };
  add("token_embd.weight", m.n_embd, 32000);
  for (int i = 0; i < m.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    t.push_back({p + "attn_norm.weight", T::kF32, {m.n_embd, 1, 1, 1}});
    add(p + "attn_q.weight", m.n_embd, m.n_embd);
    add(p + "attn_k.weight", m.n_embd, m.n_embd / 4);
    add(p + "attn_v.weight", m.n_embd, m.n_embd / 4);
    add(p + "attn_output.weight", m.n_embd, m.n_embd);
    t.push_back({p + "ffn_norm.weight", T::kF32, {m.n_embd, 1, 1, 1}});
    add(p + "ffn_gate.weight", m.n_embd, m.n_ff);
    add(p + "ffn_up.weight", m.n_embd, m.n_ff);
    add(p + "ffn_down.weight", m.n_ff, m.n_embd);
  }
  t.push_back({"output_norm.weight", T::kF32, {m.n_embd, 1, 1, 1}});
  if (!m.tied) add("output.weight", m.n_embd, 32000);
  return t;
}

std::map<std::string, T> Choose(std::string_view ftype_name, const ModelShape& m, int n_expert = 0,
                                std::string arch = "llama") {
  const QuantizeFileType ftype = ParseQuantizeFileType(ftype_name).value();
  QuantizeModelInfo info{std::move(arch), m.n_layer, n_expert, 32, 8};
  const auto tensors = LlamaTensors(m);
  const std::vector<T> types = ChooseTensorTypes(ftype, info, tensors).value();
  std::map<std::string, T> by_name;
  for (size_t i = 0; i < tensors.size(); ++i) by_name[tensors[i].name] = types[i];
  return by_name;
}

struct Row {
  const char* ftype;
  const char* tensor;
  T expected;
};

// 32 layers: "more bits" layers are 0-3, 28-31 and 4 + 3k + 2 = 6, 9, ..., 27.
const Row kLlama32Rows[] = {
    {"Q4_K_M", "token_embd.weight", T::kQ4_K},
    {"Q4_K_M", "output.weight", T::kQ6_K},
    {"Q4_K_M", "output_norm.weight", T::kF32},
    {"Q4_K_M", "blk.0.attn_norm.weight", T::kF32},
    {"Q4_K_M", "blk.0.attn_v.weight", T::kQ6_K},
    {"Q4_K_M", "blk.3.attn_v.weight", T::kQ6_K},
    {"Q4_K_M", "blk.4.attn_v.weight", T::kQ4_K},
    {"Q4_K_M", "blk.5.attn_v.weight", T::kQ4_K},
    {"Q4_K_M", "blk.6.attn_v.weight", T::kQ6_K},
    {"Q4_K_M", "blk.10.attn_v.weight", T::kQ4_K},
    {"Q4_K_M", "blk.12.attn_v.weight", T::kQ6_K},
    {"Q4_K_M", "blk.27.attn_v.weight", T::kQ6_K},
    {"Q4_K_M", "blk.26.attn_v.weight", T::kQ4_K},
    {"Q4_K_M", "blk.28.attn_v.weight", T::kQ6_K},
    {"Q4_K_M", "blk.31.attn_v.weight", T::kQ6_K},
    {"Q4_K_M", "blk.0.ffn_down.weight", T::kQ6_K},
    {"Q4_K_M", "blk.5.ffn_down.weight", T::kQ4_K},
    {"Q4_K_M", "blk.9.ffn_down.weight", T::kQ6_K},
    {"Q4_K_M", "blk.29.ffn_down.weight", T::kQ6_K},
    {"Q4_K_M", "blk.0.attn_q.weight", T::kQ4_K},
    {"Q4_K_M", "blk.0.attn_k.weight", T::kQ4_K},
    {"Q4_K_M", "blk.0.attn_output.weight", T::kQ4_K},
    {"Q4_K_M", "blk.0.ffn_gate.weight", T::kQ4_K},
    {"Q4_K_M", "blk.0.ffn_up.weight", T::kQ4_K},
    {"Q5_K_M", "blk.0.attn_v.weight", T::kQ6_K},
    {"Q5_K_M", "blk.4.attn_v.weight", T::kQ5_K},
    {"Q5_K_M", "blk.6.ffn_down.weight", T::kQ6_K},
    {"Q5_K_M", "blk.7.ffn_down.weight", T::kQ5_K},
    {"Q5_K_M", "blk.7.attn_q.weight", T::kQ5_K},
    {"Q5_K_M", "output.weight", T::kQ6_K},
    {"Q4_K_S", "blk.3.attn_v.weight", T::kQ5_K},
    {"Q4_K_S", "blk.4.attn_v.weight", T::kQ4_K},
    {"Q4_K_S", "blk.3.ffn_down.weight", T::kQ5_K},
    {"Q4_K_S", "blk.4.ffn_down.weight", T::kQ4_K},
    {"Q5_K_S", "blk.0.attn_v.weight", T::kQ5_K},
    {"Q5_K_S", "blk.0.ffn_down.weight", T::kQ5_K},
    {"Q6_K", "blk.0.attn_v.weight", T::kQ6_K},
    {"Q6_K", "output.weight", T::kQ6_K},
    {"Q4_0", "output.weight", T::kQ6_K},
    {"Q4_0", "token_embd.weight", T::kQ4_0},
    {"Q4_0", "blk.0.attn_v.weight", T::kQ4_0},
    {"Q4_0", "blk.0.ffn_down.weight", T::kQ4_0},
    {"Q4_1", "output.weight", T::kQ6_K},
    {"Q5_1", "blk.0.ffn_down.weight", T::kQ5_1},
    {"Q8_0", "output.weight", T::kQ8_0},
    {"Q8_0", "blk.0.attn_v.weight", T::kQ8_0},
    {"F16", "output.weight", T::kF16},
    {"F16", "blk.0.attn_norm.weight", T::kF32},
    {"F32", "blk.0.attn_q.weight", T::kF32},
    {"BF16", "token_embd.weight", T::kBF16},
};

TEST(QuantizePlanTest, Llama32LayerRules) {
  std::map<std::string, std::map<std::string, T>> cache;
  for (const Row& row : kLlama32Rows) {
    SCOPED_TRACE(std::string(row.ftype) + " " + row.tensor);
    auto& types = cache[row.ftype];
    if (types.empty()) types = Choose(row.ftype, ModelShape{});
    ASSERT_TRUE(types.count(row.tensor));
    EXPECT_EQ(TensorTypeName(types[row.tensor]), TensorTypeName(row.expected));
  }
}

// Without output.weight the token embeddings are also the output matrix and
// get the output's type.
TEST(QuantizePlanTest, TiedEmbeddingsGetOutputType) {
  ModelShape tied;
  tied.tied = true;
  EXPECT_EQ(Choose("Q4_K_M", tied)["token_embd.weight"], T::kQ6_K);
  EXPECT_EQ(Choose("Q4_0", tied)["token_embd.weight"], T::kQ6_K);
  EXPECT_EQ(Choose("Q8_0", tied)["token_embd.weight"], T::kQ8_0);
}

// SmolLM2-135M's shape: 30 layers, rows of 576 values (not a multiple of 256).
TEST(QuantizePlanTest, RowsNotWholeSuperBlocksFallBack) {
  ModelShape m{30, 576, 1536, true};
  auto q4km = Choose("Q4_K_M", m);
  EXPECT_EQ(q4km["token_embd.weight"], T::kQ8_0);    // output rule: 576 % 256 != 0
  EXPECT_EQ(q4km["blk.0.attn_q.weight"], T::kQ5_0);  // Q4_K -> Q5_0
  EXPECT_EQ(q4km["blk.0.attn_v.weight"], T::kQ8_0);  // Q6_K -> Q8_0
  EXPECT_EQ(q4km["blk.4.attn_v.weight"], T::kQ5_0);
  EXPECT_EQ(q4km["blk.0.ffn_down.weight"], T::kQ6_K);  // rows of 1536 fit
  EXPECT_EQ(q4km["blk.4.ffn_down.weight"], T::kQ4_K);  // 30 layers: (4 - 3) % 3 != 2
  auto q5km = Choose("Q5_K_M", m);
  EXPECT_EQ(q5km["blk.0.attn_q.weight"], T::kQ5_1);  // Q5_K -> Q5_1
  // Rows that are not even whole 32-value blocks become F16.
  ModelShape odd{2, 100, 256, false};
  auto odd_types = Choose("Q4_K_M", odd);
  EXPECT_EQ(odd_types["blk.0.attn_q.weight"], T::kF16);
  EXPECT_EQ(odd_types["output.weight"], T::kF16);  // Q8_0 does not fit either
  EXPECT_EQ(Choose("Q4_0", odd)["blk.0.attn_q.weight"], T::kF16);
}

// The counters run in llama.cpp's order (by layer number), so shuffling the
// file's tensor order changes nothing.
TEST(QuantizePlanTest, InputOrderDoesNotMatter) {
  const QuantizeFileType ftype = ParseQuantizeFileType("Q4_K_M").value();
  const QuantizeModelInfo info{"llama", 32, 0, 32, 8};
  auto tensors = LlamaTensors(ModelShape{});
  const auto base = ChooseTensorTypes(ftype, info, tensors).value();
  std::map<std::string, T> expected;
  for (size_t i = 0; i < tensors.size(); ++i) expected[tensors[i].name] = base[i];
  std::mt19937 rng(7);
  std::shuffle(tensors.begin(), tensors.end(), rng);
  const auto shuffled = ChooseTensorTypes(ftype, info, tensors).value();
  for (size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ(shuffled[i], expected[tensors[i].name]) << tensors[i].name;
  }
}

TEST(QuantizePlanTest, EightExpertModelsAndSeventyB) {
  auto moe = Choose("Q4_K_M", ModelShape{}, 8);
  EXPECT_EQ(moe["blk.0.attn_v.weight"], T::kQ8_0);
  EXPECT_EQ(moe["blk.0.attn_k.weight"], T::kQ8_0);
  EXPECT_EQ(moe["blk.0.attn_output.weight"], T::kQ5_K);
  // llama with 80 layers and grouped KV heads is llama.cpp's "70B" type: its
  // attn_v gets Q5_K where the mix would give Q4_K.
  ModelShape big;
  big.n_layer = 80;
  auto b = Choose("Q4_K_M", big);
  EXPECT_EQ(b["blk.10.attn_v.weight"], T::kQ5_K);  // 80/8=10: (10-10)%3 != 2
  EXPECT_EQ(b["blk.12.attn_v.weight"], T::kQ6_K);
}

TEST(QuantizePlanTest, WhichTensorsAreQuantized) {
  EXPECT_TRUE(TensorAllowsQuantization("blk.0.attn_q.weight", {64, 64, 1, 1}));
  EXPECT_FALSE(TensorAllowsQuantization("blk.0.attn_q.bias", {64, 1, 1, 1}));
  EXPECT_FALSE(TensorAllowsQuantization("blk.0.attn_q.weight", {64, 1, 1, 1}));  // 1-D
  EXPECT_FALSE(TensorAllowsQuantization("blk.0.attn_q_norm.weight", {64, 64, 1, 1}));
  EXPECT_FALSE(TensorAllowsQuantization("blk.0.ffn_gate_inp.weight", {64, 8, 1, 1}));
  EXPECT_FALSE(TensorAllowsQuantization("position_embd.weight", {64, 64, 1, 1}));
  EXPECT_FALSE(TensorAllowsQuantization("rope_freqs", {64, 64, 1, 1}));
  EXPECT_TRUE(TensorAllowsQuantization("blk.0.ffn_up_exps.weight", {64, 64, 8, 1}));
}

TEST(QuantizePlanTest, ParsesFileTypeNames) {
  EXPECT_EQ(ParseQuantizeFileType("q4_k_m").value().llama_ftype, 15u);
  EXPECT_EQ(ParseQuantizeFileType("Q4_K").value().llama_ftype, 15u);
  EXPECT_EQ(ParseQuantizeFileType("Q5_K").value().llama_ftype, 17u);
  EXPECT_EQ(ParseQuantizeFileType("Q8_0").value().llama_ftype, 7u);
  EXPECT_EQ(ParseQuantizeFileType("F32").value().llama_ftype, 0u);
  EXPECT_EQ(ParseQuantizeFileType("BF16").value().llama_ftype, 32u);
  const auto bad = ParseQuantizeFileType("Q3_K_XL");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Q3_K_XL"), std::string::npos);
}

}  // namespace
}  // namespace hearth
