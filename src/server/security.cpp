#include "server/security.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace hearth::server {

namespace {

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// Splits "name:port", "[v6]:port", "[v6]" or "name" into name and port text.
void SplitHostPort(std::string_view value, std::string& name, std::string& port) {
  name.clear();
  port.clear();
  if (!value.empty() && value.front() == '[') {
    const size_t close = value.find(']');
    if (close == std::string_view::npos) {
      name = std::string(value);
      return;
    }
    name = std::string(value.substr(0, close + 1));
    if (close + 1 < value.size() && value[close + 1] == ':') {
      port = std::string(value.substr(close + 2));
    } else if (close + 1 < value.size()) {
      name = std::string(value);  // garbage after ']': matches nothing
    }
    return;
  }
  const size_t colon = value.rfind(':');
  if (colon == std::string_view::npos) {
    name = std::string(value);
  } else {
    name = std::string(value.substr(0, colon));
    port = std::string(value.substr(colon + 1));
  }
}

SecurityVerdict Deny(int status, std::string message) {
  SecurityVerdict verdict;
  verdict.http_status = status;
  verdict.message = std::move(message);
  return verdict;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  std::string name = Lowercase(host);
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (name == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, name.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, name.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool IsWildcardHost(std::string_view host) {
  return host == "0.0.0.0" || host == "::" || host == "[::]" || host.empty();
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status ValidateSecurityConfig(const SecurityConfig& config) {
  for (const std::string& key : config.api_keys) {
    if (key.empty()) return InvalidArgumentError("an API key must not be empty");
  }
  if (config.api_keys.empty() && !IsLoopbackHost(config.bind_host)) {
    return InvalidArgumentError(
        "refusing to listen on {} without an API key: anyone on the network could use the model; "
        "add --api-key or --api-key-file, or listen on 127.0.0.1",
        config.bind_host);
  }
  for (const std::string& origin : config.cors_origins) {
    if (origin != "*" && origin.find("://") == std::string::npos && origin != "null") {
      return InvalidArgumentError("--cors-origin {} must be a scheme://host[:port] origin or *",
                                  origin);
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ReadApiKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return IoError("cannot read the API key file {}", path);
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view key = Trim(line);
    if (key.empty() || key.front() == '#') continue;
    keys.emplace_back(key);
  }
  if (keys.empty()) return InvalidArgumentError("the API key file {} holds no key", path);
  return keys;
}

SecurityPolicy::SecurityPolicy(SecurityConfig config) : config_(std::move(config)) {
  allowed_hosts_ = {"localhost", "127.0.0.1", "[::1]"};
  std::string bind = Lowercase(config_.bind_host);
  if (bind.find(':') != std::string::npos && bind.front() != '[') bind = "[" + bind + "]";
  if (!IsWildcardHost(bind)) allowed_hosts_.push_back(bind);
}

SecurityVerdict SecurityPolicy::Authenticate(std::string_view authorization) const {
  if (!keys_required()) return {};
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() <= kBearer.size() ||
      Lowercase(authorization.substr(0, kBearer.size())) != kBearer) {
    return Deny(401, "missing API key: send 'Authorization: Bearer <key>'");
  }
  const std::string_view presented = Trim(authorization.substr(kBearer.size()));
  // Compare with every key (no early exit), so timing does not tell which matched.
  int matched = -1;
  for (size_t i = 0; i < config_.api_keys.size(); ++i) {
    if (ConstantTimeEquals(presented, config_.api_keys[i]) && matched < 0) {
      matched = static_cast<int>(i);
    }
  }
  if (matched < 0) return Deny(401, "invalid API key");
  SecurityVerdict verdict;
  verdict.cache_owner = config_.api_keys[static_cast<size_t>(matched)];
  return verdict;
}

SecurityVerdict SecurityPolicy::CheckHost(std::string_view host, bool present) const {
  if (!present || Trim(host).empty()) return Deny(400, "missing Host header");
  if (IsWildcardHost(config_.bind_host) && keys_required()) return {};
  std::string name;
  std::string port;
  SplitHostPort(Lowercase(Trim(host)), name, port);
  if (!port.empty() && port != std::to_string(config_.port)) {
    return Deny(421, "the Host header does not name this server");
  }
  if (std::find(allowed_hosts_.begin(), allowed_hosts_.end(), name) == allowed_hosts_.end()) {
    return Deny(421, "the Host header does not name this server");
  }
  return {};
}

bool SecurityPolicy::IsAllowedOrigin(std::string_view origin) const {
  const std::string wanted = Lowercase(Trim(origin));
  for (const std::string& allowed : config_.cors_origins) {
    if (allowed == "*" || Lowercase(allowed) == wanted) return true;
  }
  return false;
}

SecurityVerdict SecurityPolicy::CheckOrigin(std::string_view origin, bool present) const {
  if (!present) return {};
  if (!IsAllowedOrigin(origin)) {
    return Deny(403, "cross-origin requests are not allowed from this origin (see --cors-origin)");
  }
  return {};
}

SecurityVerdict SecurityPolicy::CheckJsonContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  if (Lowercase(Trim(media)) != "application/json") {
    return Deny(415, "the request body must be sent with Content-Type: application/json");
  }
  return {};
}

std::string SecurityPolicy::AllowOriginValue(std::string_view origin) const {
  const std::string wanted = Lowercase(Trim(origin));
  for (const std::string& allowed : config_.cors_origins) {
    if (Lowercase(allowed) == wanted) return std::string(Trim(origin));
  }
  for (const std::string& allowed : config_.cors_origins) {
    if (allowed == "*") return "*";
  }
  return "";
}

}  // namespace hearth::server
