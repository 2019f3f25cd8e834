#include "sampling/json_schema.h"

#include "sampling/grammar_constraint.h"
#include "sampling/json_schema_compiler.h"

namespace hearth {
namespace {

Result<Grammar> CompileSchema(const Json& schema, const JsonSchemaLimits& limits) {
  GrammarBuilder builder;
  JsonSchemaCompiler compiler(schema, limits, builder);
  HEARTH_ASSIGN_OR_RETURN(const int32_t root, compiler.CompileRoot());
  if (builder.rule_count() > limits.max_rules) {
    return InvalidArgumentError("JSON schema is too large (over {} grammar rules)",
                                limits.max_rules);
  }
  return builder.Build(root);
}

}  // namespace

Status ValidateJsonSchemaSupported(const nlohmann::ordered_json& schema,
                                   const JsonSchemaLimits& limits) {
  return CompileSchema(schema, limits).status();
}

Result<std::unique_ptr<TokenConstraint>> MakeJsonConstraint(
    const nlohmann::ordered_json& schema, std::shared_ptr<const ConstraintVocab> vocab,
    const JsonSchemaLimits& limits) {
  if (!vocab) return InvalidArgumentError("MakeJsonConstraint needs a vocabulary");
  HEARTH_ASSIGN_OR_RETURN(Grammar grammar, CompileSchema(schema, limits));
  return std::unique_ptr<TokenConstraint>(std::make_unique<GrammarConstraint>(
      std::make_shared<const Grammar>(std::move(grammar)), std::move(vocab)));
}

}  // namespace hearth
