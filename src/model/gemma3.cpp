// Gemma 3: embeddings scaled by sqrt(n_embd); RMSNorm before and after both
// attention and FFN; per-head RMSNorm of Q and K; NeoX RoPE; a GELU-gated FFN;
// interleaved sliding-window ("local") and global attention layers with their
// own RoPE bases. GGUF norm weights already include Gemma's "+1" (llama.cpp's
// converter adds it), so they are used as stored.
#include <cmath>
#include <vector>

#include "model/architectures.h"
#include "model/transformer.h"

namespace hearth {
namespace {

// llama.cpp's values for Gemma 3 when the GGUF does not carry them: one global
// layer in every 6, and RoPE base 10000 on local layers.
constexpr int32_t kDefaultSlidingWindowPattern = 6;
constexpr float kDefaultLocalRopeBase = 10000.0f;

struct Gemma3Layer {
  const float* attn_norm = nullptr;       // [n_embd]
  AttentionWeights attn;                  // with q_norm, k_norm
  const float* attn_post_norm = nullptr;  // [n_embd]
  const float* ffn_norm = nullptr;        // [n_embd]
  FfnWeights ffn;
  const float* ffn_post_norm = nullptr;  // [n_embd]
  bool sliding = false;
};

class Gemma3Model final : public TransformerModel {
 public:
  Gemma3Model(std::shared_ptr<const GgufFile> file, HParams hp, const ModelOptions& options)
      : TransformerModel(std::move(file), std::move(hp), options) {
    embedding_scale_ = std::sqrt(static_cast<float>(hp_.spec.n_embd));
  }

  Status Load() {
    const ModelSpec& s = hp_.spec;
    TensorLoader loader(*file_, packer_.get());
    HEARTH_RETURN_IF_ERROR(LoadEmbeddings(loader));
    BuildConfigs();
    layers_.resize(s.n_layer);
    for (int32_t i = 0; i < s.n_layer; ++i) {
      HEARTH_RETURN_IF_ERROR(LoadLayer(loader, i, layers_[i]));
    }
    return Status::Ok();
  }

 protected:
  void RunLayer(int32_t layer, const Batch& batch) override {
    const Gemma3Layer& l = layers_[layer];
    const int64_t n = batch.n_tokens;
    const int32_t n_embd = hp_.spec.n_embd;
    const float eps = hp_.spec.rms_eps;
    float* x = ws_.x.data();  // [n, n_embd]
    float* out = ws_.out.data();
    ops::RmsNorm(x, l.attn_norm, ws_.norm.data(), n, n_embd, eps, pool_);
    SelfAttention(ws_.norm.data(), l.attn, l.sliding ? local_ : global_, batch, layer, ws_, pool_,
                  out);
    ops::RmsNorm(out, l.attn_post_norm, out, n, n_embd, eps, pool_);
    ops::Add(x, out, x, n * n_embd, pool_);
    ops::RmsNorm(x, l.ffn_norm, ws_.norm.data(), n, n_embd, eps, pool_);
    GatedFfn(ws_.norm.data(), l.ffn, GatedActivation::kGelu, n, ws_, pool_, out);
    ops::RmsNorm(out, l.ffn_post_norm, out, n, n_embd, eps, pool_);
    ops::Add(x, out, x, n * n_embd, pool_);
  }

 private:
  void BuildConfigs() {
    const ModelSpec& s = hp_.spec;
    AttentionConfig base;
    base.shape = {s.n_head, s.n_head_kv, s.head_dim};
    base.norm_eps = s.rms_eps;
    // Gemma scales q by query_pre_attn_scalar^-1/2 before the dot product.
    const float scalar = hp_.query_pre_attn_scalar > 0.0f ? hp_.query_pre_attn_scalar
                                                          : static_cast<float>(s.head_dim);
    base.q_scale = 1.0f / std::sqrt(scalar);
    base.attention.scale = 1.0f;
    base.attention.softcap = hp_.attn_softcap;
    global_ = base;
    global_.rope = {hp_.n_rot, s.rope_freq_base, hp_.rope_freq_scale, /*neox=*/true, nullptr};
    local_ = base;
    const float local_base =
        hp_.rope_freq_base_swa > 0.0f ? hp_.rope_freq_base_swa : kDefaultLocalRopeBase;
    local_.rope = {hp_.n_rot, local_base, 1.0f, /*neox=*/true, nullptr};
    local_.attention.window = hp_.sliding_window;
  }

  bool IsSliding(int32_t layer) const {
    if (hp_.sliding_window <= 0) return false;
    if (!hp_.swa_layers.empty()) return hp_.swa_layers[layer];
    const int32_t pattern =
        hp_.sliding_window_pattern > 0 ? hp_.sliding_window_pattern : kDefaultSlidingWindowPattern;
    return layer % pattern < pattern - 1;
  }

  Status LoadLayer(const TensorLoader& loader, int32_t i, Gemma3Layer& l) {
    const ModelSpec& s = hp_.spec;
    const auto norm = [&](const char* what) {
      return loader.Vector(LayerTensorName(i, what), s.n_embd);
    };
    HEARTH_ASSIGN_OR_RETURN(l.attn_norm, norm("attn_norm.weight"));
    HEARTH_ASSIGN_OR_RETURN(l.attn, LoadAttentionWeights(loader, s, i, /*with_bias=*/false,
                                                         /*with_qk_norm=*/true));
    HEARTH_ASSIGN_OR_RETURN(l.attn_post_norm, norm("post_attention_norm.weight"));
    HEARTH_ASSIGN_OR_RETURN(l.ffn_norm, norm("ffn_norm.weight"));
    HEARTH_ASSIGN_OR_RETURN(l.ffn, LoadFfnWeights(loader, s, i));
    HEARTH_ASSIGN_OR_RETURN(l.ffn_post_norm, norm("post_ffw_norm.weight"));
    l.sliding = IsSliding(i);
    return Status::Ok();
  }

  AttentionConfig global_;
  AttentionConfig local_;
  std::vector<Gemma3Layer> layers_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadGemma3(std::shared_ptr<const GgufFile> file, HParams hp,
                                          const ModelOptions& options) {
  auto model = std::make_unique<Gemma3Model>(std::move(file), std::move(hp), options);
  HEARTH_RETURN_IF_ERROR(model->Load());
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace hearth
