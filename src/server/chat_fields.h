// Parsing of the parts of a chat request that OpenAI and Ollama share:
// messages, tools and tool_choice, and JSON output formats.
#pragma once

#include "server/api_error.h"
#include "server/generation_spec.h"
#include "server/request_fields.h"

namespace hearth::server {

// `messages`: a non-empty array of at most limits.max_messages objects with a
// role (system, developer -> system, user, assistant, tool) and content (a
// string, null, or an array of {"type": "text", "text"} parts, joined). Image
// parts are refused. Assistant tool_calls are kept, with OpenAI's string
// `arguments` turned into objects for the chat template when they parse.
Check ParseMessages(const Json& body, const RequestLimits& limits, Json& out);

// `tools`: an array of {"type": "function", "function": {"name", "description",
// "parameters"}}; `tool_choice`: "none" | "auto" | "required" |
// {"type": "function", "function": {"name"}} naming one of them.
Check ParseTools(const Json& body, const RequestLimits& limits, GenerationSpec& spec);

// A JSON schema for constrained output: an object (or true) no deeper than
// limits.max_schema_depth.
Check CheckSchema(const Json& schema, const std::string& param, const RequestLimits& limits);

}  // namespace hearth::server
