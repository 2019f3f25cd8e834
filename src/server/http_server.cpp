#include "server/http_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::server {

namespace {

thread_local RequestScope* tls_scope = nullptr;
// Set while the acceptor thread answers a connection the pool has no room for.
thread_local bool tls_overloaded = false;

// A fixed set of workers and a bounded backlog. httplib 0.11's enqueue cannot
// refuse, so an overflowing connection is answered (503) and closed on the
// acceptor thread itself, which only takes a non-blocking send.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(int32_t n_threads, int32_t max_pending) : max_pending_(max_pending) {
    for (int32_t i = 0; i < n_threads; ++i) workers_.emplace_back([this] { Work(); });
  }

  void enqueue(std::function<void()> job) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (static_cast<int32_t>(jobs_.size()) < max_pending_) {
        jobs_.push_back(std::move(job));
        ready_.notify_one();
        return;
      }
    }
    tls_overloaded = true;
    job();
    tls_overloaded = false;
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& worker : workers_) worker.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  int32_t max_pending_;
  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> jobs_;
  std::mutex mutex_;
  std::condition_variable ready_;
  bool stopping_ = false;
};

const std::string& OverloadedResponse() {
  static const std::string response = [] {
    const std::string body =
        "{\"error\":{\"message\":\"the server is overloaded; retry later\","
        "\"type\":\"server_error\",\"param\":null,\"code\":null}}";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Connection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return response;
}

}  // namespace

RequestScope* CurrentRequest() { return tls_scope; }

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {
  const int32_t threads = options_.n_threads;
  const int32_t pending = options_.max_pending_connections;
  new_task_queue = [threads, pending] { return new BoundedPool(threads, pending); };
  set_logger([](const httplib::Request& request, const httplib::Response& response) {
    if (tls_scope == nullptr) return;
    tls_scope->method = request.method;
    tls_scope->path = request.path;
    tls_scope->status = response.status;
  });
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  if (tls_overloaded) {
    const std::string& answer = OverloadedResponse();
    (void)::send(sock, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  } else {
    Connection connection(sock, options_.idle_read_seconds, options_.write_seconds);
    ServeConnection(connection);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return true;
}

void HttpServer::ServeConnection(Connection& connection) {
  for (size_t served = 0; served < options_.max_requests_per_connection && is_running(); ++served) {
    const double wait = served == 0 ? options_.request_read_seconds : options_.keep_alive_seconds;
    if (!connection.WaitForRequest(wait)) return;
    const auto start = std::chrono::steady_clock::now();
    connection.BeginRequest(
        start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(options_.request_read_seconds)),
        options_.max_request_bytes);
    RequestScope scope;
    scope.connection = &connection;
    tls_scope = &scope;
    bool closed = false;
    const bool last = served + 1 == options_.max_requests_per_connection;
    const bool ok = process_request(connection, last, closed, [](httplib::Request&) {});
    tls_scope = nullptr;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (scope.status == 0 && connection.deadline_passed()) scope.status = 408;
    if (options_.on_request_done && (scope.status != 0 || connection.deadline_passed())) {
      options_.on_request_done(scope, seconds);
    }
    if (scope.close_after) {
      connection.LingeringClose(2.0, size_t{256} << 20);
      return;
    }
    if (!ok || closed || scope.client_gone) return;
  }
}

}  // namespace hearth::server
