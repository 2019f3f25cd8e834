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

}  // namespace hearth
