// ModelInfo: the human summary of a GGUF model that `hearth show` prints,
// computed from metadata alone (no model is loaded). Optional keys that are
// missing stay empty (shown as absent); keys present with the wrong type are
// errors, as they would be for the loader.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/gguf.h"
#include "core/status.h"

namespace hearth {

struct SpecialTokenInfo {
  std::string role;  // "bos", "eos", "eot", "pad", "unk"
  uint64_t id = 0;
  std::optional<std::string> text;  // absent when the id is outside the vocabulary
};

// One metadata entry for display: a short text form and a JSON form.
struct MetadataEntryInfo {
  std::string key;
  std::string text;             // scalars as-is; arrays summarized ("[array of 3 string]")
  nlohmann::ordered_json json;  // scalars as-is; arrays up to 16 elements, else a summary
};

struct ModelInfo {
  std::string path;
  uint64_t file_size = 0;
  std::optional<std::string> sha256;  // lowercase hex; absent when not computed
  uint32_t gguf_version = 0;
  uint64_t alignment = 0;
  std::optional<std::string> architecture;  // general.architecture
  std::optional<std::string> name;          // general.name
  uint64_t parameter_count = 0;             // sum of all tensors' elements
  uint64_t tensor_count = 0;
  std::vector<std::pair<std::string, uint64_t>> tensor_types;  // "Q4_1" -> count, most first
  // {arch}.* hyperparameters.
  std::optional<uint64_t> context_length;
  std::optional<uint64_t> embedding_length;
  std::optional<uint64_t> block_count;  // layers
  std::optional<uint64_t> head_count;
  std::optional<uint64_t> head_count_kv;
  // Tokenizer.
  std::optional<uint64_t> vocab_size;  // length of tokenizer.ggml.tokens
  std::optional<std::string> tokenizer_model;
  std::vector<SpecialTokenInfo> special_tokens;  // only those the file names
  std::optional<bool> add_bos;
  std::optional<bool> add_eos;
  std::optional<std::string> chat_template;
  std::optional<std::string> license;            // general.license
  std::vector<MetadataEntryInfo> other_general;  // other general.* keys, file order
};

struct DescribeOptions {
  bool compute_sha256 = true;  // hashes the whole file: seconds for multi-GB models
};

Result<ModelInfo> DescribeModel(const GgufFile& file, const DescribeOptions& options = {});

// An aligned "label: value" table for terminals. The chat template appears as
// its length and first line.
std::string RenderModelInfoText(const ModelInfo& info);
// Everything, including the full chat template; absent values are null.
nlohmann::ordered_json ModelInfoToJson(const ModelInfo& info);
// ModelInfoToJson as indented text. Metadata strings need not be valid UTF-8:
// invalid bytes become U+FFFD instead of making the dump throw.
std::string RenderModelInfoJson(const ModelInfo& info);

}  // namespace hearth
