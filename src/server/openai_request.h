// Parsing and validation of OpenAI API request bodies into GenerationSpec.
// Pure functions (no sockets, no model): unknown fields are ignored, invalid
// values give an ApiError (HTTP 400) naming the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/api_error.h"
#include "server/generation_spec.h"
#include "server/request_fields.h"
#include "server/request_limits.h"

namespace hearth::server {

// POST /v1/chat/completions
ApiResult<GenerationSpec> ParseChatCompletionRequest(const Json& body, const RequestLimits& limits);
// POST /v1/completions (prompt: a string, [string] or [token ids])
ApiResult<GenerationSpec> ParseCompletionRequest(const Json& body, const RequestLimits& limits);

// The checks that need the model: logit_bias token ids and token-id prompts
// inside [0, n_vocab).
Check CheckAgainstVocabulary(const GenerationSpec& spec, int32_t n_vocab);

struct EmbeddingInput {
  std::string text;
  std::vector<int32_t> tokens;
  bool is_tokens = false;
};
struct EmbeddingSpec {
  std::string model;
  std::vector<EmbeddingInput> inputs;
};
// POST /v1/embeddings ("input": string, [string], [ids] or [[ids]]) and
// POST /api/embed ("input": string or [string]).
ApiResult<EmbeddingSpec> ParseEmbeddingRequest(const Json& body, const RequestLimits& limits);

}  // namespace hearth::server
