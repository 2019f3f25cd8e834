#include "server/tool_output.h"

#include "chat/tool_call.h"

namespace hearth::server {

ChoiceMessage MakeChoiceMessage(const ChoiceOutput& output, const GenerationSpec& spec) {
  ChoiceMessage message;
  message.content = output.text;
  message.finish_reason = FinishReason(output.stop_reason);
  if (!spec.wants_tool_calls()) return message;
  ParsedReply reply = ParseToolCalls(output.text);
  if (reply.tool_calls.empty()) return message;
  message.content = reply.content;
  message.tool_calls = Json::array();
  for (const ToolCall& call : reply.tool_calls) {
    message.tool_calls.push_back(
        {{"id", call.id},
         {"type", "function"},
         {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
  }
  message.finish_reason = "tool_calls";
  return message;
}

Json OllamaToolCalls(const Json& openai_tool_calls) {
  Json calls = Json::array();
  if (!openai_tool_calls.is_array()) return calls;
  for (const Json& call : openai_tool_calls) {
    const Json& function = call["function"];
    Json arguments = Json::parse(function["arguments"].get<std::string>(), nullptr, false);
    if (arguments.is_discarded()) arguments = Json::object();
    calls.push_back({{"function", {{"name", function["name"]}, {"arguments", arguments}}}});
  }
  return calls;
}

}  // namespace hearth::server
