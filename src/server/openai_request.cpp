#include "server/openai_request.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "server/chat_fields.h"
#include "server/request_fields.h"

namespace hearth::server {

namespace {

Check RequireObject(const Json& body) {
  if (!body.is_object()) return InvalidRequest("", "the request body must be a JSON object");
  return std::nullopt;
}

Check ParseMaxTokens(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  int64_t max_tokens = limits.max_tokens_cap;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    HEARTH_API_CHECK(ReadInteger(body, key, key, 1, limits.max_tokens_cap, max_tokens));
  }
  spec.max_tokens = static_cast<int32_t>(max_tokens);
  return std::nullopt;
}

Check ParseLogitBias(const Json& body, const RequestLimits& limits, SamplingParams& sampling) {
  auto it = body.find("logit_bias");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) {
    return InvalidRequest("logit_bias", "'logit_bias' must map token ids to numbers");
  }
  if (it->size() > limits.max_logit_bias) {
    return InvalidRequest(
        "logit_bias", fmt::format("'logit_bias' has more than {} entries", limits.max_logit_bias));
  }
  for (const auto& [key, value] : it->items()) {
    int64_t token = -1;
    size_t used = 0;
    try {
      token = std::stoll(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != key.size() || token < 0 || token > INT32_MAX) {
      return InvalidRequest("logit_bias", "'logit_bias' keys must be token ids (integers >= 0)");
    }
    if (!value.is_number() || !std::isfinite(value.get<double>()) ||
        std::fabs(value.get<double>()) > 100.0) {
      return InvalidRequest("logit_bias", "'logit_bias' values must be numbers in [-100, 100]");
    }
    sampling.logit_bias.push_back({static_cast<int32_t>(token), value.get<float>()});
  }
  return std::nullopt;
}

// Sampling fields with OpenAI names (llama.cpp extensions: top_k, min_p,
// repeat_penalty). Defaults stay the engine's (llama.cpp's) when absent.
Check ParseSampling(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  SamplingParams& s = spec.sampling;
  HEARTH_API_CHECK(ReadNumber(body, "temperature", "temperature", 0.0, 2.0, s.temperature));
  bool top_p_given = false;
  HEARTH_API_CHECK(ReadNumber(body, "top_p", "top_p", 0.0, 1.0, s.top_p, &top_p_given));
  if (top_p_given && s.top_p <= 0.0f) {  // top_p 0 keeps only the most likely token
    s.top_p = 1.0f;
    s.top_k = 1;
  }
  int64_t top_k = s.top_k;
  HEARTH_API_CHECK(ReadInteger(body, "top_k", "top_k", 0, INT32_MAX, top_k));
  if (!(top_p_given && s.top_k == 1)) s.top_k = static_cast<int32_t>(top_k);
  HEARTH_API_CHECK(ReadNumber(body, "min_p", "min_p", 0.0, 1.0, s.min_p));
  HEARTH_API_CHECK(
      ReadNumber(body, "presence_penalty", "presence_penalty", -2.0, 2.0, s.presence_penalty));
  HEARTH_API_CHECK(
      ReadNumber(body, "frequency_penalty", "frequency_penalty", -2.0, 2.0, s.frequency_penalty));
  HEARTH_API_CHECK(
      ReadNumber(body, "repeat_penalty", "repeat_penalty", 0.01, 10.0, s.repeat_penalty));
  int64_t seed = 0;
  HEARTH_API_CHECK(ReadInteger(body, "seed", "seed", INT64_MIN, INT64_MAX, seed, &spec.seed_given));
  if (spec.seed_given) s.seed = static_cast<uint64_t>(seed);
  HEARTH_API_CHECK(ParseLogitBias(body, limits, s));
  return std::nullopt;
}

Check ParseStreamAndStop(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  HEARTH_API_CHECK(ReadBool(body, "stream", "stream", spec.stream));
  auto options = body.find("stream_options");
  if (options != body.end() && !options->is_null()) {
    if (!options->is_object()) {
      return InvalidRequest("stream_options", "'stream_options' must be an object");
    }
    HEARTH_API_CHECK(
        ReadBool(*options, "include_usage", "stream_options.include_usage", spec.include_usage));
  }
  HEARTH_API_CHECK(ReadStopList(body, "stop", "stop", limits, spec.stop));
  int64_t n = 1;
  HEARTH_API_CHECK(ReadInteger(body, "n", "n", 1, limits.max_n, n));
  spec.n = static_cast<int32_t>(n);
  std::string model;
  HEARTH_API_CHECK(ReadString(body, "model", "model", 256, model));
  spec.model = model;
  return std::nullopt;
}

Check ParseResponseFormat(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  auto it = body.find("response_format");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object() || !it->contains("type") || !(*it)["type"].is_string()) {
    return InvalidRequest("response_format", "'response_format' must be {\"type\": ...}");
  }
  const std::string type = (*it)["type"].get<std::string>();
  if (type == "text") return std::nullopt;
  if (type == "json_object") {
    spec.format = ResponseFormat::kJsonObject;
    return std::nullopt;
  }
  if (type != "json_schema") {
    return InvalidRequest("response_format.type",
                          "'response_format.type' must be text, json_object or json_schema");
  }
  auto wrapper = it->find("json_schema");
  if (wrapper == it->end() || !wrapper->is_object() || !wrapper->contains("schema")) {
    return InvalidRequest(
        "response_format.json_schema",
        "'response_format.json_schema' must be {\"name\": ..., \"schema\": {...}}");
  }
  HEARTH_API_CHECK(CheckSchema((*wrapper)["schema"], "response_format.json_schema.schema", limits));
  spec.format = ResponseFormat::kJsonSchema;
  spec.schema = (*wrapper)["schema"];
  return std::nullopt;
}

Check ParseCommon(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  HEARTH_API_CHECK(RequireObject(body));
  HEARTH_API_CHECK(ParseStreamAndStop(body, limits, spec));
  HEARTH_API_CHECK(ParseMaxTokens(body, limits, spec));
  HEARTH_API_CHECK(ParseSampling(body, limits, spec));
  return std::nullopt;
}

Check ParsePromptTokens(const Json& list, std::vector<int32_t>& out) {
  for (const Json& id : list) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      return InvalidRequest("prompt", "token id prompts must be arrays of integers >= 0");
    }
    out.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  return std::nullopt;
}

Check ParsePrompt(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) {
    return InvalidRequest("prompt", "'prompt' is required");
  }
  const Json* prompt = &*it;
  if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) prompt = &(*prompt)[0];
  if (prompt->is_string()) {
    spec.prompt = prompt->get<std::string>();
    if (spec.prompt.size() > limits.max_string_bytes) {
      return InvalidRequest(
          "prompt", fmt::format("'prompt' is longer than {} bytes", limits.max_string_bytes));
    }
    return std::nullopt;
  }
  if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_number()) {
    spec.prompt_is_tokens = true;
    return ParsePromptTokens(*prompt, spec.prompt_tokens);
  }
  return InvalidRequest("prompt",
                        "'prompt' must be a string, one string in an array, or token ids");
}

}  // namespace

ApiResult<GenerationSpec> ParseChatCompletionRequest(const Json& body,
                                                     const RequestLimits& limits) {
  GenerationSpec spec;
  spec.chat = true;
  HEARTH_API_CHECK(ParseCommon(body, limits, spec));
  HEARTH_API_CHECK(ParseMessages(body, limits, spec.messages));
  HEARTH_API_CHECK(ParseResponseFormat(body, limits, spec));
  HEARTH_API_CHECK(ParseTools(body, limits, spec));
  HEARTH_API_CHECK(ReadBool(body, "logprobs", "logprobs", spec.logprobs));
  int64_t top = 0;
  HEARTH_API_CHECK(
      ReadInteger(body, "top_logprobs", "top_logprobs", 0, limits.max_top_logprobs, top));
  if (top > 0 && !spec.logprobs) {
    return InvalidRequest("top_logprobs", "'top_logprobs' requires 'logprobs': true");
  }
  spec.top_logprobs = static_cast<int32_t>(top);
  if (spec.wants_tool_calls() && spec.format != ResponseFormat::kText) {
    return InvalidRequest("response_format", "'response_format' cannot be combined with 'tools'");
  }
  return spec;
}

ApiResult<GenerationSpec> ParseCompletionRequest(const Json& body, const RequestLimits& limits) {
  GenerationSpec spec;
  spec.chat = false;
  spec.raw_prompt = true;
  HEARTH_API_CHECK(ParseCommon(body, limits, spec));
  HEARTH_API_CHECK(ParsePrompt(body, limits, spec));
  HEARTH_API_CHECK(ParseResponseFormat(body, limits, spec));
  // Completions' logprobs is a count of alternatives (0-5); null/absent: none.
  bool present = false;
  int64_t top = 0;
  HEARTH_API_CHECK(ReadInteger(body, "logprobs", "logprobs", 0, 5, top, &present));
  spec.logprobs = present;
  spec.top_logprobs = static_cast<int32_t>(top);
  return spec;
}

Check CheckAgainstVocabulary(const GenerationSpec& spec, int32_t n_vocab) {
  for (const LogitBias& bias : spec.sampling.logit_bias) {
    if (bias.token >= n_vocab) {
      return InvalidRequest("logit_bias", fmt::format("token id {} is outside the vocabulary of {}",
                                                      bias.token, n_vocab));
    }
  }
  for (int32_t id : spec.prompt_tokens) {
    if (id >= n_vocab) {
      return InvalidRequest(
          "prompt", fmt::format("token id {} is outside the vocabulary of {}", id, n_vocab));
    }
  }
  return std::nullopt;
}

namespace {

Check ParseEmbeddingItem(const Json& item, const RequestLimits& limits, EmbeddingSpec& spec) {
  EmbeddingInput input;
  if (item.is_string()) {
    input.text = item.get<std::string>();
    if (input.text.empty()) return InvalidRequest("input", "'input' strings must not be empty");
    if (input.text.size() > limits.max_string_bytes) {
      return InvalidRequest("input", "an 'input' is too long");
    }
  } else if (item.is_array() && !item.empty()) {
    input.is_tokens = true;
    for (const Json& id : item) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
        return InvalidRequest("input", "token id inputs must be arrays of integers >= 0");
      }
      input.tokens.push_back(static_cast<int32_t>(id.get<int64_t>()));
    }
  } else {
    return InvalidRequest("input", "'input' must be a string, strings, or token id arrays");
  }
  spec.inputs.push_back(std::move(input));
  return std::nullopt;
}

}  // namespace

ApiResult<EmbeddingSpec> ParseEmbeddingRequest(const Json& body, const RequestLimits& limits) {
  HEARTH_API_CHECK(RequireObject(body));
  EmbeddingSpec spec;
  HEARTH_API_CHECK(ReadString(body, "model", "model", 256, spec.model));
  auto it = body.find("input");
  if (it == body.end() || it->is_null()) return InvalidRequest("input", "'input' is required");
  const bool one_token_list = it->is_array() && !it->empty() && (*it)[0].is_number();
  if (it->is_string() || one_token_list) {
    HEARTH_API_CHECK(ParseEmbeddingItem(*it, limits, spec));
  } else if (it->is_array() && !it->empty()) {
    if (it->size() > limits.max_embedding_inputs) {
      return InvalidRequest(
          "input", fmt::format("'input' has more than {} entries", limits.max_embedding_inputs));
    }
    for (const Json& item : *it) HEARTH_API_CHECK(ParseEmbeddingItem(item, limits, spec));
  } else {
    return InvalidRequest("input", "'input' must be a string, strings, or token id arrays");
  }
  return spec;
}

}  // namespace hearth::server
