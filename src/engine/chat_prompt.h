// ChatPrompt: turns a conversation (OpenAI-style `messages` JSON) into the
// exact prompt text a model was trained on, with the model's own
// tokenizer.chat_template, or a documented fallback for models without one.
//
// Shared by `hearth chat`, `hearth run` (one-turn chat) and `hearth serve`.
//
//   HEARTH_ASSIGN_OR_RETURN(auto format, ChatPromptFormat::FromModel(*model));
//   HEARTH_ASSIGN_OR_RETURN(std::string prompt, format->Render(messages, {}));
//   tokens = model->tokenizer->Encode(prompt, format->add_special(), /*parse_special=*/true);
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

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
  // objects; the template's own errors otherwise.
  Result<std::string> Render(const nlohmann::ordered_json& messages,
                             const ChatPromptOptions& options) const;

  bool has_model_template() const;
  // Whether to add BOS/EOS when tokenizing the rendered text: false when the
  // template itself writes the BOS token text (avoids a doubled BOS).
  bool add_special() const;
  ~ChatPromptFormat();

 private:
  struct Impl;
  explicit ChatPromptFormat(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth
