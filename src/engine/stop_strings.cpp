#include "engine/stop_strings.h"

#include <algorithm>
#include <utility>

namespace hearth {

StopStringFilter::StopStringFilter(std::vector<std::string> stops) {
  for (std::string& stop : stops) {
    if (!stop.empty()) stops_.push_back(std::move(stop));
  }
}

std::string StopStringFilter::Push(std::string_view text) {
  if (stopped_) return {};
  held_.append(text);
  if (stops_.empty()) return std::exchange(held_, {});
  // A whole stop string: everything before its earliest occurrence is sent.
  size_t first = std::string::npos;
  for (const std::string& stop : stops_) first = std::min(first, held_.find(stop));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = held_.substr(0, first);
    held_.clear();
    return out;
  }
  // No occurrence lies wholly inside held_, so only a tail that is a prefix
  // of a stop string can still become one.
  const size_t hold = HoldFrom();
  std::string out = held_.substr(0, hold);
  held_.erase(0, hold);
  return out;
}

size_t StopStringFilter::HoldFrom() const {
  for (size_t start = 0; start < held_.size(); ++start) {
    const std::string_view tail = std::string_view(held_).substr(start);
    for (const std::string& stop : stops_) {
      if (stop.size() > tail.size() && stop.compare(0, tail.size(), tail) == 0) return start;
    }
  }
  return held_.size();
}

std::string StopStringFilter::Flush() { return std::exchange(held_, {}); }

}  // namespace hearth
