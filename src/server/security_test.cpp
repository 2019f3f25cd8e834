#include "server/security.h"

#include <gtest/gtest.h>

namespace hearth::server {
namespace {

SecurityPolicy Policy(std::vector<std::string> keys = {}, std::vector<std::string> origins = {},
                      std::string host = "127.0.0.1", int port = 8080) {
  SecurityConfig config;
  config.api_keys = std::move(keys);
  config.cors_origins = std::move(origins);
  config.bind_host = std::move(host);
  config.port = port;
  return SecurityPolicy(config);
}

TEST(Security, ConstantTimeEqualsComparesBytesAndLengths) {
  EXPECT_TRUE(ConstantTimeEquals("secret-key", "secret-key"));
  EXPECT_FALSE(ConstantTimeEquals("secret-key", "secret-kez"));
  EXPECT_FALSE(ConstantTimeEquals("secret-key", "secret-ke"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(Security, LoopbackAndWildcardAddresses) {
  for (const char* host : {"127.0.0.1", "127.5.6.7", "localhost", "::1", "[::1]", "LOCALHOST"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "192.168.1.2", "::", "example.com", "128.0.0.1", ""}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
  EXPECT_TRUE(IsWildcardHost("0.0.0.0"));
  EXPECT_TRUE(IsWildcardHost("::"));
  EXPECT_FALSE(IsWildcardHost("127.0.0.1"));
}

TEST(Security, RefusesNonLoopbackWithoutKeys) {
  SecurityConfig config;
  config.bind_host = "0.0.0.0";
  Status status = ValidateSecurityConfig(config);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("--api-key"), std::string::npos);
  config.api_keys = {"k"};
  EXPECT_TRUE(ValidateSecurityConfig(config).ok());
  config.api_keys = {""};
  EXPECT_FALSE(ValidateSecurityConfig(config).ok());
  config = SecurityConfig{};
  EXPECT_TRUE(ValidateSecurityConfig(config).ok());
  config.cors_origins = {"evil"};
  EXPECT_FALSE(ValidateSecurityConfig(config).ok());
}

TEST(Security, AuthenticateNeedsABearerKeyWhenKeysAreSet) {
  EXPECT_EQ(Policy().Authenticate("").http_status, 0);
  auto policy = Policy({"alpha", "beta"});
  EXPECT_EQ(policy.Authenticate("").http_status, 401);
  EXPECT_EQ(policy.Authenticate("Bearer wrong").http_status, 401);
  EXPECT_EQ(policy.Authenticate("Basic YWxwaGE=").http_status, 401);
  EXPECT_EQ(policy.Authenticate("Bearer alph").http_status, 401);
  auto verdict = policy.Authenticate("Bearer beta");
  EXPECT_EQ(verdict.http_status, 0);
  EXPECT_EQ(verdict.cache_owner, "beta");
  EXPECT_EQ(policy.Authenticate("bearer alpha").cache_owner, "alpha");
}

TEST(Security, HostHeaderMustNameThisServer) {
  auto policy = Policy();
  for (const char* host :
       {"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "LocalHost", "127.0.0.1"}) {
    EXPECT_EQ(policy.CheckHost(host, true).http_status, 0) << host;
  }
  // DNS rebinding: the attacker's name resolves to 127.0.0.1 but the Host says so.
  EXPECT_EQ(policy.CheckHost("evil.example:8080", true).http_status, 421);
  EXPECT_EQ(policy.CheckHost("localhost:9999", true).http_status, 421);
  EXPECT_EQ(policy.CheckHost("localhost.evil.example", true).http_status, 421);
  EXPECT_EQ(policy.CheckHost("", false).http_status, 400);
  auto named = Policy({"k"}, {}, "192.168.1.20", 9000);
  EXPECT_EQ(named.CheckHost("192.168.1.20:9000", true).http_status, 0);
  EXPECT_EQ(named.CheckHost("10.0.0.1:9000", true).http_status, 421);
  // A wildcard bind (keys required) cannot list its names: the key guards it.
  EXPECT_EQ(Policy({"k"}, {}, "0.0.0.0").CheckHost("anything:8080", true).http_status, 0);
}

TEST(Security, OriginsAreRefusedUnlessAllowed) {
  auto closed = Policy();
  EXPECT_EQ(closed.CheckOrigin("", false).http_status, 0);  // not a browser
  EXPECT_EQ(closed.CheckOrigin("https://evil.example", true).http_status, 403);
  EXPECT_EQ(closed.CheckOrigin("null", true).http_status, 403);
  EXPECT_EQ(closed.AllowOriginValue("https://evil.example"), "");

  auto open = Policy({}, {"http://localhost:3000"});
  EXPECT_EQ(open.CheckOrigin("http://localhost:3000", true).http_status, 0);
  EXPECT_EQ(open.CheckOrigin("http://localhost:3001", true).http_status, 403);
  EXPECT_EQ(open.AllowOriginValue("http://localhost:3000"), "http://localhost:3000");

  auto any = Policy({}, {"*"});
  EXPECT_EQ(any.CheckOrigin("https://x.example", true).http_status, 0);
  EXPECT_EQ(any.AllowOriginValue("https://x.example"), "*");
}

TEST(Security, OnlyJsonBodiesMayStartWork) {
  EXPECT_EQ(SecurityPolicy::CheckJsonContentType("application/json").http_status, 0);
  EXPECT_EQ(SecurityPolicy::CheckJsonContentType("Application/JSON; charset=utf-8").http_status, 0);
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""}) {
    EXPECT_EQ(SecurityPolicy::CheckJsonContentType(type).http_status, 415) << type;
  }
}

}  // namespace
}  // namespace hearth::server
