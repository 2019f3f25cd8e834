#include "core/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth {
namespace {

// Vectors from FIPS 180-2 / NIST's SHA-256 examples.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(*Sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(*Sha256Hex("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(*Sha256Hex(two_blocks.data(), two_blocks.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, IncrementalMatchesOneShot) {
  const std::string million(1000000, 'a');  // NIST: one million 'a'
  auto hasher = Sha256Hasher::Create();
  ASSERT_TRUE(hasher.ok());
  for (size_t at = 0; at < million.size(); at += 999) {
    ASSERT_TRUE(
        hasher->Update(million.data() + at, std::min<size_t>(999, million.size() - at)).ok());
  }
  EXPECT_EQ(*hasher->FinishHex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(*Sha256Hex(million.data(), million.size()), *Sha256Hex(million.data(), million.size()));
}

}  // namespace
}  // namespace hearth
