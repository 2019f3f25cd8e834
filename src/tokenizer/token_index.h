// TokenIndex: token text -> id, an open-addressing hash table over the
// vocabulary's own strings (no copies, one flat array), because building and
// probing a node-based map of 150k strings dominated tokenizer load time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth {

class TokenIndex {
 public:
  TokenIndex() = default;
  // `tokens` must outlive the index and not change. When texts repeat, the
  // highest id wins (llama.cpp's behaviour).
  explicit TokenIndex(const std::vector<std::string>& tokens);

  // -1 if `text` is not a token.
  int32_t Find(std::string_view text) const;

 private:
  static uint64_t Hash(std::string_view text);

  struct Slot {
    uint32_t hash;  // low bits of the full hash, to skip most string compares
    int32_t id;     // -1: empty
  };
  const std::vector<std::string>* tokens_ = nullptr;
  std::vector<Slot> slots_;  // size is a power of two, at most half full
  uint64_t mask_ = 0;
};

}  // namespace hearth
