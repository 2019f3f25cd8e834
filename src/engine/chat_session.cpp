#include "engine/chat_session.h"

#include <fmt/format.h>

#include <algorithm>

namespace hearth {

namespace {

using Json = nlohmann::ordered_json;

Json Message(const std::string& role, const std::string& content) {
  return Json{{"role", role}, {"content", content}};
}

std::string NoticeForDropped(int32_t dropped) {
  return fmt::format(
      "the conversation no longer fits in the context: dropped the {} oldest message{} "
      "(the system prompt is kept)",
      dropped, dropped == 1 ? "" : "s");
}

}  // namespace

ChatSession::ChatSession(std::shared_ptr<LoadedModel> model,
                         std::unique_ptr<ChatPromptFormat> format,
                         std::unique_ptr<Generator> generator, const ChatSessionOptions& options)
    : model_(std::move(model)),
      format_(std::move(format)),
      generator_(std::move(generator)),
      options_(options) {
  const Tokenizer& tokenizer = *model_->tokenizer;
  adds_space_prefix_ = tokenizer.Decode(tokenizer.Encode("a", false, false), false) == " a";
  Reset();
}

Result<std::unique_ptr<ChatSession>> ChatSession::Create(std::shared_ptr<LoadedModel> model,
                                                         const ChatSessionOptions& options) {
  if (!model || !model->model || !model->tokenizer) {
    return InvalidArgumentError("chat: no model or tokenizer loaded");
  }
  if (options.max_tokens < -1) {
    return InvalidArgumentError("max_tokens must be >= -1 (-1: no limit), got {}",
                                options.max_tokens);
  }
  ChatSessionOptions adjusted = options;
  adjusted.sampling.n_probs = std::max(adjusted.sampling.n_probs, kChatTopAlternatives);
  HEARTH_RETURN_IF_ERROR(adjusted.sampling.Validate(model->model->spec().n_vocab));
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<ChatPromptFormat> format,
                          ChatPromptFormat::FromModel(*model));
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<Generator> generator,
                          Generator::Create(model, options.generator));
  return std::unique_ptr<ChatSession>(
      new ChatSession(std::move(model), std::move(format), std::move(generator), adjusted));
}

void ChatSession::Reset() {
  messages_ = Json::array();
  if (!options_.system_prompt.empty()) {
    messages_.push_back(Message("system", options_.system_prompt));
  }
  transcript_text_.clear();
  transcript_tokens_.clear();
  last_answer_.clear();
}

void ChatSession::SetSystemPrompt(const std::string& text) {
  options_.system_prompt = text;
  Reset();
}

int32_t ChatSession::tokens_in_context() const {
  return static_cast<int32_t>(generator_->cached_tokens().size());
}

Result<ChatSession::Prompt> ChatSession::BuildPrompt() const {
  Prompt prompt;
  HEARTH_ASSIGN_OR_RETURN(prompt.text, format_->Render(messages_, ChatPromptOptions{}));
  const Tokenizer& tokenizer = *model_->tokenizer;
  const size_t known = transcript_text_.size();
  if (known > 0 && prompt.text.size() > known &&
      prompt.text.compare(0, known, transcript_text_) == 0) {
    // The conversation so far renders as before: keep its exact tokens (the
    // answers as generated, not as they would tokenize) and add the new text's.
    std::vector<int32_t> added = tokenizer.Encode(std::string_view(prompt.text).substr(known),
                                                  /*add_special=*/false, /*parse_special=*/true);
    // A SentencePiece space prefix would be put before new text that does not
    // start with a control token; tokenizing it apart would add a space.
    const bool clean_start =
        !adds_space_prefix_ || (!added.empty() && tokenizer.TokenToPiece(added[0], false).empty());
    if (clean_start) {
      prompt.tokens = transcript_tokens_;
      prompt.tokens.insert(prompt.tokens.end(), added.begin(), added.end());
      return prompt;
    }
  }
  prompt.tokens = tokenizer.Encode(prompt.text, format_->add_special(), /*parse_special=*/true);
  return prompt;
}

int32_t ChatSession::AnswerReserve() const {
  const int32_t n_ctx = generator_->n_ctx();
  return options_.max_tokens > 0 ? std::min(options_.max_tokens, n_ctx / 2) : n_ctx / 4;
}

// Removes the first turn after the system message: its messages up to the
// next user message. Never removes the last message (the one being answered).
bool ChatSession::DropOldestTurn() {
  size_t first = 0;
  while (first < messages_.size() && messages_[first]["role"] == "system") ++first;
  if (first + 1 >= messages_.size()) return false;
  size_t end = first + 1;
  while (end + 1 < messages_.size() && messages_[end]["role"] != "user") ++end;
  messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(first),
                  messages_.begin() + static_cast<std::ptrdiff_t>(end));
  transcript_text_.clear();  // the start of the conversation changed
  transcript_tokens_.clear();
  return true;
}

Result<ChatSession::Prompt> ChatSession::FitPrompt(int32_t& dropped) {
  const int32_t n_ctx = generator_->n_ctx();
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(Prompt prompt, BuildPrompt());
    const auto size = static_cast<int32_t>(prompt.tokens.size());
    if (size + AnswerReserve() <= n_ctx) return prompt;
    const size_t before = messages_.size();
    if (DropOldestTurn()) {
      dropped += static_cast<int32_t>(before - messages_.size());
      continue;
    }
    if (size < n_ctx) return prompt;  // nothing left to drop: answer in the room there is
    return OutOfRangeError(
        "the message makes a prompt of {} tokens but the context holds {} (raise it with -c)", size,
        n_ctx);
  }
}

void ChatSession::RecordAnswer(const Prompt& prompt, const std::string& answer,
                               const std::vector<int32_t>& answer_tokens) {
  messages_.push_back(Message("assistant", answer));
  // The transcript stays exact only if the answer's tokens spell the answer's text.
  if (model_->tokenizer->Decode(answer_tokens, /*render_special=*/false) == answer) {
    transcript_text_ = prompt.text + answer;
    transcript_tokens_ = prompt.tokens;
    transcript_tokens_.insert(transcript_tokens_.end(), answer_tokens.begin(), answer_tokens.end());
  } else {
    transcript_text_.clear();
    transcript_tokens_.clear();
  }
}

Result<TurnStats> ChatSession::Send(const std::string& user_text, const TurnCallbacks& callbacks) {
  const Json saved_messages = messages_;
  messages_.push_back(Message("user", user_text));
  TurnStats turn;
  auto prompt = FitPrompt(turn.dropped_messages);
  if (!prompt.ok()) {
    messages_ = saved_messages;
    return prompt.status();
  }
  auto notice = [&](const std::string& text) {
    if (callbacks.on_notice) callbacks.on_notice(text);
  };
  if (turn.dropped_messages > 0) notice(NoticeForDropped(turn.dropped_messages));

  GenerationRequest request;
  request.prompt_tokens = prompt->tokens;
  request.max_tokens = options_.max_tokens;
  request.sampling = options_.sampling;
  StopStringFilter filter(format_->stop_strings());
  std::string answer;
  std::vector<int32_t> answer_tokens;
  last_answer_.clear();
  const Tokenizer& tokenizer = *model_->tokenizer;
  auto stats = generator_->Generate(request, [&](std::string_view text, const SampledToken* token) {
    if (token != nullptr) {
      answer_tokens.push_back(token->token);
      AnswerToken shown{tokenizer.TokenToPiece(token->token, false), token->prob, {}};
      for (const TokenProb& alternative : token->top) {
        shown.top.emplace_back(tokenizer.TokenToPiece(alternative.token, false), alternative.prob);
      }
      last_answer_.push_back(std::move(shown));
    }
    const std::string visible = filter.Push(text);
    answer += visible;
    const bool go_on = visible.empty() || !callbacks.on_text || callbacks.on_text(visible);
    return go_on && !filter.stopped();
  });
  if (!stats.ok()) {
    messages_ = saved_messages;
    transcript_text_.clear();
    transcript_tokens_.clear();
    return stats.status();
  }
  if (const std::string rest = filter.Flush(); !rest.empty()) {
    answer += rest;
    if (callbacks.on_text) callbacks.on_text(rest);
  }
  RecordAnswer(*prompt, answer, answer_tokens);

  turn.prompt_tokens = stats->prompt_tokens;
  turn.prompt_evaluated = stats->prompt_evaluated;
  turn.prompt_reused = stats->prompt_tokens - stats->prompt_evaluated;
  turn.prompt_seconds = stats->prompt_seconds;
  turn.generated_tokens = stats->generated_tokens;
  turn.generation_seconds = stats->generation_seconds;
  turn.stop_reason = filter.stopped() ? StopReason::kStopSequence : stats->stop_reason;
  if (turn.stop_reason == StopReason::kContextFull) {
    notice(fmt::format(
        "the context ({} tokens) filled up: the answer was cut; the oldest turns will be dropped "
        "for the next message",
        generator_->n_ctx()));
  }
  last_turn_ = turn;
  return turn;
}

Json ChatSession::ToJson() const { return Json{{"messages", messages_}}; }

Status ChatSession::LoadJson(const Json& conversation) {
  const Json list = conversation.is_object() && conversation.contains("messages")
                        ? conversation["messages"]
                        : conversation;
  if (!list.is_array()) {
    return InvalidArgumentError("expected a conversation: {{\"messages\": [...]}} or a list");
  }
  for (const Json& message : list) {
    if (!message.is_object() || !message.contains("content") || !message["content"].is_string()) {
      return InvalidArgumentError("every message needs a role and a string content");
    }
  }
  auto rendered = format_->Render(list, ChatPromptOptions{});
  if (!rendered.ok()) return rendered.status();
  messages_ = list;
  options_.system_prompt = !list.empty() && list[0].value("role", "") == "system"
                               ? list[0]["content"].get<std::string>()
                               : std::string();
  transcript_text_.clear();
  transcript_tokens_.clear();
  last_answer_.clear();
  return Status::Ok();
}

}  // namespace hearth
