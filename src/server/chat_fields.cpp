#include "server/chat_fields.h"

#include <fmt/format.h>

namespace hearth::server {

namespace {

Check ParseContent(const Json& message, const std::string& param, const RequestLimits& limits,
                   std::string& out) {
  auto it = message.find("content");
  if (it == message.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    out = it->get<std::string>();
  } else if (it->is_array()) {
    for (const Json& part : *it) {
      if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
          !part["text"].is_string()) {
        return InvalidRequest(param + ".content",
                              "only text content parts ({\"type\": \"text\", \"text\": ...}) "
                              "are supported");
      }
      out += part["text"].get<std::string>();
    }
  } else {
    return InvalidRequest(param + ".content", "'content' must be a string or an array of parts");
  }
  if (out.size() > limits.max_string_bytes) {
    return InvalidRequest(param + ".content",
                          fmt::format("content is longer than {} bytes", limits.max_string_bytes));
  }
  return std::nullopt;
}

// OpenAI sends tool call arguments as a JSON string; templates expect objects.
Check ParseToolCallsOfMessage(const Json& message, const std::string& param, Json& out) {
  auto it = message.find("tool_calls");
  if (it == message.end() || it->is_null()) return std::nullopt;
  if (!it->is_array())
    return InvalidRequest(param + ".tool_calls", "'tool_calls' must be an array");
  Json calls = Json::array();
  for (const Json& call : *it) {
    if (!call.is_object() || !call.contains("function") || !call["function"].is_object() ||
        !call["function"].contains("name") || !call["function"]["name"].is_string()) {
      return InvalidRequest(param + ".tool_calls",
                            "each tool call needs a function with a string name");
    }
    Json copy = call;
    Json& arguments = copy["function"]["arguments"];
    if (arguments.is_string()) {
      Json parsed = Json::parse(arguments.get<std::string>(), nullptr, false);
      if (!parsed.is_discarded() && parsed.is_object()) arguments = parsed;
    } else if (arguments.is_null()) {
      arguments = Json::object();
    }
    calls.push_back(std::move(copy));
  }
  out["tool_calls"] = std::move(calls);
  return std::nullopt;
}

Check ParseMessage(const Json& message, size_t index, const RequestLimits& limits, Json& out) {
  const std::string param = fmt::format("messages[{}]", index);
  if (!message.is_object()) return InvalidRequest(param, "each message must be an object");
  std::string role;
  HEARTH_API_CHECK(ReadString(message, "role", param + ".role", 32, role));
  if (role == "developer") role = "system";
  if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
    return InvalidRequest(param + ".role",
                          "'role' must be one of system, developer, user, assistant, tool");
  }
  std::string content;
  HEARTH_API_CHECK(ParseContent(message, param, limits, content));
  out = Json::object();
  out["role"] = role;
  out["content"] = content;
  if (role == "assistant") HEARTH_API_CHECK(ParseToolCallsOfMessage(message, param, out));
  for (const char* key : {"tool_call_id", "name"}) {
    std::string text;
    bool present = false;
    HEARTH_API_CHECK(ReadString(message, key, param + "." + key, 256, text, &present));
    if (present) out[key] = text;
  }
  return std::nullopt;
}

bool IsValidFunctionName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

Check ParseToolChoice(const Json& body, GenerationSpec& spec) {
  spec.tool_choice = ToolChoice::kAuto;
  auto it = body.find("tool_choice");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    const auto& mode = it->get_ref<const std::string&>();
    if (mode == "none") {
      spec.tool_choice = ToolChoice::kNone;
    } else if (mode == "auto") {
      spec.tool_choice = ToolChoice::kAuto;
    } else if (mode == "required") {
      spec.tool_choice = ToolChoice::kRequired;
    } else {
      return InvalidRequest("tool_choice",
                            "'tool_choice' must be none, auto, required or an object");
    }
    return std::nullopt;
  }
  if (!it->is_object() || !it->contains("function") || !(*it)["function"].is_object() ||
      !(*it)["function"].contains("name") || !(*it)["function"]["name"].is_string()) {
    return InvalidRequest("tool_choice",
                          "'tool_choice' object must be {\"type\": \"function\", \"function\": "
                          "{\"name\": ...}}");
  }
  spec.forced_function = (*it)["function"]["name"].get<std::string>();
  if (spec.tools.is_null()) {
    return InvalidRequest("tool_choice", "'tool_choice' names a function but no tools were given");
  }
  for (const Json& tool : spec.tools) {
    if (tool["function"]["name"] == spec.forced_function) {
      spec.tool_choice = ToolChoice::kFunction;
      return std::nullopt;
    }
  }
  return InvalidRequest("tool_choice", "'tool_choice' names a function that is not in 'tools'");
}

}  // namespace

Check ParseMessages(const Json& body, const RequestLimits& limits, Json& out) {
  auto it = body.find("messages");
  if (it == body.end() || !it->is_array() || it->empty()) {
    return InvalidRequest("messages", "'messages' must be a non-empty array");
  }
  if (it->size() > limits.max_messages) {
    return InvalidRequest("messages",
                          fmt::format("'messages' has more than {} entries", limits.max_messages));
  }
  out = Json::array();
  for (size_t i = 0; i < it->size(); ++i) {
    Json message;
    HEARTH_API_CHECK(ParseMessage((*it)[i], i, limits, message));
    out.push_back(std::move(message));
  }
  return std::nullopt;
}

Check CheckSchema(const Json& schema, const std::string& param, const RequestLimits& limits) {
  if (!schema.is_object() && !schema.is_boolean()) {
    return InvalidRequest(param, "a JSON schema must be an object");
  }
  if (JsonValueDepth(schema) > limits.max_schema_depth) {
    return InvalidRequest(
        param, fmt::format("the schema is nested deeper than {} levels", limits.max_schema_depth));
  }
  return std::nullopt;
}

Check ParseTools(const Json& body, const RequestLimits& limits, GenerationSpec& spec) {
  auto it = body.find("tools");
  if (it != body.end() && !it->is_null()) {
    if (!it->is_array()) return InvalidRequest("tools", "'tools' must be an array");
    if (it->size() > limits.max_tools) {
      return InvalidRequest("tools",
                            fmt::format("'tools' has more than {} entries", limits.max_tools));
    }
    Json tools = Json::array();
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& tool = (*it)[i];
      const std::string param = fmt::format("tools[{}]", i);
      if (!tool.is_object() || tool.value("type", "function") != "function" ||
          !tool.contains("function") || !tool["function"].is_object()) {
        return InvalidRequest(param,
                              "each tool must be {\"type\": \"function\", \"function\": {...}}");
      }
      const Json& function = tool["function"];
      if (!function.contains("name") || !function["name"].is_string() ||
          !IsValidFunctionName(function["name"].get<std::string>())) {
        return InvalidRequest(param + ".function.name",
                              "a function name must be 1-64 letters, digits, '_', '-' or '.'");
      }
      Json parameters = function.value("parameters", Json::object());
      HEARTH_API_CHECK(CheckSchema(parameters, param + ".function.parameters", limits));
      Json clean = {{"type", "function"}, {"function", function}};
      clean["function"]["parameters"] = parameters;
      tools.push_back(std::move(clean));
    }
    if (!tools.empty()) spec.tools = std::move(tools);
  }
  HEARTH_API_CHECK(ParseToolChoice(body, spec));
  if (spec.tools.is_null()) spec.tool_choice = ToolChoice::kNone;
  return std::nullopt;
}

}  // namespace hearth::server
