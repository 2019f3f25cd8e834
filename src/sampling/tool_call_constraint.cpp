#include "sampling/tool_call_constraint.h"

#include "sampling/grammar_constraint.h"
#include "sampling/json_schema_compiler.h"

namespace hearth {
namespace {

struct Tool {
  std::string name;
  const Json* parameters;  // null: any object
};

Result<std::vector<Tool>> ListTools(const Json& tools, std::string_view forced_function) {
  if (!tools.is_array() || tools.empty())
    return InvalidArgumentError("tools must be a non-empty list");
  std::vector<Tool> out;
  for (const Json& entry : tools) {
    const Json* function = &entry;
    if (entry.is_object() && entry.contains("function")) function = &entry["function"];
    if (!function->is_object() || !function->contains("name") || !(*function)["name"].is_string()) {
      return InvalidArgumentError("each tool must be a function with a string name");
    }
    const std::string& name = (*function)["name"].get_ref<const std::string&>();
    if (!forced_function.empty() && name != forced_function) continue;
    const auto parameters = function->find("parameters");
    out.push_back({name, parameters == function->end() ? nullptr : &*parameters});
  }
  if (out.empty()) {
    return InvalidArgumentError("tool_choice names function '{}', which is not among the tools",
                                Printable(forced_function));
  }
  return out;
}

// One alternative per tool: {"name": "NAME", "arguments": ARGS}. Each
// tool's parameters schema is its own $ref root: "#/$defs/..." resolves
// inside it.
Result<int32_t> CompileCall(const Tool& tool, const JsonSchemaLimits& limits,
                            GrammarBuilder& builder) {
  static const Json kAnyObject = Json{{"type", "object"}};
  const Json& parameters = tool.parameters ? *tool.parameters : kAnyObject;
  JsonSchemaCompiler compiler(parameters, limits, builder);
  HEARTH_ASSIGN_OR_RETURN(const int32_t arguments, compiler.CompileRoot());
  GrammarBuilder::Sequence call;
  GrammarBuilder::AppendLiteral(call, "{\"name\": ");
  GrammarBuilder::AppendLiteral(
      call, Json(tool.name).dump(-1, ' ', false, Json::error_handler_t::replace));
  GrammarBuilder::AppendLiteral(call, ", \"arguments\": ");
  call.push_back(GrammarBuilder::Ref(arguments));
  GrammarBuilder::AppendLiteral(call, "}");
  return builder.AddRuleOf(std::move(call));
}

}  // namespace

Result<std::unique_ptr<TokenConstraint>> MakeToolCallConstraint(
    const nlohmann::ordered_json& tools, std::string_view forced_function,
    std::shared_ptr<const ConstraintVocab> vocab, const JsonSchemaLimits& limits) {
  if (!vocab) return InvalidArgumentError("MakeToolCallConstraint needs a vocabulary");
  HEARTH_ASSIGN_OR_RETURN(const std::vector<Tool> list, ListTools(tools, forced_function));
  GrammarBuilder builder;
  const int32_t any_call = builder.AddRule();
  for (const Tool& tool : list) {
    HEARTH_ASSIGN_OR_RETURN(const int32_t call, CompileCall(tool, limits, builder));
    builder.AddAlternative(any_call, {GrammarBuilder::Ref(call)});
    if (builder.rule_count() > limits.max_rules) {
      return InvalidArgumentError("tool schemas are too large (over {} grammar rules)",
                                  limits.max_rules);
    }
  }
  GrammarBuilder::Sequence block;
  GrammarBuilder::AppendLiteral(block, "<tool_call>\n");
  block.push_back(GrammarBuilder::Ref(any_call));
  GrammarBuilder::AppendLiteral(block, "\n</tool_call>");
  const int32_t root = builder.AddRuleOf(std::move(block));
  HEARTH_ASSIGN_OR_RETURN(Grammar grammar, builder.Build(root));
  return std::unique_ptr<TokenConstraint>(std::make_unique<GrammarConstraint>(
      std::make_shared<const Grammar>(std::move(grammar)), std::move(vocab)));
}

}  // namespace hearth
