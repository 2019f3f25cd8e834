// Status and Result<T>: how every fallible operation in libhearth reports failure.
//
// Library code never calls exit() or abort() on bad input; it returns a Status
// that the CLI or server turns into a one-line message or an HTTP status.
#pragma once

#include <fmt/format.h>

#include <string>
#include <utility>
#include <variant>

namespace hearth {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller passed something unusable (bad flag, bad request)
  kNotFound,           // a file, key, tensor or model does not exist
  kIoError,            // the OS refused: open/read/mmap failed
  kCorrupt,            // a file's bytes are malformed (truncated, overflowing, inconsistent)
  kUnsupported,        // valid input Hearth does not handle (unknown architecture, tensor type)
  kOutOfRange,         // a position, id or size beyond a documented bound
  kCancelled,          // the user or client stopped the operation
  kResourceExhausted,  // a bounded queue or limit is full: try again later (HTTP 429)
  kInternal,           // a bug in Hearth: an invariant did not hold
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "corrupt: model.gguf: tensor 'x': data runs past end of file"
  std::string ToString() const;

  // Returns a copy with "context: " put before the message (no-op when OK).
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// fmt-style constructors: InvalidArgument("bad --top-p {}", p).
#define HEARTH_DEFINE_STATUS_MAKER(Name, Code)                                         \
  template <typename... Args>                                                          \
  Status Name(fmt::format_string<Args...> format, Args&&... args) {                    \
    return Status(StatusCode::Code, fmt::format(format, std::forward<Args>(args)...)); \
  }
HEARTH_DEFINE_STATUS_MAKER(InvalidArgumentError, kInvalidArgument)
HEARTH_DEFINE_STATUS_MAKER(NotFoundError, kNotFound)
HEARTH_DEFINE_STATUS_MAKER(IoError, kIoError)
HEARTH_DEFINE_STATUS_MAKER(CorruptError, kCorrupt)
HEARTH_DEFINE_STATUS_MAKER(UnsupportedError, kUnsupported)
HEARTH_DEFINE_STATUS_MAKER(OutOfRangeError, kOutOfRange)
HEARTH_DEFINE_STATUS_MAKER(CancelledError, kCancelled)
HEARTH_DEFINE_STATUS_MAKER(ResourceExhaustedError, kResourceExhausted)
HEARTH_DEFINE_STATUS_MAKER(InternalError, kInternal)
#undef HEARTH_DEFINE_STATUS_MAKER

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : storage_(std::move(status)) {  // NOLINT
    if (std::get<Status>(storage_).ok()) {
      storage_ = Status(StatusCode::kInternal, "Result constructed from an OK status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(storage_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(storage_); }

  // Precondition: ok().
  T& value() & { return std::get<T>(storage_); }
  const T& value() const& { return std::get<T>(storage_); }
  T&& value() && { return std::get<T>(std::move(storage_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> storage_;
};

}  // namespace hearth

#define HEARTH_CONCAT_INNER(a, b) a##b
#define HEARTH_CONCAT(a, b) HEARTH_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define HEARTH_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::hearth::Status hearth_status_ = (expr);        \
    if (!hearth_status_.ok()) return hearth_status_; \
  } while (0)

// HEARTH_ASSIGN_OR_RETURN(auto file, GgufFile::Open(path));
#define HEARTH_ASSIGN_OR_RETURN(lhs, expr) \
  HEARTH_ASSIGN_OR_RETURN_IMPL(HEARTH_CONCAT(hearth_result_, __LINE__), lhs, expr)
#define HEARTH_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                 \
  if (!result.ok()) return result.status();             \
  lhs = std::move(result).value()
