// The OpenAI-compatible endpoints.
#include <memory>

#include "server/api_routes.h"
#include "server/generation.h"
#include "server/openai_request.h"
#include "server/openai_response.h"
#include "server/prompt_builder.h"
#include "server/tool_output.h"

namespace hearth::server {

namespace {

// Everything a generation handler needs once the request is validated.
struct PreparedRequest {
  GenerationSpec spec;
  ServedModel* model = nullptr;
  std::shared_ptr<PendingGeneration> pending;
};

// Validates, renders the prompt and submits; answers the error and returns
// false if any step fails.
bool Prepare(ApiContext& context, const httplib::Request& request, httplib::Response& response,
             bool chat, PreparedRequest& out) {
  Json body;
  if (!ParseBody(context, request, response, body)) return false;
  auto spec = chat ? ParseChatCompletionRequest(body, context.limits)
                   : ParseCompletionRequest(body, context.limits);
  if (!spec.ok()) {
    ReplyError(response, spec.error());
    return false;
  }
  out.spec = std::move(spec.value());
  out.model = FindModelOrReply(context, out.spec.model, response);
  if (out.model == nullptr) return false;
  if (auto error =
          CheckAgainstVocabulary(out.spec, out.model->service->model().tokenizer->vocab_size())) {
    ReplyError(response, *error);
    return false;
  }
  out.pending = StartGenerationOrReply(*out.model, out.spec, response);
  return out.pending != nullptr;
}

void Finish(ApiContext& context, const PreparedRequest& prepared,
            const GenerationOutcome& outcome) {
  RecordTokens(context, prepared.model->name, outcome.prompt_tokens, outcome.completion_tokens,
               outcome.generation_seconds, outcome.time_to_first_token);
  if (context.log_prompts && !outcome.choices.empty()) {
    LogPromptIfAsked(context, prepared.spec, outcome.choices[0].text);
  }
  if (outcome.cancelled) {
    if (RequestScope* scope = CurrentRequest()) scope->client_gone = true;
  }
}

void AnswerWhole(ApiContext& context, PreparedRequest& prepared, bool chat,
                 httplib::Response& response) {
  auto outcome = DrainGeneration(*prepared.pending, prepared.spec.logprobs,
                                 [](int32_t, const CompletionEvent&) { return ClientConnected(); });
  if (!outcome.ok()) {
    ReplyError(response, outcome.error());
    return;
  }
  Finish(context, prepared, outcome.value());
  if (outcome.value().cancelled) {
    response.status = 499;  // nobody is listening; for the log only
    return;
  }
  const ResponseIdentity id{NewResponseId(chat ? "chatcmpl-" : "cmpl-"), UnixNow(),
                            prepared.model->name};
  const Tokenizer& tokenizer = *prepared.model->service->model().tokenizer;
  if (!chat) {
    ReplyJson(response, TextCompletionJson(id, outcome.value(), prepared.spec.logprobs, tokenizer));
    return;
  }
  std::vector<ChoiceMessage> messages;
  for (const ChoiceOutput& choice : outcome.value().choices) {
    messages.push_back(MakeChoiceMessage(choice, prepared.spec));
  }
  ReplyJson(response,
            ChatCompletionJson(id, messages, outcome.value(), prepared.spec.logprobs, tokenizer));
}

// Writes a chat stream: a role chunk per choice, content chunks as tokens
// arrive (held back to the end when tool calls may be parsed from them), a
// finish chunk per choice, the usage chunk if asked, then [DONE].
class StreamWriter {
 public:
  StreamWriter(const PreparedRequest& prepared, ResponseIdentity id, httplib::DataSink& sink)
      : prepared_(prepared),
        id_(std::move(id)),
        sink_(sink),
        tokenizer_(*prepared.model->service->model().tokenizer) {}

  bool OnToken(int32_t index, const CompletionEvent& event) {
    StartChoice(index);
    const GenerationSpec& spec = prepared_.spec;
    if (spec.wants_tool_calls() || (event.text.empty() && !spec.logprobs)) {
      return ok_ && ClientConnected();
    }
    const Json logprobs =
        spec.logprobs ? ChatLogprobsJson({event.token}, tokenizer_) : Json(nullptr);
    if (spec.chat) {
      Write(ChatChunkJson(id_, index, {{"content", event.text}}, nullptr, logprobs,
                          spec.include_usage));
    } else {
      Json legacy =
          spec.logprobs ? CompletionLogprobsJson({event.token}, tokenizer_) : Json(nullptr);
      Write(CompletionChunkJson(id_, index, event.text, nullptr, legacy, spec.include_usage));
    }
    return ok_ && ClientConnected();
  }

  void Finish(const GenerationOutcome& outcome) {
    const GenerationSpec& spec = prepared_.spec;
    for (size_t i = 0; i < outcome.choices.size(); ++i) {
      const auto index = static_cast<int32_t>(i);
      StartChoice(index);
      if (!spec.chat) {
        Write(CompletionChunkJson(id_, index, "", FinishReason(outcome.choices[i].stop_reason),
                                  nullptr, spec.include_usage));
        continue;
      }
      const ChoiceMessage message = MakeChoiceMessage(outcome.choices[i], spec);
      if (spec.wants_tool_calls()) WriteHeldBack(index, message);
      Write(ChatChunkJson(id_, index, Json::object(), message.finish_reason, nullptr,
                          spec.include_usage));
    }
    if (spec.include_usage) {
      Write(spec.chat ? ChatUsageChunkJson(id_, outcome) : CompletionUsageChunkJson(id_, outcome));
    }
    WriteRaw(std::string(kSseDone));
  }

  void Fail(const ApiError& error) {
    Write(error.ToJson());
    WriteRaw(std::string(kSseDone));
  }

 private:
  void StartChoice(int32_t index) {
    if (!prepared_.spec.chat || index <= started_) return;
    for (int32_t i = started_ + 1; i <= index; ++i) {
      Write(ChatChunkJson(id_, i, {{"role", "assistant"}, {"content", ""}}, nullptr, nullptr,
                          prepared_.spec.include_usage));
    }
    started_ = index;
  }

  void WriteHeldBack(int32_t index, const ChoiceMessage& message) {
    if (!message.content.empty()) {
      Write(ChatChunkJson(id_, index, {{"content", message.content}}, nullptr, nullptr,
                          prepared_.spec.include_usage));
    }
    if (!message.tool_calls.is_array()) return;
    Json calls = Json::array();
    for (size_t k = 0; k < message.tool_calls.size(); ++k) {
      Json call = message.tool_calls[k];
      call["index"] = static_cast<int32_t>(k);
      calls.push_back(std::move(call));
    }
    Write(ChatChunkJson(id_, index, {{"tool_calls", calls}}, nullptr, nullptr,
                        prepared_.spec.include_usage));
  }

  void Write(const Json& chunk) { WriteRaw(SseEvent(chunk)); }
  void WriteRaw(const std::string& text) {
    if (ok_) ok_ = sink_.write(text.data(), text.size());
  }

  const PreparedRequest& prepared_;
  ResponseIdentity id_;
  httplib::DataSink& sink_;
  const Tokenizer& tokenizer_;
  int32_t started_ = -1;
  bool ok_ = true;
};

void AnswerStream(ApiContext& context, std::shared_ptr<PreparedRequest> prepared, bool chat,
                  httplib::Response& response) {
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
  auto provider = [&context, prepared, chat](size_t, httplib::DataSink& sink) {
    StreamWriter writer(
        *prepared, {NewResponseId(chat ? "chatcmpl-" : "cmpl-"), UnixNow(), prepared->model->name},
        sink);
    auto outcome = DrainGeneration(*prepared->pending, prepared->spec.logprobs,
                                   [&writer](int32_t index, const CompletionEvent& event) {
                                     return writer.OnToken(index, event);
                                   });
    if (!outcome.ok()) {
      writer.Fail(outcome.error());
      sink.done();
      return true;
    }
    Finish(context, *prepared, outcome.value());
    if (outcome.value().cancelled) return false;  // the client is gone: drop the connection
    writer.Finish(outcome.value());
    sink.done();
    return true;
  };
  auto release = [prepared](bool) { prepared->pending->CancelAll(); };
  response.set_chunked_content_provider("text/event-stream", provider, release);
}

void HandleGeneration(ApiContext& context, const httplib::Request& request,
                      httplib::Response& response, bool chat) {
  auto prepared = std::make_shared<PreparedRequest>();
  if (!Prepare(context, request, response, chat, *prepared)) return;
  if (prepared->spec.stream) {
    AnswerStream(context, prepared, chat, response);
  } else {
    AnswerWhole(context, *prepared, chat, response);
  }
}

void HandleModels(ApiContext& context, httplib::Response& response) {
  Json data = Json::array();
  for (const auto& model : context.models.models()) {
    data.push_back({{"id", model->name},
                    {"object", "model"},
                    {"created", model->modified_unix},
                    {"owned_by", "hearth"}});
  }
  ReplyJson(response, {{"object", "list"}, {"data", data}});
}

}  // namespace

// Embeds each input; shared with Ollama's /api/embed. Answers errors itself.
bool EmbedInputs(ApiContext& context, const httplib::Request& request, httplib::Response& response,
                 std::string& model_name, std::vector<std::vector<float>>& vectors,
                 int32_t& tokens) {
  Json body;
  if (!ParseBody(context, request, response, body)) return false;
  auto spec = ParseEmbeddingRequest(body, context.limits);
  if (!spec.ok()) {
    ReplyError(response, spec.error());
    return false;
  }
  ServedModel* model = FindModelOrReply(context, spec.value().model, response);
  if (model == nullptr) return false;
  model_name = model->name;
  const Tokenizer& tokenizer = *model->service->model().tokenizer;
  tokens = 0;
  for (const EmbeddingInput& input : spec.value().inputs) {
    std::vector<int32_t> ids =
        input.is_tokens ? input.tokens : tokenizer.Encode(input.text, true, false);
    for (int32_t id : ids) {
      if (id >= tokenizer.vocab_size()) {
        ReplyError(response, InvalidRequest("input", "a token id is outside the vocabulary"));
        return false;
      }
    }
    auto vector = model->service->Embed(ids);
    if (!vector.ok()) {
      ReplyError(response, ApiErrorFromStatus(vector.status()));
      return false;
    }
    tokens += static_cast<int32_t>(ids.size());
    vectors.push_back(std::move(vector).value());
  }
  RecordTokens(context, model_name, tokens, 0, 0.0, 0.0);
  return true;
}

void InstallOpenAiRoutes(httplib::Server& server, ApiContext& context) {
  server.Post("/v1/chat/completions",
              [&context](const httplib::Request& req, httplib::Response& res) {
                SetEndpoint("/v1/chat/completions");
                HandleGeneration(context, req, res, /*chat=*/true);
              });
  server.Post("/v1/completions", [&context](const httplib::Request& req, httplib::Response& res) {
    SetEndpoint("/v1/completions");
    HandleGeneration(context, req, res, /*chat=*/false);
  });
  server.Get("/v1/models", [&context](const httplib::Request&, httplib::Response& res) {
    SetEndpoint("/v1/models");
    HandleModels(context, res);
  });
  server.Post("/v1/embeddings", [&context](const httplib::Request& req, httplib::Response& res) {
    SetEndpoint("/v1/embeddings");
    std::string model;
    std::vector<std::vector<float>> vectors;
    int32_t tokens = 0;
    if (!EmbedInputs(context, req, res, model, vectors, tokens)) return;
    Json data = Json::array();
    for (size_t i = 0; i < vectors.size(); ++i) {
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", vectors[i]}});
    }
    ReplyJson(res, {{"object", "list"},
                    {"data", data},
                    {"model", model},
                    {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
  });
}

}  // namespace hearth::server
