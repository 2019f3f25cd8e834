// Tensor type selection for `hearth quantize`; see quantize_plan.h. The rules
// are those of llama.cpp's llama-quant.cpp (version 0.3.36's vendored copy)
// for the file types Hearth writes; the comments name the llama.cpp function
// each piece corresponds to, so the two can be compared when llama.cpp changes.
#include "engine/quantize_plan.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <numeric>

#include "core/gguf.h"

namespace hearth {
namespace {

constexpr QuantizeFileType kFileTypes[] = {
    {"F32", 0, TensorType::kF32},      {"F16", 1, TensorType::kF16},
    {"BF16", 32, TensorType::kBF16},   {"Q4_0", 2, TensorType::kQ4_0},
    {"Q4_1", 3, TensorType::kQ4_1},    {"Q8_0", 7, TensorType::kQ8_0},
    {"Q5_0", 8, TensorType::kQ5_0},    {"Q5_1", 9, TensorType::kQ5_1},
    {"Q4_K_S", 14, TensorType::kQ4_K}, {"Q4_K_M", 15, TensorType::kQ4_K},
    {"Q5_K_S", 16, TensorType::kQ5_K}, {"Q5_K_M", 17, TensorType::kQ5_K},
    {"Q6_K", 18, TensorType::kQ6_K},
};

enum class FType : uint32_t {
  kQ4_K_S = 14,
  kQ4_K_M = 15,
  kQ5_K_S = 16,
  kQ5_K_M = 17,
};

bool Is(const QuantizeFileType& ftype, FType want) {
  return ftype.llama_ftype == static_cast<uint32_t>(want);
}

bool IsQuantized(TensorType type) {
  return type != TensorType::kF32 && type != TensorType::kF16 && type != TensorType::kBF16;
}

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// llama.cpp's tensor_category.
enum class Category {
  kTokenEmbd,
  kAttnQ,
  kAttnV,
  kAttnK,
  kAttnQkv,
  kAttnKvB,
  kAttnOutput,
  kFfnUp,
  kFfnGate,
  kFfnDown,
  kOutput,
  kOther
};

Category CategoryOf(std::string_view name) {
  if (name == "output.weight") return Category::kOutput;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") {
    return Category::kTokenEmbd;
  }
  // First match wins, in llama.cpp's order.
  static constexpr std::pair<std::string_view, Category> kParts[] = {
      {"attn_qkv.weight", Category::kAttnQkv},
      {"attn_kv_b.weight", Category::kAttnKvB},
      {"attn_v.weight", Category::kAttnV},
      {"attn_k.weight", Category::kAttnK},
      {"attn_q.weight", Category::kAttnQ},
      {"attn_output.weight", Category::kAttnOutput},
      {"ffn_up", Category::kFfnUp},
      {"ffn_gate", Category::kFfnGate},
      {"ffn_down", Category::kFfnDown},
  };
  for (const auto& [part, category] : kParts) {
    if (Contains(name, part)) return category;
  }
  return Category::kOther;
}

// attn_v-like tensors, the most sensitive to quantization.
bool IsAttnVLike(Category c) {
  return c == Category::kAttnV || c == Category::kAttnQkv || c == Category::kAttnKvB;
}

// ggml_n_dims: dimensions up to the last one above 1.
int NumDims(const std::array<int64_t, 4>& ne) {
  for (int i = 3; i >= 1; --i) {
    if (ne[i] > 1) return i + 1;
  }
  return 1;
}

// The "blk.N." layer number of a name, or -1.
int LayerOf(std::string_view name) {
  int layer = -1;
  const std::string copy(name);
  if (std::sscanf(copy.c_str(), "blk.%d.", &layer) != 1) return -1;
  return layer;
}

// The first and last eighth of the layers, and every third layer between.
bool UseMoreBits(int i_layer, int n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

bool IsModelType70B(const QuantizeModelInfo& m) {
  if (m.n_layer != 80) return false;
  if (m.arch == "llama") return m.n_head != m.n_head_kv;
  return m.arch == "qwen2" || m.arch == "olmo" || m.arch == "deci";
}

// llama.cpp's quantize_state_impl: counters of tensors seen so far.
struct State {
  const QuantizeFileType& ftype;
  const QuantizeModelInfo& model;
  bool tied_embeddings = true;
  int n_attention_wv = 0;
  int i_attention_wv = 0;
  int i_ffn_down = 0;
  int i_ffn_gate = 0;
  int i_ffn_up = 0;
};

// llama.cpp's layer_info: the running counter, or for MoE models the layer in the name.
Result<int> LayerIndex(const State& s, int counter, std::string_view name) {
  if (s.model.n_expert <= 1) return counter;
  const int layer = LayerOf(name);
  if (layer < 0 || layer >= s.model.n_layer) {
    return InvalidArgumentError("tensor '{}': cannot tell its layer (expected blk.N. with N < {})",
                                name, s.model.n_layer);
  }
  return layer;
}

TensorType OutputType(const State& s, TensorType type, int64_t ncols) {
  if (s.model.arch == "falcon" || ncols % TraitsOf(type).block_elems != 0) {
    return TensorType::kQ8_0;
  }
  return type != TensorType::kQ8_0 ? TensorType::kQ6_K : type;
}

TensorType AttnVType(State& s, TensorType type) {
  const bool mix_m = Is(s.ftype, FType::kQ4_K_M) || Is(s.ftype, FType::kQ5_K_M);
  if (mix_m && UseMoreBits(s.i_attention_wv, s.n_attention_wv)) {
    type = TensorType::kQ6_K;
  } else if (Is(s.ftype, FType::kQ4_K_S) && s.i_attention_wv < 4) {
    type = TensorType::kQ5_K;
  }
  // attn_v is 8x smaller than attn_q in these models: more bits cost little.
  if (IsModelType70B(s.model) && (type == TensorType::kQ3_K || type == TensorType::kQ4_K)) {
    type = TensorType::kQ5_K;
  }
  if (s.model.n_expert == 8) type = TensorType::kQ8_0;
  ++s.i_attention_wv;
  return type;
}

Result<TensorType> FfnDownType(State& s, TensorType type, std::string_view name) {
  HEARTH_ASSIGN_OR_RETURN(const int i_layer, LayerIndex(s, s.i_ffn_down, name));
  const int n_layer = s.model.n_layer;
  const bool falcon = s.model.arch == "falcon";
  if (Is(s.ftype, FType::kQ4_K_M)) {
    if (falcon) {
      type = i_layer < n_layer / 16          ? TensorType::kQ6_K
             : UseMoreBits(i_layer, n_layer) ? TensorType::kQ5_K
                                             : TensorType::kQ4_K;
    } else if (UseMoreBits(i_layer, n_layer)) {
      type = TensorType::kQ6_K;
    }
  } else if (Is(s.ftype, FType::kQ5_K_M) && UseMoreBits(i_layer, n_layer)) {
    type = TensorType::kQ6_K;
  } else if (Is(s.ftype, FType::kQ4_K_S) && !falcon && i_layer < n_layer / 8) {
    type = TensorType::kQ5_K;
  }
  ++s.i_ffn_down;
  return type;
}

// llama.cpp's llama_tensor_get_type_impl, for the file types Hearth writes.
Result<TensorType> MixType(State& s, TensorType type, const QuantizeTensorDesc& t) {
  const Category category = CategoryOf(t.name);
  if (category == Category::kOutput || (s.tied_embeddings && category == Category::kTokenEmbd)) {
    return OutputType(s, type, t.ne[0]);
  }
  if (category == Category::kTokenEmbd) return type;
  if (IsAttnVLike(category)) return AttnVType(s, type);
  if (category == Category::kAttnK) {
    return s.model.n_expert == 8 ? TensorType::kQ8_0 : type;
  }
  if (category == Category::kFfnDown) return FfnDownType(s, type, t.name);
  if (category == Category::kAttnOutput) {
    const bool k_mix = Is(s.ftype, FType::kQ4_K_S) || Is(s.ftype, FType::kQ4_K_M);
    if (s.model.arch != "falcon" && s.model.n_expert == 8 && k_mix) return TensorType::kQ5_K;
    return type;
  }
  if (category == Category::kFfnGate || category == Category::kFfnUp) {
    int& counter = category == Category::kFfnGate ? s.i_ffn_gate : s.i_ffn_up;
    HEARTH_RETURN_IF_ERROR(LayerIndex(s, counter, t.name).status());
    ++counter;
  }
  return type;
}

// llama.cpp's tensor_type_fallback: rows that are not whole blocks of `type`.
TensorType FallbackType(TensorType type, int64_t ncols) {
  if (ncols % TraitsOf(type).block_elems == 0) return type;
  TensorType fallback = type;
  switch (type) {
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
      fallback = TensorType::kQ4_0;
      break;
    case TensorType::kQ4_K:
      fallback = TensorType::kQ5_0;
      break;
    case TensorType::kQ5_K:
      fallback = TensorType::kQ5_1;
      break;
    case TensorType::kQ6_K:
      fallback = TensorType::kQ8_0;
      break;
    default:
      break;  // already a 32-value block type
  }
  if (ncols % TraitsOf(fallback).block_elems != 0) fallback = TensorType::kF16;
  return fallback;
}

// llama.cpp's tensor order: by layer number (non-layer tensors first), then name.
std::vector<size_t> LlamaCppOrder(const std::vector<QuantizeTensorDesc>& tensors) {
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::vector<int> layers(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) layers[i] = LayerOf(tensors[i].name);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (layers[a] != layers[b]) return layers[a] < layers[b];
    return tensors[a].name < tensors[b].name;
  });
  return order;
}

}  // namespace

Result<QuantizeFileType> ParseQuantizeFileType(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "Q4_K") upper = "Q4_K_M";
  if (upper == "Q5_K") upper = "Q5_K_M";
  for (const QuantizeFileType& ftype : kFileTypes) {
    if (ftype.name == upper) return ftype;
  }
  return InvalidArgumentError("unknown quantization type '{}' (expected one of: {})", name,
                              QuantizeFileTypeNames());
}

std::string QuantizeFileTypeNames() {
  std::string names;
  for (const QuantizeFileType& ftype : kFileTypes) {
    if (!names.empty()) names += ", ";
    names += ftype.name;
  }
  return names;
}

Result<QuantizeModelInfo> ReadQuantizeModelInfo(const GgufFile& file) {
  QuantizeModelInfo info;
  HEARTH_ASSIGN_OR_RETURN(const std::string_view arch, file.GetString("general.architecture"));
  info.arch = std::string(arch);
  HEARTH_ASSIGN_OR_RETURN(const uint64_t n_layer, file.GetUint(info.arch + ".block_count"));
  HEARTH_ASSIGN_OR_RETURN(const uint64_t n_expert, file.GetUintOr(info.arch + ".expert_count", 0));
  if (n_layer > (1u << 20) || n_expert > (1u << 20)) {
    return CorruptError("{}: {}.block_count {} or expert_count {} is out of range", file.path(),
                        info.arch, n_layer, n_expert);
  }
  info.n_layer = static_cast<int>(n_layer);
  info.n_expert = static_cast<int>(n_expert);
  // Head counts may be per-layer arrays; they only matter for the 70B rule, so
  // anything but a plain integer counts as unknown.
  auto heads = file.GetUint(info.arch + ".attention.head_count");
  info.n_head = heads.ok() ? static_cast<int>(std::min<uint64_t>(*heads, 1u << 20)) : 0;
  auto heads_kv = file.GetUint(info.arch + ".attention.head_count_kv");
  info.n_head_kv =
      heads_kv.ok() ? static_cast<int>(std::min<uint64_t>(*heads_kv, 1u << 20)) : info.n_head;
  return info;
}

bool TensorAllowsQuantization(std::string_view name, const std::array<int64_t, 4>& ne) {
  if (NumDims(ne) < 2) return false;
  if (name.size() < 6 || name.substr(name.size() - 6) != "weight") return false;
  if (name == "position_embd.weight" || name == "token_types.weight") return false;
  // Norms, MoE routers and small special-purpose tensors stay as they are.
  static constexpr std::string_view kKeep[] = {"_norm.weight",
                                               "ffn_gate_inp.weight",
                                               "ffn_gate_tid2eid.weight",
                                               "altup",
                                               "laurel",
                                               "per_layer_model_proj",
                                               "ssm_conv1d",
                                               "shortconv.conv.weight",
                                               "indexer.k_proj.weight",
                                               "indexer.q_proj.weight",
                                               "time_mix_first.weight",
                                               "time_mix_w0.weight",
                                               "time_mix_w1.weight",
                                               "time_mix_w2.weight",
                                               "time_mix_v0.weight",
                                               "time_mix_v1.weight",
                                               "time_mix_v2.weight",
                                               "time_mix_a0.weight",
                                               "time_mix_a1.weight",
                                               "time_mix_a2.weight",
                                               "time_mix_g1.weight",
                                               "time_mix_g2.weight",
                                               "time_mix_decay_w1.weight",
                                               "time_mix_decay_w2.weight",
                                               "time_mix_lerp_fused.weight",
                                               "attn_rel_b.weight",
                                               ".position_embd",
                                               "sam.pos_embd",
                                               "sam.neck.",
                                               "sam.net_",
                                               ".rel_pos",
                                               ".patch_embd",
                                               ".patch_merger",
                                               "a.rvq.codebook",
                                               "mm.a.code_embd"};
  for (std::string_view part : kKeep) {
    if (Contains(name, part)) return false;
  }
  return true;
}

Result<std::vector<TensorType>> ChooseTensorTypes(const QuantizeFileType& ftype,
                                                  const QuantizeModelInfo& model,
                                                  const std::vector<QuantizeTensorDesc>& tensors) {
  State state{ftype, model};
  for (const QuantizeTensorDesc& t : tensors) {
    const Category category = CategoryOf(t.name);
    if (IsAttnVLike(category)) ++state.n_attention_wv;
    if (category == Category::kOutput) state.tied_embeddings = false;
  }
  std::vector<TensorType> types(tensors.size());
  for (size_t i : LlamaCppOrder(tensors)) {
    const QuantizeTensorDesc& t = tensors[i];
    if (!TensorAllowsQuantization(t.name, t.ne)) {
      types[i] = t.type;
      continue;
    }
    TensorType type = ftype.default_type;
    if (IsQuantized(type)) {
      HEARTH_ASSIGN_OR_RETURN(type, MixType(state, type, t));
      type = FallbackType(type, t.ne[0]);
    }
    types[i] = type;
  }
  return types;
}

}  // namespace hearth
