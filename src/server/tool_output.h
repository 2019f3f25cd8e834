// Turns a finished choice into the message a client sees: when the request
// offered tools, calls written by the model (<tool_call>...</tool_call>, see
// chat/tool_call.h) become `tool_calls` and finish_reason "tool_calls".
#pragma once

#include "server/generation.h"
#include "server/generation_spec.h"
#include "server/openai_response.h"

namespace hearth::server {

ChoiceMessage MakeChoiceMessage(const ChoiceOutput& output, const GenerationSpec& spec);

// Ollama's shape: [{"function": {"name", "arguments": {...}}}] from OpenAI's
// (arguments as JSON text).
Json OllamaToolCalls(const Json& openai_tool_calls);

}  // namespace hearth::server
