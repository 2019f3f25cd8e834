// ChatSession: a multi-turn conversation with one model, as `hearth chat`
// runs it (the terminal side is in cli/cmd_chat.cpp).
//
// Each Send() renders the whole conversation with the model's chat template
// (ChatPromptFormat) and generates the answer. The KV cache is kept across
// turns, and the prompt of turn N+1 is built as the exact tokens of turn N
// (its prompt and the answer tokens as generated) followed by the tokens of
// the newly rendered text, so only the new tokens are evaluated; if the
// template renders earlier turns differently the next time, the prompt is
// tokenized afresh and the Generator reuses the longest common prefix.
//
// When the conversation no longer fits in the context (with room for an
// answer), the oldest turns are dropped, the system message kept, and a
// notice reports it; a single message too long for the context is an error
// and leaves the conversation as it was.
//
// Not thread-safe: one session, one caller.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/chat_prompt.h"
#include "engine/generator.h"
#include "engine/stop_strings.h"  // StopStringFilter

namespace hearth {

struct ChatSessionOptions {
  GeneratorOptions generator;  // n_ctx (0: the model's), n_batch
  SamplingParams sampling;     // n_probs is raised to kChatTopAlternatives for /probs
  int32_t max_tokens = -1;     // per answer; -1: until end of turn or a full context
  std::string system_prompt;   // empty: none (the template may add its own default)
};

// Alternatives kept per answer token for AnswerToken::top.
inline constexpr int32_t kChatTopAlternatives = 5;

// One token of the last answer, for `/probs`. Probabilities are under the
// model's own distribution (softmax of the raw logits, before temperature).
struct AnswerToken {
  std::string piece;  // the token's text
  float prob = 0.0f;
  std::vector<std::pair<std::string, float>> top;  // most likely first
};

struct TurnStats {
  int32_t prompt_tokens = 0;     // the whole conversation, as evaluated for this turn
  int32_t prompt_evaluated = 0;  // of those, evaluated now
  int32_t prompt_reused = 0;     // of those, found in the cache
  double prompt_seconds = 0.0;
  int32_t generated_tokens = 0;
  double generation_seconds = 0.0;
  StopReason stop_reason = StopReason::kEndOfGeneration;
  int32_t dropped_messages = 0;  // removed from the start to make room
};

struct TurnCallbacks {
  // Streamed answer text; return false to stop the answer (it is kept as far as it got).
  std::function<bool(std::string_view text)> on_text;
  // Something the user should see outside the answer (dropped turns, a cut answer).
  std::function<void(const std::string& notice)> on_notice;
};

class ChatSession {
 public:
  // Errors from the template (does not parse) or the generator options.
  static Result<std::unique_ptr<ChatSession>> Create(std::shared_ptr<LoadedModel> model,
                                                     const ChatSessionOptions& options);

  // Adds the user's message, generates and records the answer.
  // OutOfRange if the message cannot fit in the context even alone (it is
  // then not added); template and generation errors otherwise.
  Result<TurnStats> Send(const std::string& user_text, const TurnCallbacks& callbacks);

  // Forgets every turn; the system prompt stays.
  void Reset();
  // Replaces the system prompt (empty: none) and starts a new conversation.
  void SetSystemPrompt(const std::string& text);

  // {"messages": [...]}: OpenAI-style messages, the system prompt first if any.
  nlohmann::ordered_json ToJson() const;
  // Replaces the conversation with a saved one (an object with "messages", or
  // the list itself). InvalidArgument if it is not a conversation the
  // template can render; the session is unchanged then.
  Status LoadJson(const nlohmann::ordered_json& conversation);

  const nlohmann::ordered_json& messages() const { return messages_; }
  int32_t tokens_in_context() const;
  // The tokens whose keys and values are in the cache, in order.
  const std::vector<int32_t>& context_tokens() const { return generator_->cached_tokens(); }
  int32_t n_ctx() const { return generator_->n_ctx(); }
  const ChatPromptFormat& format() const { return *format_; }
  // Stats of the last Send() (zeros before the first).
  const TurnStats& last_turn() const { return last_turn_; }
  const std::vector<AnswerToken>& last_answer() const { return last_answer_; }

 private:
  ChatSession(std::shared_ptr<LoadedModel> model, std::unique_ptr<ChatPromptFormat> format,
              std::unique_ptr<Generator> generator, const ChatSessionOptions& options);

  // The rendered prompt for messages_ and its tokens (reusing the transcript).
  struct Prompt {
    std::string text;
    std::vector<int32_t> tokens;
  };
  Result<Prompt> BuildPrompt() const;
  // Drops oldest turns until the prompt leaves room for an answer.
  Result<Prompt> FitPrompt(int32_t& dropped);
  bool DropOldestTurn();
  int32_t AnswerReserve() const;
  void RecordAnswer(const Prompt& prompt, const std::string& answer,
                    const std::vector<int32_t>& answer_tokens);

  std::shared_ptr<LoadedModel> model_;
  std::unique_ptr<ChatPromptFormat> format_;
  std::unique_ptr<Generator> generator_;
  ChatSessionOptions options_;
  nlohmann::ordered_json messages_ = nlohmann::ordered_json::array();
  // The text and exact tokens of the conversation so far (last prompt + answer),
  // empty when they may not match a new render (see BuildPrompt).
  std::string transcript_text_;
  std::vector<int32_t> transcript_tokens_;
  TurnStats last_turn_;
  std::vector<AnswerToken> last_answer_;
  bool adds_space_prefix_ = false;  // the tokenizer puts a space before text (SentencePiece)
};

}  // namespace hearth
