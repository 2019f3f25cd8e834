// Typed, range-checked reads of request fields shared by the OpenAI and Ollama
// parsers. Each returns nullopt when the field is fine (absent and null leave
// `out` unchanged) or the ApiError naming it: wrong type, NaN/infinite,
// outside [lo, hi], too long.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/api_error.h"
#include "server/json_util.h"
#include "server/request_limits.h"

namespace hearth::server {

using Check = std::optional<ApiError>;

// Returns the error from the enclosing function (an ApiResult or Check) if any.
#define HEARTH_API_CHECK(expr)          \
  do {                                  \
    if (auto hearth_check_ = (expr)) {  \
      return std::move(*hearth_check_); \
    }                                   \
  } while (0)

// `param` is the name used in errors (e.g. "options.temperature").
Check ReadNumber(const Json& object, const char* key, const std::string& param, double lo,
                 double hi, float& out, bool* present = nullptr);
Check ReadInteger(const Json& object, const char* key, const std::string& param, int64_t lo,
                  int64_t hi, int64_t& out, bool* present = nullptr);
Check ReadBool(const Json& object, const char* key, const std::string& param, bool& out);
Check ReadString(const Json& object, const char* key, const std::string& param, size_t max_bytes,
                 std::string& out, bool* present = nullptr);

// A string or an array of strings (OpenAI `stop`, Ollama `options.stop`);
// empty strings are dropped.
Check ReadStopList(const Json& object, const char* key, const std::string& param,
                   const RequestLimits& limits, std::vector<std::string>& out);

// Depth of a parsed JSON value (a scalar is 0, [] or {} is 1).
int32_t JsonValueDepth(const Json& value);

}  // namespace hearth::server
