// hearth serve: an OpenAI- and Ollama-compatible HTTP server on local models.
//
// Secure by default: listens on 127.0.0.1 only; another address needs an API
// key. See src/server/security.h for the full policy.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "engine/loaded_model.h"
#include "server/api_server.h"
#include "server/model_loader.h"

namespace hearth::cli {

namespace {

struct ServeOptions {
  std::vector<std::string> models;
  std::string host = "127.0.0.1";
  int port = 8080;
  int32_t slots = 4;
  int32_t max_queue = 64;
  int32_t n_ctx = 0;
  int n_threads = 0;
  std::vector<std::string> api_keys;
  std::string api_key_file;
  std::vector<std::string> cors_origins;
  bool log_prompts = false;
  double request_timeout = 30.0;
  int32_t http_threads = 32;
};

server::ApiServer* g_server = nullptr;

void OnSignal(int) {
  if (g_server) g_server->Stop();
}

Status Serve(ServeOptions& options) {
  if (options.slots < 1) return InvalidArgumentError("--slots must be >= 1, got {}", options.slots);
  if (options.port < 0 || options.port > 65535) {
    return InvalidArgumentError("--port must be in 0..65535, got {}", options.port);
  }
  if (!(options.request_timeout > 0)) return InvalidArgumentError("--request-timeout must be > 0");
  server::ApiServerOptions api;
  api.security.bind_host = options.host;
  api.security.port = options.port;
  api.security.api_keys = options.api_keys;
  api.security.cors_origins = options.cors_origins;
  if (!options.api_key_file.empty()) {
    HEARTH_ASSIGN_OR_RETURN(api.security.api_keys, server::ReadApiKeyFile(options.api_key_file));
  }
  // Refuse an unsafe address before spending time loading models.
  HEARTH_RETURN_IF_ERROR(server::ValidateSecurityConfig(api.security));
  api.limits.request_read_seconds = options.request_timeout;
  api.log_prompts = options.log_prompts;
  api.http.n_threads = std::max(options.http_threads, options.slots * 2 + 4);

  server::ServeModelOptions model_options;
  model_options.model.n_threads = options.n_threads;
  model_options.scheduler.n_slots = options.slots;
  model_options.scheduler.max_queue = options.max_queue;
  model_options.scheduler.n_ctx = options.n_ctx;
  if (options.models.empty()) options.models.push_back("");
  server::ModelRegistry registry;
  for (const std::string& requested : options.models) {
    HEARTH_ASSIGN_OR_RETURN(std::string path, ResolveModelPath(requested));
    HEARTH_ASSIGN_OR_RETURN(auto model, server::LoadServedModel(path, model_options));
    std::fprintf(stderr, "hearth serve: loaded %s as \"%s\"\n", path.c_str(), model->name.c_str());
    HEARTH_RETURN_IF_ERROR(registry.Add(std::move(model)));
  }

  server::ApiServer api_server(registry, api);
  HEARTH_RETURN_IF_ERROR(api_server.Bind());
  const bool v6 = options.host.find(':') != std::string::npos && options.host.front() != '[';
  std::fprintf(stderr, "hearth serve: listening on http://%s%s%s:%d (%d slots%s)\n", v6 ? "[" : "",
               options.host.c_str(), v6 ? "]" : "", api_server.port(), options.slots,
               api.security.api_keys.empty() ? "" : ", API key required");
  g_server = &api_server;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  const bool ok = api_server.Run();
  g_server = nullptr;
  if (!ok) return IoError("the HTTP listener stopped unexpectedly");
  std::fprintf(stderr, "hearth serve: stopped\n");
  return Status::Ok();
}

}  // namespace

void RegisterServeCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<ServeOptions>();
  auto* cmd =
      app.add_subcommand("serve", "Serve models over HTTP with OpenAI- and Ollama-compatible APIs");
  cmd->footer(
      "Without --model the default model is served ($HEARTH_MODEL, else "
      "$XDG_DATA_HOME/hearth/models/" +
      std::string(kDefaultModelFileName) +
      ").\nModels are named by their file name without .gguf (GET /v1/models).\n"
      "Security: listens on 127.0.0.1 unless --host says otherwise; a non-loopback address needs "
      "--api-key or --api-key-file. With keys, every endpoint but GET /health needs "
      "'Authorization: Bearer KEY'. Browsers are refused unless their origin is allowed with "
      "--cors-origin. Prompts and outputs are not logged unless --log-prompts.");
  cmd->add_option("-m,--model", options->models, "GGUF model file (repeat to serve several)");
  cmd->add_option("--host", options->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "Port (0: any free port)")->capture_default_str();
  cmd->add_option("--slots", options->slots, "Requests generating at once per model")
      ->capture_default_str();
  cmd->add_option("--max-queue", options->max_queue,
                  "Requests waiting beyond the slots (more: 429)")
      ->capture_default_str();
  cmd->add_option("-c,--ctx-size", options->n_ctx, "Context per slot (0: min(model, 4096))");
  cmd->add_option("-t,--threads", options->n_threads, "Compute threads (0: automatic)");
  auto* key = cmd->add_option("--api-key", options->api_keys, "Require this API key (repeatable)");
  auto* key_file = cmd->add_option("--api-key-file", options->api_key_file,
                                   "Read API keys from a file, one per line");
  key->excludes(key_file);
  cmd->add_option("--cors-origin", options->cors_origins,
                  "Allow browser requests from this origin, e.g. http://localhost:3000 "
                  "(repeatable; * for any)");
  cmd->add_flag("--log-prompts", options->log_prompts,
                "Write prompts and outputs to the log (off by default)");
  cmd->add_option("--request-timeout", options->request_timeout,
                  "Seconds a client has to send a whole request")
      ->capture_default_str();
  cmd->add_option("--http-threads", options->http_threads, "Connections served at once")
      ->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code.value = ReportStatus(Serve(*options)); });
}

}  // namespace hearth::cli
