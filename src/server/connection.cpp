#include "server/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace hearth::server {

namespace {

void AddressOf(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    port = ntohs(v6->sin6_port);
  }
  ip = text;
}

}  // namespace

Connection::Connection(int fd, double idle_read_seconds, double write_seconds)
    : fd_(fd), idle_read_seconds_(idle_read_seconds), write_seconds_(write_seconds) {}

void Connection::BeginRequest(Clock::time_point deadline, size_t byte_budget) {
  deadline_ = deadline;
  budget_ = byte_budget;
  deadline_hit_ = false;
}

bool Connection::WaitFor(short events, double timeout_seconds, bool use_deadline) const {
  auto limit = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(timeout_seconds));
  if (use_deadline && deadline_ < limit) limit = deadline_;
  for (;;) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(limit - Clock::now());
    if (remaining.count() <= 0) {
      if (use_deadline && Clock::now() >= deadline_) deadline_hit_ = true;
      return false;
    }
    pollfd p{fd_, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(remaining.count(), 1000)));
    if (n < 0 && errno != EINTR) return false;
    if (n > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

bool Connection::WaitForRequest(double seconds) {
  if (buffer_begin_ < buffer_end_) return true;
  return WaitFor(POLLIN, seconds, /*use_deadline=*/false);
}

bool Connection::PeerAlive() const {
  pollfd p{fd_, static_cast<short>(POLLIN | POLLRDHUP), 0};
  if (::poll(&p, 1, 0) <= 0) return true;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
}

bool Connection::is_readable() const {
  return buffer_begin_ < buffer_end_ || WaitFor(POLLIN, idle_read_seconds_, true);
}

bool Connection::is_writable() const {
  return PeerAlive() && WaitFor(POLLOUT, write_seconds_, /*use_deadline=*/false);
}

ssize_t Connection::read(char* ptr, size_t size) {
  if (size == 0) return 0;
  if (buffer_begin_ == buffer_end_) {
    if (budget_ == 0) return -1;
    if (!WaitFor(POLLIN, idle_read_seconds_, /*use_deadline=*/true)) return -1;
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_, std::min(sizeof(buffer_), budget_), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return n;
    budget_ -= static_cast<size_t>(n);
    buffer_begin_ = 0;
    buffer_end_ = static_cast<size_t>(n);
  }
  const size_t take = std::min(size, buffer_end_ - buffer_begin_);
  std::memcpy(ptr, buffer_ + buffer_begin_, take);
  buffer_begin_ += take;
  return static_cast<ssize_t>(take);
}

ssize_t Connection::write(const char* ptr, size_t size) {
  if (!WaitFor(POLLOUT, write_seconds_, /*use_deadline=*/false)) return -1;
  ssize_t n;
  do {
    n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

void Connection::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    AddressOf(address, ip, port);
  }
}

void Connection::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    AddressOf(address, ip, port);
  }
}

void Connection::LingeringClose(double seconds, size_t max_bytes) {
  ::shutdown(fd_, SHUT_WR);
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  char sink[16384];
  size_t drained = 0;
  while (drained < max_bytes && Clock::now() < end) {
    const double left = std::chrono::duration<double>(end - Clock::now()).count();
    if (!WaitFor(POLLIN, left, /*use_deadline=*/false)) break;
    const ssize_t n = ::recv(fd_, sink, sizeof(sink), 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
}

}  // namespace hearth::server
