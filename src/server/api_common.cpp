#include "server/api_common.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "server/json_util.h"
#include "server/prompt_builder.h"

namespace hearth::server {

void ReplyJson(httplib::Response& response, const Json& body, int status) {
  response.status = status;
  response.set_content(DumpJson(body), "application/json");
}

void ReplyError(httplib::Response& response, const ApiError& error) {
  ReplyJson(response, error.ToJson(), error.http_status);
}

void SetEndpoint(const char* endpoint) {
  if (RequestScope* scope = CurrentRequest()) scope->endpoint = endpoint;
}

bool ParseBody(const ApiContext& context, const httplib::Request& request,
               httplib::Response& response, Json& body) {
  auto parsed = ParseJsonBody(request.body, context.limits.max_json_depth);
  if (!parsed.ok()) {
    ReplyError(response, InvalidRequest("", parsed.status().message()));
    return false;
  }
  body = std::move(parsed).value();
  return true;
}

ServedModel* FindModelOrReply(const ApiContext& context, const std::string& name,
                              httplib::Response& response) {
  ServedModel* model = context.models.Find(name);
  if (model == nullptr) {
    ApiError error;
    error.http_status = 404;
    error.param = "model";
    error.code = "model_not_found";
    error.message =
        fmt::format("model '{}' is not served here (see /v1/models)", EscapeForLog(name, 100));
    ReplyError(response, error);
  }
  return model;
}

uint64_t RandomSeed() {
  uint64_t seed = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof(seed)) != 1) {
    seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  }
  return seed;
}

std::shared_ptr<PendingGeneration> StartGenerationOrReply(ServedModel& model, GenerationSpec& spec,
                                                          httplib::Response& response) {
  if (!spec.seed_given) spec.sampling.seed = RandomSeed();
  auto prompt = BuildPromptTokens(model, spec);
  if (!prompt.ok()) {
    ReplyError(response, prompt.error());
    return nullptr;
  }
  auto pending = SubmitGeneration(*model.service, prompt.value(), spec, model.make_constraint,
                                  CurrentCacheOwner());
  if (!pending.ok()) {
    ReplyError(response, pending.error());
    return nullptr;
  }
  return std::move(pending.value());
}

std::string CurrentCacheOwner() {
  const RequestScope* scope = CurrentRequest();
  return scope ? scope->cache_owner : std::string();
}

bool ClientConnected() {
  const RequestScope* scope = CurrentRequest();
  return scope == nullptr || scope->connection == nullptr || scope->connection->PeerAlive();
}

void RecordTokens(ApiContext& context, const std::string& model, int32_t prompt_tokens,
                  int32_t completion_tokens, double generation_seconds, double ttft) {
  context.metrics.RecordGeneration(model, prompt_tokens, completion_tokens, generation_seconds,
                                   ttft);
  if (RequestScope* scope = CurrentRequest()) {
    scope->prompt_tokens += prompt_tokens;
    scope->completion_tokens += completion_tokens;
  }
}

void LogPromptIfAsked(const ApiContext& context, const GenerationSpec& spec,
                      const std::string& output) {
  if (!context.log_prompts) return;
  const std::string prompt = spec.chat ? DumpJson(spec.messages) : spec.prompt;
  std::fprintf(stderr, "hearth serve: prompt \"%s\"\nhearth serve: output \"%s\"\n",
               EscapeForLog(prompt, 4000).c_str(), EscapeForLog(output, 4000).c_str());
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Rfc3339Now() {
  const auto now = std::chrono::system_clock::now();
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(nanos / 1000000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     nanos % 1000000000);
}

}  // namespace hearth::server
