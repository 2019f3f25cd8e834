#include "chat/tool_call.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <random>

namespace hearth {
namespace {

constexpr std::string_view kOpenTag = "<tool_call>";
constexpr std::string_view kCloseTag = "</tool_call>";

std::string_view Trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// "```json\n{...}\n```" -> "{...}"; other text unchanged.
std::string_view StripCodeFence(std::string_view text) {
  text = Trim(text);
  if (text.size() < 6 || text.substr(0, 3) != "```" || text.substr(text.size() - 3) != "```") {
    return text;
  }
  text = text.substr(3, text.size() - 6);
  const size_t newline = text.find('\n');
  const std::string_view tag =
      Trim(text.substr(0, newline == std::string_view::npos ? 0 : newline));
  if (tag.empty() || tag == "json") {
    text = newline == std::string_view::npos ? text : text.substr(newline + 1);
  }
  return Trim(text);
}

std::string NewCallId() {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id = "call_";
  for (int i = 0; i < 24; ++i) id += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return id;
}

// {"name": "f", "arguments": {...}} (or "parameters", or arguments as a
// string holding an object) -> a call; anything else -> nullopt.
std::optional<ToolCall> CallFromJson(std::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(StripCodeFence(text), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  const auto name = json.find("name");
  if (name == json.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return std::nullopt;
  }
  auto arguments = json.find("arguments");
  if (arguments == json.end()) arguments = json.find("parameters");
  nlohmann::json args = nlohmann::json::object();
  if (arguments != json.end()) {
    args = *arguments;
    if (args.is_string()) {
      args = nlohmann::json::parse(args.get_ref<const std::string&>(), nullptr, false);
    }
    if (args.is_discarded() || !args.is_object()) return std::nullopt;
  }
  return ToolCall{NewCallId(), name->get<std::string>(), args.dump()};
}

}  // namespace

ParsedReply ParseToolCalls(std::string_view model_output) {
  ParsedReply reply;
  std::string content;
  size_t cursor = 0;
  bool saw_tag = false;
  while (cursor < model_output.size()) {
    const size_t open = model_output.find(kOpenTag, cursor);
    if (open == std::string_view::npos) break;
    saw_tag = true;
    const size_t body = open + kOpenTag.size();
    const size_t close = model_output.find(kCloseTag, body);
    const size_t body_end = close == std::string_view::npos ? model_output.size() : close;
    const size_t block_end =
        close == std::string_view::npos ? model_output.size() : close + kCloseTag.size();
    content.append(model_output.substr(cursor, open - cursor));
    if (auto call = CallFromJson(model_output.substr(body, body_end - body))) {
      reply.tool_calls.push_back(std::move(*call));
    } else {
      content.append(model_output.substr(open, block_end - open));  // kept as text
    }
    cursor = block_end;
  }
  if (cursor < model_output.size()) content.append(model_output.substr(cursor));
  if (!saw_tag) {
    if (auto call = CallFromJson(model_output)) {
      reply.tool_calls.push_back(std::move(*call));
      content.clear();
    }
  }
  reply.content = std::string(Trim(content));
  return reply;
}

}  // namespace hearth
