// Security checks applied to every request before its body is read:
// API keys (constant-time comparison), the Host header (against DNS
// rebinding), the Origin header and CORS (so a web page in the user's browser
// cannot drive the server), and the JSON content type (so a cross-site
// "simple" form or text/plain POST cannot start a generation).
//
// Policy (documented in `hearth serve --help`):
//  - Without --api-key the server only listens on loopback addresses.
//  - /health answers without a key (it says only "ok"); everything else,
//    /metrics included, needs `Authorization: Bearer KEY` when keys are set.
//  - Host must name the server: localhost, 127.0.0.1, [::1] or the --host
//    value, with or without the port. When bound to a wildcard address
//    (0.0.0.0, ::), which keys require, any Host is accepted: the key is the guard.
//  - A request carrying an Origin header is refused (403) unless that origin
//    was allowed with --cors-origin ("*" allows any origin, never with
//    credentials). Allowed origins are echoed back, never "*" for a specific one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hearth::server {

struct SecurityConfig {
  std::vector<std::string> api_keys;
  std::vector<std::string> cors_origins;
  std::string bind_host = "127.0.0.1";
  int port = 8080;
};

// Whether `host` (an address or name, no port) is a loopback address:
// localhost, 127.0.0.0/8, ::1.
bool IsLoopbackHost(std::string_view host);
bool IsWildcardHost(std::string_view host);

// Equal length and bytes, in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Refuses (InvalidArgument, one line) to serve a non-loopback address without keys,
// and empty keys.
Status ValidateSecurityConfig(const SecurityConfig& config);

// Reads keys from a file: one per line, blank lines and '#' comments skipped.
Result<std::vector<std::string>> ReadApiKeyFile(const std::string& path);

struct SecurityVerdict {
  int http_status = 0;  // 0: allowed
  std::string message;
  std::string cache_owner;  // the matching key ("" without keys)
};

class SecurityPolicy {
 public:
  explicit SecurityPolicy(SecurityConfig config);

  bool keys_required() const { return !config_.api_keys.empty(); }

  // 401 unless `authorization` is "Bearer <a configured key>" (always allowed
  // without keys). On success cache_owner is the key.
  SecurityVerdict Authenticate(std::string_view authorization) const;
  // 421 for a Host header that does not name this server (400 when missing).
  SecurityVerdict CheckHost(std::string_view host, bool present) const;
  // 403 for an Origin header that --cors-origin did not allow (absent: fine).
  SecurityVerdict CheckOrigin(std::string_view origin, bool present) const;
  bool IsAllowedOrigin(std::string_view origin) const;
  // 415 unless the media type is application/json (parameters ignored).
  static SecurityVerdict CheckJsonContentType(std::string_view content_type);

  // The Access-Control-Allow-Origin value for an allowed origin ("" if not allowed).
  std::string AllowOriginValue(std::string_view origin) const;

 private:
  SecurityConfig config_;
  std::vector<std::string> allowed_hosts_;  // lowercase, without port
};

}  // namespace hearth::server
