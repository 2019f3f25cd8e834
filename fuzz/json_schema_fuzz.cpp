// libFuzzer target for JSON-schema constrained decoding: arbitrary bytes as
// a schema's JSON text are compiled under small limits; a schema that
// compiles is then driven for a few dozen tokens over a synthetic
// vocabulary, choosing among the tokens Mask() allows with the input's
// bytes. Any input must end in a Status or a constraint that keeps its
// promises (allowed tokens are accepted, ending only when complete), with
// ASan/UBSan quiet. The same bytes also go through ParseToolCalls.
//
//   cmake --preset fuzz && cmake --build build/fuzz --target json_schema_fuzz
//   build/fuzz/json_schema_fuzz -max_total_time=300 -dict=fuzz/json_schema.dict corpus_dir/
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "chat/tool_call.h"
#include "sampling/constraint_testing.h"
#include "sampling/json_schema.h"

namespace {

const std::shared_ptr<const hearth::ConstraintVocab>& Vocab() {
  static const auto* vocab =
      new std::shared_ptr<const hearth::ConstraintVocab>(hearth::testing::SyntheticVocab());
  return *vocab;
}

bool IsEnd(int32_t id) {
  const auto& ends = Vocab()->end_of_generation;
  return std::find(ends.begin(), ends.end(), id) != ends.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hearth::ParseToolCalls(text);
  const auto schema = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return 0;
  hearth::JsonSchemaLimits limits;
  limits.max_rules = 4000;
  limits.max_repeat = 64;
  auto made = hearth::MakeJsonConstraint(schema, Vocab(), limits);
  if (!made.ok()) {
    if (made.status().code() != hearth::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  hearth::TokenConstraint& constraint = **made;
  std::vector<float> logits(Vocab()->pieces.size());
  for (size_t step = 0; step < 48; ++step) {
    std::fill(logits.begin(), logits.end(), 0.0f);
    constraint.Mask(logits);
    std::vector<int32_t> allowed;
    bool end_allowed = false;
    for (size_t t = 0; t < logits.size(); ++t) {
      if (std::isinf(logits[t])) continue;
      allowed.push_back(static_cast<int32_t>(t));
      end_allowed = end_allowed || IsEnd(static_cast<int32_t>(t));
    }
    if (allowed.empty() || end_allowed != constraint.IsComplete()) __builtin_trap();
    const int32_t token = allowed[(data[step % size] * 131u + step * 7u) % allowed.size()];
    if (!constraint.Accept(token).ok()) __builtin_trap();
    if (IsEnd(token)) break;
  }
  return 0;
}
