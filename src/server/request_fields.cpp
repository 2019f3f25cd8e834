#include "server/request_fields.h"

#include <fmt/format.h>

#include <cmath>

namespace hearth::server {

namespace {

const Json* Find(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

Check ReadNumber(const Json& object, const char* key, const std::string& param, double lo,
                 double hi, float& out, bool* present) {
  const Json* value = Find(object, key);
  if (present) *present = value != nullptr;
  if (!value) return std::nullopt;
  if (!value->is_number())
    return InvalidRequest(param, fmt::format("'{}' must be a number", param));
  const double x = value->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    return InvalidRequest(param, fmt::format("'{}' must be between {} and {}", param, lo, hi));
  }
  out = static_cast<float>(x);
  return std::nullopt;
}

Check ReadInteger(const Json& object, const char* key, const std::string& param, int64_t lo,
                  int64_t hi, int64_t& out, bool* present) {
  const Json* value = Find(object, key);
  if (present) *present = value != nullptr;
  if (!value) return std::nullopt;
  int64_t x = 0;
  if (value->is_number_integer()) {
    if (value->is_number_unsigned() && value->get<uint64_t>() > uint64_t{INT64_MAX}) {
      return InvalidRequest(param, fmt::format("'{}' must be between {} and {}", param, lo, hi));
    }
    x = value->get<int64_t>();
  } else if (value->is_number_float()) {
    const double d = value->get<double>();
    // 5.0 is accepted as 5; 5.5, NaN and values beyond int64 are not.
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e18) {
      return InvalidRequest(param, fmt::format("'{}' must be an integer", param));
    }
    x = static_cast<int64_t>(d);
  } else {
    return InvalidRequest(param, fmt::format("'{}' must be an integer", param));
  }
  if (x < lo || x > hi) {
    return InvalidRequest(param, fmt::format("'{}' must be between {} and {}", param, lo, hi));
  }
  out = x;
  return std::nullopt;
}

Check ReadBool(const Json& object, const char* key, const std::string& param, bool& out) {
  const Json* value = Find(object, key);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) {
    return InvalidRequest(param, fmt::format("'{}' must be true or false", param));
  }
  out = value->get<bool>();
  return std::nullopt;
}

Check ReadString(const Json& object, const char* key, const std::string& param, size_t max_bytes,
                 std::string& out, bool* present) {
  const Json* value = Find(object, key);
  if (present) *present = value != nullptr;
  if (!value) return std::nullopt;
  if (!value->is_string())
    return InvalidRequest(param, fmt::format("'{}' must be a string", param));
  const auto& text = value->get_ref<const std::string&>();
  if (text.size() > max_bytes) {
    return InvalidRequest(param, fmt::format("'{}' is longer than {} bytes", param, max_bytes));
  }
  out = text;
  return std::nullopt;
}

Check ReadStopList(const Json& object, const char* key, const std::string& param,
                   const RequestLimits& limits, std::vector<std::string>& out) {
  const Json* value = Find(object, key);
  if (!value) return std::nullopt;
  Json list = value->is_string() ? Json::array({*value}) : *value;
  if (!list.is_array()) {
    return InvalidRequest(param,
                          fmt::format("'{}' must be a string or an array of strings", param));
  }
  if (list.size() > limits.max_stop) {
    return InvalidRequest(param,
                          fmt::format("'{}' has more than {} entries", param, limits.max_stop));
  }
  out.clear();
  for (const Json& item : list) {
    if (!item.is_string()) {
      return InvalidRequest(param, fmt::format("'{}' must hold only strings", param));
    }
    const auto& text = item.get_ref<const std::string&>();
    if (text.size() > limits.max_stop_bytes) {
      return InvalidRequest(param, fmt::format("'{}' entries must be at most {} bytes", param,
                                               limits.max_stop_bytes));
    }
    if (!text.empty()) out.push_back(text);
  }
  return std::nullopt;
}

int32_t JsonValueDepth(const Json& value) {
  if (!value.is_structured()) return 0;
  int32_t deepest = 0;
  for (const Json& child : value) deepest = std::max(deepest, JsonValueDepth(child));
  return deepest + 1;
}

}  // namespace hearth::server
