// ApiError: an HTTP error answer in OpenAI's shape,
//   {"error": {"message": ..., "type": ..., "param": ..., "code": ...}}
// used by both APIs (Ollama clients read the same "error" key's message).
//
// Messages name the request field that is wrong; they never carry file paths,
// prompt text or internal details.
#pragma once

#include <string>

#include "core/status.h"
#include "server/json_util.h"

namespace hearth::server {

struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // the offending field ("" when none)
  std::string code;   // machine-readable ("" when none)

  Json ToJson() const;
};

ApiError InvalidRequest(std::string param, std::string message);

// Maps an engine Status to its HTTP answer: InvalidArgument/OutOfRange -> 400,
// NotFound -> 404, ResourceExhausted -> 429, Cancelled -> 499, others -> 500
// with a generic message (the engine's may name files).
ApiError ApiErrorFromStatus(const Status& status);

// A value or an ApiError, for the request parsers.
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : value_(std::move(value)), ok_(true) {}  // NOLINT
  ApiResult(ApiError error) : error_(std::move(error)) {}      // NOLINT
  bool ok() const { return ok_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  const ApiError& error() const { return error_; }

 private:
  T value_{};
  ApiError error_;
  bool ok_ = false;
};

}  // namespace hearth::server
