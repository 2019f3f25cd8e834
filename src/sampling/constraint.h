// TokenConstraint: restricts which tokens may come next, so that the output
// always matches a grammar (a JSON schema, a tool call). Used by the server's
// response_format / tools and applied by the engine before sampling.
//
// One instance follows one sequence; it is not shared between requests.
#pragma once

#include <cstdint>
#include <span>

#include "core/status.h"

namespace hearth {

class TokenConstraint {
 public:
  virtual ~TokenConstraint() = default;

  // Sets logits[t] = -INFINITY for every token t that may not come next
  // (end-of-generation tokens included while the output is incomplete; when
  // the output is complete and nothing may follow, only they remain).
  // logits.size() is the vocabulary size.
  virtual void Mask(std::span<float> logits) const = 0;

  // Advances past `token`. InvalidArgument if Mask() would have banned it.
  virtual Status Accept(int32_t token) = 0;

  // True when the output so far is a complete match (ending now is allowed).
  virtual bool IsComplete() const = 0;
};

}  // namespace hearth
