#include "server/api_server.h"

#include <cstdio>

#include "server/api_routes.h"
#include "server/json_util.h"

namespace hearth::server {

namespace {

void Deny(httplib::Response& response, int status, const std::string& message) {
  ApiError error;
  error.http_status = status;
  error.message = message;
  error.type = status == 401 ? "authentication_error" : "invalid_request_error";
  ReplyJson(response, error.ToJson(), status);
}

std::string Header(const httplib::Request& request, const char* name, bool& present) {
  present = request.has_header(name);
  return present ? request.get_header_value(name) : std::string();
}

}  // namespace

ApiServer::ApiServer(ModelRegistry& models, ApiServerOptions options)
    : options_(std::move(options)),
      context_{models, options_.limits, metrics_, options_.log_prompts},
      policy_(options_.security) {
  HttpServerOptions http = options_.http;
  http.request_read_seconds = options_.limits.request_read_seconds;
  http.max_request_bytes = options_.limits.max_body_bytes + (size_t{64} << 10);
  http.on_request_done = [this](const RequestScope& scope, double seconds) {
    LogRequest(scope, seconds);
  };
  http_ = std::make_unique<HttpServer>(std::move(http));
  http_->set_payload_max_length(options_.limits.max_body_bytes);
  InstallRoutes();
}

ApiServer::~ApiServer() = default;

Status ApiServer::Bind() {
  HEARTH_RETURN_IF_ERROR(ValidateSecurityConfig(options_.security));
  std::string host = options_.security.bind_host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (options_.security.port == 0) {
    port_ = http_->bind_to_any_port(host);
    if (port_ <= 0) return IoError("cannot listen on {}: no free port", host);
  } else {
    if (!http_->bind_to_port(host, options_.security.port)) {
      return IoError("cannot listen on {}:{} (in use, or not an address of this machine)", host,
                     options_.security.port);
    }
    port_ = options_.security.port;
  }
  // The Host check compares against the port actually bound.
  SecurityConfig config = options_.security;
  config.port = port_;
  policy_ = SecurityPolicy(config);
  return Status::Ok();
}

bool ApiServer::Run() { return http_->listen_after_bind(); }

void ApiServer::Stop() { http_->stop(); }

httplib::Server::HandlerResponse ApiServer::CheckRequest(const httplib::Request& request,
                                                         httplib::Response& response) {
  using Handled = httplib::Server::HandlerResponse;
  bool has_host = false;
  const std::string host = Header(request, "Host", has_host);
  SecurityVerdict verdict = policy_.CheckHost(host, has_host);
  bool has_origin = false;
  const std::string origin = Header(request, "Origin", has_origin);
  if (verdict.http_status == 0) verdict = policy_.CheckOrigin(origin, has_origin);
  if (verdict.http_status != 0) {
    Deny(response, verdict.http_status, verdict.message);
    return Handled::Handled;
  }
  if (has_origin) {
    response.set_header("Access-Control-Allow-Origin", policy_.AllowOriginValue(origin));
    response.set_header("Vary", "Origin");
  }
  if (request.method == "OPTIONS") {  // a CORS preflight: never needs the key
    response.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    response.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
    response.set_header("Access-Control-Max-Age", "600");
    response.status = 204;
    return Handled::Handled;
  }
  if (request.path == "/health" && request.method == "GET") return Handled::Unhandled;
  verdict = policy_.Authenticate(request.get_header_value("Authorization"));
  if (verdict.http_status != 0) {
    response.set_header("WWW-Authenticate", "Bearer");
    Deny(response, verdict.http_status, verdict.message);
    return Handled::Handled;
  }
  if (RequestScope* scope = CurrentRequest()) scope->cache_owner = verdict.cache_owner;
  if (request.method == "POST") {
    verdict = SecurityPolicy::CheckJsonContentType(request.get_header_value("Content-Type"));
    if (verdict.http_status != 0) {
      Deny(response, verdict.http_status, verdict.message);
      if (RequestScope* scope = CurrentRequest()) scope->close_after = true;
      return Handled::Handled;
    }
    // Refuse an oversized body from its declared length, before reading it.
    const uint64_t length = request.get_header_value<uint64_t>("Content-Length");
    if (length > options_.limits.max_body_bytes) {
      Deny(response, 413,
           fmt::format("the request body is larger than {} bytes", options_.limits.max_body_bytes));
      if (RequestScope* scope = CurrentRequest()) scope->close_after = true;
      return Handled::Handled;
    }
  }
  return Handled::Unhandled;
}

void ApiServer::InstallRoutes() {
  http_->set_pre_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        return CheckRequest(request, response);
      });
  http_->set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const int status = response.status;
        std::string message = "not found";
        if (status == 413) message = "the request body is too large";
        if (status == 400) message = "malformed HTTP request";
        if (status == 405) message = "method not allowed";
        ApiError error;
        error.http_status = status;
        error.message = message;
        ReplyJson(response, error.ToJson(), status);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        ApiError error;
        error.http_status = 500;
        error.type = "server_error";
        error.message = "internal error";
        ReplyError(response, error);
      });
  http_->Get("/health", [](const httplib::Request&, httplib::Response& response) {
    SetEndpoint("/health");
    ReplyJson(response, {{"status", "ok"}});
  });
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    SetEndpoint("/metrics");
    std::vector<ModelStats> stats;
    for (const auto& model : context_.models.models()) {
      stats.push_back({model->name, model->service->stats()});
    }
    response.set_content(metrics_.Render(stats), "text/plain; version=0.0.4");
  });
  InstallOpenAiRoutes(*http_, context_);
  InstallOllamaRoutes(*http_, context_);
}

void ApiServer::LogRequest(const RequestScope& scope, double seconds) {
  metrics_.RecordRequest(scope.endpoint, scope.status, seconds);
  if (!options_.log_requests) return;
  std::fprintf(stderr, "hearth serve: %s %s %d %.3fs prompt_tokens=%d completion_tokens=%d%s\n",
               EscapeForLog(scope.method, 16).c_str(), EscapeForLog(scope.path, 120).c_str(),
               scope.status, seconds, scope.prompt_tokens, scope.completion_tokens,
               scope.client_gone ? " client_gone" : "");
}

}  // namespace hearth::server
