#include "sampling/json_schema.h"

namespace hearth {

Status ValidateJsonSchemaSupported(const nlohmann::ordered_json& schema,
                                   const JsonSchemaLimits& limits) {
  return UnsupportedError("json_schema constraints are not implemented yet");
}

Result<std::unique_ptr<TokenConstraint>> MakeJsonConstraint(
    const nlohmann::ordered_json& schema, std::shared_ptr<const ConstraintVocab> vocab,
    const JsonSchemaLimits& limits) {
  return UnsupportedError("json_schema constraints are not implemented yet");
}

}  // namespace hearth
