#include "engine/chat_prompt.h"

#include <cctype>

#include "chat/template.h"

namespace hearth {

namespace {

using Json = nlohmann::ordered_json;

// The fallback format (see the header); trim_blocks leaves these newlines alone
// because none follows a block tag.
constexpr const char* kFallbackTemplate =
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

constexpr const char* kToolsIntro =
    "You can call the following tools. Each is described by a JSON schema:\n";
constexpr const char* kToolsInstruction =
    "\nTo call a tool, answer with only the call, exactly in this form:\n"
    "<tool_call>\n{\"name\": \"<function name>\", \"arguments\": {<arguments object>}}\n"
    "</tool_call>\nThe result of a call comes back in a <tool_response> block.";

Result<std::string> TokenText(const GgufFile& file, std::string_view id_key) {
  HEARTH_ASSIGN_OR_RETURN(uint64_t id, file.GetUint(id_key));
  HEARTH_ASSIGN_OR_RETURN(const GgufValue* tokens,
                          file.GetArray("tokenizer.ggml.tokens", GgufValueType::kString));
  if (id >= tokens->strings.size()) {
    return CorruptError("{}: {} = {} is past the vocabulary ({} tokens)", file.path(), id_key, id,
                        tokens->strings.size());
  }
  return std::string(tokens->strings[id]);
}

// Whether template source uses `name` as a variable: the word, not part of a
// longer identifier, not an attribute (`.name`) and not inside quotes.
bool ReadsVariable(const std::string& source, const std::string& name) {
  const auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '\'' || c == '"';
  };
  for (size_t at = source.find(name); at != std::string::npos; at = source.find(name, at + 1)) {
    const size_t end = at + name.size();
    const bool clean_start = at == 0 || (!is_word(source[at - 1]) && source[at - 1] != '.');
    const bool clean_end = end == source.size() || !is_word(source[end]);
    if (clean_start && clean_end) return true;
  }
  return false;
}

// Whether the source compares a role with the string 'tool' (handles tool results).
bool MentionsToolRole(const std::string& source) {
  return source.find("'tool'") != std::string::npos || source.find("\"tool\"") != std::string::npos;
}

// Content as one string: null -> "", a list of text parts -> their texts joined.
Result<std::string> ContentText(const Json& content, size_t index) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) {
    return InvalidArgumentError("messages[{}].content must be a string, null or a list of parts",
                                index);
  }
  std::string text;
  for (const Json& part : content) {
    if (!part.is_object() || !part.contains("text") || !part["text"].is_string()) {
      return InvalidArgumentError("messages[{}].content: only text parts are supported", index);
    }
    text += part["text"].get<std::string>();
  }
  return text;
}

// OpenAI sends tool-call arguments as a JSON string; templates (as in
// transformers) expect the object.
Json ParsedArguments(const Json& arguments) {
  if (!arguments.is_string()) return arguments;
  Json parsed = Json::parse(arguments.get<std::string>(), nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? arguments : parsed;
}

Status ValidateMessages(const Json& messages) {
  if (!messages.is_array()) return InvalidArgumentError("messages must be a JSON list");
  for (size_t i = 0; i < messages.size(); ++i) {
    const Json& message = messages[i];
    if (!message.is_object()) return InvalidArgumentError("messages[{}] is not an object", i);
    if (!message.contains("role") || !message["role"].is_string()) {
      return InvalidArgumentError("messages[{}] has no string `role`", i);
    }
    if (message.contains("tool_calls") && !message["tool_calls"].is_array() &&
        !message["tool_calls"].is_null()) {
      return InvalidArgumentError("messages[{}].tool_calls must be a list", i);
    }
    const bool has_calls = message.contains("tool_calls") && message["tool_calls"].is_array() &&
                           !message["tool_calls"].empty();
    if (!message.contains("content") && !has_calls) {
      return InvalidArgumentError("messages[{}] has no `content`", i);
    }
    if (message.contains("content")) {
      HEARTH_RETURN_IF_ERROR(ContentText(message["content"], i).status());
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ChatTemplateSource> ReadChatTemplateSource(const GgufFile& file) {
  ChatTemplateSource source;
  if (file.Find("tokenizer.chat_template") != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(std::string_view text, file.GetString("tokenizer.chat_template"));
    source.text = std::string(text);
  }
  if (file.Find("tokenizer.ggml.bos_token_id") != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(source.bos_token, TokenText(file, "tokenizer.ggml.bos_token_id"));
  }
  if (file.Find("tokenizer.ggml.eos_token_id") != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(source.eos_token, TokenText(file, "tokenizer.ggml.eos_token_id"));
  }
  return source;
}

// How a conversation with tool calls reaches this template (chosen by
// probing it once, see ChooseToolMode).
enum class CallsMode {
  kObjectArgs,  // tool_calls passed on, arguments as objects (transformers' convention)
  kStringArgs,  // tool_calls passed on, arguments as JSON strings
  kText,        // tool_calls written into the content as <tool_call> text
};
struct ToolMode {
  CallsMode calls = CallsMode::kText;
  bool native_tool_role = false;  // false: tool results become user messages
};

struct ChatPromptFormat::Impl {
  std::string source;
  std::unique_ptr<chat::ChatTemplate> tmpl;
  std::unique_ptr<chat::ChatTemplate> tojson;  // `{{ value | tojson }}`: transformers' JSON
  std::string bos_token;
  std::string eos_token;
  bool has_model_template = false;
  bool reads_tools = false;
  bool supports_system = true;
  ToolMode tool_mode;
  bool add_special = true;
  std::vector<std::string> stop_strings;

  Result<std::string> ToJson(const Json& value) const {
    return tojson->Render(Json{{"value", value}});
  }
  Result<std::string> ToolCallText(const Json& call) const;
  Result<std::string> ToolsDescription(const Json& tools) const;
  Result<Json> Normalize(const Json& messages, const ToolMode& mode) const;
  Json MergeSystemIntoUser(Json messages) const;
  Result<Json> WithToolsDescribed(Json messages, const Json& tools) const;
  Result<std::string> RenderContext(Json messages, const Json& tools, bool add_generation_prompt,
                                    const std::string& now) const;
  bool Probe(const ToolMode& mode) const;
  void ChooseToolMode();
  void ProbeSystemSupport();
};

Result<std::string> ChatPromptFormat::Impl::ToolCallText(const Json& call) const {
  // An OpenAI call is {id, type, function: {name, arguments}}; accept the bare function too.
  const Json& function = call.contains("function") ? call["function"] : call;
  if (!function.is_object() || !function.contains("name")) {
    return InvalidArgumentError("a tool call has no function name");
  }
  Json body = Json::object();
  body["name"] = function["name"];
  body["arguments"] =
      function.contains("arguments") ? ParsedArguments(function["arguments"]) : Json::object();
  HEARTH_ASSIGN_OR_RETURN(std::string json, ToJson(body));
  return kToolCallOpen + json + kToolCallClose;
}

Result<std::string> ChatPromptFormat::Impl::ToolsDescription(const Json& tools) const {
  std::string text = kToolsIntro;
  for (const Json& tool : tools) {
    HEARTH_ASSIGN_OR_RETURN(std::string json, ToJson(tool));
    text += json + "\n";
  }
  return text + kToolsInstruction;
}

// Messages in the shape this template can render (see the header).
Result<Json> ChatPromptFormat::Impl::Normalize(const Json& messages, const ToolMode& mode) const {
  Json out = Json::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    Json message = messages[i];
    // Many templates fail on a null content (an assistant message with only calls).
    HEARTH_ASSIGN_OR_RETURN(std::string content, ContentText(message.value("content", Json()), i));
    message["content"] = content;
    const bool has_calls = message.contains("tool_calls") && message["tool_calls"].is_array() &&
                           !message["tool_calls"].empty();
    if (!has_calls) {
      message.erase("tool_calls");
    } else if (mode.calls == CallsMode::kText) {
      for (const Json& call : message["tool_calls"]) {
        HEARTH_ASSIGN_OR_RETURN(std::string call_text, ToolCallText(call));
        content += (content.empty() ? "" : "\n") + call_text;
      }
      message["content"] = content;
      message.erase("tool_calls");
    } else {
      for (Json& call : message["tool_calls"]) {
        if (!call.contains("function") || !call["function"].is_object()) continue;
        Json& arguments = call["function"]["arguments"];  // added as null when absent
        if (arguments.is_null()) arguments = Json::object();
        if (mode.calls == CallsMode::kObjectArgs) {
          arguments = ParsedArguments(arguments);
        } else if (!arguments.is_string()) {
          HEARTH_ASSIGN_OR_RETURN(std::string json, ToJson(arguments));
          arguments = json;
        }
      }
    }
    if (message["role"] == "tool" && !mode.native_tool_role) {
      std::string text = "<tool_response>\n" + content + "\n</tool_response>";
      if (!out.empty() && out.back().value("from_tool", false)) {
        out.back()["content"] = out.back()["content"].get<std::string>() + "\n" + text;
        continue;
      }
      message = Json{{"role", "user"}, {"content", text}, {"from_tool", true}};
    }
    out.push_back(std::move(message));
  }
  for (Json& message : out) message.erase("from_tool");
  return out;
}

// For templates that reject a system message: its text opens the first user message.
Json ChatPromptFormat::Impl::MergeSystemIntoUser(Json messages) const {
  if (supports_system || messages.empty() || messages[0]["role"] != "system") return messages;
  const std::string system = messages[0]["content"].get<std::string>();
  messages.erase(messages.begin());
  for (Json& message : messages) {
    if (message["role"] == "user") {
      message["content"] = system + "\n\n" + message["content"].get<std::string>();
      return messages;
    }
  }
  messages.insert(messages.begin(), Json{{"role", "user"}, {"content", system}});
  return messages;
}

Result<Json> ChatPromptFormat::Impl::WithToolsDescribed(Json messages, const Json& tools) const {
  HEARTH_ASSIGN_OR_RETURN(std::string description, ToolsDescription(tools));
  if (!messages.empty() && messages[0]["role"] == "system") {
    std::string system = messages[0]["content"].get<std::string>();
    messages[0]["content"] = system.empty() ? description : system + "\n\n" + description;
  } else {
    messages.insert(messages.begin(), Json{{"role", "system"}, {"content", description}});
  }
  return messages;
}

Result<std::string> ChatPromptFormat::Impl::RenderContext(Json messages, const Json& tools,
                                                          bool add_generation_prompt,
                                                          const std::string& now) const {
  const bool has_tools = tools.is_array() && !tools.empty();
  if (has_tools && !reads_tools) {
    HEARTH_ASSIGN_OR_RETURN(messages, WithToolsDescribed(std::move(messages), tools));
  }
  Json context = {
      {"messages", MergeSystemIntoUser(std::move(messages))},
      {"tools", has_tools && reads_tools ? tools : Json(nullptr)},
      {"add_generation_prompt", add_generation_prompt},
      {"bos_token", bos_token},
      {"eos_token", eos_token},
  };
  if (!now.empty()) context["now"] = now;
  return tmpl->Render(context);
}

// Whether a conversation with a call, its result and an answer, given the
// template in `mode`, renders with the call's name, arguments and result in it.
bool ChatPromptFormat::Impl::Probe(const ToolMode& mode) const {
  const Json tools = Json::parse(R"([{"type": "function", "function": {"name": "probe_function",
      "description": "d", "parameters": {"type": "object", "properties":
      {"probe_arg": {"type": "string", "description": "d"}}, "required": ["probe_arg"]}}}])");
  const Json messages = Json::parse(R"([{"role": "user", "content": "probe_question"},
      {"role": "assistant", "content": "", "tool_calls": [{"id": "call_probe", "type": "function",
        "function": {"name": "probe_function", "arguments": {"probe_arg": "probe_value"}}}]},
      {"role": "tool", "tool_call_id": "call_probe", "name": "probe_function",
       "content": "probe_result"},
      {"role": "assistant", "content": "probe_answer"},
      {"role": "user", "content": "probe_followup"}])");
  auto normalized = Normalize(messages, mode);
  if (!normalized.ok()) return false;
  auto rendered = RenderContext(std::move(normalized).value(), tools, true, "");
  if (!rendered.ok()) return false;
  const auto has = [&](const char* text) { return rendered->find(text) != std::string::npos; };
  return has("probe_function") && has("probe_value") && has("probe_result");
}

// The first mode, in order of preference, this template renders faithfully.
void ChatPromptFormat::Impl::ChooseToolMode() {
  tool_mode = ToolMode{};  // text calls, tool results as user messages: renders anywhere
  if (!has_model_template) return;
  const bool reads_calls = source.find("tool_calls") != std::string::npos;
  const bool reads_tool_role = MentionsToolRole(source);
  std::vector<ToolMode> candidates;
  for (bool native_role : {true, false}) {
    if (native_role && !reads_tool_role) continue;
    if (reads_calls) {
      candidates.push_back({CallsMode::kObjectArgs, native_role});
      candidates.push_back({CallsMode::kStringArgs, native_role});
    }
    candidates.push_back({CallsMode::kText, native_role});
  }
  for (const ToolMode& mode : candidates) {
    if (Probe(mode)) {
      tool_mode = mode;
      return;
    }
  }
}

// Whether a system message renders (some templates raise on one). Templates
// made only for tool use fail without tools, so those get a tool to render with.
void ChatPromptFormat::Impl::ProbeSystemSupport() {
  supports_system = true;
  if (!has_model_template) return;
  Json context = {{"messages", Json::parse(R"([{"role": "system", "content": "probe_system"},
                                               {"role": "user", "content": "probe_user"}])")},
                  {"tools", nullptr},
                  {"add_generation_prompt", true},
                  {"bos_token", bos_token},
                  {"eos_token", eos_token}};
  auto rendered = tmpl->Render(context);
  if (!rendered.ok() && reads_tools) {
    context["tools"] = Json::parse(R"([{"type": "function", "function": {"name": "probe_function",
        "description": "d", "parameters": {"type": "object", "properties": {}}}}])");
    rendered = tmpl->Render(context);
  }
  supports_system = rendered.ok() && rendered->find("probe_system") != std::string::npos;
}

ChatPromptFormat::ChatPromptFormat(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChatPromptFormat::~ChatPromptFormat() = default;

Result<std::unique_ptr<ChatPromptFormat>> ChatPromptFormat::FromModel(const LoadedModel& model) {
  ChatTemplateSource source;
  if (model.file) {
    HEARTH_ASSIGN_OR_RETURN(source, ReadChatTemplateSource(*model.file));
  } else if (model.tokenizer) {  // built in memory: the tokenizer knows the special tokens
    const Tokenizer& tokenizer = *model.tokenizer;
    if (tokenizer.bos() >= 0) source.bos_token = tokenizer.TokenToPiece(tokenizer.bos(), true);
    if (tokenizer.eos() >= 0) source.eos_token = tokenizer.TokenToPiece(tokenizer.eos(), true);
  }
  auto format = FromSource(source.text, source.bos_token, source.eos_token);
  if (!format.ok()) return format.status().WithContext(model.path + ": tokenizer.chat_template");
  return format;
}

Result<std::unique_ptr<ChatPromptFormat>> ChatPromptFormat::FromSource(
    const std::string& source, const std::string& bos_token, const std::string& eos_token) {
  auto impl = std::make_unique<Impl>();
  impl->has_model_template = !source.empty();
  impl->source = impl->has_model_template ? source : std::string(kFallbackTemplate);
  HEARTH_ASSIGN_OR_RETURN(impl->tmpl, chat::ChatTemplate::Parse(impl->source));
  HEARTH_ASSIGN_OR_RETURN(impl->tojson, chat::ChatTemplate::Parse("{{ value | tojson }}"));
  impl->bos_token = bos_token;
  impl->eos_token = eos_token;
  impl->reads_tools = impl->has_model_template && ReadsVariable(source, "tools");
  impl->ProbeSystemSupport();
  impl->ChooseToolMode();
  // A template that writes the BOS itself must not get a second one from the tokenizer.
  const bool writes_bos = ReadsVariable(source, "bos_token") ||
                          (!bos_token.empty() && source.find(bos_token) != std::string::npos);
  impl->add_special = !impl->has_model_template || !writes_bos;
  if (!impl->has_model_template) impl->stop_strings = {"<|im_end|>"};
  return std::unique_ptr<ChatPromptFormat>(new ChatPromptFormat(std::move(impl)));
}

Result<std::string> ChatPromptFormat::Render(const nlohmann::ordered_json& messages,
                                             const ChatPromptOptions& options) const {
  HEARTH_RETURN_IF_ERROR(ValidateMessages(messages));
  if (!options.tools.is_null() && !options.tools.is_array()) {
    return InvalidArgumentError("tools must be a JSON list");
  }
  HEARTH_ASSIGN_OR_RETURN(Json normalized, impl_->Normalize(messages, impl_->tool_mode));
  return impl_->RenderContext(std::move(normalized), options.tools, options.add_generation_prompt,
                              options.now);
}

bool ChatPromptFormat::has_model_template() const { return impl_->has_model_template; }
bool ChatPromptFormat::add_special() const { return impl_->add_special; }
const std::vector<std::string>& ChatPromptFormat::stop_strings() const {
  return impl_->stop_strings;
}

}  // namespace hearth
