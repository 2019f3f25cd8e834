// Constraints over the default model's real vocabulary (SmolLM2, 49,152
// byte-level BPE tokens): the vocabulary the builder makes, random walks
// that must end in valid JSON / a parseable tool call, and Mask() timing.
#include "engine/constraint_vocab_builder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "chat/tool_call.h"
#include "core/gguf.h"
#include "sampling/constraint_testing.h"
#include "sampling/json_schema.h"
#include "sampling/tool_call_constraint.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

using Json = nlohmann::ordered_json;

class SmolLm2ConstraintTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string model = hearth::testing::ModelsDir() + "/SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!std::filesystem::exists(model)) {
      setup_error_ = model + " is missing: run scripts/fetch_models.py";
      return;
    }
    auto file = GgufFile::Open(model);
    if (!file.ok()) {
      setup_error_ = file.status().ToString();
      return;
    }
    auto tokenizer = Tokenizer::FromGguf(**file);
    if (!tokenizer.ok()) {
      setup_error_ = tokenizer.status().ToString();
      return;
    }
    tokenizer_ = std::move(tokenizer).value().release();
    vocab_ = new std::shared_ptr<const ConstraintVocab>(BuildConstraintVocab(*tokenizer_));
  }
  static void TearDownTestSuite() {
    delete vocab_;
    delete tokenizer_;
    vocab_ = nullptr;
    tokenizer_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static const std::shared_ptr<const ConstraintVocab>& vocab() { return *vocab_; }

  static inline Tokenizer* tokenizer_ = nullptr;
  static inline std::shared_ptr<const ConstraintVocab>* vocab_ = nullptr;
  static inline std::string setup_error_;
};

TEST_F(SmolLm2ConstraintTest, VocabularyHasPiecesAndEndTokens) {
  const ConstraintVocab& v = *vocab();
  ASSERT_EQ(v.pieces.size(), 49152u);
  const auto im_end = tokenizer_->Encode("<|im_end|>", false, true);
  ASSERT_EQ(im_end.size(), 1u);
  EXPECT_NE(std::find(v.end_of_generation.begin(), v.end_of_generation.end(), im_end[0]),
            v.end_of_generation.end());
  EXPECT_EQ(v.pieces[static_cast<size_t>(im_end[0])], "");  // control tokens are empty
  for (TokenId id : tokenizer_->Encode("{\"name\": \"Zürich\"}", false, false)) {
    EXPECT_EQ(v.pieces[static_cast<size_t>(id)], tokenizer_->TokenToPiece(id, false));
  }
  EXPECT_NE(v.trie, nullptr);
}

TEST_F(SmolLm2ConstraintTest, RandomWalksGiveValidJson) {
  const char* schemas[] = {
      "null",
      R"({"type":"object","properties":{"name":{"type":"string","maxLength":20},
          "age":{"type":"integer"},"tags":{"type":"array","items":{"enum":["a","b"]},
          "maxItems":3}},"required":["name","age","tags"],"additionalProperties":false})",
      R"({"anyOf":[{"type":"number"},{"type":"array","items":{"type":"boolean"},"maxItems":4}]})",
  };
  for (const char* text : schemas) {
    const Json schema = Json::parse(text);
    const Json effective = schema.is_null() ? Json{{"type", "object"}} : schema;
    int completed = 0;
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      auto constraint = MakeJsonConstraint(schema, vocab());
      ASSERT_TRUE(constraint.ok()) << constraint.status().ToString();
      const auto walk = testing::RandomWalk(**constraint, *vocab(), seed, 120);
      ASSERT_TRUE(walk.failure.empty()) << walk.failure;
      if (!walk.completed) continue;
      ++completed;
      const Json value = Json::parse(walk.text, nullptr, false);
      ASSERT_FALSE(value.is_discarded()) << walk.text;
      EXPECT_EQ(testing::ValidateAgainstSchema(value, effective, effective), "") << walk.text;
    }
    EXPECT_GE(completed, 2) << text;
  }
}

TEST_F(SmolLm2ConstraintTest, ToolCallConstraintOutputParsesBack) {
  const Json tools = Json::parse(R"([
    {"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
      "properties":{"city":{"type":"string","maxLength":12},"unit":{"enum":["c","f"]}},
      "required":["city","unit"]}}},
    {"type":"function","function":{"name":"add","parameters":{"type":"object",
      "properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}}}])");
  for (const std::string forced : {"", "add"}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      auto constraint = MakeToolCallConstraint(tools, forced, vocab());
      ASSERT_TRUE(constraint.ok()) << constraint.status().ToString();
      const auto walk = testing::RandomWalk(**constraint, *vocab(), seed, 150);
      ASSERT_TRUE(walk.failure.empty()) << walk.failure;
      ASSERT_TRUE(walk.completed) << walk.text;
      const ParsedReply reply = ParseToolCalls(walk.text);
      ASSERT_EQ(reply.tool_calls.size(), 1u) << walk.text;
      EXPECT_EQ(reply.content, "");
      const ToolCall& call = reply.tool_calls[0];
      if (!forced.empty()) {
        EXPECT_EQ(call.name, forced);
      }
      const Json* parameters = nullptr;
      for (const Json& tool : tools) {
        if (tool["function"]["name"] == call.name) parameters = &tool["function"]["parameters"];
      }
      ASSERT_NE(parameters, nullptr) << call.name;
      EXPECT_EQ(
          testing::ValidateAgainstSchema(Json::parse(call.arguments), *parameters, *parameters), "")
          << walk.text;
    }
  }
}

// Mask() cost on the full vocabulary, in the states that matter: the first
// token of an object (few tokens fit) and inside a free string (most fit).
TEST_F(SmolLm2ConstraintTest, MaskTiming) {
  const Json schema = Json::parse(
      R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})");
  auto made = MakeJsonConstraint(schema, vocab());
  ASSERT_TRUE(made.ok());
  TokenConstraint& c = **made;
  std::vector<float> logits(vocab()->pieces.size());
  const auto time_mask = [&](const char* state) {
    constexpr int kRepeats = 20;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRepeats; ++i) c.Mask(logits);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count() /
        kRepeats;
    size_t allowed = 0;
    std::fill(logits.begin(), logits.end(), 0.0f);
    c.Mask(logits);
    for (float x : logits) allowed += !std::isinf(x);
    std::printf("Mask() %-22s %7.3f ms (%zu of %zu tokens allowed)\n", state, ms, allowed,
                logits.size());
    return allowed;
  };
  EXPECT_GT(time_mask("at the start"), 0u);
  for (TokenId id : tokenizer_->Encode("{\"text\": \"Hello", false, false)) {
    ASSERT_TRUE(c.Accept(id).ok()) << tokenizer_->TokenToPiece(id, false);
  }
  EXPECT_GT(time_mask("inside a string"), 40000u);
}

}  // namespace
}  // namespace hearth
