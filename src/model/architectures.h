// One loader per supported architecture (general.architecture), each in its own file.
#pragma once

#include <memory>

#include "core/gguf.h"
#include "model/model.h"
#include "model/model_loader.h"

namespace hearth {

Result<std::unique_ptr<Model>> LoadLlama(std::shared_ptr<const GgufFile> file, HParams hp,
                                         const ModelOptions& options);
Result<std::unique_ptr<Model>> LoadQwen2(std::shared_ptr<const GgufFile> file, HParams hp,
                                         const ModelOptions& options);
Result<std::unique_ptr<Model>> LoadGemma3(std::shared_ptr<const GgufFile> file, HParams hp,
                                          const ModelOptions& options);

}  // namespace hearth
