// JsonSchemaCompiler: turns a JSON schema (the json_schema.h subset) into
// grammar rules. Recursion follows the schema's nesting and is cut off at
// JsonSchemaLimits::max_depth before it goes deeper; $refs become shared
// rules, so recursive schemas compile to recursive rules.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "sampling/grammar.h"
#include "sampling/json_grammar.h"
#include "sampling/json_schema.h"

namespace hearth {

using Json = nlohmann::ordered_json;

class JsonSchemaCompiler {
 public:
  // `root` must outlive the compiler ($refs are looked up in it).
  JsonSchemaCompiler(const Json& root, const JsonSchemaLimits& limits, GrammarBuilder& builder)
      : root_(root), limits_(limits), b_(builder), json_(builder) {}

  // The rule for the root schema (null: any JSON object).
  Result<int32_t> CompileRoot();
  // The rule for a value valid against `schema`, found `depth` levels deep.
  Result<int32_t> Compile(const Json& schema, int depth);
  JsonGrammar& json() { return json_; }

 private:
  Status CheckDepthAndSize(int depth) const;
  Result<int32_t> CompileRef(const Json& ref, int depth);
  // The schema a $ref chain ends at (a schema that is not only a $ref).
  Result<const Json*> FollowRefs(const Json& schema) const;
  Result<const Json*> LookupRef(const std::string& ref) const;
  Result<int32_t> CompileAlternatives(const Json& schema, const char* key, int depth);
  Result<int32_t> CompileAllOf(const Json& schema, int depth);
  // `schema` with its $refs followed and its allOf merged into one schema.
  Result<Json> Flatten(const Json& schema, int depth) const;
  Result<int32_t> CompileValues(const Json& values, const std::vector<std::string>& types);
  Result<int32_t> CompileType(const Json& schema, const std::string& type, int depth);
  Result<int32_t> CompileObject(const Json& schema, int depth);
  Result<int32_t> CompileArray(const Json& schema, int depth);
  Result<int32_t> CompileString(const Json& schema);
  // A property name other than `names`: printable ASCII without escapes.
  int32_t KeyOtherThan(const std::vector<std::string>& names);

  const Json& root_;
  const JsonSchemaLimits& limits_;
  GrammarBuilder& b_;
  JsonGrammar json_;
  std::map<std::string, int32_t> ref_rules_;  // $ref text -> its rule
};

// Keyword checks shared by the compiler and the merge of allOf.
// The types a schema allows: its "type" (a name or a list), or guessed from
// the keywords present; empty means any type.
Result<std::vector<std::string>> SchemaTypes(const Json& schema);
// A non-negative integer keyword (minItems ...), or `fallback` when absent.
Result<int64_t> CountKeyword(const Json& schema, const char* key, int64_t fallback);
// OK unless `schema` uses a keyword this subset cannot enforce.
Status CheckKeywords(const Json& schema);
// Merges `extra` into `into` as allOf would (both objects): properties and
// required are united, bounds tightened, types intersected.
Status MergeSchemaInto(Json& into, const Json& extra);
// Bounded text of a value for error messages (printable ASCII only).
std::string Printable(std::string_view text);

}  // namespace hearth
