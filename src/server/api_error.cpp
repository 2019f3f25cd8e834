#include "server/api_error.h"

namespace hearth::server {

Json ApiError::ToJson() const {
  Json error = Json::object();
  error["message"] = message;
  error["type"] = type;
  error["param"] = param.empty() ? Json(nullptr) : Json(param);
  error["code"] = code.empty() ? Json(nullptr) : Json(code);
  return Json{{"error", error}};
}

ApiError InvalidRequest(std::string param, std::string message) {
  ApiError error;
  error.http_status = 400;
  error.param = std::move(param);
  error.message = std::move(message);
  return error;
}

ApiError ApiErrorFromStatus(const Status& status) {
  ApiError error;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kUnsupported:
      error.http_status = 400;
      error.message = status.message();
      break;
    case StatusCode::kNotFound:
      error.http_status = 404;
      error.message = status.message();
      error.code = "not_found";
      break;
    case StatusCode::kResourceExhausted:
      error.http_status = 429;
      error.type = "rate_limit_error";
      error.code = "queue_full";
      error.message = "the server is busy: too many requests are waiting; retry later";
      break;
    case StatusCode::kCancelled:
      error.http_status = 499;
      error.message = "the request was cancelled";
      break;
    default:
      error.http_status = 500;
      error.type = "server_error";
      error.message = "internal error while generating";
      break;
  }
  return error;
}

}  // namespace hearth::server
