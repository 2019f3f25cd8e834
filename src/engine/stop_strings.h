// StopStringFilter: cuts streamed text at the first occurrence of any stop
// string (the server's `stop`), holding back text that might be the start of
// one until the following text decides it.
//
//   StopStringFilter filter({"\n\n"});
//   send(filter.Push("Hello\n"));   // sends "Hello", holds "\n"
//   send(filter.Push("\nBye"));     // sends "", stopped() is now true
//   send(filter.Flush());           // at the end: whatever is still held
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hearth {

class StopStringFilter {
 public:
  // Empty stop strings are ignored.
  explicit StopStringFilter(std::vector<std::string> stops);

  // Adds `text` and returns the part that is now safe to send: everything
  // before the first stop string once one appears (stopped() turns true and all
  // later text is dropped), else everything except the longest tail that is
  // the start of some stop string.
  std::string Push(std::string_view text);

  // The held-back tail (empty after stopped()).
  std::string Flush();

  bool stopped() const { return stopped_; }

 private:
  // The position in held_ where the longest tail that could begin a stop string starts.
  size_t HoldFrom() const;

  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace hearth
