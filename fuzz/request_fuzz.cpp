// libFuzzer target for the server's request handling without sockets: the
// bytes are a request body run through every API's parser and validator
// (depth pre-scan, UTF-8 check, JSON parse, OpenAI chat/completions/
// embeddings, Ollama chat/generate/show, vocabulary checks), and also header
// values run through the security checks. Any input must end in a spec or an
// ApiError (4xx), within the limits, with ASan/UBSan quiet.
//
//   cmake --preset fuzz && cmake --build build/fuzz --target request_fuzz
//   build/fuzz/request_fuzz -max_total_time=300 -dict=fuzz/request.dict fuzz_corpus_dir/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/json_util.h"
#include "server/ollama_request.h"
#include "server/openai_request.h"
#include "server/security.h"

namespace {

using hearth::server::ApiError;

void ExpectClientError(const ApiError& error) {
  if (error.http_status < 400 || error.http_status >= 500 || error.message.empty()) std::abort();
}

template <typename Result>
void Check(const Result& result) {
  if (!result.ok()) ExpectClientError(result.error());
}

void CheckSpec(const hearth::server::ApiResult<hearth::server::GenerationSpec>& result) {
  Check(result);
  if (!result.ok()) return;
  const auto& spec = result.value();
  // The parsers promise bounded, valid values.
  if (spec.max_tokens < 1 || spec.n < 1 || spec.n > hearth::server::RequestLimits{}.max_n) {
    std::abort();
  }
  if (!spec.sampling.Validate(0).ok()) std::abort();
  if (auto error = hearth::server::CheckAgainstVocabulary(spec, 49152)) ExpectClientError(*error);
}

void FuzzSecurity(std::string_view text) {
  hearth::server::SecurityConfig config;
  config.api_keys = {"secret-key"};
  config.cors_origins = {"http://localhost:3000"};
  const hearth::server::SecurityPolicy policy(config);
  (void)policy.Authenticate(text);
  (void)policy.CheckHost(text, true);
  (void)policy.CheckOrigin(text, true);
  (void)policy.AllowOriginValue(text);
  (void)hearth::server::SecurityPolicy::CheckJsonContentType(text);
  (void)hearth::server::IsLoopbackHost(text);
  (void)hearth::server::EscapeForLog(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  FuzzSecurity(text);
  const hearth::server::RequestLimits limits;
  auto body = hearth::server::ParseJsonBody(text, limits.max_json_depth);
  if (!body.ok()) return 0;
  CheckSpec(hearth::server::ParseChatCompletionRequest(*body, limits));
  CheckSpec(hearth::server::ParseCompletionRequest(*body, limits));
  CheckSpec(hearth::server::ParseOllamaChatRequest(*body, limits));
  CheckSpec(hearth::server::ParseOllamaGenerateRequest(*body, limits));
  Check(hearth::server::ParseEmbeddingRequest(*body, limits));
  Check(hearth::server::ParseOllamaModelName(*body));
  (void)hearth::server::DumpJson(*body);
  return 0;
}
