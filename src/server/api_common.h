// What the route handlers of both APIs share: the context they run in and
// small helpers to answer with JSON or an error.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <memory>
#include <string>

#include "server/api_error.h"
#include "server/generation.h"
#include "server/generation_spec.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/model_registry.h"
#include "server/request_limits.h"

namespace hearth::server {

struct ApiContext {
  ModelRegistry& models;
  RequestLimits limits;
  Metrics& metrics;
  bool log_prompts = false;
};

void ReplyJson(httplib::Response& response, const Json& body, int status = 200);
void ReplyError(httplib::Response& response, const ApiError& error);

// Marks the route for metrics and logs.
void SetEndpoint(const char* endpoint);

// Parses the body (depth and UTF-8 checked first); on failure answers 400 and
// returns false.
bool ParseBody(const ApiContext& context, const httplib::Request& request,
               httplib::Response& response, Json& body);

// The model a request names; answers 404 (model_not_found) and returns null
// when there is none.
ServedModel* FindModelOrReply(const ApiContext& context, const std::string& name,
                              httplib::Response& response);

// A random seed for requests that gave none.
uint64_t RandomSeed();

// What both APIs do once a request is parsed and its model found: give it a
// random seed if it named none, render and tokenize its prompt, and submit it
// to the model's CompletionService with the current request's cache owner.
// On failure answers with the error (400, 429, ...) and returns null.
std::shared_ptr<PendingGeneration> StartGenerationOrReply(ServedModel& model, GenerationSpec& spec,
                                                          httplib::Response& response);

// The cache owner (API key) of the current request.
std::string CurrentCacheOwner();

// Whether the client of the current request is still connected.
bool ClientConnected();

// Records tokens for metrics and the request log.
void RecordTokens(ApiContext& context, const std::string& model, int32_t prompt_tokens,
                  int32_t completion_tokens, double generation_seconds, double ttft);

// With --log-prompts only: the request's prompt and output, escaped.
void LogPromptIfAsked(const ApiContext& context, const GenerationSpec& spec,
                      const std::string& output);

// Unix time now, and Ollama's RFC 3339 timestamp ("2024-01-02T03:04:05.123456789Z").
int64_t UnixNow();
std::string Rfc3339Now();

}  // namespace hearth::server
