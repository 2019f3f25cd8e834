// ApiServer: `hearth serve` as a library object: the HTTP server with the
// security checks in front of the OpenAI and Ollama routes, /health and
// /metrics, and one log line per request on stderr.
//
//   ApiServer server(registry, options);
//   HEARTH_RETURN_IF_ERROR(server.Bind());   // refuses unsafe configurations
//   server.Run();                            // until Stop() (another thread)
#pragma once

#include <memory>

#include "server/api_common.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/security.h"

namespace hearth::server {

struct ApiServerOptions {
  SecurityConfig security;  // bind_host and port too
  RequestLimits limits;
  HttpServerOptions http;
  bool log_prompts = false;
  bool log_requests = true;
};

class ApiServer {
 public:
  ApiServer(ModelRegistry& models, ApiServerOptions options);
  ~ApiServer();

  // Checks the security configuration and binds (port 0: any free port).
  Status Bind();
  int port() const { return port_; }
  // Serves until Stop(); false if the listener failed.
  bool Run();
  void Stop();

 private:
  httplib::Server::HandlerResponse CheckRequest(const httplib::Request& request,
                                                httplib::Response& response);
  void InstallRoutes();
  void LogRequest(const RequestScope& scope, double seconds);

  ApiServerOptions options_;
  Metrics metrics_;
  ApiContext context_;
  SecurityPolicy policy_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
};

}  // namespace hearth::server
