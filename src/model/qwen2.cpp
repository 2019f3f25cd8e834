// Qwen2: Llama's layer with biases on the Q, K and V projections and RoPE on
// the two halves of each head (NeoX style).
#include <cmath>
#include <vector>

#include "model/architectures.h"
#include "model/transformer.h"

namespace hearth {
namespace {

struct Qwen2Layer {
  const float* attn_norm = nullptr;  // [n_embd]
  AttentionWeights attn;             // with bq, bk, bv
  const float* ffn_norm = nullptr;   // [n_embd]
  FfnWeights ffn;
};

class Qwen2Model final : public TransformerModel {
 public:
  Qwen2Model(std::shared_ptr<const GgufFile> file, HParams hp, const ModelOptions& options)
      : TransformerModel(std::move(file), std::move(hp), options) {}

  Status Load() {
    const ModelSpec& s = hp_.spec;
    TensorLoader loader(*file_, packer_.get());
    HEARTH_RETURN_IF_ERROR(LoadEmbeddings(loader));
    config_.shape = {s.n_head, s.n_head_kv, s.head_dim};
    config_.rope = {hp_.n_rot, s.rope_freq_base, hp_.rope_freq_scale, /*neox=*/true, nullptr};
    config_.attention.scale = hp_.attention_scale > 0.0f
                                  ? hp_.attention_scale
                                  : 1.0f / std::sqrt(static_cast<float>(s.head_dim));
    config_.norm_eps = s.rms_eps;
    layers_.resize(s.n_layer);
    for (int32_t i = 0; i < s.n_layer; ++i) {
      Qwen2Layer& l = layers_[i];
      HEARTH_ASSIGN_OR_RETURN(l.attn_norm,
                              loader.Vector(LayerTensorName(i, "attn_norm.weight"), s.n_embd));
      HEARTH_ASSIGN_OR_RETURN(l.attn, LoadAttentionWeights(loader, s, i, /*with_bias=*/true,
                                                           /*with_qk_norm=*/false));
      HEARTH_ASSIGN_OR_RETURN(l.ffn_norm,
                              loader.Vector(LayerTensorName(i, "ffn_norm.weight"), s.n_embd));
      HEARTH_ASSIGN_OR_RETURN(l.ffn, LoadFfnWeights(loader, s, i));
    }
    return Status::Ok();
  }

 protected:
  void RunLayer(int32_t layer, const Batch& batch) override {
    const Qwen2Layer& l = layers_[layer];
    const int64_t n = batch.n_tokens;
    const int32_t n_embd = hp_.spec.n_embd;
    float* x = ws_.x.data();  // [n, n_embd]
    ops::RmsNorm(x, l.attn_norm, ws_.norm.data(), n, n_embd, hp_.spec.rms_eps, pool_);
    SelfAttention(ws_.norm.data(), l.attn, config_, batch, layer, ws_, pool_, ws_.out.data());
    ops::Add(x, ws_.out.data(), x, n * n_embd, pool_);
    ops::RmsNorm(x, l.ffn_norm, ws_.norm.data(), n, n_embd, hp_.spec.rms_eps, pool_);
    GatedFfn(ws_.norm.data(), l.ffn, GatedActivation::kSilu, n, ws_, pool_, ws_.out.data());
    ops::Add(x, ws_.out.data(), x, n * n_embd, pool_);
  }

 private:
  AttentionConfig config_;
  std::vector<Qwen2Layer> layers_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadQwen2(std::shared_ptr<const GgufFile> file, HParams hp,
                                         const ModelOptions& options) {
  auto model = std::make_unique<Qwen2Model>(std::move(file), std::move(hp), options);
  HEARTH_RETURN_IF_ERROR(model->Load());
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace hearth
