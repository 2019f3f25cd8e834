// HttpServer: httplib::Server with bounded resources.
//  - Each connection is served through a Connection (server/connection.h):
//    a deadline and a byte budget per request, hang-up detection.
//  - A fixed pool of worker threads with a bounded backlog: connections beyond
//    it get an immediate 503 instead of queueing without limit.
//  - Keep-alive with an idle timeout and a request count per connection.
//  - One log callback per finished request (see RequestScope).
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "server/connection.h"

namespace hearth::server {

// What the handlers learned about the request being served on this thread,
// for the log line and metrics. Set by HttpServer around each request.
struct RequestScope {
  Connection* connection = nullptr;
  std::string method;
  std::string path;
  std::string endpoint = "other";  // the route pattern, for metrics
  std::string cache_owner;         // the API key that authenticated ("" without keys)
  int status = 0;
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  bool client_gone = false;
  bool close_after = false;  // answered before reading the body: drop the connection
};

// The scope of the request this thread serves (null outside a request).
RequestScope* CurrentRequest();

struct HttpServerOptions {
  double request_read_seconds = 30.0;  // whole request (headers and body)
  double idle_read_seconds = 10.0;     // between two bytes
  double write_seconds = 30.0;         // a client that stops reading
  double keep_alive_seconds = 5.0;
  size_t max_requests_per_connection = 100;
  size_t max_request_bytes = (size_t{8} << 20) + (size_t{64} << 10);  // body + headers
  int32_t n_threads = 32;
  int32_t max_pending_connections = 64;
  std::function<void(const RequestScope& scope, double seconds)> on_request_done;
};

class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(HttpServerOptions options);
  const HttpServerOptions& options() const { return options_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  void ServeConnection(Connection& connection);

  HttpServerOptions options_;
};

}  // namespace hearth::server
