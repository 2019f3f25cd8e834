// GenerationSpec: what a chat or completion request asks for, in one shape for
// both APIs (OpenAI and Ollama parse into it), already validated against
// RequestLimits. Turned into CompletionRequests by server/generation.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sampling/sampling_params.h"
#include "server/json_util.h"

namespace hearth::server {

enum class ResponseFormat { kText, kJsonObject, kJsonSchema };
enum class ToolChoice { kNone, kAuto, kRequired, kFunction };

struct GenerationSpec {
  std::string model;  // as the client named it ("" when absent)
  bool chat = true;
  // chat: normalized messages [{role, content[, tool_calls, tool_call_id, name]}]
  // with content always a string (text parts joined).
  Json messages = Json::array();
  // completion: the prompt as text, or as token ids when prompt_is_tokens.
  std::string prompt;
  std::vector<int32_t> prompt_tokens;
  bool prompt_is_tokens = false;
  bool raw_prompt = false;  // Ollama generate "raw": no template (completions never use one)

  int32_t max_tokens = -1;  // resolved: never -1 after parsing (the cap when absent)
  SamplingParams sampling;
  bool seed_given = false;
  std::vector<std::string> stop;
  int32_t n = 1;

  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;
  int32_t top_logprobs = 0;

  ResponseFormat format = ResponseFormat::kText;
  Json schema = nullptr;  // kJsonSchema: the schema object

  Json tools = nullptr;  // null or the OpenAI tools array (validated)
  ToolChoice tool_choice = ToolChoice::kNone;
  std::string forced_function;  // kFunction: its name

  bool wants_tool_calls() const { return !tools.is_null() && tool_choice != ToolChoice::kNone; }
};

}  // namespace hearth::server
