#include "sampling/sampling_params.h"

#include <cmath>

namespace hearth {

namespace {

Status RequireFinite(const char* name, float value) {
  if (!std::isfinite(value))
    return InvalidArgumentError("{} must be a finite number, got {}", name, value);
  return Status::Ok();
}

}  // namespace

Status SamplingParams::Validate(int32_t n_vocab) const {
  if (std::isnan(temperature)) return InvalidArgumentError("temperature must be a number, got NaN");
  if (std::isinf(temperature) && temperature > 0) {
    return InvalidArgumentError("temperature must be finite, got {}", temperature);
  }
  if (top_k < 0) return InvalidArgumentError("top_k must be >= 0 (0 disables it), got {}", top_k);
  if (!(top_p > 0.0f && top_p <= 1.0f)) {
    return InvalidArgumentError("top_p must be in (0, 1] (1 disables it), got {}", top_p);
  }
  if (!(min_p >= 0.0f && min_p <= 1.0f)) {
    return InvalidArgumentError("min_p must be in [0, 1] (0 disables it), got {}", min_p);
  }
  HEARTH_RETURN_IF_ERROR(RequireFinite("repeat_penalty", repeat_penalty));
  if (repeat_penalty <= 0.0f) {
    return InvalidArgumentError("repeat_penalty must be > 0 (1 disables it), got {}",
                                repeat_penalty);
  }
  if (repeat_last_n < -1) {
    return InvalidArgumentError("repeat_last_n must be >= -1 (-1: all tokens, 0: off), got {}",
                                repeat_last_n);
  }
  HEARTH_RETURN_IF_ERROR(RequireFinite("frequency_penalty", frequency_penalty));
  HEARTH_RETURN_IF_ERROR(RequireFinite("presence_penalty", presence_penalty));
  for (const LogitBias& entry : logit_bias) {
    if (entry.token < 0 || (n_vocab > 0 && entry.token >= n_vocab)) {
      return InvalidArgumentError("logit_bias token {} is outside the vocabulary [0, {})",
                                  entry.token, n_vocab);
    }
    if (std::isnan(entry.bias) || entry.bias == INFINITY) {
      return InvalidArgumentError("logit_bias for token {} must be finite or -inf, got {}",
                                  entry.token, entry.bias);
    }
  }
  if (n_probs < 0) return InvalidArgumentError("n_probs must be >= 0, got {}", n_probs);
  return Status::Ok();
}

}  // namespace hearth
