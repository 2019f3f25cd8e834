// Schema keyword checks and the allOf merge (see json_schema_compiler.h).
#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "sampling/json_schema_compiler.h"

namespace hearth {
namespace {

constexpr std::array<std::string_view, 7> kTypeNames = {"object",  "array",   "string", "number",
                                                        "integer", "boolean", "null"};

// Keywords that constrain values in ways this subset cannot enforce: a
// schema using them is refused rather than answered with output that might
// not validate.
constexpr std::array<std::string_view, 26> kUnsupported = {"pattern",
                                                           "minimum",
                                                           "maximum",
                                                           "exclusiveMinimum",
                                                           "exclusiveMaximum",
                                                           "multipleOf",
                                                           "uniqueItems",
                                                           "not",
                                                           "if",
                                                           "then",
                                                           "else",
                                                           "patternProperties",
                                                           "propertyNames",
                                                           "contains",
                                                           "minContains",
                                                           "maxContains",
                                                           "minProperties",
                                                           "maxProperties",
                                                           "dependencies",
                                                           "dependentRequired",
                                                           "dependentSchemas",
                                                           "unevaluatedItems",
                                                           "unevaluatedProperties",
                                                           "$dynamicRef",
                                                           "$recursiveRef",
                                                           "additionalItems"};

bool IsKnownType(std::string_view name) {
  return std::find(kTypeNames.begin(), kTypeNames.end(), name) != kTypeNames.end();
}

std::vector<std::string> IntersectTypes(const std::vector<std::string>& a,
                                        const std::vector<std::string>& b) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& t) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  };
  for (const auto& t : a) {
    for (const auto& u : b) {
      if (t == u) add(t);
      if ((t == "number" && u == "integer") || (t == "integer" && u == "number")) add("integer");
    }
  }
  return out;
}

void MergeProperties(Json& into, const Json& extra) {
  Json& properties = into["properties"];
  if (!properties.is_object()) properties = Json::object();
  for (const auto& [name, schema] : extra.items()) {
    if (properties.contains(name) && properties[name] != schema) {
      properties[name] = Json{{"allOf", Json::array({properties[name], schema})}};
    } else {
      properties[name] = schema;
    }
  }
}

void MergeRequired(Json& into, const Json& extra) {
  Json& required = into["required"];
  if (!required.is_array()) required = Json::array();
  for (const auto& name : extra) {
    if (std::find(required.begin(), required.end(), name) == required.end()) {
      required.push_back(name);
    }
  }
}

// The tighter of two bounds: larger minimum, smaller maximum.
void MergeBound(Json& into, const std::string& key, const Json& value, bool is_max) {
  if (!into.contains(key) || !into[key].is_number() || !value.is_number()) {
    into[key] = value;
    return;
  }
  const bool take = is_max ? value.get<double>() < into[key].get<double>()
                           : value.get<double>() > into[key].get<double>();
  if (take) into[key] = value;
}

}  // namespace

std::string Printable(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out;
  for (char c : text.substr(0, kMax)) {
    out += (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  if (text.size() > kMax) out += "...";
  return out;
}

Result<std::vector<std::string>> SchemaTypes(const Json& schema) {
  std::vector<std::string> types;
  const auto type = schema.find("type");
  if (type != schema.end()) {
    const Json list = type->is_array() ? *type : Json::array({*type});
    for (const auto& name : list) {
      if (!name.is_string() || !IsKnownType(name.get_ref<const std::string&>())) {
        return InvalidArgumentError(
            "unknown JSON schema type '{}'",
            Printable(name.dump(-1, ' ', false, Json::error_handler_t::replace)));
      }
      types.push_back(name.get<std::string>());
    }
    if (types.empty()) return InvalidArgumentError("JSON schema 'type' is an empty list");
    return types;
  }
  // No "type": produce what the keywords describe (a subset of "any").
  for (const char* key : {"properties", "required", "additionalProperties"}) {
    if (schema.contains(key)) return std::vector<std::string>{"object"};
  }
  for (const char* key : {"items", "prefixItems", "minItems", "maxItems"}) {
    if (schema.contains(key)) return std::vector<std::string>{"array"};
  }
  for (const char* key : {"minLength", "maxLength"}) {
    if (schema.contains(key)) return std::vector<std::string>{"string"};
  }
  return types;
}

Result<int64_t> CountKeyword(const Json& schema, const char* key, int64_t fallback) {
  const auto it = schema.find(key);
  if (it == schema.end()) return fallback;
  constexpr double kHuge = 1e15;  // anything near this is far above every limit
  if (it->is_number() && it->get<double>() >= 0 &&
      std::nearbyint(it->get<double>()) == it->get<double>()) {
    return static_cast<int64_t>(std::min(it->get<double>(), kHuge));
  }
  return InvalidArgumentError("JSON schema '{}' must be a non-negative integer", key);
}

Status CheckKeywords(const Json& schema) {
  for (const auto& [key, value] : schema.items()) {
    if (std::find(kUnsupported.begin(), kUnsupported.end(), key) != kUnsupported.end()) {
      return InvalidArgumentError("JSON schema keyword '{}' is not supported", key);
    }
  }
  return Status::Ok();
}

Status MergeSchemaInto(Json& into, const Json& extra) {
  if (!into.is_object() || !extra.is_object()) {
    return InvalidArgumentError("allOf members must be schema objects");
  }
  for (const auto& [key, value] : extra.items()) {
    if (key == "properties") {
      if (!value.is_object())
        return InvalidArgumentError("JSON schema 'properties' must be an object");
      MergeProperties(into, value);
    } else if (key == "required") {
      if (!value.is_array()) return InvalidArgumentError("JSON schema 'required' must be a list");
      MergeRequired(into, value);
    } else if (key == "type") {
      HEARTH_ASSIGN_OR_RETURN(auto extra_types, SchemaTypes(extra));
      if (into.contains("type")) {
        HEARTH_ASSIGN_OR_RETURN(auto into_types, SchemaTypes(into));
        const auto both = IntersectTypes(into_types, extra_types);
        if (both.empty()) return InvalidArgumentError("allOf members have no type in common");
        into["type"] = both;
      } else {
        into["type"] = value;
      }
    } else if (key == "minItems" || key == "minLength") {
      MergeBound(into, key, value, /*is_max=*/false);
    } else if (key == "maxItems" || key == "maxLength") {
      MergeBound(into, key, value, /*is_max=*/true);
    } else if (key == "additionalProperties") {
      const auto old = into.find(key);
      if (old == into.end() || *old == true || value == false) {
        into[key] = value;
      } else if (*old != false && value != true && *old != value) {
        into[key] = Json{{"allOf", Json::array({*old, value})}};
      }
    } else if (key == "items" && into.contains("items") && into["items"] != value) {
      into["items"] = Json{{"allOf", Json::array({into["items"], value})}};
    } else if ((key == "anyOf" || key == "oneOf" || key == "enum" || key == "const") &&
               into.contains(key) && into[key] != value) {
      return InvalidArgumentError("allOf members that both use '{}' are not supported", key);
    } else if (key != "$defs" && key != "definitions") {
      into[key] = value;
    }
  }
  return Status::Ok();
}

}  // namespace hearth
