// Llama (Llama 2/3, Mistral, SmolLM2, TinyStories): pre-norm blocks with
// RMSNorm, RoPE on adjacent pairs, grouped-query attention and a SwiGLU FFN.
#include <cmath>
#include <vector>

#include "core/profile.h"
#include "model/architectures.h"
#include "model/transformer.h"

namespace hearth {
namespace {

struct LlamaLayer {
  const float* attn_norm = nullptr;  // [n_embd]
  AttentionWeights attn;
  const float* ffn_norm = nullptr;  // [n_embd]
  FfnWeights ffn;
};

class LlamaModel final : public TransformerModel {
 public:
  LlamaModel(std::shared_ptr<const GgufFile> file, HParams hp, const ModelOptions& options)
      : TransformerModel(std::move(file), std::move(hp), options) {}

  Status Load() {
    const ModelSpec& s = hp_.spec;
    TensorLoader loader(*file_, packer_.get());
    HEARTH_RETURN_IF_ERROR(LoadEmbeddings(loader));
    // Llama 3.1+ scales RoPE frequencies per dimension with this optional tensor.
    HEARTH_ASSIGN_OR_RETURN(const float* freq_factors,
                            loader.OptionalVector("rope_freqs.weight", hp_.n_rot / 2));
    config_.shape = {s.n_head, s.n_head_kv, s.head_dim};
    config_.rope = {hp_.n_rot, s.rope_freq_base, hp_.rope_freq_scale, /*neox=*/false, freq_factors};
    config_.attention.scale = hp_.attention_scale > 0.0f
                                  ? hp_.attention_scale
                                  : 1.0f / std::sqrt(static_cast<float>(s.head_dim));
    config_.norm_eps = s.rms_eps;
    layers_.resize(s.n_layer);
    for (int32_t i = 0; i < s.n_layer; ++i) {
      LlamaLayer& l = layers_[i];
      HEARTH_ASSIGN_OR_RETURN(l.attn_norm,
                              loader.Vector(LayerTensorName(i, "attn_norm.weight"), s.n_embd));
      HEARTH_ASSIGN_OR_RETURN(l.attn, LoadAttentionWeights(loader, s, i, false, false));
      HEARTH_ASSIGN_OR_RETURN(l.ffn_norm,
                              loader.Vector(LayerTensorName(i, "ffn_norm.weight"), s.n_embd));
      HEARTH_ASSIGN_OR_RETURN(l.ffn, LoadFfnWeights(loader, s, i));
    }
    return Status::Ok();
  }

 protected:
  void RunLayer(int32_t layer, const Batch& batch) override {
    const LlamaLayer& l = layers_[layer];
    const int64_t n = batch.n_tokens;
    const int32_t n_embd = hp_.spec.n_embd;
    float* x = ws_.x.data();  // [n, n_embd]
    {
      profile::Scope timer(profile::Op::kNorm);
      ops::RmsNorm(x, l.attn_norm, ws_.norm.data(), n, n_embd, hp_.spec.rms_eps, pool_);
    }
    SelfAttention(ws_.norm.data(), l.attn, config_, batch, layer, ws_, pool_, ws_.out.data());
    {
      profile::Scope timer(profile::Op::kAdd);
      ops::Add(x, ws_.out.data(), x, n * n_embd, pool_);
    }
    {
      profile::Scope timer(profile::Op::kNorm);
      ops::RmsNorm(x, l.ffn_norm, ws_.norm.data(), n, n_embd, hp_.spec.rms_eps, pool_);
    }
    GatedFfn(ws_.norm.data(), l.ffn, GatedActivation::kSilu, n, ws_, pool_, ws_.out.data());
    profile::Scope timer(profile::Op::kAdd);
    ops::Add(x, ws_.out.data(), x, n * n_embd, pool_);
  }

 private:
  AttentionConfig config_;
  std::vector<LlamaLayer> layers_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadLlama(std::shared_ptr<const GgufFile> file, HParams hp,
                                         const ModelOptions& options) {
  auto model = std::make_unique<LlamaModel>(std::move(file), std::move(hp), options);
  HEARTH_RETURN_IF_ERROR(model->Load());
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace hearth
