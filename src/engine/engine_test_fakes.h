// Fakes for engine tests: a tiny deterministic Model and Tokenizer, so the
// generation loop and perplexity can be checked without real weights.
//
// FakeModel: vocabulary of 8; the logits after token t are 2.0 for token
// (t + 1) % 8 and 0.0 elsewhere, so P(next = t+1) = e^2 / (e^2 + 7) and every
// other token has 1 / (e^2 + 7). It records every Forward call.
// FakeTokenizer: one token per byte of "abc " plus two byte tokens forming "é"
// (0xC3 0xA9), and <s> (BOS, control) / </s> (EOS, end of generation):
//   0 <s>  1 </s>  2 a  3 b  4 c  5 ' '  6 0xC3  7 0xA9
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/loaded_model.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace hearth::testing {

inline constexpr int32_t kFakeVocab = 8;

class FakeCache : public KvCache {
 public:
  explicit FakeCache(int32_t capacity) : capacity_(capacity) {}
  int32_t capacity() const override { return capacity_; }
  int32_t size() const override { return static_cast<int32_t>(tokens.size()); }
  void Truncate(int32_t n) override { tokens.resize(static_cast<size_t>(n)); }
  std::vector<int32_t> tokens;  // what was evaluated at each position

 private:
  int32_t capacity_;
};

struct ForwardCall {
  std::vector<int32_t> tokens;
  int32_t first_position = 0;
  bool all_logits = false;
};

class FakeModel : public Model {
 public:
  explicit FakeModel(int32_t n_ctx_train = 64) {
    spec_.architecture = "fake";
    spec_.n_vocab = kFakeVocab;
    spec_.n_ctx_train = n_ctx_train;
  }
  const ModelSpec& spec() const override { return spec_; }

  Result<std::unique_ptr<KvCache>> NewCache(int32_t n_ctx) const override {
    if (n_ctx > spec_.n_ctx_train)
      return OutOfRangeError("n_ctx {} > {}", n_ctx, spec_.n_ctx_train);
    return std::unique_ptr<KvCache>(new FakeCache(n_ctx == 0 ? spec_.n_ctx_train : n_ctx));
  }

  Status Forward(std::span<const int32_t> tokens, KvCache& cache, bool all_logits,
                 std::vector<float>& logits) override {
    auto& fake = static_cast<FakeCache&>(cache);
    if (fake.size() + static_cast<int32_t>(tokens.size()) > fake.capacity()) {
      return OutOfRangeError("fake cache overflow");
    }
    for (int32_t t : tokens) {
      if (t < 0 || t >= kFakeVocab) return InvalidArgumentError("bad token {}", t);
    }
    calls.push_back(ForwardCall{{tokens.begin(), tokens.end()}, fake.size(), all_logits});
    fake.tokens.insert(fake.tokens.end(), tokens.begin(), tokens.end());
    const size_t rows = all_logits ? tokens.size() : 1;
    logits.assign(rows * kFakeVocab, 0.0f);
    for (size_t r = 0; r < rows; ++r) {
      const int32_t t = all_logits ? tokens[r] : tokens.back();
      logits[r * kFakeVocab + static_cast<size_t>((t + 1) % kFakeVocab)] = 2.0f;
    }
    return Status::Ok();
  }

  std::vector<ForwardCall> calls;

 private:
  ModelSpec spec_;
};

class FakeTokenizer : public Tokenizer {
 public:
  explicit FakeTokenizer(bool add_bos = true) : add_bos_(add_bos) {}

  std::vector<TokenId> Encode(std::string_view text, bool add_special,
                              bool parse_special) const override {
    std::vector<TokenId> ids;
    if (add_special && add_bos_) ids.push_back(0);
    for (char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      for (TokenId id = 2; id < kFakeVocab; ++id) {
        if (Piece(id) == std::string(1, static_cast<char>(byte))) ids.push_back(id);
      }
    }
    return ids;
  }
  std::string TokenToPiece(TokenId id, bool render_special) const override {
    if (id < 2) return render_special ? Piece(id) : "";
    return Piece(id);
  }
  int32_t vocab_size() const override { return kFakeVocab; }
  TokenId bos() const override { return 0; }
  TokenId eos() const override { return 1; }
  bool IsEndOfGeneration(TokenId id) const override { return id == 1; }
  bool add_bos() const override { return add_bos_; }
  bool add_eos() const override { return false; }

 private:
  static std::string Piece(TokenId id) {
    static const char* const kPieces[kFakeVocab] = {"<s>", "</s>", "a",    "b",
                                                    "c",   " ",    "\xC3", "\xA9"};
    return (id >= 0 && id < kFakeVocab) ? kPieces[id] : "";
  }
  bool add_bos_;
};

// A LoadedModel made of the fakes; `model_out` points at the model for inspection.
inline std::shared_ptr<LoadedModel> MakeFakeLoadedModel(FakeModel** model_out,
                                                        int32_t n_ctx_train = 64) {
  auto loaded = std::make_shared<LoadedModel>();
  auto model = std::make_unique<FakeModel>(n_ctx_train);
  if (model_out) *model_out = model.get();
  loaded->path = "fake";
  loaded->model = std::move(model);
  loaded->tokenizer = std::make_unique<FakeTokenizer>();
  return loaded;
}

}  // namespace hearth::testing
