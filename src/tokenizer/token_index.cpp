#include "tokenizer/token_index.h"

namespace hearth {

uint64_t TokenIndex::Hash(std::string_view text) {
  // FNV-1a, then a final avalanche so the low bits used for the slot mix well.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

TokenIndex::TokenIndex(const std::vector<std::string>& tokens) : tokens_(&tokens) {
  size_t capacity = 16;
  while (capacity < tokens.size() * 2) capacity *= 2;
  slots_.assign(capacity, Slot{0, -1});
  mask_ = capacity - 1;
  for (size_t id = 0; id < tokens.size(); ++id) {
    const uint64_t h = Hash(tokens[id]);
    for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.id < 0) {
        slot = {static_cast<uint32_t>(h), static_cast<int32_t>(id)};
        break;
      }
      if (slot.hash == static_cast<uint32_t>(h) && tokens[slot.id] == tokens[id]) {
        slot.id = static_cast<int32_t>(id);  // duplicate text: the later id wins
        break;
      }
    }
  }
}

int32_t TokenIndex::Find(std::string_view text) const {
  if (slots_.empty()) return -1;
  const uint64_t h = Hash(text);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.id < 0) return -1;
    if (slot.hash == static_cast<uint32_t>(h) && (*tokens_)[slot.id] == text) return slot.id;
  }
}

}  // namespace hearth
