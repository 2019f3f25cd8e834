// Parsing and validation of Ollama API request bodies (/api/chat,
// /api/generate) into GenerationSpec. Sampling fields live in "options" with
// Ollama's names (num_predict for max tokens); "stream" defaults to true.
#pragma once

#include "server/api_error.h"
#include "server/generation_spec.h"
#include "server/request_limits.h"

namespace hearth::server {

ApiResult<GenerationSpec> ParseOllamaChatRequest(const Json& body, const RequestLimits& limits);
// Without "raw": true the prompt (and "system") are wrapped in the chat template.
ApiResult<GenerationSpec> ParseOllamaGenerateRequest(const Json& body, const RequestLimits& limits);

// The model named by "model" (or the older "name"), for /api/show.
ApiResult<std::string> ParseOllamaModelName(const Json& body);

}  // namespace hearth::server
