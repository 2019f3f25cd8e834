#include "server/prompt_builder.h"

namespace hearth::server {

ApiResult<std::vector<int32_t>> BuildPromptTokens(const ServedModel& model,
                                                  const GenerationSpec& spec) {
  const Tokenizer& tokenizer = *model.service->model().tokenizer;
  std::vector<int32_t> tokens;
  if (spec.prompt_is_tokens) {
    tokens = spec.prompt_tokens;
  } else if (!spec.chat) {
    tokens = tokenizer.Encode(spec.prompt, /*add_special=*/true, /*parse_special=*/true);
  } else {
    if (!model.chat_format) {
      return InvalidRequest("messages", "this model has no chat format");
    }
    ChatPromptOptions options;
    if (spec.wants_tool_calls()) options.tools = spec.tools;
    auto text = model.chat_format->Render(spec.messages, options);
    if (!text.ok()) {
      return InvalidRequest("messages",
                            "the chat template rejected the messages: " + text.status().message());
    }
    tokens = tokenizer.Encode(*text, model.chat_format->add_special(), /*parse_special=*/true);
  }
  if (tokens.empty()) return InvalidRequest("prompt", "the prompt is empty");
  return tokens;
}

}  // namespace hearth::server
