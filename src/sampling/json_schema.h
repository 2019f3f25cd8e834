// JSON-schema constrained decoding: compiles a JSON schema into a grammar
// over bytes and returns a TokenConstraint whose output always parses as JSON
// and validates against the schema.
//
// Supported keywords (anything else that constrains values is rejected with
// InvalidArgument naming it; annotations such as title, description,
// default, examples, format, $schema, $id, $comment are ignored):
//   type (object, array, string, number, integer, boolean, null, or a list),
//   properties, required, additionalProperties (false, true or a schema),
//   enum, const, anyOf, oneOf (treated as anyOf), allOf (of object schemas:
//   merged), items, prefixItems, minItems, maxItems, minLength, maxLength,
//   $ref to "#", "#/$defs/NAME" and "#/definitions/NAME" (recursion allowed).
// Rejected: pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
//   multipleOf, uniqueItems, not, if/then/else, patternProperties,
//   propertyNames, contains, minProperties, maxProperties, dependencies,
//   dependentRequired, dependentSchemas, unevaluated*, $dynamicRef, remote $ref.
//
// Output shape (a subset of what the schema allows, chosen so that small
// models do not wander): properties come in the order the schema lists them;
// when "properties" is given and additionalProperties is absent, no other
// properties are produced; extra property names (additionalProperties true
// or a schema beside "properties") are printable ASCII without escapes;
// whitespace between tokens is at most 2 characters of space, tab or newline;
// integers have at most 15 digits, fractions at most 15, exponents at most 2;
// the top-level value has no whitespace before or after it.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/status.h"
#include "sampling/constraint.h"
#include "sampling/constraint_vocab.h"

namespace hearth {

struct JsonSchemaLimits {
  // Nesting of schema objects (properties inside items inside anyOf ...).
  // Checked before recursing, so a 10,000-level schema fails at once.
  int max_depth = 64;
  // Grammar rules the schema may compile into (each property, bounded
  // repetition step and enum value costs a few).
  int max_rules = 20000;
  // A $ref that points at another $ref ... at most this many times.
  int max_ref_depth = 32;
  // minItems/maxItems/minLength/maxLength above this are rejected (bounded
  // repetition is unrolled into rules).
  int max_repeat = 1000;
};

// OK if MakeJsonConstraint would accept `schema`; otherwise InvalidArgument
// naming the unsupported keyword, the bad $ref, or the depth that was
// exceeded (the server answers 400 with this message).
Status ValidateJsonSchemaSupported(const nlohmann::ordered_json& schema,
                                   const JsonSchemaLimits& limits = {});

// A constraint for one sequence. `schema` null: any JSON object (the
// response_format json_object mode). InvalidArgument as for
// ValidateJsonSchemaSupported, and for schemas no finite JSON value satisfies.
Result<std::unique_ptr<TokenConstraint>> MakeJsonConstraint(
    const nlohmann::ordered_json& schema, std::shared_ptr<const ConstraintVocab> vocab,
    const JsonSchemaLimits& limits = {});

}  // namespace hearth
