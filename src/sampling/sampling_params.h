// SamplingParams: how the next token is chosen from a model's logits.
//
// Defaults follow llama.cpp's command-line defaults so that the same flags give
// comparable behaviour. Validate() rejects unusable values with an
// InvalidArgument error that names the parameter.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"

namespace hearth {

// Added to a token's logit before any other step; -INFINITY bans the token.
struct LogitBias {
  int32_t token = 0;
  float bias = 0.0f;
};

struct SamplingParams {
  // <= 0: greedy (argmax after logit bias and penalties; ties to the lowest id).
  float temperature = 0.8f;
  int32_t top_k = 40;   // 0: disabled (all tokens)
  float top_p = 0.95f;  // (0, 1]; 1: disabled
  float min_p = 0.05f;  // [0, 1]; 0: disabled

  // llama.cpp's repetition penalty over the last `repeat_last_n` tokens seen
  // (prompt and generated): positive logits are divided by it, negative ones
  // multiplied. 1: disabled. repeat_last_n: 0 disables, -1 means all tokens.
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;
  // OpenAI semantics, over the same window: logit -= count * frequency_penalty
  // + (count > 0) * presence_penalty.
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;

  std::vector<LogitBias> logit_bias;

  uint64_t seed = 0;  // seeds std::mt19937_64; same seed + same inputs => same tokens

  // Report the sampled token's probability (SampledToken::prob). Costs one
  // softmax normaliser over the vocabulary per token, so it is opt-in.
  bool report_prob = false;
  // How many most likely alternatives to report with each sampled token
  // (0: none; > 0 implies report_prob). Adds one heap pass over the vocabulary.
  int32_t n_probs = 0;

  // InvalidArgument naming the first bad parameter. n_vocab bounds logit_bias
  // token ids (pass 0 to skip that check).
  Status Validate(int32_t n_vocab) const;
};

}  // namespace hearth
