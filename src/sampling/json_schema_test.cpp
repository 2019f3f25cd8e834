// JSON-schema constraints driven by random token choices over a synthetic
// vocabulary: every finished output must parse and validate (checked by an
// independent validator in constraint_testing.h).
#include "sampling/json_schema.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sampling/constraint_testing.h"

namespace hearth {
namespace {

using Json = nlohmann::ordered_json;

struct SchemaCase {
  const char* name;
  const char* schema;  // JSON text; "null" for json_object mode
};

class JsonSchemaWalkTest : public ::testing::TestWithParam<SchemaCase> {};

TEST_P(JsonSchemaWalkTest, RandomOutputsParseAndValidate) {
  const auto vocab = testing::SyntheticVocab();
  const Json schema = Json::parse(GetParam().schema);
  const Json effective = schema.is_null() ? Json{{"type", "object"}} : schema;
  int completed = 0;
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    auto constraint = MakeJsonConstraint(schema, vocab);
    ASSERT_TRUE(constraint.ok()) << constraint.status().ToString();
    const testing::WalkResult walk = testing::RandomWalk(**constraint, *vocab, seed, 400);
    ASSERT_TRUE(walk.failure.empty()) << "seed " << seed << ": " << walk.failure;
    if (!walk.completed) continue;
    ++completed;
    const Json value = Json::parse(walk.text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(value.is_discarded()) << "seed " << seed << " does not parse: " << walk.text;
    EXPECT_EQ(testing::ValidateAgainstSchema(value, effective, effective), "")
        << "seed " << seed << ": " << walk.text;
  }
  // Walks favour closing tokens, so nearly all must finish.
  EXPECT_GE(completed, 20) << GetParam().name;
}

const SchemaCase kSchemas[] = {
    {"json_object_mode", "null"},
    {"any_value", "{}"},
    {"flat_object",
     R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},
         "score":{"type":"number"},"ok":{"type":"boolean"},"none":{"type":"null"}},
         "required":["name","age","score","ok","none"],"additionalProperties":false})"},
    {"optional_properties",
     R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},
         "c":{"type":"boolean"},"d":{"type":"integer"}},"required":["c"]})"},
    {"nested",
     R"({"type":"object","properties":{"user":{"type":"object","properties":{
         "id":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},
         "required":["id","tags"]},"list":{"type":"array","items":{"type":"object",
         "properties":{"x":{"type":"number"}},"required":["x"]}}},"required":["user","list"]})"},
    {"enum_and_const",
     R"({"type":"object","properties":{"color":{"enum":["red","green","blue",1,null,{"a":[1]}]},
         "kind":{"const":"fixed"},"unit":{"type":"string","enum":["°C","°F",3]}},
         "required":["color","kind","unit"]})"},
    {"any_of",
     R"({"anyOf":[{"type":"integer"},{"type":"object","properties":{"k":{"type":"string"}},
         "required":["k"]},{"type":"array","items":{"type":"boolean"},"maxItems":3}]})"},
    {"one_of_with_siblings",
     R"({"type":"object","properties":{"kind":{"type":"string"}},"required":["kind"],
         "oneOf":[{"properties":{"n":{"type":"integer"}},"required":["n"]},
                  {"properties":{"s":{"type":"string","maxLength":3}},"required":["s"]}]})"},
    {"type_list", R"({"type":["string","null","integer"]})"},
    {"ref_defs",
     R"({"$defs":{"point":{"type":"object","properties":{"x":{"type":"number"},
         "y":{"type":"number"}},"required":["x","y"]}},"type":"object",
         "properties":{"from":{"$ref":"#/$defs/point"},"to":{"$ref":"#/definitions/p2"}},
         "definitions":{"p2":{"$ref":"#/$defs/point"}},"required":["from","to"]})"},
    {"recursive_tree",
     R"({"type":"object","properties":{"value":{"type":"integer"},
         "children":{"type":"array","items":{"$ref":"#"},"maxItems":2}},
         "required":["value","children"]})"},
    {"string_lengths",
     R"({"type":"object","properties":{"s":{"type":"string","minLength":2,"maxLength":5},
         "t":{"type":"string","minLength":3},"u":{"type":"string","maxLength":0}},
         "required":["s","t","u"]})"},
    {"array_bounds", R"({"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":4})"},
    {"prefix_items",
     R"({"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],
         "items":false,"minItems":1})"},
    {"prefix_then_items",
     R"({"type":"array","prefixItems":[{"const":"head"}],"items":{"type":"null"}})"},
    {"additional_properties_schema",
     R"({"type":"object","properties":{"a":{"type":"integer"},"ab":{"type":"string"}},
         "additionalProperties":{"type":"boolean"}})"},
    {"additional_properties_only",
     R"({"type":"object","additionalProperties":{"type":"integer"}})"},
    {"all_of_objects",
     R"({"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},
         {"$ref":"#/$defs/b"}],"$defs":{"b":{"properties":{"b":{"type":"string"}},
         "required":["b"]}}})"},
    {"required_not_listed", R"({"type":"object","required":["z"]})"},
    {"escaped_property_names",
     R"({"type":"object","properties":{"quote\"d":{"type":"integer"},"ünï":{"type":"null"},
         "new\nline":{"type":"boolean"}},"required":["quote\"d","ünï","new\nline"]})"},
    {"number_top_level", R"({"type":"number"})"},
    {"string_top_level", R"({"type":"string"})"},
    {"annotations_ignored",
     R"({"title":"T","description":"d","type":"object","properties":{"when":{"type":"string",
         "format":"date-time","default":"x","examples":["y"]}},"required":["when"]})"},
};

INSTANTIATE_TEST_SUITE_P(Schemas, JsonSchemaWalkTest, ::testing::ValuesIn(kSchemas),
                         [](const auto& info) { return std::string(info.param.name); });

std::vector<int32_t> Allowed(TokenConstraint& constraint, size_t n_vocab) {
  std::vector<float> logits(n_vocab, 0.0f);
  constraint.Mask(logits);
  std::vector<int32_t> ids;
  for (size_t t = 0; t < n_vocab; ++t) {
    if (!std::isinf(logits[t])) ids.push_back(static_cast<int32_t>(t));
  }
  return ids;
}

int32_t TokenOf(const ConstraintVocab& vocab, const std::string& piece) {
  for (size_t t = 0; t < vocab.pieces.size(); ++t) {
    if (vocab.pieces[t] == piece) return static_cast<int32_t>(t);
  }
  return -1;
}

TEST(JsonSchemaConstraintTest, MaskFollowsTheGrammarAndEndsOnlyWhenComplete) {
  const auto vocab = testing::SyntheticVocab();
  auto made = MakeJsonConstraint(Json::parse(R"({"type":"object","properties":{
      "ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false})"),
                                 vocab);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  TokenConstraint& c = **made;
  const auto first = Allowed(c, vocab->pieces.size());
  // Only '{' and pieces starting with it ('{"'); no control or end tokens.
  ASSERT_FALSE(first.empty());
  for (int32_t id : first) EXPECT_EQ(vocab->pieces[static_cast<size_t>(id)][0], '{') << id;
  EXPECT_EQ(c.Accept(TokenOf(*vocab, "[")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Accept(vocab->end_of_generation[0]).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Accept(static_cast<int32_t>(vocab->pieces.size()) - 3).code(),  // control token
            StatusCode::kInvalidArgument);
  for (const char* piece : {"{\"", "o", "k", "\": ", "tru", "e", "}"}) {
    ASSERT_FALSE(c.IsComplete());
    ASSERT_TRUE(c.Accept(TokenOf(*vocab, piece)).ok()) << piece;
  }
  EXPECT_TRUE(c.IsComplete());
  // Complete and nothing may follow: only the end-of-generation tokens remain.
  EXPECT_EQ(Allowed(c, vocab->pieces.size()), vocab->end_of_generation);
  EXPECT_TRUE(c.Accept(vocab->end_of_generation[1]).ok());
}

TEST(JsonSchemaConstraintTest, CompleteNumberMayContinueOrEnd) {
  const auto vocab = testing::SyntheticVocab();
  auto made = MakeJsonConstraint(Json::parse(R"({"type":"integer"})"), vocab);
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE((*made)->Accept(TokenOf(*vocab, "12")).ok());
  EXPECT_TRUE((*made)->IsComplete());
  const auto allowed = Allowed(**made, vocab->pieces.size());
  EXPECT_NE(std::find(allowed.begin(), allowed.end(), TokenOf(*vocab, "345")), allowed.end());
  EXPECT_NE(std::find(allowed.begin(), allowed.end(), vocab->end_of_generation[0]), allowed.end());
  EXPECT_EQ(std::find(allowed.begin(), allowed.end(), TokenOf(*vocab, ".5")), allowed.end());
}

TEST(JsonSchemaConstraintTest, WhitespaceIsBounded) {
  const auto vocab = testing::SyntheticVocab();
  auto made = MakeJsonConstraint(Json(), vocab);
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE((*made)->Accept(TokenOf(*vocab, "{")).ok());
  ASSERT_TRUE((*made)->Accept(TokenOf(*vocab, "  ")).ok());
  EXPECT_EQ((*made)->Accept(TokenOf(*vocab, " ")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*made)->Accept(TokenOf(*vocab, "\n")).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*made)->Accept(TokenOf(*vocab, "}")).ok());
}

TEST(JsonSchemaConstraintTest, StringsRejectRawControlsAndLoneSurrogates) {
  const auto vocab = testing::SyntheticVocab();
  auto made = MakeJsonConstraint(Json::parse(R"({"type":"string"})"), vocab);
  ASSERT_TRUE(made.ok());
  TokenConstraint& c = **made;
  ASSERT_TRUE(c.Accept(TokenOf(*vocab, "\"")).ok());
  EXPECT_FALSE(c.Accept(TokenOf(*vocab, "\n")).ok());
  EXPECT_FALSE(c.Accept(TokenOf(*vocab, "\\ud83d")).ok());  // a lone high surrogate
  EXPECT_FALSE(c.Accept(TokenOf(*vocab, "\xA9")).ok());     // a stray continuation byte
  ASSERT_TRUE(c.Accept(TokenOf(*vocab, "\xC3")).ok());      // first half of "é"
  EXPECT_FALSE(c.Accept(TokenOf(*vocab, "\"")).ok());       // cannot close mid-character
  ASSERT_TRUE(c.Accept(TokenOf(*vocab, "\xA9")).ok());
  ASSERT_TRUE(c.Accept(TokenOf(*vocab, "\\u00")).ok());
  ASSERT_TRUE(c.Accept(TokenOf(*vocab, "e")).ok());
  ASSERT_TRUE(c.Accept(TokenOf(*vocab, "9")).ok());
  ASSERT_TRUE(c.Accept(TokenOf(*vocab, "\"")).ok());
  EXPECT_TRUE(c.IsComplete());
}

TEST(JsonSchemaValidateTest, RejectsUnsupportedKeywordsByName) {
  for (const char* keyword :
       {"pattern", "minimum", "multipleOf", "not", "uniqueItems", "patternProperties", "if"}) {
    Json schema = {{"type", "string"}, {keyword, 1}};
    const Status status = ValidateJsonSchemaSupported(schema);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << keyword;
    EXPECT_NE(status.message().find(keyword), std::string::npos) << status.message();
  }
}

TEST(JsonSchemaValidateTest, RejectsBadSchemas) {
  const char* bad[] = {
      R"({"type":"strin"})",
      R"({"type":[]})",
      R"({"$ref":"http://example.com/schema"})",
      R"({"$ref":"#/$defs/missing"})",
      R"({"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"})",
      R"({"anyOf":[{"$ref":"#"},{"type":"null"}]})",
      R"({"type":"object","properties":{"a":{"$ref":"#"}},"required":["a"]})",
      R"({"type":"array","items":{"type":"integer"},"minItems":5,"maxItems":2})",
      R"({"type":"string","minLength":1000000})",
      R"({"enum":[]})",
      R"(false)",
      R"({"type":"object","required":["x"],"additionalProperties":false})",
      R"({"properties":3})",
      R"({"type":"array","minItems":-1})",
      R"(3)",
  };
  for (const char* text : bad) {
    EXPECT_EQ(ValidateJsonSchemaSupported(Json::parse(text)).code(), StatusCode::kInvalidArgument)
        << text;
  }
}

// Nested `levels` deep through properties, with an explicit stack (no recursion).
Json DeepSchema(int levels) {
  Json schema = {{"type", "integer"}};
  for (int i = 0; i < levels; ++i) {
    Json outer = {{"type", "object"}, {"properties", Json::object()}};
    outer["properties"]["a"] = std::move(schema);
    schema = std::move(outer);
  }
  return schema;
}

TEST(JsonSchemaValidateTest, DeepSchemaFailsFastWithTheDepth) {
  const Json deep = DeepSchema(10000);
  const Status status = ValidateJsonSchemaSupported(deep);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("deeper than 64"), std::string::npos) << status.message();
  EXPECT_TRUE(ValidateJsonSchemaSupported(DeepSchema(20)).ok());
}

TEST(JsonSchemaValidateTest, HugeSchemasHitTheRuleLimit) {
  Json schema = {{"type", "object"}, {"properties", Json::object()}};
  for (int i = 0; i < 5000; ++i) {
    schema["properties"][fmt::format("p{}", i)] = {{"type", "string"}, {"maxLength", 50}};
  }
  const Status status = ValidateJsonSchemaSupported(schema);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("too large"), std::string::npos) << status.message();
}

TEST(JsonSchemaValidateTest, ExponentialRefFanOutStaysBounded) {
  // d0 = [d1, d1], d1 = [d2, d2], ...: shared rules, not 2^40 copies.
  Json schema = {{"$defs", Json::object()}, {"$ref", "#/$defs/d0"}};
  for (int i = 0; i < 40; ++i) {
    const std::string next = fmt::format("#/$defs/d{}", i + 1);
    schema["$defs"][fmt::format("d{}", i)] = {
        {"type", "array"}, {"prefixItems", {{{"$ref", next}}, {{"$ref", next}}}}, {"items", false}};
  }
  schema["$defs"]["d40"] = {{"type", "integer"}};
  EXPECT_TRUE(ValidateJsonSchemaSupported(schema).ok());
}

}  // namespace
}  // namespace hearth
