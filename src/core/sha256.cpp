#include "core/sha256.h"

#include <openssl/evp.h>

#include <algorithm>

namespace hearth {

// Wraps EVP_MD_CTX so the header does not include OpenSSL.
struct Sha256Hasher::Context {
  EVP_MD_CTX* ctx;
};

void Sha256Hasher::ContextDeleter::operator()(Context* context) const {
  EVP_MD_CTX_free(context->ctx);
  delete context;
}

Result<Sha256Hasher> Sha256Hasher::Create() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return InternalError("SHA-256: EVP_MD_CTX_new failed");
  Sha256Hasher hasher(new Context{ctx});
  if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    return InternalError("SHA-256: EVP_DigestInit_ex failed");
  }
  return hasher;
}

Status Sha256Hasher::Update(const void* data, uint64_t size) {
  // Chunks keep each call's length well inside size_t on any platform and
  // let the mapping be paged in a piece at a time.
  constexpr uint64_t kChunk = 64ull << 20;
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (uint64_t done = 0; done < size;) {
    const uint64_t n = std::min(kChunk, size - done);
    if (EVP_DigestUpdate(context_->ctx, bytes + done, n) != 1) {
      return InternalError("SHA-256: EVP_DigestUpdate failed");
    }
    done += n;
  }
  return Status::Ok();
}

Result<std::string> Sha256Hasher::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_->ctx, digest, &length) != 1) {
    return InternalError("SHA-256: EVP_DigestFinal_ex failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

Result<std::string> Sha256Hex(const void* data, uint64_t size) {
  HEARTH_ASSIGN_OR_RETURN(Sha256Hasher hasher, Sha256Hasher::Create());
  HEARTH_RETURN_IF_ERROR(hasher.Update(data, size));
  return hasher.FinishHex();
}

}  // namespace hearth
