#include "server/openai_response.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <atomic>
#include <cmath>

namespace hearth::server {

namespace {

// OpenAI reports impossible tokens as -9999 rather than -infinity (not JSON).
double SafeLogprob(float prob) {
  if (!(prob > 0.0f)) return -9999.0;
  return std::max(-9999.0, std::log(static_cast<double>(prob)));
}

Json BytesJson(const std::string& piece) {
  Json bytes = Json::array();
  for (char c : piece) bytes.push_back(static_cast<int>(static_cast<unsigned char>(c)));
  return bytes;
}

Json TokenEntry(int32_t token, float prob, const Tokenizer& tokenizer) {
  const std::string piece = tokenizer.TokenToPiece(token, /*render_special=*/false);
  return Json{{"token", piece}, {"logprob", SafeLogprob(prob)}, {"bytes", BytesJson(piece)}};
}

Json ChoiceBase(int32_t index) { return Json{{"index", index}}; }

Json ResponseBase(const ResponseIdentity& id, const char* object) {
  return Json{{"id", id.id}, {"object", object}, {"created", id.created}, {"model", id.model}};
}

}  // namespace

std::string NewResponseId(std::string_view prefix) {
  unsigned char bytes[12] = {};
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    static std::atomic<uint64_t> counter{0};
    return fmt::format("{}{:024x}", prefix, counter.fetch_add(1));
  }
  std::string id(prefix);
  for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
  return id;
}

Json UsageJson(const GenerationOutcome& outcome) {
  return Json{{"prompt_tokens", outcome.prompt_tokens},
              {"completion_tokens", outcome.completion_tokens},
              {"total_tokens", outcome.prompt_tokens + outcome.completion_tokens},
              {"prompt_tokens_details", {{"cached_tokens", outcome.cached_tokens}}}};
}

Json ChatLogprobsJson(const std::vector<SampledToken>& tokens, const Tokenizer& tokenizer) {
  Json content = Json::array();
  for (const SampledToken& t : tokens) {
    Json entry = TokenEntry(t.token, t.prob, tokenizer);
    Json top = Json::array();
    for (const TokenProb& alt : t.top) top.push_back(TokenEntry(alt.token, alt.prob, tokenizer));
    entry["top_logprobs"] = std::move(top);
    content.push_back(std::move(entry));
  }
  return Json{{"content", std::move(content)}};
}

Json CompletionLogprobsJson(const std::vector<SampledToken>& tokens, const Tokenizer& tokenizer) {
  Json pieces = Json::array();
  Json logprobs = Json::array();
  Json tops = Json::array();
  Json offsets = Json::array();
  size_t offset = 0;
  for (const SampledToken& t : tokens) {
    const std::string piece = tokenizer.TokenToPiece(t.token, false);
    pieces.push_back(piece);
    logprobs.push_back(SafeLogprob(t.prob));
    offsets.push_back(offset);
    offset += piece.size();
    Json top = Json::object();
    for (const TokenProb& alt : t.top) {
      top[tokenizer.TokenToPiece(alt.token, false)] = SafeLogprob(alt.prob);
    }
    tops.push_back(std::move(top));
  }
  return Json{{"tokens", std::move(pieces)},
              {"token_logprobs", std::move(logprobs)},
              {"top_logprobs", std::move(tops)},
              {"text_offset", std::move(offsets)}};
}

Json ChatCompletionJson(const ResponseIdentity& id, const std::vector<ChoiceMessage>& messages,
                        const GenerationOutcome& outcome, bool logprobs,
                        const Tokenizer& tokenizer) {
  Json response = ResponseBase(id, "chat.completion");
  Json choices = Json::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    Json choice = ChoiceBase(static_cast<int32_t>(i));
    Json message = {{"role", "assistant"}};
    const bool has_calls = messages[i].tool_calls.is_array() && !messages[i].tool_calls.empty();
    message["content"] =
        has_calls && messages[i].content.empty() ? Json(nullptr) : Json(messages[i].content);
    if (has_calls) message["tool_calls"] = messages[i].tool_calls;
    choice["message"] = std::move(message);
    choice["logprobs"] = logprobs && i < outcome.choices.size()
                             ? ChatLogprobsJson(outcome.choices[i].tokens, tokenizer)
                             : Json(nullptr);
    choice["finish_reason"] = messages[i].finish_reason;
    choices.push_back(std::move(choice));
  }
  response["choices"] = std::move(choices);
  response["usage"] = UsageJson(outcome);
  return response;
}

Json TextCompletionJson(const ResponseIdentity& id, const GenerationOutcome& outcome, bool logprobs,
                        const Tokenizer& tokenizer) {
  Json response = ResponseBase(id, "text_completion");
  Json choices = Json::array();
  for (size_t i = 0; i < outcome.choices.size(); ++i) {
    const ChoiceOutput& out = outcome.choices[i];
    Json choice = ChoiceBase(static_cast<int32_t>(i));
    choice["text"] = out.text;
    choice["logprobs"] = logprobs ? CompletionLogprobsJson(out.tokens, tokenizer) : Json(nullptr);
    choice["finish_reason"] = FinishReason(out.stop_reason);
    choices.push_back(std::move(choice));
  }
  response["choices"] = std::move(choices);
  response["usage"] = UsageJson(outcome);
  return response;
}

Json ChatChunkJson(const ResponseIdentity& id, int32_t index, const Json& delta,
                   const char* finish_reason, const Json& logprobs, bool include_usage) {
  Json chunk = ResponseBase(id, "chat.completion.chunk");
  Json choice = ChoiceBase(index);
  choice["delta"] = delta;
  choice["logprobs"] = logprobs;
  choice["finish_reason"] = finish_reason ? Json(finish_reason) : Json(nullptr);
  chunk["choices"] = Json::array({std::move(choice)});
  if (include_usage) chunk["usage"] = nullptr;
  return chunk;
}

Json ChatUsageChunkJson(const ResponseIdentity& id, const GenerationOutcome& outcome) {
  Json chunk = ResponseBase(id, "chat.completion.chunk");
  chunk["choices"] = Json::array();
  chunk["usage"] = UsageJson(outcome);
  return chunk;
}

Json CompletionChunkJson(const ResponseIdentity& id, int32_t index, const std::string& text,
                         const char* finish_reason, const Json& logprobs, bool include_usage) {
  Json chunk = ResponseBase(id, "text_completion");
  Json choice = ChoiceBase(index);
  choice["text"] = text;
  choice["logprobs"] = logprobs;
  choice["finish_reason"] = finish_reason ? Json(finish_reason) : Json(nullptr);
  chunk["choices"] = Json::array({std::move(choice)});
  if (include_usage) chunk["usage"] = nullptr;
  return chunk;
}

Json CompletionUsageChunkJson(const ResponseIdentity& id, const GenerationOutcome& outcome) {
  Json chunk = ResponseBase(id, "text_completion");
  chunk["choices"] = Json::array();
  chunk["usage"] = UsageJson(outcome);
  return chunk;
}

std::string SseEvent(const Json& value) { return "data: " + DumpJson(value) + "\n\n"; }

}  // namespace hearth::server
