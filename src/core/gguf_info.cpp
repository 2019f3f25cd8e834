#include "core/gguf_info.h"

#include <algorithm>
#include <map>

#include "core/checked_math.h"
#include "core/sha256.h"

namespace hearth {
namespace {

constexpr uint64_t kJsonArrayLimit = 16;

// Turns a NotFound result into "absent"; other errors pass through.
template <typename T, typename U>
Status AbsentIfNotFound(Result<U> result, std::optional<T>* out) {
  if (result.ok()) {
    *out = T(*result);
    return Status::Ok();
  }
  if (result.status().code() == StatusCode::kNotFound) return Status::Ok();
  return result.status();
}

nlohmann::ordered_json ScalarToJson(const GgufValue& value) {
  switch (value.type) {
    case GgufValueType::kUint8:
    case GgufValueType::kUint16:
    case GgufValueType::kUint32:
    case GgufValueType::kUint64:
      return value.u64;
    case GgufValueType::kInt8:
    case GgufValueType::kInt16:
    case GgufValueType::kInt32:
    case GgufValueType::kInt64:
      return value.i64;
    case GgufValueType::kFloat32:
    case GgufValueType::kFloat64:
      return value.f64;
    case GgufValueType::kBool:
      return value.u64 != 0;
    case GgufValueType::kString:
      return std::string(value.str);
    case GgufValueType::kArray:
      break;
  }
  return nullptr;
}

std::string ArraySummary(const GgufValue& value) {
  return fmt::format("[array of {} {}]", value.count, GgufValueTypeName(value.elem_type));
}

nlohmann::ordered_json ValueToJson(const GgufValue& value) {
  if (value.type != GgufValueType::kArray) return ScalarToJson(value);
  if (value.count > kJsonArrayLimit) return ArraySummary(value);
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (uint64_t i = 0; i < value.count; ++i) {
    if (value.elem_type == GgufValueType::kString) {
      array.push_back(std::string(value.strings[i]));
    } else if (value.elem_type == GgufValueType::kArray) {
      array.push_back(ValueToJson(value.arrays[i]));
    } else if (value.is_float()) {
      array.push_back(value.FloatAt(i));
    } else if (value.elem_type == GgufValueType::kBool) {
      array.push_back(value.IntAt(i) != 0);
    } else {
      array.push_back(value.IntAt(i));
    }
  }
  return array;
}

std::string ValueToText(const GgufValue& value) {
  if (value.type == GgufValueType::kArray) return ArraySummary(value);
  if (value.type == GgufValueType::kString) return std::string(value.str);
  return ScalarToJson(value).dump();
}

// Tensor types with counts, most common first (ties by name).
std::vector<std::pair<std::string, uint64_t>> CountTensorTypes(const GgufFile& file) {
  std::map<std::string, uint64_t> counts;
  for (const GgufTensorInfo& t : file.tensors()) ++counts[std::string(TensorTypeName(t.type))];
  std::vector<std::pair<std::string, uint64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return sorted;
}

Result<uint64_t> CountParameters(const GgufFile& file) {
  uint64_t total = 0;
  for (const GgufTensorInfo& t : file.tensors()) {
    // Each tensor's count fits in int64 (checked by the reader); the sum might not.
    const auto sum =
        CheckedAdd(total, static_cast<uint64_t>(t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3]));
    if (!sum) return CorruptError("{}: total parameter count overflows 64 bits", file.path());
    total = *sum;
  }
  return total;
}

Status DescribeHyperparameters(const GgufFile& file, ModelInfo* info) {
  if (!info->architecture) return Status::Ok();
  const std::string& arch = *info->architecture;
  HEARTH_RETURN_IF_ERROR(
      AbsentIfNotFound(file.GetUint(arch + ".context_length"), &info->context_length));
  HEARTH_RETURN_IF_ERROR(
      AbsentIfNotFound(file.GetUint(arch + ".embedding_length"), &info->embedding_length));
  HEARTH_RETURN_IF_ERROR(AbsentIfNotFound(file.GetUint(arch + ".block_count"), &info->block_count));
  HEARTH_RETURN_IF_ERROR(
      AbsentIfNotFound(file.GetUint(arch + ".attention.head_count"), &info->head_count));
  return AbsentIfNotFound(file.GetUint(arch + ".attention.head_count_kv"), &info->head_count_kv);
}

Status DescribeTokenizer(const GgufFile& file, ModelInfo* info) {
  HEARTH_RETURN_IF_ERROR(
      AbsentIfNotFound(file.GetString("tokenizer.ggml.model"), &info->tokenizer_model));
  const GgufValue* tokens = nullptr;
  if (file.Find("tokenizer.ggml.tokens") != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(tokens, file.GetArray("tokenizer.ggml.tokens", GgufValueType::kString));
    info->vocab_size = tokens->count;
  }
  static constexpr std::pair<const char*, const char*> kSpecial[] = {
      {"bos", "tokenizer.ggml.bos_token_id"},     {"eos", "tokenizer.ggml.eos_token_id"},
      {"eot", "tokenizer.ggml.eot_token_id"},     {"pad", "tokenizer.ggml.padding_token_id"},
      {"unk", "tokenizer.ggml.unknown_token_id"},
  };
  for (const auto& [role, key] : kSpecial) {
    std::optional<uint64_t> id;
    HEARTH_RETURN_IF_ERROR(AbsentIfNotFound(file.GetUint(key), &id));
    if (!id) continue;
    SpecialTokenInfo token{role, *id, std::nullopt};
    if (tokens != nullptr && *id < tokens->count) token.text = std::string(tokens->strings[*id]);
    info->special_tokens.push_back(std::move(token));
  }
  HEARTH_RETURN_IF_ERROR(
      AbsentIfNotFound(file.GetBool("tokenizer.ggml.add_bos_token"), &info->add_bos));
  HEARTH_RETURN_IF_ERROR(
      AbsentIfNotFound(file.GetBool("tokenizer.ggml.add_eos_token"), &info->add_eos));
  return AbsentIfNotFound(file.GetString("tokenizer.chat_template"), &info->chat_template);
}

void CollectOtherGeneralKeys(const GgufFile& file, ModelInfo* info) {
  for (const auto& [key, value] : file.metadata()) {
    if (key.rfind("general.", 0) != 0) continue;
    if (key == "general.architecture" || key == "general.name" || key == "general.license")
      continue;
    info->other_general.push_back({key, ValueToText(value), ValueToJson(value)});
  }
}

// Makes control characters and quotes visible on one line.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

template <typename T>
std::string OrAbsent(const std::optional<T>& value) {
  if (!value) return "(absent)";
  if constexpr (std::is_same_v<T, bool>)
    return *value ? "yes" : "no";
  else
    return fmt::format("{}", *value);
}

std::string HumanCount(uint64_t n) {
  if (n >= 1000000000) return fmt::format("{:.2f}B", n / 1e9);
  if (n >= 1000000) return fmt::format("{:.2f}M", n / 1e6);
  if (n >= 1000) return fmt::format("{:.1f}K", n / 1e3);
  return fmt::format("{}", n);
}

std::string HumanBytes(uint64_t n) {
  if (n >= (1ull << 30)) return fmt::format("{:.2f} GiB", n / double(1ull << 30));
  if (n >= (1ull << 20)) return fmt::format("{:.2f} MiB", n / double(1ull << 20));
  if (n >= (1ull << 10)) return fmt::format("{:.2f} KiB", n / double(1ull << 10));
  return fmt::format("{} B", n);
}

std::string TensorTypesText(const ModelInfo& info) {
  std::string out;
  for (const auto& [type, count] : info.tensor_types) {
    out += fmt::format("{}{}: {}", out.empty() ? "" : ", ", type, count);
  }
  return out.empty() ? "none" : out;
}

std::string SpecialTokensText(const ModelInfo& info) {
  std::string out;
  for (const SpecialTokenInfo& t : info.special_tokens) {
    const std::string text =
        t.text ? fmt::format("'{}'", Printable(*t.text)) : std::string("(not in vocabulary)");
    out += fmt::format("{}{} = {} {}", out.empty() ? "" : ", ", t.role, t.id, text);
  }
  return out.empty() ? "(absent)" : out;
}

std::string ChatTemplateText(const ModelInfo& info) {
  if (!info.chat_template) return "(absent)";
  const std::string& t = *info.chat_template;
  const std::string first_line = t.substr(0, t.find('\n'));
  constexpr size_t kMaxShown = 60;
  const std::string shown =
      first_line.size() > kMaxShown ? first_line.substr(0, kMaxShown) + "..." : first_line;
  return fmt::format("{} bytes, first line: {}", t.size(), Printable(shown));
}

}  // namespace

Result<ModelInfo> DescribeModel(const GgufFile& file, const DescribeOptions& options) {
  ModelInfo info;
  info.path = file.path();
  info.file_size = file.file_size();
  if (options.compute_sha256) {
    HEARTH_ASSIGN_OR_RETURN(info.sha256, Sha256Hex(file.bytes(), file.file_size()));
  }
  info.gguf_version = file.version();
  info.alignment = file.alignment();
  HEARTH_RETURN_IF_ERROR(
      AbsentIfNotFound(file.GetString("general.architecture"), &info.architecture));
  HEARTH_RETURN_IF_ERROR(AbsentIfNotFound(file.GetString("general.name"), &info.name));
  HEARTH_RETURN_IF_ERROR(AbsentIfNotFound(file.GetString("general.license"), &info.license));
  HEARTH_ASSIGN_OR_RETURN(info.parameter_count, CountParameters(file));
  info.tensor_count = file.tensors().size();
  info.tensor_types = CountTensorTypes(file);
  HEARTH_RETURN_IF_ERROR(DescribeHyperparameters(file, &info));
  HEARTH_RETURN_IF_ERROR(DescribeTokenizer(file, &info));
  CollectOtherGeneralKeys(file, &info);
  return info;
}

std::string RenderModelInfoText(const ModelInfo& info) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"file", info.path},
      {"size", fmt::format("{} bytes ({})", info.file_size, HumanBytes(info.file_size))},
      {"sha256", OrAbsent(info.sha256)},
      {"gguf version", fmt::format("{} (alignment {})", info.gguf_version, info.alignment)},
      {"architecture", OrAbsent(info.architecture)},
      {"name", OrAbsent(info.name)},
      {"parameters",
       fmt::format("{} ({})", info.parameter_count, HumanCount(info.parameter_count))},
      {"tensors", fmt::format("{} ({})", info.tensor_count, TensorTypesText(info))},
      {"context length", OrAbsent(info.context_length)},
      {"embedding length", OrAbsent(info.embedding_length)},
      {"layers", OrAbsent(info.block_count)},
      {"heads",
       fmt::format("{} (kv: {})", OrAbsent(info.head_count), OrAbsent(info.head_count_kv))},
      {"vocabulary", fmt::format("{} tokens (tokenizer model: {})", OrAbsent(info.vocab_size),
                                 OrAbsent(info.tokenizer_model))},
      {"special tokens", SpecialTokensText(info)},
      {"add bos / eos", fmt::format("{} / {}", OrAbsent(info.add_bos), OrAbsent(info.add_eos))},
      {"chat template", ChatTemplateText(info)},
      {"license", OrAbsent(info.license)},
  };
  for (const MetadataEntryInfo& entry : info.other_general) {
    rows.emplace_back(entry.key, Printable(entry.text));
  }
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string out;
  for (const auto& [label, value] : rows)
    out += fmt::format("{:<{}}  {}\n", label + ":", width + 1, value);
  return out;
}

nlohmann::ordered_json ModelInfoToJson(const ModelInfo& info) {
  auto opt = [](const auto& value) -> nlohmann::ordered_json {
    if (!value) return nullptr;
    return *value;
  };
  nlohmann::ordered_json types = nlohmann::ordered_json::object();
  for (const auto& [type, count] : info.tensor_types) types[type] = count;
  nlohmann::ordered_json special = nlohmann::ordered_json::array();
  for (const SpecialTokenInfo& t : info.special_tokens) {
    special.push_back({{"role", t.role}, {"id", t.id}, {"text", opt(t.text)}});
  }
  nlohmann::ordered_json general = nlohmann::ordered_json::object();
  for (const MetadataEntryInfo& entry : info.other_general) general[entry.key] = entry.json;
  return {
      {"file", info.path},
      {"size", info.file_size},
      {"sha256", opt(info.sha256)},
      {"gguf_version", info.gguf_version},
      {"alignment", info.alignment},
      {"architecture", opt(info.architecture)},
      {"name", opt(info.name)},
      {"parameter_count", info.parameter_count},
      {"tensor_count", info.tensor_count},
      {"tensor_types", types},
      {"context_length", opt(info.context_length)},
      {"embedding_length", opt(info.embedding_length)},
      {"block_count", opt(info.block_count)},
      {"head_count", opt(info.head_count)},
      {"head_count_kv", opt(info.head_count_kv)},
      {"vocab_size", opt(info.vocab_size)},
      {"tokenizer_model", opt(info.tokenizer_model)},
      {"special_tokens", special},
      {"add_bos_token", opt(info.add_bos)},
      {"add_eos_token", opt(info.add_eos)},
      {"chat_template", opt(info.chat_template)},
      {"license", opt(info.license)},
      {"general", general},
  };
}

std::string RenderModelInfoJson(const ModelInfo& info) {
  return ModelInfoToJson(info).dump(2, ' ', false,
                                    nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

}  // namespace hearth
