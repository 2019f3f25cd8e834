// ChatPrompt: turns a conversation (OpenAI-style `messages` JSON) into the
// exact prompt text a model was trained on, with the model's own
// tokenizer.chat_template, or a documented fallback for models without one.
//
// Shared by `hearth chat`, `hearth run` (one-turn chat) and `hearth serve`.
//
//   HEARTH_ASSIGN_OR_RETURN(auto format, ChatPromptFormat::FromModel(*model));
//   HEARTH_ASSIGN_OR_RETURN(std::string prompt, format->Render(messages, {}));
//   tokens = model->tokenizer->Encode(prompt, format->add_special(), /*parse_special=*/true);
//
// Fallback format, for models without tokenizer.chat_template (ChatML-like;
// BOS is added as the vocabulary says):
//
//   <|im_start|>ROLE\nCONTENT<|im_end|>\n       one block per message
//   <|im_start|>assistant\n                      the generation prompt
//
// Tools. A template that reads `tools` gets the OpenAI `tools` list as is.
// Otherwise the tools are described at the end of the system message (one
// added first if there is none), asking the model to call one exactly as
//
//   <tool_call>\n{"name": "<function name>", "arguments": {<arguments object>}}\n</tool_call>
//
// (JSON as transformers' tojson writes it). Conversations with tool calls
// render in every template: when the format is made, the template is tried
// on a small tool conversation, and where it cannot render it faithfully
// (the call's name, arguments or result missing, or an error) an assistant
// message's tool_calls become that text appended to its content, and tool
// results become a user message "<tool_response>\nCONTENT\n</tool_response>"
// (consecutive results share one). Tool-call arguments go to the template as
// objects (transformers' convention; OpenAI's JSON strings are parsed), or as
// strings for templates that only work with strings.
// Null content becomes ""; content given as a list of {type: "text", text}
// parts is joined into one string. For a template that rejects the system
// role, the system text opens the first user message.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/status.h"
#include "engine/loaded_model.h"

namespace hearth {

struct ChatPromptOptions {
  bool add_generation_prompt = true;  // end with the assistant header, ready for the answer
  // The OpenAI `tools` array (null: none). Templates that read `tools` get it;
  // for templates that do not, Render() describes the tools in a system
  // message (see chat_prompt.cpp for the exact text).
  nlohmann::ordered_json tools = nullptr;
  std::string now;  // ISO-8601 time strftime_now() sees; empty: the current local time
};

// The chat template stored in a GGUF file and the text of its BOS/EOS tokens
// (empty for what the file lacks; `text` empty: no template). Corrupt if a
// special-token id lies outside tokenizer.ggml.tokens.
struct ChatTemplateSource {
  std::string text;
  std::string bos_token;
  std::string eos_token;
};
Result<ChatTemplateSource> ReadChatTemplateSource(const GgufFile& file);

// The exact instruction Render() writes in the system message for templates
// that do not read `tools`, and the tool-call text it writes for assistant
// messages with tool_calls in templates that do not read `tool_calls`.
inline constexpr const char* kToolCallOpen = "<tool_call>\n";
inline constexpr const char* kToolCallClose = "\n</tool_call>";

class ChatPromptFormat {
 public:
  // From the model's GGUF metadata: tokenizer.chat_template and the BOS/EOS
  // token text. A model without a template gets the fallback format
  // (has_model_template() false). Fails if the template does not parse.
  static Result<std::unique_ptr<ChatPromptFormat>> FromModel(const LoadedModel& model);
  // From template source (empty: the fallback) and special-token text.
  static Result<std::unique_ptr<ChatPromptFormat>> FromSource(const std::string& source,
                                                              const std::string& bos_token,
                                                              const std::string& eos_token);

  // InvalidArgument for messages that are not an array of {role, content}
  // objects; the template's own errors otherwise. Thread-safe (const).
  Result<std::string> Render(const nlohmann::ordered_json& messages,
                             const ChatPromptOptions& options) const;

  bool has_model_template() const;
  // Whether to add BOS/EOS when tokenizing the rendered text: false when the
  // template itself writes the BOS token text (avoids a doubled BOS).
  bool add_special() const;
  // Text that ends an answer although the model has no token for it: the
  // fallback's "<|im_end|>" (empty list for a model's own template, whose end
  // of turn is an end-of-generation token).
  const std::vector<std::string>& stop_strings() const;
  ~ChatPromptFormat();

 private:
  struct Impl;
  explicit ChatPromptFormat(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth
