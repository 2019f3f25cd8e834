#include "model/model_loader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdlib>

#include "core/mmap_file.h"
#include "kernels/kernels.h"
#include "kernels/packed.h"

namespace hearth {
namespace {

std::string Key(std::string_view arch, std::string_view suffix) {
  return fmt::format("{}.{}", arch, suffix);
}

// A required positive integer, as int32.
Result<int32_t> PositiveInt(const GgufFile& file, const std::string& key) {
  auto value = file.GetUint(key);
  if (!value.ok()) return value.status().WithContext(file.path());
  if (*value == 0 || *value > INT32_MAX) {
    return CorruptError("{}: {} = {} is out of range", file.path(), key, *value);
  }
  return static_cast<int32_t>(*value);
}

Result<int32_t> PositiveIntOr(const GgufFile& file, const std::string& key, int32_t fallback) {
  if (file.Find(key) == nullptr) return fallback;
  return PositiveInt(file, key);
}

Result<float> FloatOr(const GgufFile& file, const std::string& key, float fallback) {
  auto value = file.GetFloatOr(key, fallback);
  if (!value.ok()) return value.status().WithContext(file.path());
  if (!std::isfinite(*value)) return CorruptError("{}: {} is not finite", file.path(), key);
  return static_cast<float>(*value);
}

Result<int32_t> VocabSize(const GgufFile& file, std::string_view arch) {
  const std::string key = Key(arch, "vocab_size");
  if (file.Find(key) != nullptr) return PositiveInt(file, key);
  const GgufValue* tokens = file.Find("tokenizer.ggml.tokens");
  if (tokens == nullptr || tokens->type != GgufValueType::kArray || tokens->count == 0 ||
      tokens->count > INT32_MAX) {
    return CorruptError(
        "{}: neither {} nor a tokenizer.ggml.tokens array gives the vocabulary size", file.path(),
        key);
  }
  return static_cast<int32_t>(tokens->count);
}

Status ReadRopeScaling(const GgufFile& file, std::string_view arch, HParams& hp) {
  auto type = file.GetStringOr(Key(arch, "rope.scaling.type"), "none");
  if (!type.ok()) return type.status().WithContext(file.path());
  if (*type == "none") return Status::Ok();
  if (*type != "linear") {
    return UnsupportedError("{}: {}.rope.scaling.type '{}' is not supported (only linear)",
                            file.path(), arch, *type);
  }
  HEARTH_ASSIGN_OR_RETURN(float factor, FloatOr(file, Key(arch, "rope.scaling.factor"), 1.0f));
  if (factor <= 0.0f) {
    return CorruptError("{}: {}.rope.scaling.factor = {} must be > 0", file.path(), arch, factor);
  }
  hp.rope_freq_scale = 1.0f / factor;
  return Status::Ok();
}

Status ReadAttentionShape(const GgufFile& file, std::string_view arch, ModelSpec& spec) {
  HEARTH_ASSIGN_OR_RETURN(spec.n_head, PositiveInt(file, Key(arch, "attention.head_count")));
  HEARTH_ASSIGN_OR_RETURN(spec.n_head_kv,
                          PositiveIntOr(file, Key(arch, "attention.head_count_kv"), spec.n_head));
  if (spec.n_head % spec.n_head_kv != 0) {
    return CorruptError(
        "{}: {}.attention.head_count = {} is not a multiple of {}.attention.head_count_kv = {}",
        file.path(), arch, spec.n_head, arch, spec.n_head_kv);
  }
  if (spec.n_embd % spec.n_head != 0 && file.Find(Key(arch, "attention.key_length")) == nullptr) {
    return CorruptError(
        "{}: {}.embedding_length = {} is not a multiple of {}.attention.head_count = {}",
        file.path(), arch, spec.n_embd, arch, spec.n_head);
  }
  const int32_t default_dim = spec.n_embd / spec.n_head;
  HEARTH_ASSIGN_OR_RETURN(spec.head_dim,
                          PositiveIntOr(file, Key(arch, "attention.key_length"), default_dim));
  HEARTH_ASSIGN_OR_RETURN(int32_t v_dim,
                          PositiveIntOr(file, Key(arch, "attention.value_length"), default_dim));
  if (v_dim != spec.head_dim) {
    return UnsupportedError(
        "{}: {}.attention.value_length = {} differs from {}.attention.key_length = {}", file.path(),
        arch, v_dim, arch, spec.head_dim);
  }
  return Status::Ok();
}

Status ReadSlidingWindow(const GgufFile& file, std::string_view arch, HParams& hp) {
  HEARTH_ASSIGN_OR_RETURN(hp.sliding_window,
                          PositiveIntOr(file, Key(arch, "attention.sliding_window"), 0));
  // The pattern is either a period (one global layer every n) or per-layer flags.
  const std::string pattern_key = Key(arch, "attention.sliding_window_pattern");
  const GgufValue* pattern = file.Find(pattern_key);
  if (pattern != nullptr && pattern->type == GgufValueType::kArray) {
    const GgufValueType t = pattern->elem_type;
    const bool is_bool = t == GgufValueType::kBool;
    const bool is_int = t == GgufValueType::kUint8 || t == GgufValueType::kInt8 ||
                        t == GgufValueType::kUint16 || t == GgufValueType::kInt16 ||
                        t == GgufValueType::kUint32 || t == GgufValueType::kInt32 ||
                        t == GgufValueType::kUint64 || t == GgufValueType::kInt64;
    if (pattern->count != static_cast<uint64_t>(hp.spec.n_layer) || !(is_bool || is_int)) {
      return CorruptError("{}: {} must be {} booleans (one per layer)", file.path(), pattern_key,
                          hp.spec.n_layer);
    }
    for (uint64_t i = 0; i < pattern->count; ++i) {
      hp.swa_layers.push_back(is_bool ? pattern->raw[i] != 0 : pattern->IntAt(i) != 0);
    }
  } else {
    HEARTH_ASSIGN_OR_RETURN(hp.sliding_window_pattern, PositiveIntOr(file, pattern_key, 0));
  }
  HEARTH_ASSIGN_OR_RETURN(hp.rope_freq_base_swa,
                          FloatOr(file, Key(arch, "rope.freq_base_swa"), 0.0f));
  return Status::Ok();
}

}  // namespace

std::string LayerTensorName(int32_t layer, std::string_view what) {
  return fmt::format("blk.{}.{}", layer, what);
}

Result<HParams> ReadHParams(const GgufFile& file, std::string_view arch) {
  HParams hp;
  ModelSpec& spec = hp.spec;
  spec.architecture = std::string(arch);
  auto name = file.GetStringOr("general.name", "");
  if (!name.ok()) return name.status().WithContext(file.path());
  spec.name = std::string(*name);
  HEARTH_ASSIGN_OR_RETURN(spec.n_layer, PositiveInt(file, Key(arch, "block_count")));
  HEARTH_ASSIGN_OR_RETURN(spec.n_embd, PositiveInt(file, Key(arch, "embedding_length")));
  HEARTH_ASSIGN_OR_RETURN(spec.n_ff, PositiveInt(file, Key(arch, "feed_forward_length")));
  HEARTH_ASSIGN_OR_RETURN(spec.n_ctx_train, PositiveInt(file, Key(arch, "context_length")));
  HEARTH_ASSIGN_OR_RETURN(spec.n_vocab, VocabSize(file, arch));
  HEARTH_RETURN_IF_ERROR(ReadAttentionShape(file, arch, spec));
  HEARTH_ASSIGN_OR_RETURN(spec.rms_eps,
                          FloatOr(file, Key(arch, "attention.layer_norm_rms_epsilon"), 1e-5f));
  if (spec.rms_eps <= 0.0f) {
    return CorruptError("{}: {}.attention.layer_norm_rms_epsilon = {} must be > 0", file.path(),
                        arch, spec.rms_eps);
  }
  HEARTH_ASSIGN_OR_RETURN(spec.rope_freq_base,
                          FloatOr(file, Key(arch, "rope.freq_base"), 10000.0f));
  if (spec.rope_freq_base <= 0.0f) {
    return CorruptError("{}: {}.rope.freq_base = {} must be > 0", file.path(), arch,
                        spec.rope_freq_base);
  }
  HEARTH_ASSIGN_OR_RETURN(hp.n_rot,
                          PositiveIntOr(file, Key(arch, "rope.dimension_count"), spec.head_dim));
  if (hp.n_rot > spec.head_dim || hp.n_rot % 2 != 0) {
    return CorruptError("{}: {}.rope.dimension_count = {} must be even and <= the head size {}",
                        file.path(), arch, hp.n_rot, spec.head_dim);
  }
  HEARTH_RETURN_IF_ERROR(ReadRopeScaling(file, arch, hp));
  HEARTH_RETURN_IF_ERROR(ReadSlidingWindow(file, arch, hp));
  HEARTH_ASSIGN_OR_RETURN(hp.attn_softcap, FloatOr(file, Key(arch, "attn_logit_softcapping"), 0));
  HEARTH_ASSIGN_OR_RETURN(hp.final_softcap, FloatOr(file, Key(arch, "final_logit_softcapping"), 0));
  HEARTH_ASSIGN_OR_RETURN(hp.attention_scale, FloatOr(file, Key(arch, "attention.scale"), 0));
  HEARTH_ASSIGN_OR_RETURN(hp.query_pre_attn_scalar,
                          FloatOr(file, Key(arch, "attention.query_pre_attn_scalar"), 0));
  uint64_t n_params = 0;
  for (const GgufTensorInfo& t : file.tensors()) {
    n_params += static_cast<uint64_t>(t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3]);
  }
  spec.n_params = n_params;
  return hp;
}

Result<TensorView> TensorLoader::Check(const GgufTensorInfo& info,
                                       std::initializer_list<int64_t> shape) const {
  bool match = info.n_dims == static_cast<int>(shape.size());
  int i = 0;
  for (int64_t n : shape) {
    if (info.ne[i++] != n) match = false;
  }
  if (!match) {
    std::string have = fmt::format("{}", info.ne[0]);
    for (int d = 1; d < info.n_dims; ++d) have += fmt::format(", {}", info.ne[d]);
    return CorruptError("{}: tensor '{}' has shape [{}], expected [{}] from the metadata",
                        file_.path(), info.name, have, fmt::join(shape, ", "));
  }
  TensorView view;
  view.name = info.name;
  view.type = info.type;
  view.n_dims = info.n_dims;
  view.ne = info.ne;
  view.data = info.data;
  view.nbytes = info.nbytes;
  return view;
}

Result<TensorView> TensorLoader::Weight(std::string_view name,
                                        std::initializer_list<int64_t> shape) const {
  const GgufTensorInfo* info = file_.FindTensor(name);
  if (info == nullptr) {
    return NotFoundError("{}: required tensor '{}' is missing", file_.path(), name);
  }
  HEARTH_ASSIGN_OR_RETURN(TensorView view, Check(*info, shape));
  if (!kernels::IsWeightTypeSupported(view.type)) {
    return UnsupportedError("{}: tensor '{}' has type {}, which Hearth cannot compute with",
                            file_.path(), name, TensorTypeName(view.type));
  }
  if (packer_ != nullptr) return packer_->Pack(view);
  return view;
}

Result<std::optional<TensorView>> TensorLoader::OptionalWeight(
    std::string_view name, std::initializer_list<int64_t> shape) const {
  if (file_.FindTensor(name) == nullptr) return std::optional<TensorView>();
  HEARTH_ASSIGN_OR_RETURN(TensorView view, Weight(name, shape));
  return std::optional<TensorView>(view);
}

Result<const float*> TensorLoader::Vector(std::string_view name, int64_t n) const {
  const GgufTensorInfo* info = file_.FindTensor(name);
  if (info == nullptr) {
    return NotFoundError("{}: required tensor '{}' is missing", file_.path(), name);
  }
  HEARTH_ASSIGN_OR_RETURN(TensorView view, Check(*info, {n}));
  if (view.type != TensorType::kF32) {
    return UnsupportedError("{}: tensor '{}' has type {}, expected F32", file_.path(), name,
                            TensorTypeName(view.type));
  }
  if (reinterpret_cast<uintptr_t>(view.data) % alignof(float) != 0) {
    return CorruptError("{}: tensor '{}' data is not 4-byte aligned", file_.path(), name);
  }
  return static_cast<const float*>(view.data);
}

Result<const float*> TensorLoader::OptionalVector(std::string_view name, int64_t n) const {
  if (file_.FindTensor(name) == nullptr) return static_cast<const float*>(nullptr);
  return Vector(name, n);
}

void WeightPacker::FreeAligned::operator()(void* p) const { std::free(p); }

bool WeightPacker::Enabled(const ModelOptions& options) {
  const char* env = std::getenv("HEARTH_PACK");
  if (env != nullptr && std::string_view(env) == "0") return false;
  return options.pack_weights;
}

TensorView WeightPacker::Pack(const TensorView& w) {
  if (!kernels::CanPack(isa_, w.type, w.rows(), w.row_elems())) return w;
  // 64-byte aligned (a cache line; the kernels need 32), size rounded up as aligned_alloc
  // requires.
  constexpr uint64_t kAlign = 64;
  void* dst = std::aligned_alloc(kAlign, (w.nbytes + kAlign - 1) / kAlign * kAlign);
  if (dst == nullptr) return w;  // out of memory: the row-major kernels still work
  buffers_.emplace_back(dst);
  const TensorView packed = kernels::PackWeight(w, dst, pool_);
  if (file_.is_mapped()) ReleaseMappedPages(w.data, w.nbytes);
  return packed;
}

}  // namespace hearth
