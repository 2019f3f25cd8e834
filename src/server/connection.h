// Connection: the server side of one TCP connection, as an httplib::Stream,
// with the protections httplib 0.11's own socket stream lacks:
//  - a deadline for a whole request (headers and body), so a client sending
//    one byte a second cannot hold a worker thread: reads fail once it passes;
//  - a byte budget per request, so endless headers cannot grow memory;
//  - peer-hang-up detection (POLLRDHUP), so a generation is cancelled as soon
//    as its client disconnects, even before the next token is written.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <string>

namespace hearth::server {

class Connection : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(int fd, double idle_read_seconds, double write_seconds);

  // Starts a request: reads must finish by `deadline` and total at most `byte_budget`.
  void BeginRequest(Clock::time_point deadline, size_t byte_budget);
  // Reads are no longer bounded by the request deadline (the handler has the body).
  void EndRequestRead() { deadline_ = Clock::time_point::max(); }
  // Waits up to `seconds` for the next request's first byte (keep-alive).
  bool WaitForRequest(double seconds);
  // False once the client closed or reset the connection.
  bool PeerAlive() const;
  bool deadline_passed() const { return deadline_hit_; }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

  // After an answer sent before reading the body (413): stop writing, read and
  // drop what the client still sends (bounded in time and bytes) so it sees the
  // answer rather than a reset.
  void LingeringClose(double seconds, size_t max_bytes);

 private:
  // poll() for `events` until the deadline or the idle timeout; true when ready.
  bool WaitFor(short events, double timeout_seconds, bool use_deadline) const;

  int fd_;
  double idle_read_seconds_;
  double write_seconds_;
  Clock::time_point deadline_ = Clock::time_point::max();
  size_t budget_ = 0;
  mutable bool deadline_hit_ = false;
  char buffer_[4096];
  size_t buffer_begin_ = 0;
  size_t buffer_end_ = 0;
};

}  // namespace hearth::server
