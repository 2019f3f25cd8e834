// Tool-call constrained decoding: forces the model to call one of the given
// tools in exactly the format ParseToolCalls (chat/tool_call.h) reads and the
// chat prompt asks for:
//   <tool_call>\n{"name": "NAME", "arguments": ARGS}\n</tool_call>
// where NAME is one of the tools and ARGS a JSON object valid against that
// tool's "parameters" schema (the json_schema.h subset). Nothing follows.
// Used for tool_choice "required" or a named function; "auto" is not
// constrained (the server only parses).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/status.h"
#include "sampling/constraint.h"
#include "sampling/constraint_vocab.h"
#include "sampling/json_schema.h"

namespace hearth {

// `tools`: the OpenAI request's list, [{"type": "function", "function":
// {"name": ..., "parameters": {...}}}] (a bare {"name", "parameters"} entry is
// accepted too; missing parameters mean any object). `forced_function`:
// empty for any of the tools, else the one name that must be called.
// InvalidArgument if tools is not a non-empty list of named functions, the
// forced function is not among them, or a parameters schema is unsupported.
Result<std::unique_ptr<TokenConstraint>> MakeToolCallConstraint(
    const nlohmann::ordered_json& tools, std::string_view forced_function,
    std::shared_ptr<const ConstraintVocab> vocab, const JsonSchemaLimits& limits = {});

}  // namespace hearth
