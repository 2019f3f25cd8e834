#include "cli/line_reader.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

namespace hearth::cli {

namespace {

constexpr const char* kBlockFence = "\"\"\"";

std::string Joined(const std::vector<std::string>& lines) {
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) text += (i == 0 ? "" : "\n") + lines[i];
  return text;
}

}  // namespace

ReadResult LineReader::ReadLine(std::string& line) {
  while (true) {
    if (const size_t newline = pending_.find('\n'); newline != std::string::npos) {
      line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return ReadResult::kMessage;
    }
    if (at_end_) {
      if (pending_.empty()) return ReadResult::kEnd;
      line = std::move(pending_);
      pending_.clear();
      return ReadResult::kMessage;
    }
    char buffer[4096];
    const ssize_t got = read(fd_, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) {
      if (interrupted_.exchange(false)) {
        pending_.clear();
        return ReadResult::kInterrupted;
      }
      continue;
    }
    if (got <= 0) {
      at_end_ = true;
      continue;
    }
    pending_.append(buffer, static_cast<size_t>(got));
  }
}

ReadResult LineReader::ReadMessage(const char* prompt, const char* continuation,
                                   std::string& message) {
  std::vector<std::string> lines;
  bool in_block = false;
  std::fputs(prompt, stdout);
  std::fflush(stdout);
  while (true) {
    std::string line;
    const ReadResult result = ReadLine(line);
    if (result == ReadResult::kInterrupted) return result;
    if (result == ReadResult::kEnd) {
      if (lines.empty()) return result;
      message = Joined(lines);  // input ended inside a message: take what there is
      return ReadResult::kMessage;
    }
    if (in_block) {
      if (line == kBlockFence) {
        message = Joined(lines);
        return ReadResult::kMessage;
      }
      lines.push_back(line);
    } else if (lines.empty() && line == kBlockFence) {
      in_block = true;
    } else if (!line.empty() && line.back() == '\\') {
      line.pop_back();
      lines.push_back(line);
    } else {
      lines.push_back(line);
      message = Joined(lines);
      return ReadResult::kMessage;
    }
    std::fputs(continuation, stdout);
    std::fflush(stdout);
  }
}

}  // namespace hearth::cli
