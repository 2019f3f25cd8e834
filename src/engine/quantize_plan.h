// Which type each tensor of a model gets when quantizing to a llama.cpp file
// type ("Q4_K_M", "Q8_0", ...), following llama.cpp's llama-quant.cpp rules
// without an importance matrix: 1-D tensors, norms and a few small special
// tensors keep their type; output.weight (and token_embd.weight when the
// embeddings are tied) get Q6_K; the _M mixes give attn_v and ffn_down Q6_K
// in the first and last eighth of the layers and every third layer between;
// tensors whose row length is not a whole number of blocks fall back to a
// 32-block type (or F16).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor_type.h"

namespace hearth {

class GgufFile;

// A target file type, numbered as llama.cpp's enum llama_ftype (written to
// general.file_type).
struct QuantizeFileType {
  std::string_view name;    // "Q4_K_M"
  uint32_t llama_ftype;     // 15
  TensorType default_type;  // Q4_K
};

// Parses a file type name (case-insensitive). Accepts F32, F16, BF16, Q4_0,
// Q4_1, Q5_0, Q5_1, Q8_0, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, and Q4_K/Q5_K
// as the _M mixes (as llama-quantize does).
Result<QuantizeFileType> ParseQuantizeFileType(std::string_view name);
// The accepted names, for help text.
std::string QuantizeFileTypeNames();

// What the rules need to know about the model (from its GGUF metadata).
struct QuantizeModelInfo {
  std::string arch;   // general.architecture
  int n_layer = 0;    // {arch}.block_count
  int n_expert = 0;   // {arch}.expert_count (0 when absent)
  int n_head = 0;     // {arch}.attention.head_count (0 when absent or per-layer)
  int n_head_kv = 0;  // {arch}.attention.head_count_kv (n_head when absent)
};
Result<QuantizeModelInfo> ReadQuantizeModelInfo(const GgufFile& file);

struct QuantizeTensorDesc {
  std::string name;
  TensorType type = TensorType::kF32;
  std::array<int64_t, 4> ne = {1, 1, 1, 1};  // ggml order
};

// The type of each tensor (same order as `tensors`) in a file of type `ftype`.
// Counters such as "the i-th attn_v" run over llama.cpp's tensor order (by
// layer number, then name), whatever order `tensors` is in.
Result<std::vector<TensorType>> ChooseTensorTypes(const QuantizeFileType& ftype,
                                                  const QuantizeModelInfo& model,
                                                  const std::vector<QuantizeTensorDesc>& tensors);

// Exposed for tests: whether llama.cpp would quantize this tensor at all.
bool TensorAllowsQuantization(std::string_view name, const std::array<int64_t, 4>& ne);

}  // namespace hearth
