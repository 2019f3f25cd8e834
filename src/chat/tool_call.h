// Tool calls in a model's reply: the chat prompt asks the model to answer a
// call as
//   <tool_call>
//   {"name": "get_weather", "arguments": {"city": "Paris"}}
//   </tool_call>
// and ParseToolCalls turns such blocks into structured calls (the server's
// `tool_calls`), leaving the rest of the text as the content.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hearth {

struct ToolCall {
  std::string id;         // "call_" + 24 random letters and digits, unique per call
  std::string name;       // the function's name
  std::string arguments;  // JSON text of an object (compact), as OpenAI sends it
};

struct ParsedReply {
  std::string content;  // the text outside the recognised calls, trimmed
  std::vector<ToolCall> tool_calls;
};

// Recognises, leniently about whitespace:
//  - every <tool_call> JSON </tool_call> block whose JSON is an object with a
//    string "name" and an "arguments" (or "parameters") that is an object or a
//    string holding a JSON object; a final block missing its closing tag is
//    accepted when its JSON is complete;
//  - a whole output (trimmed, optionally inside a ```json fence) that is such
//    a JSON object.
// Blocks that do not parse stay in the content as text. Never fails.
ParsedReply ParseToolCalls(std::string_view model_output);

}  // namespace hearth
