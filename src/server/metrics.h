// Metrics: request and token counters for GET /metrics (Prometheus text
// format 0.0.4). Holds numbers and fixed labels only (endpoint paths from the
// server's own route table, model names, status codes): never prompt or output
// text. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "engine/completion_service.h"

namespace hearth::server {

struct ModelStats {
  std::string model;
  ServiceStats stats;
};

class Metrics {
 public:
  // One finished HTTP request. `endpoint` must be a route pattern, not a raw
  // client path (unknown paths are recorded as "other").
  void RecordRequest(const std::string& endpoint, int status, double seconds);
  // One finished generation: tokens in and out, and the decoding time.
  void RecordGeneration(const std::string& model, int32_t prompt_tokens, int32_t completion_tokens,
                        double generation_seconds, double time_to_first_token);

  // The whole exposition text; `models` adds queue depth and slots per model.
  std::string Render(const std::vector<ModelStats>& models) const;

 private:
  struct TokenCounters {
    uint64_t prompt_tokens = 0;
    uint64_t completion_tokens = 0;
    double generation_seconds = 0.0;
    uint64_t generations = 0;
    double ttft_seconds_sum = 0.0;
    double last_tokens_per_second = 0.0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (endpoint, status) -> count
  std::map<std::string, double> request_seconds_;             // endpoint -> total seconds
  std::map<std::string, TokenCounters> tokens_;               // model -> counters
};

// Escapes a Prometheus label value (backslash, quote, newline).
std::string EscapeLabel(const std::string& value);

}  // namespace hearth::server
