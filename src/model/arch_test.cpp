// Each architecture against a naive double-precision reference written from
// the published model definitions, on tiny random models built in memory.
// Catches wiring mistakes (RoPE pairing, head mapping, norms, biases, windows),
// which change logits by O(1); the tolerance only covers fp16 rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/gguf_writer.h"
#include "model/model.h"

namespace hearth {
namespace {

struct TinyConfig {
  std::string arch;
  int n_vocab = 64, n_embd = 32, n_layer = 3, n_head = 4, n_head_kv = 2, head_dim = 8, n_ff = 48;
  int n_ctx = 64;
  float eps = 1e-5f, rope_base = 10000.0f;
  int window = 0, pattern = 0;  // gemma3: sliding window and its period
  float final_softcap = 0.0f;
};

struct Tensor {
  std::vector<int64_t> ne;
  std::vector<float> data;
};

using Weights = std::map<std::string, Tensor>;

class TinyModel {
 public:
  explicit TinyModel(const TinyConfig& c) : c_(c), rng_(1234) {
    const int q_dim = c.n_head * c.head_dim, kv_dim = c.n_head_kv * c.head_dim;
    Matrix("token_embd.weight", c.n_embd, c.n_vocab, 1.0f);
    Norm("output_norm.weight", c.n_embd);
    if (c.arch != "gemma3") Matrix("output.weight", c.n_embd, c.n_vocab, 0.3f);
    for (int l = 0; l < c.n_layer; ++l) {
      const std::string p = "blk." + std::to_string(l) + ".";
      Norm(p + "attn_norm.weight", c.n_embd);
      Matrix(p + "attn_q.weight", c.n_embd, q_dim, 0.4f);
      Matrix(p + "attn_k.weight", c.n_embd, kv_dim, 0.4f);
      Matrix(p + "attn_v.weight", c.n_embd, kv_dim, 0.4f);
      Matrix(p + "attn_output.weight", q_dim, c.n_embd, 0.3f);
      Norm(p + "ffn_norm.weight", c.n_embd);
      Matrix(p + "ffn_gate.weight", c.n_embd, c.n_ff, 0.4f);
      Matrix(p + "ffn_up.weight", c.n_embd, c.n_ff, 0.4f);
      Matrix(p + "ffn_down.weight", c.n_ff, c.n_embd, 0.3f);
      if (c.arch == "qwen2") {
        Vec(p + "attn_q.bias", q_dim, 0.0f, 0.3f);
        Vec(p + "attn_k.bias", kv_dim, 0.0f, 0.3f);
        Vec(p + "attn_v.bias", kv_dim, 0.0f, 0.3f);
      }
      if (c.arch == "gemma3") {
        Norm(p + "attn_q_norm.weight", c.head_dim);
        Norm(p + "attn_k_norm.weight", c.head_dim);
        Norm(p + "post_attention_norm.weight", c.n_embd);
        Norm(p + "post_ffw_norm.weight", c.n_embd);
      }
    }
  }

  std::vector<uint8_t> ToGguf() const {
    GgufWriter w;
    const std::string a = c_.arch;
    w.AddString("general.architecture", a);
    w.AddUint32(a + ".block_count", c_.n_layer);
    w.AddUint32(a + ".embedding_length", c_.n_embd);
    w.AddUint32(a + ".feed_forward_length", c_.n_ff);
    w.AddUint32(a + ".attention.head_count", c_.n_head);
    w.AddUint32(a + ".attention.head_count_kv", c_.n_head_kv);
    w.AddUint32(a + ".attention.key_length", c_.head_dim);
    w.AddUint32(a + ".attention.value_length", c_.head_dim);
    w.AddUint32(a + ".context_length", c_.n_ctx);
    w.AddUint32(a + ".vocab_size", c_.n_vocab);
    w.AddFloat32(a + ".attention.layer_norm_rms_epsilon", c_.eps);
    w.AddFloat32(a + ".rope.freq_base", c_.rope_base);
    if (c_.window > 0) w.AddUint32(a + ".attention.sliding_window", c_.window);
    if (c_.pattern > 0) w.AddUint32(a + ".attention.sliding_window_pattern", c_.pattern);
    if (c_.final_softcap > 0) w.AddFloat32(a + ".final_logit_softcapping", c_.final_softcap);
    for (const auto& [name, t] : weights_) {
      std::vector<uint8_t> bytes(t.data.size() * 4);
      std::memcpy(bytes.data(), t.data.data(), bytes.size());
      w.AddTensor(name, TensorType::kF32, t.ne, std::move(bytes));
    }
    auto buffer = w.WriteToBuffer();
    EXPECT_TRUE(buffer.ok()) << buffer.status().ToString();
    return buffer.ok() ? *buffer : std::vector<uint8_t>();
  }

  // Logits [n_tokens, n_vocab] of every position, recomputed from scratch in double.
  std::vector<double> Reference(const std::vector<int32_t>& tokens) const;

 private:
  void Matrix(const std::string& name, int n_in, int n_out, float scale) {
    Tensor t{{n_in, n_out}, std::vector<float>(static_cast<size_t>(n_in) * n_out)};
    std::normal_distribution<float> d(0.0f, scale / std::sqrt(static_cast<float>(n_in)) * 2);
    for (float& v : t.data) v = d(rng_);
    weights_[name] = std::move(t);
  }
  void Vec(const std::string& name, int n, float mean, float scale) {
    Tensor t{{n}, std::vector<float>(n)};
    std::normal_distribution<float> d(mean, scale);
    for (float& v : t.data) v = d(rng_);
    weights_[name] = std::move(t);
  }
  void Norm(const std::string& name, int n) { Vec(name, n, 1.0f, 0.2f); }

  const std::vector<float>& W(const std::string& name) const { return weights_.at(name).data; }

  TinyConfig c_;
  std::mt19937 rng_;
  Weights weights_;
};

using Vector = std::vector<double>;

Vector MatVec(const std::vector<float>& w, int n_in, int n_out, const Vector& x) {
  Vector y(n_out, 0.0);
  for (int o = 0; o < n_out; ++o) {
    for (int i = 0; i < n_in; ++i) y[o] += double(w[size_t(o) * n_in + i]) * x[i];
  }
  return y;
}

void RmsNormInPlace(double* x, int n, const std::vector<float>& w, double eps) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += x[i] * x[i];
  const double s = 1.0 / std::sqrt(ss / n + eps);
  for (int i = 0; i < n; ++i) x[i] = x[i] * s * w[i];
}

void RopeInPlace(double* x, int dims, int pos, double base, bool neox) {
  for (int i = 0; i < dims / 2; ++i) {
    const double angle = pos * std::pow(base, -2.0 * i / dims);
    const int a = neox ? i : 2 * i, b = neox ? i + dims / 2 : 2 * i + 1;
    const double x0 = x[a], x1 = x[b];
    x[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
    x[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
  }
}

double GeluRef(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

std::vector<double> TinyModel::Reference(const std::vector<int32_t>& tokens) const {
  const TinyConfig& c = c_;
  const bool gemma = c.arch == "gemma3";
  const bool neox = c.arch != "llama";
  const int T = static_cast<int>(tokens.size());
  const int q_dim = c.n_head * c.head_dim, kv_dim = c.n_head_kv * c.head_dim;
  std::vector<Vector> x(T, Vector(c.n_embd));
  const auto& emb = W("token_embd.weight");
  for (int t = 0; t < T; ++t) {
    for (int i = 0; i < c.n_embd; ++i) {
      x[t][i] = emb[size_t(tokens[t]) * c.n_embd + i] * (gemma ? std::sqrt(double(c.n_embd)) : 1);
    }
  }
  for (int l = 0; l < c.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    const bool sliding = gemma && c.window > 0 && (l % c.pattern < c.pattern - 1);
    const double base = gemma && sliding ? 10000.0 : c.rope_base;
    std::vector<Vector> q(T), k(T), v(T);
    for (int t = 0; t < T; ++t) {
      Vector h = x[t];
      RmsNormInPlace(h.data(), c.n_embd, W(p + "attn_norm.weight"), c.eps);
      q[t] = MatVec(W(p + "attn_q.weight"), c.n_embd, q_dim, h);
      k[t] = MatVec(W(p + "attn_k.weight"), c.n_embd, kv_dim, h);
      v[t] = MatVec(W(p + "attn_v.weight"), c.n_embd, kv_dim, h);
      if (c.arch == "qwen2") {
        for (int i = 0; i < q_dim; ++i) q[t][i] += W(p + "attn_q.bias")[i];
        for (int i = 0; i < kv_dim; ++i) k[t][i] += W(p + "attn_k.bias")[i];
        for (int i = 0; i < kv_dim; ++i) v[t][i] += W(p + "attn_v.bias")[i];
      }
      for (int h2 = 0; h2 < c.n_head; ++h2) {
        double* qh = q[t].data() + h2 * c.head_dim;
        if (gemma) RmsNormInPlace(qh, c.head_dim, W(p + "attn_q_norm.weight"), c.eps);
        RopeInPlace(qh, c.head_dim, t, base, neox);
      }
      for (int h2 = 0; h2 < c.n_head_kv; ++h2) {
        double* kh = k[t].data() + h2 * c.head_dim;
        if (gemma) RmsNormInPlace(kh, c.head_dim, W(p + "attn_k_norm.weight"), c.eps);
        RopeInPlace(kh, c.head_dim, t, base, neox);
      }
    }
    for (int t = 0; t < T; ++t) {
      Vector attn(q_dim, 0.0);
      for (int h2 = 0; h2 < c.n_head; ++h2) {
        const int kvh = h2 / (c.n_head / c.n_head_kv);
        std::vector<double> w(t + 1, 0.0);
        double max = -1e300, sum = 0;
        for (int j = 0; j <= t; ++j) {
          if (sliding && t - j >= c.window) continue;
          double dot = 0;
          for (int d = 0; d < c.head_dim; ++d) {
            dot += q[t][h2 * c.head_dim + d] * k[j][kvh * c.head_dim + d];
          }
          w[j] = dot / std::sqrt(double(c.head_dim));
          max = std::max(max, w[j]);
        }
        for (int j = 0; j <= t; ++j) {
          const bool masked = sliding && t - j >= c.window;
          w[j] = masked ? 0.0 : std::exp(w[j] - max);
          sum += w[j];
        }
        for (int j = 0; j <= t; ++j) {
          for (int d = 0; d < c.head_dim; ++d) {
            attn[h2 * c.head_dim + d] += w[j] / sum * v[j][kvh * c.head_dim + d];
          }
        }
      }
      Vector out = MatVec(W(p + "attn_output.weight"), q_dim, c.n_embd, attn);
      if (gemma) RmsNormInPlace(out.data(), c.n_embd, W(p + "post_attention_norm.weight"), c.eps);
      for (int i = 0; i < c.n_embd; ++i) x[t][i] += out[i];
      Vector h = x[t];
      RmsNormInPlace(h.data(), c.n_embd, W(p + "ffn_norm.weight"), c.eps);
      Vector g = MatVec(W(p + "ffn_gate.weight"), c.n_embd, c.n_ff, h);
      const Vector u = MatVec(W(p + "ffn_up.weight"), c.n_embd, c.n_ff, h);
      for (int i = 0; i < c.n_ff; ++i) {
        g[i] = (gemma ? GeluRef(g[i]) : g[i] / (1 + std::exp(-g[i]))) * u[i];
      }
      Vector f = MatVec(W(p + "ffn_down.weight"), c.n_ff, c.n_embd, g);
      if (gemma) RmsNormInPlace(f.data(), c.n_embd, W(p + "post_ffw_norm.weight"), c.eps);
      for (int i = 0; i < c.n_embd; ++i) x[t][i] += f[i];
    }
  }
  std::vector<double> logits;
  const auto& out_w = W(gemma ? "token_embd.weight" : "output.weight");
  for (int t = 0; t < T; ++t) {
    Vector h = x[t];
    RmsNormInPlace(h.data(), c.n_embd, W("output_norm.weight"), c.eps);
    Vector y = MatVec(out_w, c.n_embd, c.n_vocab, h);
    for (double l : y) {
      logits.push_back(c.final_softcap > 0 ? c.final_softcap * std::tanh(l / c.final_softcap) : l);
    }
  }
  return logits;
}

void ExpectMatchesReference(const TinyConfig& config, double tolerance) {
  TinyModel tiny(config);
  const std::vector<uint8_t> bytes = tiny.ToGguf();
  auto file = GgufFile::FromBytes(config.arch + "-tiny.gguf", bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto model = Model::Load(std::shared_ptr<const GgufFile>(std::move(file).value()), {2});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::vector<int32_t> tokens = {3, 17, 42, 5, 63, 0, 28, 28, 9, 51, 12, 7};
  const std::vector<double> ref = tiny.Reference(tokens);
  auto cache = (*model)->NewCache(0);
  ASSERT_TRUE(cache.ok());
  // First part as one batch, the rest token by token: both paths are compared.
  std::vector<float> logits, step;
  ASSERT_TRUE((*model)->Forward({tokens.data(), 7}, **cache, true, logits).ok());
  for (size_t t = 7; t < tokens.size(); ++t) {
    ASSERT_TRUE((*model)->Forward({&tokens[t], 1}, **cache, false, step).ok());
    logits.insert(logits.end(), step.begin(), step.end());
  }
  ASSERT_EQ(logits.size(), ref.size());
  double max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(logits[i] - ref[i]));
    max_ref = std::max(max_ref, std::fabs(ref[i]));
  }
  EXPECT_GT(max_ref, 0.5);  // the logits are not trivially small
  EXPECT_LT(max_diff, tolerance) << config.arch << ": max |logit| " << max_ref;
  ::testing::Test::RecordProperty("max_logit_diff", std::to_string(max_diff));
}

// The tolerances cover fp16 rounding of the cached K and V, of q and of the
// softmax weights (relative 2^-11 each) and, for Gemma, of GELU's input and
// output: measured 0.9e-3 to 2.2e-3 on logits of size ~5; the bound leaves 4x.
TEST(ArchTest, LlamaMatchesReference) {
  TinyConfig c;
  c.arch = "llama";
  ExpectMatchesReference(c, 1e-2);
}

TEST(ArchTest, Qwen2MatchesReference) {
  TinyConfig c;
  c.arch = "qwen2";
  c.rope_base = 1e6f;
  ExpectMatchesReference(c, 1e-2);
}

TEST(ArchTest, Gemma3MatchesReference) {
  TinyConfig c;
  c.arch = "gemma3";
  c.head_dim = 16;  // key_length differs from n_embd / n_head, as in real Gemma
  c.rope_base = 1e6f;
  c.window = 4;
  c.pattern = 2;  // layers 0 and 2 slide, layer 1 is global
  c.final_softcap = 8.0f;
  ExpectMatchesReference(c, 1e-2);
}

}  // namespace
}  // namespace hearth
