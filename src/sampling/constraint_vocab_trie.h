// VocabTrie: the vocabulary's pieces as a byte trie laid out in pre-order,
// so that Mask() can walk every token against a grammar in one pass and skip
// a whole subtree (all tokens sharing a dead prefix) with one jump.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hearth {

class VocabTrie {
 public:
  // Tokens with empty pieces and the `excluded` ids are left out.
  VocabTrie(const std::vector<std::string>& pieces, std::span<const int32_t> excluded);

  // Node 0 is the root (the empty prefix); node i > 0 adds byte(i) to its
  // parent's prefix, is depth(i) bytes deep, and its subtree is [i, end(i)).
  size_t size() const { return bytes_.size(); }
  uint8_t byte(size_t i) const { return bytes_[i]; }
  uint16_t depth(size_t i) const { return depths_[i]; }
  uint32_t end(size_t i) const { return ends_[i]; }
  // Token ids whose piece is exactly node i's prefix.
  std::span<const int32_t> tokens(size_t i) const {
    return {token_ids_.data() + token_begin_[i], token_begin_[i + 1] - token_begin_[i]};
  }
  int max_depth() const { return max_depth_; }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<uint16_t> depths_;
  std::vector<uint32_t> ends_;
  std::vector<uint32_t> token_begin_;  // size() + 1 entries
  std::vector<int32_t> token_ids_;
  int max_depth_ = 0;
};

}  // namespace hearth
