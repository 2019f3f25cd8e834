#include "sampling/constraint_vocab.h"

#include <algorithm>
#include <numeric>

#include "sampling/constraint_vocab_trie.h"

namespace hearth {
namespace {

// Pieces longer than this are left out of the trie (no vocabulary has any;
// it keeps depth() within 16 bits).
constexpr size_t kMaxPieceBytes = 4096;

}  // namespace

VocabTrie::VocabTrie(const std::vector<std::string>& pieces, std::span<const int32_t> excluded) {
  std::vector<bool> skip(pieces.size(), false);
  for (int32_t id : excluded) {
    if (id >= 0 && static_cast<size_t>(id) < pieces.size()) skip[static_cast<size_t>(id)] = true;
  }
  std::vector<int32_t> order;
  for (size_t id = 0; id < pieces.size(); ++id) {
    if (!skip[id] && !pieces[id].empty() && pieces[id].size() <= kMaxPieceBytes) {
      order.push_back(static_cast<int32_t>(id));
    }
  }
  // Sorted pieces list the trie in pre-order: each piece shares with the
  // previous one the path of their common prefix and adds nodes below it.
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return pieces[static_cast<size_t>(a)] < pieces[static_cast<size_t>(b)];
  });
  bytes_.push_back(0);
  depths_.push_back(0);
  ends_.push_back(0);
  std::vector<uint32_t> token_count(1, 0);
  std::vector<uint32_t> path = {0};  // path[d]: node at depth d of the previous piece
  const std::string* previous = nullptr;
  for (int32_t id : order) {
    const std::string& piece = pieces[static_cast<size_t>(id)];
    size_t common = 0;
    if (previous != nullptr) {
      const size_t limit = std::min(previous->size(), piece.size());
      while (common < limit && (*previous)[common] == piece[common]) ++common;
    }
    while (path.size() > common + 1) {
      ends_[path.back()] = static_cast<uint32_t>(bytes_.size());
      path.pop_back();
    }
    for (size_t d = common; d < piece.size(); ++d) {
      path.push_back(static_cast<uint32_t>(bytes_.size()));
      bytes_.push_back(static_cast<uint8_t>(piece[d]));
      depths_.push_back(static_cast<uint16_t>(d + 1));
      ends_.push_back(0);
      token_count.push_back(0);
    }
    ++token_count[path.back()];
    token_ids_.push_back(id);
    max_depth_ = std::max(max_depth_, static_cast<int>(piece.size()));
    previous = &piece;
  }
  for (uint32_t node : path) ends_[node] = static_cast<uint32_t>(bytes_.size());
  // Tokens were appended in node order, so each node's ids are contiguous.
  token_begin_.assign(bytes_.size() + 1, 0);
  std::partial_sum(token_count.begin(), token_count.end(), token_begin_.begin() + 1);
}

std::shared_ptr<const ConstraintVocab> MakeConstraintVocab(std::vector<std::string> pieces,
                                                           std::vector<int32_t> end_of_generation) {
  auto vocab = std::make_shared<ConstraintVocab>();
  vocab->pieces = std::move(pieces);
  vocab->end_of_generation = std::move(end_of_generation);
  vocab->trie = std::make_shared<const VocabTrie>(vocab->pieces, vocab->end_of_generation);
  return vocab;
}

}  // namespace hearth
