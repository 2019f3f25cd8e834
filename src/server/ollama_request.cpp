#include "server/ollama_request.h"

#include <fmt/format.h>

#include "server/chat_fields.h"
#include "server/request_fields.h"

namespace hearth::server {

namespace {

Check ParseOptions(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  spec.max_tokens = limits.max_tokens_cap;
  auto it = body.find("options");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return InvalidRequest("options", "'options' must be an object");
  const Json& o = *it;
  SamplingParams& s = spec.sampling;
  int64_t num_predict = -1;
  HEARTH_API_CHECK(
      ReadInteger(o, "num_predict", "options.num_predict", -2, limits.max_tokens_cap, num_predict));
  // -1 (no limit) and -2 (fill the context) are bounded by the server's cap.
  spec.max_tokens = num_predict > 0 ? static_cast<int32_t>(num_predict) : limits.max_tokens_cap;
  HEARTH_API_CHECK(ReadNumber(o, "temperature", "options.temperature", 0.0, 2.0, s.temperature));
  int64_t top_k = s.top_k;
  HEARTH_API_CHECK(ReadInteger(o, "top_k", "options.top_k", 0, INT32_MAX, top_k));
  s.top_k = static_cast<int32_t>(top_k);
  bool top_p_given = false;
  HEARTH_API_CHECK(ReadNumber(o, "top_p", "options.top_p", 0.0, 1.0, s.top_p, &top_p_given));
  if (top_p_given && s.top_p <= 0.0f) {
    s.top_p = 1.0f;
    s.top_k = 1;
  }
  HEARTH_API_CHECK(ReadNumber(o, "min_p", "options.min_p", 0.0, 1.0, s.min_p));
  HEARTH_API_CHECK(
      ReadNumber(o, "repeat_penalty", "options.repeat_penalty", 0.01, 10.0, s.repeat_penalty));
  int64_t last_n = s.repeat_last_n;
  HEARTH_API_CHECK(ReadInteger(o, "repeat_last_n", "options.repeat_last_n", -1, 1 << 20, last_n));
  s.repeat_last_n = static_cast<int32_t>(last_n);
  HEARTH_API_CHECK(
      ReadNumber(o, "presence_penalty", "options.presence_penalty", -2.0, 2.0, s.presence_penalty));
  HEARTH_API_CHECK(ReadNumber(o, "frequency_penalty", "options.frequency_penalty", -2.0, 2.0,
                              s.frequency_penalty));
  int64_t seed = 0;
  HEARTH_API_CHECK(
      ReadInteger(o, "seed", "options.seed", INT64_MIN, INT64_MAX, seed, &spec.seed_given));
  if (spec.seed_given) s.seed = static_cast<uint64_t>(seed);
  HEARTH_API_CHECK(ReadStopList(o, "stop", "options.stop", limits, spec.stop));
  return std::nullopt;
}

Check ParseFormat(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  auto it = body.find("format");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    if (it->get<std::string>() == "json") {
      spec.format = ResponseFormat::kJsonObject;
      return std::nullopt;
    }
    if (it->get<std::string>().empty()) return std::nullopt;
    return InvalidRequest("format", "'format' must be \"json\" or a JSON schema object");
  }
  HEARTH_API_CHECK(CheckSchema(*it, "format", limits));
  spec.format = ResponseFormat::kJsonSchema;
  spec.schema = *it;
  return std::nullopt;
}

Check ParseCommon(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  if (!body.is_object()) return InvalidRequest("", "the request body must be a JSON object");
  HEARTH_API_CHECK(ReadString(body, "model", "model", 256, spec.model));
  spec.stream = true;  // Ollama streams unless told not to
  HEARTH_API_CHECK(ReadBool(body, "stream", "stream", spec.stream));
  HEARTH_API_CHECK(ParseOptions(body, limits, spec));
  HEARTH_API_CHECK(ParseFormat(body, limits, spec));
  return std::nullopt;
}

// Ollama sends tool call arguments as objects; OpenAI-style strings also work.
void NormalizeToolCallIds(Json& messages) {
  for (Json& message : messages) {
    if (!message.contains("tool_calls")) continue;
    for (Json& call : message["tool_calls"]) {
      if (!call.contains("type")) call["type"] = "function";
    }
  }
}

}  // namespace

ApiResult<GenerationSpec> ParseOllamaChatRequest(const Json& body, const RequestLimits& limits) {
  GenerationSpec spec;
  spec.chat = true;
  HEARTH_API_CHECK(ParseCommon(body, limits, spec));
  HEARTH_API_CHECK(ParseMessages(body, limits, spec.messages));
  NormalizeToolCallIds(spec.messages);
  HEARTH_API_CHECK(ParseTools(body, limits, spec));
  if (spec.wants_tool_calls() && spec.format != ResponseFormat::kText) {
    return InvalidRequest("format", "'format' cannot be combined with 'tools'");
  }
  return spec;
}

ApiResult<GenerationSpec> ParseOllamaGenerateRequest(const Json& body,
                                                     const RequestLimits& limits) {
  GenerationSpec spec;
  HEARTH_API_CHECK(ParseCommon(body, limits, spec));
  std::string prompt;
  std::string system;
  HEARTH_API_CHECK(ReadString(body, "prompt", "prompt", limits.max_string_bytes, prompt));
  HEARTH_API_CHECK(ReadString(body, "system", "system", limits.max_string_bytes, system));
  HEARTH_API_CHECK(ReadBool(body, "raw", "raw", spec.raw_prompt));
  if (spec.raw_prompt) {
    spec.chat = false;
    spec.prompt = prompt;
    return spec;
  }
  spec.chat = true;
  spec.messages = Json::array();
  if (!system.empty()) spec.messages.push_back({{"role", "system"}, {"content", system}});
  spec.messages.push_back({{"role", "user"}, {"content", prompt}});
  return spec;
}

ApiResult<std::string> ParseOllamaModelName(const Json& body) {
  if (!body.is_object()) return InvalidRequest("", "the request body must be a JSON object");
  std::string name;
  HEARTH_API_CHECK(ReadString(body, "model", "model", 256, name));
  if (name.empty()) HEARTH_API_CHECK(ReadString(body, "name", "name", 256, name));
  if (name.empty()) return InvalidRequest("model", "'model' is required");
  return name;
}

}  // namespace hearth::server
