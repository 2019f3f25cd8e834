// The Ollama-compatible endpoints. Streams are newline-delimited JSON; the
// last object has "done": true with Ollama's counters (durations in ns).
#include <memory>

#include "server/api_routes.h"
#include "server/generation.h"
#include "server/ollama_request.h"
#include "server/prompt_builder.h"
#include "server/tool_output.h"

namespace hearth::server {

namespace {

constexpr const char* kOllamaVersion = "0.6.0";  // the API level these endpoints follow

struct OllamaRequest {
  GenerationSpec spec;
  ServedModel* model = nullptr;
  std::shared_ptr<PendingGeneration> pending;
  bool chat_endpoint = true;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

int64_t Nanos(double seconds) { return static_cast<int64_t>(seconds * 1e9); }

Json Stamp(const OllamaRequest& request) {
  return Json{{"model", request.model->name}, {"created_at", Rfc3339Now()}};
}

Json TextChunk(const OllamaRequest& request, const std::string& text) {
  Json chunk = Stamp(request);
  if (request.chat_endpoint) {
    chunk["message"] = {{"role", "assistant"}, {"content", text}};
  } else {
    chunk["response"] = text;
  }
  chunk["done"] = false;
  return chunk;
}

Json FinalChunk(const OllamaRequest& request, const GenerationOutcome& outcome,
                const ChoiceMessage& message, bool whole) {
  Json chunk = Stamp(request);
  const std::string text = whole ? message.content : std::string();
  if (request.chat_endpoint) {
    Json reply = {{"role", "assistant"}, {"content", text}};
    if (message.tool_calls.is_array()) reply["tool_calls"] = OllamaToolCalls(message.tool_calls);
    chunk["message"] = std::move(reply);
  } else {
    chunk["response"] = text;
  }
  chunk["done"] = true;
  chunk["done_reason"] = std::string(message.finish_reason) == "length" ? "length" : "stop";
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - request.start).count();
  chunk["total_duration"] = Nanos(total);
  chunk["load_duration"] = 0;
  chunk["prompt_eval_count"] = outcome.prompt_tokens;
  chunk["prompt_eval_duration"] = Nanos(outcome.time_to_first_token);
  chunk["eval_count"] = outcome.completion_tokens;
  chunk["eval_duration"] = Nanos(outcome.generation_seconds);
  return chunk;
}

bool Prepare(ApiContext& context, const httplib::Request& http, httplib::Response& response,
             OllamaRequest& out) {
  Json body;
  if (!ParseBody(context, http, response, body)) return false;
  auto spec = out.chat_endpoint ? ParseOllamaChatRequest(body, context.limits)
                                : ParseOllamaGenerateRequest(body, context.limits);
  if (!spec.ok()) {
    ReplyError(response, spec.error());
    return false;
  }
  out.spec = std::move(spec.value());
  out.model = FindModelOrReply(context, out.spec.model, response);
  if (out.model == nullptr) return false;
  out.pending = StartGenerationOrReply(*out.model, out.spec, response);
  return out.pending != nullptr;
}

void Finish(ApiContext& context, const OllamaRequest& request, const GenerationOutcome& outcome) {
  RecordTokens(context, request.model->name, outcome.prompt_tokens, outcome.completion_tokens,
               outcome.generation_seconds, outcome.time_to_first_token);
  if (!outcome.choices.empty()) LogPromptIfAsked(context, request.spec, outcome.choices[0].text);
  if (outcome.cancelled) {
    if (RequestScope* scope = CurrentRequest()) scope->client_gone = true;
  }
}

void AnswerWhole(ApiContext& context, OllamaRequest& request, httplib::Response& response) {
  auto outcome = DrainGeneration(*request.pending, false,
                                 [](int32_t, const CompletionEvent&) { return ClientConnected(); });
  if (!outcome.ok()) {
    ReplyError(response, outcome.error());
    return;
  }
  Finish(context, request, outcome.value());
  if (outcome.value().cancelled) {
    response.status = 499;
    return;
  }
  const ChoiceMessage message = MakeChoiceMessage(outcome.value().choices[0], request.spec);
  ReplyJson(response, FinalChunk(request, outcome.value(), message, /*whole=*/true));
}

void AnswerStream(ApiContext& context, std::shared_ptr<OllamaRequest> request,
                  httplib::Response& response) {
  auto provider = [&context, request](size_t, httplib::DataSink& sink) {
    bool ok = true;
    auto write = [&](const Json& value) {
      const std::string line = DumpJson(value) + "\n";
      if (ok) ok = sink.write(line.data(), line.size());
    };
    const bool hold = request->spec.wants_tool_calls();
    auto outcome =
        DrainGeneration(*request->pending, false, [&](int32_t, const CompletionEvent& event) {
          if (!hold && !event.text.empty()) {
            write(TextChunk(*request, event.text));
          }
          return ok && ClientConnected();
        });
    if (!outcome.ok()) {
      write(outcome.error().ToJson());
      sink.done();
      return true;
    }
    Finish(context, *request, outcome.value());
    if (outcome.value().cancelled) return false;
    const ChoiceMessage message = MakeChoiceMessage(outcome.value().choices[0], request->spec);
    write(FinalChunk(*request, outcome.value(), message, /*whole=*/hold));
    sink.done();
    return true;
  };
  auto release = [request](bool) { request->pending->CancelAll(); };
  response.set_chunked_content_provider("application/x-ndjson", provider, release);
}

void HandleGeneration(ApiContext& context, const httplib::Request& http,
                      httplib::Response& response, bool chat) {
  auto request = std::make_shared<OllamaRequest>();
  request->chat_endpoint = chat;
  if (!Prepare(context, http, response, *request)) return;
  if (request->spec.stream) {
    AnswerStream(context, request, response);
  } else {
    AnswerWhole(context, *request, response);
  }
}

Json ModelDetails(const ServedModel& model) {
  const ModelSpec& spec = model.service->model().model->spec();
  return Json{{"format", "gguf"},
              {"family", spec.architecture},
              {"families", Json::array({spec.architecture})},
              {"parameter_size", fmt::format("{:.1f}M", static_cast<double>(spec.n_params) / 1e6)},
              {"quantization_level", ""}};
}

void HandleTags(ApiContext& context, httplib::Response& response) {
  Json models = Json::array();
  for (const auto& model : context.models.models()) {
    std::time_t modified = static_cast<std::time_t>(model->modified_unix);
    std::tm utc{};
    gmtime_r(&modified, &utc);
    models.push_back({{"name", model->name},
                      {"model", model->name},
                      {"modified_at", fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                                                  utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                                                  utc.tm_hour, utc.tm_min, utc.tm_sec)},
                      {"size", model->size_bytes},
                      {"digest", ""},
                      {"details", ModelDetails(*model)}});
  }
  ReplyJson(response, {{"models", models}});
}

void HandleShow(ApiContext& context, const httplib::Request& http, httplib::Response& response) {
  Json body;
  if (!ParseBody(context, http, response, body)) return;
  auto name = ParseOllamaModelName(body);
  if (!name.ok()) {
    ReplyError(response, name.error());
    return;
  }
  ServedModel* model = FindModelOrReply(context, name.value(), response);
  if (model == nullptr) return;
  const ModelSpec& spec = model->service->model().model->spec();
  Json capabilities = Json::array({"completion"});
  if (model->chat_format) capabilities.push_back("tools");
  ReplyJson(response, {{"modelfile", ""},
                       {"parameters", ""},
                       {"template", model->chat_template},
                       {"details", ModelDetails(*model)},
                       {"model_info",
                        {{"general.architecture", spec.architecture},
                         {"general.parameter_count", spec.n_params},
                         {spec.architecture + ".context_length", spec.n_ctx_train},
                         {spec.architecture + ".embedding_length", spec.n_embd}}},
                       {"capabilities", capabilities}});
}

}  // namespace

void InstallOllamaRoutes(httplib::Server& server, ApiContext& context) {
  server.Post("/api/chat", [&context](const httplib::Request& req, httplib::Response& res) {
    SetEndpoint("/api/chat");
    HandleGeneration(context, req, res, /*chat=*/true);
  });
  server.Post("/api/generate", [&context](const httplib::Request& req, httplib::Response& res) {
    SetEndpoint("/api/generate");
    HandleGeneration(context, req, res, /*chat=*/false);
  });
  server.Get("/api/tags", [&context](const httplib::Request&, httplib::Response& res) {
    SetEndpoint("/api/tags");
    HandleTags(context, res);
  });
  server.Post("/api/show", [&context](const httplib::Request& req, httplib::Response& res) {
    SetEndpoint("/api/show");
    HandleShow(context, req, res);
  });
  server.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    SetEndpoint("/api/version");
    ReplyJson(res, {{"version", kOllamaVersion}});
  });
  server.Post("/api/embed", [&context](const httplib::Request& req, httplib::Response& res) {
    SetEndpoint("/api/embed");
    std::string model;
    std::vector<std::vector<float>> vectors;
    int32_t tokens = 0;
    if (!EmbedInputs(context, req, res, model, vectors, tokens)) return;
    ReplyJson(res, {{"model", model}, {"embeddings", vectors}, {"prompt_eval_count", tokens}});
  });
}

}  // namespace hearth::server
