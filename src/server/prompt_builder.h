// Turns a GenerationSpec into prompt token ids for one served model: chat
// messages through the model's chat template (tools included when the
// request offers them), completion prompts tokenized as given.
#pragma once

#include <cstdint>
#include <vector>

#include "server/api_error.h"
#include "server/generation_spec.h"
#include "server/model_registry.h"

namespace hearth::server {

ApiResult<std::vector<int32_t>> BuildPromptTokens(const ServedModel& model,
                                                  const GenerationSpec& spec);

}  // namespace hearth::server
