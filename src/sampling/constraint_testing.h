// Test helpers for constraints (header only; for *_test.cpp and fuzz/ only):
// a synthetic vocabulary, a seeded random walk through a constraint, and an
// independent validator for the JSON schema subset of json_schema.h.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "sampling/constraint.h"
#include "sampling/constraint_vocab.h"
#include "sampling/grammar.h"

namespace hearth::testing {

// All 256 single bytes, JSON fragments that cross structural boundaries
// ("{\"", "\":", "}]", "\\u00"), UTF-8 pieces (whole and split), random
// ASCII words, two control tokens (empty pieces) and two end-of-generation
// ids (the last two).
inline std::shared_ptr<const ConstraintVocab> SyntheticVocab() {
  std::vector<std::string> pieces;
  for (int b = 0; b < 256; ++b) pieces.push_back(std::string(1, static_cast<char>(b)));
  for (const char* fragment : {"{\"",
                               "\":",
                               "\": ",
                               "\", \"",
                               "\",\"",
                               "\"}",
                               "}]",
                               "]}",
                               "},{",
                               "[{",
                               "[\"",
                               "\"]",
                               "\\u00",
                               "\\n",
                               "\\\"",
                               "\\\\",
                               "\\ud83d",
                               "true",
                               "false",
                               "null",
                               "tru",
                               "nul",
                               "0.",
                               ".5",
                               "e+1",
                               "E-",
                               "-1",
                               "12",
                               "345",
                               "00",
                               "name",
                               "arguments",
                               "city",
                               "id",
                               "ab",
                               " ",
                               "  ",
                               "   ",
                               "\n",
                               "\n  ",
                               " \"",
                               ", ",
                               "é",
                               "ü",
                               "日本",
                               "\xC3",
                               "\xA9",
                               "\xE6\x97",
                               "\xF0\x9F\x98\x80",
                               "<tool_call>",
                               "<tool_call>\n",
                               "\n</tool_call>",
                               "</",
                               "tool",
                               "_call",
                               ">\n{\"",
                               "\"name\": \"",
                               "\", \"arguments\": "}) {
    pieces.push_back(fragment);
  }
  std::mt19937_64 rng(7);
  const std::string letters = "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789_-:,.";
  for (int i = 0; i < 1500; ++i) {
    std::string word;
    const int length = 2 + static_cast<int>(rng() % 5);
    for (int j = 0; j < length; ++j) word += letters[rng() % letters.size()];
    pieces.push_back(word);
  }
  pieces.push_back("");  // control tokens
  pieces.push_back("");
  const int32_t eos = static_cast<int32_t>(pieces.size());
  pieces.push_back("");
  pieces.push_back("");
  return MakeConstraintVocab(std::move(pieces), {eos, eos + 1});
}

struct WalkResult {
  std::string text;
  bool completed = false;  // an end-of-generation token was chosen
  int steps = 0;
  std::string failure;  // non-empty: the constraint broke a promise
};

// Picks tokens at random among those Mask() allows until an
// end-of-generation token is chosen or max_steps pass. Ending is preferred
// when allowed, and as steps pass tokens that close strings, arrays and
// objects are favoured so walks finish. Checks on the way that Mask() and
// Accept() agree (a banned token is refused with InvalidArgument).
inline WalkResult RandomWalk(TokenConstraint& constraint, const ConstraintVocab& vocab,
                             uint64_t seed, int max_steps) {
  WalkResult result;
  std::mt19937_64 rng(seed);
  std::vector<float> logits(vocab.pieces.size());
  const auto is_eog = [&](int32_t id) {
    return std::find(vocab.end_of_generation.begin(), vocab.end_of_generation.end(), id) !=
           vocab.end_of_generation.end();
  };
  for (; result.steps < max_steps; ++result.steps) {
    std::fill(logits.begin(), logits.end(), 0.0f);
    constraint.Mask(logits);
    std::vector<int32_t> allowed, banned, closers;
    int32_t eog = -1;
    for (size_t t = 0; t < logits.size(); ++t) {
      const auto id = static_cast<int32_t>(t);
      if (std::isinf(logits[t])) {
        banned.push_back(id);
        continue;
      }
      allowed.push_back(id);
      if (is_eog(id)) eog = id;
      if (vocab.pieces[t].find_first_of("\"]}") != std::string::npos ||
          (vocab.pieces[t].size() == 1 && vocab.pieces[t][0] >= '0' && vocab.pieces[t][0] <= '9')) {
        closers.push_back(id);
      }
    }
    if (allowed.empty()) {
      result.failure = "Mask() banned every token after: " + result.text;
      return result;
    }
    if ((eog >= 0) != constraint.IsComplete()) {
      result.failure = "end of generation allowed != IsComplete() after: " + result.text;
      return result;
    }
    if (!banned.empty() && rng() % 8 == 0) {
      const int32_t bad = banned[rng() % banned.size()];
      const Status status = constraint.Accept(bad);
      if (status.code() != StatusCode::kInvalidArgument) {
        result.failure = "Accept() of banned token " + std::to_string(bad) + " did not fail";
        return result;
      }
    }
    int32_t token;
    if (eog >= 0 && rng() % 4 != 0) {
      token = eog;
    } else {
      // Favour closing tokens more and more as the walk gets long.
      const bool close =
          !closers.empty() &&
          static_cast<int>(rng() % static_cast<uint64_t>(max_steps)) < 4 * result.steps;
      const auto& pool = close ? closers : allowed;
      token = pool[rng() % pool.size()];
    }
    const Status status = constraint.Accept(token);
    if (!status.ok()) {
      result.failure = "Accept() refused allowed token " + std::to_string(token) + ": " +
                       status.ToString() + " after: " + result.text;
      return result;
    }
    if (is_eog(token)) {
      result.completed = true;
      return result;
    }
    result.text += vocab.pieces[static_cast<size_t>(token)];
  }
  return result;
}

// "" if `value` is valid against `schema` (refs resolved in `root`),
// else why not. Independent of the compiler: written from the JSON schema
// specification for the supported keywords.
inline std::string ValidateAgainstSchema(const nlohmann::ordered_json& value,
                                         const nlohmann::ordered_json& schema,
                                         const nlohmann::ordered_json& root) {
  using Json = nlohmann::ordered_json;
  if (schema.is_boolean()) return schema.get<bool>() ? "" : "schema false admits nothing";
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"];
    const Json& target = ref == "#" ? root : root.at(Json::json_pointer(ref.substr(1)));
    return ValidateAgainstSchema(value, target, root);
  }
  const std::string here = " at " + value.dump().substr(0, 60);
  if (schema.contains("const") && !(value == schema["const"])) return "not the const" + here;
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& option : schema["enum"]) found = found || option == value;
    if (!found) return "not in the enum" + here;
  }
  if (schema.contains("type")) {
    const Json types = schema["type"].is_array() ? schema["type"] : Json::array({schema["type"]});
    bool typed = false;
    for (const auto& t : types) {
      const std::string name = t;
      typed =
          typed || (name == "object" && value.is_object()) ||
          (name == "array" && value.is_array()) || (name == "string" && value.is_string()) ||
          (name == "boolean" && value.is_boolean()) || (name == "null" && value.is_null()) ||
          (name == "number" && value.is_number()) ||
          (name == "integer" &&
           (value.is_number_integer() ||
            (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>())));
    }
    if (!typed) return "wrong type" + here;
  }
  for (const char* key : {"anyOf", "oneOf", "allOf"}) {
    if (!schema.contains(key)) continue;
    int passed = 0;
    std::string last;
    for (const auto& branch : schema[key]) {
      last = ValidateAgainstSchema(value, branch, root);
      if (last.empty()) ++passed;
    }
    const int n = static_cast<int>(schema[key].size());
    if (std::string(key) == "anyOf" && passed == 0) return "no anyOf branch: " + last;
    if (std::string(key) == "oneOf" && passed != 1)
      return "oneOf matched " + std::to_string(passed);
    if (std::string(key) == "allOf" && passed != n) return "allOf failed: " + last;
  }
  if (value.is_object()) {
    const Json properties = schema.value("properties", Json::object());
    for (const auto& name : schema.value("required", Json::array())) {
      if (!value.contains(name.get<std::string>()))
        return "missing " + name.get<std::string>() + here;
    }
    for (const auto& [key, member] : value.items()) {
      std::string error;
      if (properties.contains(key)) {
        error = ValidateAgainstSchema(member, properties[key], root);
      } else if (schema.contains("additionalProperties")) {
        error = ValidateAgainstSchema(member, schema["additionalProperties"], root);
      }
      if (!error.empty()) return "property " + key + ": " + error;
    }
  }
  if (value.is_array()) {
    const size_t n = value.size();
    if (schema.contains("minItems") && n < schema["minItems"].get<size_t>())
      return "too few" + here;
    if (schema.contains("maxItems") && n > schema["maxItems"].get<size_t>())
      return "too many" + here;
    const Json prefix = schema.value("prefixItems", Json::array());
    for (size_t i = 0; i < n; ++i) {
      std::string error;
      if (i < prefix.size()) {
        error = ValidateAgainstSchema(value[i], prefix[i], root);
      } else if (schema.contains("items")) {
        error = ValidateAgainstSchema(value[i], schema["items"], root);
      }
      if (!error.empty()) return "item " + std::to_string(i) + ": " + error;
    }
  }
  if (value.is_string()) {
    size_t code_points = 0;
    for (unsigned char c : value.get<std::string>()) code_points += (c & 0xC0) != 0x80;
    if (schema.contains("minLength") && code_points < schema["minLength"].get<size_t>()) {
      return "too short" + here;
    }
    if (schema.contains("maxLength") && code_points > schema["maxLength"].get<size_t>()) {
      return "too long" + here;
    }
  }
  return "";
}

}  // namespace hearth::testing
