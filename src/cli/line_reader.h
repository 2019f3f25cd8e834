// Reading the user's messages in `hearth chat`: lines from the terminal read
// with read(2), so that Ctrl-C (SIGINT, handled without SA_RESTART) breaks
// off a read, and the multi-line rules:
//   - a line ending in a backslash continues on the next line (the backslash
//     becomes a newline);
//   - a line that is just """ opens a block that ends at the next line that
//     is just """ (the lines between, joined by newlines, are the message).
#pragma once

#include <atomic>
#include <string>

namespace hearth::cli {

enum class ReadResult {
  kMessage,      // a complete message (possibly empty)
  kInterrupted,  // Ctrl-C: whatever was typed is dropped
  kEnd,          // end of input (Ctrl-D)
};

class LineReader {
 public:
  // `interrupted` is set by the SIGINT handler; ReadMessage clears it when it
  // reports kInterrupted.
  LineReader(int fd, std::atomic<bool>& interrupted) : fd_(fd), interrupted_(interrupted) {}

  // Shows `prompt`, then `continuation` before every further line of the
  // same message, and reads one message by the rules above.
  ReadResult ReadMessage(const char* prompt, const char* continuation, std::string& message);

 private:
  ReadResult ReadLine(std::string& line);

  int fd_;
  std::atomic<bool>& interrupted_;
  std::string pending_;  // read past the last line returned
  bool at_end_ = false;
};

}  // namespace hearth::cli
