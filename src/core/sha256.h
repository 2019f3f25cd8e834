// SHA-256 over memory (OpenSSL EVP), for model fingerprints in `hearth show`
// and for checking downloads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace hearth {

// Incremental hashing: Update() any number of times, then FinishHex() once.
class Sha256Hasher {
 public:
  // InternalError if OpenSSL cannot set up the digest.
  static Result<Sha256Hasher> Create();

  // Feeds `size` bytes (any size: large inputs are fed to OpenSSL in chunks).
  Status Update(const void* data, uint64_t size);
  // The digest as 64 lowercase hex digits. Precondition: not finished yet.
  Result<std::string> FinishHex();

 private:
  struct Context;
  struct ContextDeleter {
    void operator()(Context* context) const;
  };
  explicit Sha256Hasher(Context* context) : context_(context) {}

  std::unique_ptr<Context, ContextDeleter> context_;
};

// SHA-256 of one buffer (e.g. a whole memory-mapped file), as lowercase hex.
Result<std::string> Sha256Hex(const void* data, uint64_t size);

}  // namespace hearth
