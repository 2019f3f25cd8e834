#include "sampling/tool_call_constraint.h"

namespace hearth {

Result<std::unique_ptr<TokenConstraint>> MakeToolCallConstraint(
    const nlohmann::ordered_json& tools, std::string_view forced_function,
    std::shared_ptr<const ConstraintVocab> vocab, const JsonSchemaLimits& limits) {
  return UnsupportedError("tool call constraints are not implemented yet");
}

}  // namespace hearth
