// OpenAI response bodies and Server-Sent-Event chunks, built from a
// GenerationOutcome. Pure functions: tests compare their JSON directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/generation.h"
#include "server/json_util.h"
#include "tokenizer/tokenizer.h"

namespace hearth::server {

// Identifies one response: "chatcmpl-..." / "cmpl-...", its creation time and
// the model name echoed back.
struct ResponseIdentity {
  std::string id;
  int64_t created = 0;
  std::string model;
};

// A tool call the model made, in OpenAI's message shape:
// {"id", "type": "function", "function": {"name", "arguments": "<JSON text>"}}.
struct ChoiceMessage {
  std::string content;
  Json tool_calls = nullptr;  // null or an array
  const char* finish_reason = "stop";
};

// "chatcmpl-" + 24 random hex digits (never derived from the request).
std::string NewResponseId(std::string_view prefix);

// {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details":
// {"cached_tokens"}}
Json UsageJson(const GenerationOutcome& outcome);

// logprobs of one chat choice: {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}
Json ChatLogprobsJson(const std::vector<SampledToken>& tokens, const Tokenizer& tokenizer);
// The legacy completions shape: {"tokens", "token_logprobs", "top_logprobs", "text_offset"}
Json CompletionLogprobsJson(const std::vector<SampledToken>& tokens, const Tokenizer& tokenizer);

Json ChatCompletionJson(const ResponseIdentity& id, const std::vector<ChoiceMessage>& messages,
                        const GenerationOutcome& outcome, bool logprobs,
                        const Tokenizer& tokenizer);
Json TextCompletionJson(const ResponseIdentity& id, const GenerationOutcome& outcome, bool logprobs,
                        const Tokenizer& tokenizer);

// One chat.completion.chunk with one choice: `delta` as given, finish_reason
// null unless set, logprobs null unless given; "usage": null when
// include_usage (OpenAI sends null on every chunk but the last).
Json ChatChunkJson(const ResponseIdentity& id, int32_t index, const Json& delta,
                   const char* finish_reason, const Json& logprobs, bool include_usage);
// The final usage chunk: "choices": [] and the usage.
Json ChatUsageChunkJson(const ResponseIdentity& id, const GenerationOutcome& outcome);
Json CompletionChunkJson(const ResponseIdentity& id, int32_t index, const std::string& text,
                         const char* finish_reason, const Json& logprobs, bool include_usage);
Json CompletionUsageChunkJson(const ResponseIdentity& id, const GenerationOutcome& outcome);

// "data: <json>\n\n" and the terminator "data: [DONE]\n\n".
std::string SseEvent(const Json& value);
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

}  // namespace hearth::server
