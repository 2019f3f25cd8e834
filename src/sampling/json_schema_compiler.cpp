#include "sampling/json_schema_compiler.h"

#include <algorithm>
#include <cmath>

namespace hearth {
namespace {

using Item = GrammarBuilder::Item;
using Sequence = GrammarBuilder::Sequence;

Item Ref(int32_t rule) { return GrammarBuilder::Ref(rule); }

// Keywords that only describe: they never change which values are valid.
bool IsAnnotation(const std::string& key) {
  static const char* const kAnnotations[] = {
      "$schema",         "$id",        "$comment",    "$defs",     "definitions",
      "$anchor",         "title",      "description", "default",   "examples",
      "format",          "deprecated", "readOnly",    "writeOnly", "contentMediaType",
      "contentEncoding", "nullable",   "strict",      "name"};
  for (const char* annotation : kAnnotations) {
    if (key == annotation) return true;
  }
  return false;
}

bool MatchesType(const Json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "number") return value.is_number();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    return value.is_number_float() && std::nearbyint(value.get<double>()) == value.get<double>();
  }
  return false;
}

}  // namespace

Status JsonSchemaCompiler::CheckDepthAndSize(int depth) const {
  if (depth > limits_.max_depth) {
    return InvalidArgumentError("JSON schema is nested deeper than {} levels", limits_.max_depth);
  }
  if (b_.rule_count() > limits_.max_rules) {
    return InvalidArgumentError("JSON schema is too large (over {} grammar rules)",
                                limits_.max_rules);
  }
  return Status::Ok();
}

Result<int32_t> JsonSchemaCompiler::CompileRoot() {
  if (root_.is_null()) return json_.AnyObject();
  return Compile(root_, 0);
}

Result<int32_t> JsonSchemaCompiler::Compile(const Json& schema, int depth) {
  HEARTH_RETURN_IF_ERROR(CheckDepthAndSize(depth));
  if (schema.is_boolean()) return schema.get<bool>() ? json_.AnyValue() : json_.Never();
  if (!schema.is_object())
    return InvalidArgumentError("a JSON schema must be an object or a boolean");
  HEARTH_RETURN_IF_ERROR(CheckKeywords(schema));
  if (schema.contains("$ref")) return CompileRef(schema["$ref"], depth);
  if (schema.contains("allOf")) return CompileAllOf(schema, depth);
  if (schema.contains("anyOf") && schema.contains("oneOf")) {
    return InvalidArgumentError("a JSON schema with both anyOf and oneOf is not supported");
  }
  if (schema.contains("anyOf")) return CompileAlternatives(schema, "anyOf", depth);
  if (schema.contains("oneOf")) return CompileAlternatives(schema, "oneOf", depth);
  HEARTH_ASSIGN_OR_RETURN(const std::vector<std::string> types, SchemaTypes(schema));
  if (schema.contains("const")) return CompileValues(Json::array({schema["const"]}), types);
  if (schema.contains("enum")) {
    if (!schema["enum"].is_array())
      return InvalidArgumentError("JSON schema 'enum' must be a list");
    return CompileValues(schema["enum"], types);
  }
  if (types.empty()) return json_.AnyValue();
  if (types.size() == 1) return CompileType(schema, types[0], depth);
  const int32_t rule = b_.AddRule();
  for (const std::string& type : types) {
    HEARTH_ASSIGN_OR_RETURN(const int32_t alternative, CompileType(schema, type, depth));
    b_.AddAlternative(rule, {Ref(alternative)});
  }
  return rule;
}

Result<const Json*> JsonSchemaCompiler::LookupRef(const std::string& ref) const {
  if (ref.empty() || ref[0] != '#') {
    return InvalidArgumentError("$ref '{}' is not supported: only local references (#/$defs/NAME)",
                                Printable(ref));
  }
  if (ref == "#") return &root_;
  try {
    const Json::json_pointer pointer(ref.substr(1));
    if (root_.contains(pointer)) return &root_.at(pointer);
  } catch (const std::exception&) {
    // Fall through: a malformed pointer points at nothing.
  }
  return InvalidArgumentError("$ref '{}' points at nothing in the schema", Printable(ref));
}

Result<const Json*> JsonSchemaCompiler::FollowRefs(const Json& schema) const {
  const Json* current = &schema;
  for (int hops = 0; current->is_object() && current->contains("$ref"); ++hops) {
    if (hops >= limits_.max_ref_depth) {
      return InvalidArgumentError("$ref chain longer than {} (a cycle?)", limits_.max_ref_depth);
    }
    const Json& ref = (*current)["$ref"];
    if (!ref.is_string()) return InvalidArgumentError("$ref must be a string");
    HEARTH_ASSIGN_OR_RETURN(current, LookupRef(ref.get<std::string>()));
  }
  return current;
}

Result<int32_t> JsonSchemaCompiler::CompileRef(const Json& ref, int depth) {
  if (!ref.is_string()) return InvalidArgumentError("$ref must be a string");
  const std::string& text = ref.get_ref<const std::string&>();
  if (const auto it = ref_rules_.find(text); it != ref_rules_.end()) return it->second;
  // The rule exists before its body is compiled, so a schema that refers to
  // itself (a tree) compiles to a rule that refers to itself.
  const int32_t rule = b_.AddRule();
  ref_rules_[text] = rule;
  HEARTH_ASSIGN_OR_RETURN(const Json* target, FollowRefs(Json{{"$ref", text}}));
  // Not a level of its own: the target's children count theirs.
  HEARTH_ASSIGN_OR_RETURN(const int32_t body, Compile(*target, depth));
  b_.AddAlternative(rule, {Ref(body)});
  return rule;
}

Result<Json> JsonSchemaCompiler::Flatten(const Json& schema, int depth) const {
  HEARTH_RETURN_IF_ERROR(CheckDepthAndSize(depth));
  HEARTH_ASSIGN_OR_RETURN(const Json* target, FollowRefs(schema));
  if (target->is_boolean()) {
    return *target == true ? Json::object() : Json{{"enum", Json::array()}};
  }
  if (!target->is_object())
    return InvalidArgumentError("a JSON schema must be an object or a boolean");
  HEARTH_RETURN_IF_ERROR(CheckKeywords(*target));
  const auto all_of = target->find("allOf");
  if (all_of == target->end()) return *target;
  if (!all_of->is_array() || all_of->empty()) {
    return InvalidArgumentError("JSON schema 'allOf' must be a non-empty list");
  }
  Json merged = *target;
  merged.erase("allOf");
  for (const Json& member : *all_of) {
    HEARTH_ASSIGN_OR_RETURN(const Json flat, Flatten(member, depth + 1));
    HEARTH_RETURN_IF_ERROR(MergeSchemaInto(merged, flat));
  }
  return merged;
}

Result<int32_t> JsonSchemaCompiler::CompileAllOf(const Json& schema, int depth) {
  HEARTH_ASSIGN_OR_RETURN(const Json merged, Flatten(schema, depth));
  return Compile(merged, depth);  // merged has no allOf left: no loop
}

Result<int32_t> JsonSchemaCompiler::CompileAlternatives(const Json& schema, const char* key,
                                                        int depth) {
  const Json& branches = schema[key];
  if (!branches.is_array() || branches.empty()) {
    return InvalidArgumentError("JSON schema '{}' must be a non-empty list", key);
  }
  // Keywords beside anyOf apply to every branch: merge them in.
  Json siblings = Json::object();
  for (const auto& [name, value] : schema.items()) {
    if (name != key && !IsAnnotation(name)) siblings[name] = value;
  }
  const int32_t rule = b_.AddRule();
  for (const Json& branch : branches) {
    if (siblings.empty()) {
      HEARTH_ASSIGN_OR_RETURN(const int32_t alternative, Compile(branch, depth + 1));
      b_.AddAlternative(rule, {Ref(alternative)});
      continue;
    }
    Json merged = siblings;
    HEARTH_ASSIGN_OR_RETURN(const Json flat, Flatten(branch, depth + 1));
    HEARTH_RETURN_IF_ERROR(MergeSchemaInto(merged, flat));
    HEARTH_ASSIGN_OR_RETURN(const int32_t alternative, Compile(merged, depth + 1));
    b_.AddAlternative(rule, {Ref(alternative)});
  }
  return rule;
}

Result<int32_t> JsonSchemaCompiler::CompileValues(const Json& values,
                                                  const std::vector<std::string>& types) {
  const int32_t rule = b_.AddRule();
  for (const Json& value : values) {
    const bool typed = types.empty() || std::any_of(types.begin(), types.end(), [&](const auto& t) {
                         return MatchesType(value, t);
                       });
    if (!typed) continue;
    HEARTH_RETURN_IF_ERROR(CheckDepthAndSize(0));
    b_.AddAlternative(rule, {Ref(json_.Literal(value))});
  }
  return rule;
}

Result<int32_t> JsonSchemaCompiler::CompileType(const Json& schema, const std::string& type,
                                                int depth) {
  if (type == "object") return CompileObject(schema, depth);
  if (type == "array") return CompileArray(schema, depth);
  if (type == "string") return CompileString(schema);
  if (type == "integer") return json_.Integer();
  if (type == "number") return json_.Number();
  if (type == "boolean") return json_.Boolean();
  return json_.Null();
}

Result<int32_t> JsonSchemaCompiler::CompileString(const Json& schema) {
  HEARTH_ASSIGN_OR_RETURN(const int64_t min_length, CountKeyword(schema, "minLength", 0));
  HEARTH_ASSIGN_OR_RETURN(int64_t max_length, CountKeyword(schema, "maxLength", -1));
  if (min_length > limits_.max_repeat) {
    return InvalidArgumentError("JSON schema minLength {} is above the supported {}", min_length,
                                limits_.max_repeat);
  }
  // Producing at most max_repeat characters still satisfies a larger maxLength.
  max_length = std::min<int64_t>(max_length, limits_.max_repeat);
  if (max_length >= 0 && max_length < min_length) return json_.Never();
  return json_.String(static_cast<int>(min_length), static_cast<int>(max_length));
}

}  // namespace hearth
