// Test helper: everything a Completion streamed, collected until it ended.
#pragma once

#include <string>
#include <vector>

#include "engine/completion_service.h"

namespace hearth::testing {

struct DrainedCompletion {
  std::string text;                 // every event's text, the kDone text included
  std::vector<int32_t> tokens;      // the kToken events' tokens
  std::vector<std::string> pieces;  // the text of each kToken event
  // Each token's probability then its top alternatives', in order: any change in the
  // logits shows here.
  std::vector<float> probs;
  CompletionEvent done;  // the final kDone event
};

inline DrainedCompletion DrainCompletion(Completion& completion) {
  DrainedCompletion out;
  CompletionEvent event;
  while (completion.Next(event)) {
    out.text += event.text;
    if (event.kind == CompletionEvent::Kind::kToken) {
      out.tokens.push_back(event.token.token);
      out.pieces.push_back(event.text);
      out.probs.push_back(event.token.prob);
      for (const TokenProb& top : event.token.top) out.probs.push_back(top.prob);
    } else if (event.kind == CompletionEvent::Kind::kDone) {
      out.done = event;
    }
  }
  return out;
}

}  // namespace hearth::testing
