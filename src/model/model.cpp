#include "model/model.h"

#include <string_view>

#include "model/architectures.h"
#include "model/model_loader.h"

namespace hearth {
namespace {

using ArchLoader = Result<std::unique_ptr<Model>> (*)(std::shared_ptr<const GgufFile>, HParams,
                                                      const ModelOptions&);

struct Architecture {
  std::string_view name;
  ArchLoader load;
};

constexpr Architecture kArchitectures[] = {
    {"llama", LoadLlama},
    {"qwen2", LoadQwen2},
    {"gemma3", LoadGemma3},
};

}  // namespace

Result<std::unique_ptr<Model>> Model::Load(std::shared_ptr<const GgufFile> file,
                                           const ModelOptions& options) {
  if (!file) return InvalidArgumentError("Model::Load: no file");
  auto arch = file->GetString("general.architecture");
  if (!arch.ok()) return arch.status().WithContext(file->path());
  for (const Architecture& a : kArchitectures) {
    if (a.name != *arch) continue;
    HEARTH_ASSIGN_OR_RETURN(HParams hp, ReadHParams(*file, a.name));
    return a.load(std::move(file), std::move(hp), options);
  }
  std::string supported;
  for (const Architecture& a : kArchitectures) {
    supported += supported.empty() ? "" : ", ";
    supported += a.name;
  }
  return UnsupportedError("{}: architecture '{}' is not supported (supported: {})", file->path(),
                          *arch, supported);
}

Status Model::CheckBatch(std::span<const SequenceBatch> sequences) const {
  const int32_t n_vocab = spec().n_vocab;
  for (size_t i = 0; i < sequences.size(); ++i) {
    const SequenceBatch& seq = sequences[i];
    if (seq.cache == nullptr)
      return InvalidArgumentError("ForwardBatch: sequence {} has no cache", i);
    if (seq.tokens.empty()) return InvalidArgumentError("ForwardBatch: sequence {} is empty", i);
    for (size_t j = 0; j < i; ++j) {
      if (sequences[j].cache == seq.cache) {
        return InvalidArgumentError("ForwardBatch: sequences {} and {} share a cache", j, i);
      }
    }
    for (int32_t token : seq.tokens) {
      if (token < 0 || token >= n_vocab) {
        return InvalidArgumentError(
            "ForwardBatch: token id {} (sequence {}) is outside the vocabulary of {} tokens", token,
            i, n_vocab);
      }
    }
    const int64_t last = static_cast<int64_t>(seq.cache->size()) + std::ssize(seq.tokens);
    if (last > seq.cache->capacity()) {
      return OutOfRangeError("position {} is beyond the context length {}", last,
                             seq.cache->capacity());
    }
  }
  return Status::Ok();
}

Status Model::ForwardBatch(std::span<const SequenceBatch> sequences, std::vector<float>& logits) {
  HEARTH_RETURN_IF_ERROR(CheckBatch(sequences));
  logits.clear();
  std::vector<float> rows;
  for (const SequenceBatch& seq : sequences) {
    const bool all = seq.logits == SequenceBatch::Logits::kAll;
    HEARTH_RETURN_IF_ERROR(Forward(seq.tokens, *seq.cache, all, rows));
    if (seq.logits != SequenceBatch::Logits::kNone) {
      logits.insert(logits.end(), rows.begin(), rows.end());
    }
  }
  return Status::Ok();
}

Status Model::ForwardHidden(std::span<const int32_t>, KvCache&, std::vector<float>&) {
  return UnsupportedError("model '{}' cannot produce hidden states", spec().architecture);
}

}  // namespace hearth
