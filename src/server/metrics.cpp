#include "server/metrics.h"

#include <fmt/format.h>

namespace hearth::server {

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::RecordRequest(const std::string& endpoint, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{endpoint, status}];
  request_seconds_[endpoint] += seconds;
}

void Metrics::RecordGeneration(const std::string& model, int32_t prompt_tokens,
                               int32_t completion_tokens, double generation_seconds,
                               double time_to_first_token) {
  std::lock_guard<std::mutex> lock(mutex_);
  TokenCounters& t = tokens_[model];
  t.prompt_tokens += static_cast<uint64_t>(std::max(prompt_tokens, 0));
  t.completion_tokens += static_cast<uint64_t>(std::max(completion_tokens, 0));
  t.generation_seconds += generation_seconds;
  t.ttft_seconds_sum += time_to_first_token;
  ++t.generations;
  if (generation_seconds > 0) t.last_tokens_per_second = completion_tokens / generation_seconds;
}

namespace {

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string Metrics::Render(const std::vector<ModelStats>& models) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  Header(out, "hearth_http_requests_total", "counter", "HTTP requests by endpoint and status.");
  for (const auto& [key, count] : requests_) {
    out += fmt::format("hearth_http_requests_total{{endpoint=\"{}\",status=\"{}\"}} {}\n",
                       EscapeLabel(key.first), key.second, count);
  }
  Header(out, "hearth_http_request_seconds_total", "counter",
         "Time spent answering requests, by endpoint.");
  for (const auto& [endpoint, seconds] : request_seconds_) {
    out += fmt::format("hearth_http_request_seconds_total{{endpoint=\"{}\"}} {:.6f}\n",
                       EscapeLabel(endpoint), seconds);
  }
  Header(out, "hearth_prompt_tokens_total", "counter", "Prompt tokens received.");
  for (const auto& [model, t] : tokens_) {
    out += fmt::format("hearth_prompt_tokens_total{{model=\"{}\"}} {}\n", EscapeLabel(model),
                       t.prompt_tokens);
  }
  Header(out, "hearth_generated_tokens_total", "counter", "Tokens generated.");
  for (const auto& [model, t] : tokens_) {
    out += fmt::format("hearth_generated_tokens_total{{model=\"{}\"}} {}\n", EscapeLabel(model),
                       t.completion_tokens);
  }
  Header(out, "hearth_generation_seconds_total", "counter", "Time spent generating tokens.");
  for (const auto& [model, t] : tokens_) {
    out += fmt::format("hearth_generation_seconds_total{{model=\"{}\"}} {:.6f}\n",
                       EscapeLabel(model), t.generation_seconds);
  }
  Header(out, "hearth_time_to_first_token_seconds_total", "counter",
         "Sum of times to first token (divide by hearth_generations_total for the mean).");
  for (const auto& [model, t] : tokens_) {
    out += fmt::format("hearth_time_to_first_token_seconds_total{{model=\"{}\"}} {:.6f}\n",
                       EscapeLabel(model), t.ttft_seconds_sum);
  }
  Header(out, "hearth_generations_total", "counter", "Generations finished.");
  for (const auto& [model, t] : tokens_) {
    out += fmt::format("hearth_generations_total{{model=\"{}\"}} {}\n", EscapeLabel(model),
                       t.generations);
  }
  Header(out, "hearth_tokens_per_second", "gauge",
         "Decoding speed of the most recent generation (tokens/s).");
  for (const auto& [model, t] : tokens_) {
    out += fmt::format("hearth_tokens_per_second{{model=\"{}\"}} {:.3f}\n", EscapeLabel(model),
                       t.last_tokens_per_second);
  }
  Header(out, "hearth_queue_depth", "gauge", "Requests waiting for a slot.");
  for (const ModelStats& m : models) {
    out += fmt::format("hearth_queue_depth{{model=\"{}\"}} {}\n", EscapeLabel(m.model),
                       m.stats.queue_depth);
  }
  Header(out, "hearth_slots_busy", "gauge", "Slots generating now.");
  for (const ModelStats& m : models) {
    out += fmt::format("hearth_slots_busy{{model=\"{}\"}} {}\n", EscapeLabel(m.model),
                       m.stats.slots_busy);
  }
  Header(out, "hearth_slots_total", "gauge", "Slots (requests generating at once).");
  for (const ModelStats& m : models) {
    out += fmt::format("hearth_slots_total{{model=\"{}\"}} {}\n", EscapeLabel(m.model),
                       m.stats.slots_total);
  }
  return out;
}

}  // namespace hearth::server
