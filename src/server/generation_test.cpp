#include "server/generation.h"

#include <gtest/gtest.h>

#include "server/server_test_fakes.h"

namespace hearth::server {
namespace {

using testing::FakeCompletionService;

GenerationSpec Spec(int32_t n = 1) {
  GenerationSpec spec;
  spec.n = n;
  spec.max_tokens = 16;
  spec.sampling.seed = 100;
  spec.stop = {"END"};
  return spec;
}

TEST(Generation, SubmitsNChoicesWithConsecutiveSeeds) {
  FakeCompletionService service;
  GenerationSpec spec = Spec(3);
  spec.logprobs = true;
  spec.top_logprobs = 2;
  auto pending = SubmitGeneration(service, {0, 2, 3}, spec, nullptr, "key-1");
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(service.submitted.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(service.submitted[i].seed, 100u + i);
    EXPECT_EQ(service.submitted[i].max_tokens, 16);
    EXPECT_EQ(service.submitted[i].prompt, (std::vector<int32_t>{0, 2, 3}));
    EXPECT_EQ(service.submitted[i].stop, std::vector<std::string>{"END"});
    EXPECT_EQ(service.submitted[i].cache_owner, "key-1");
    EXPECT_TRUE(service.submitted[i].report_prob);
    EXPECT_EQ(service.submitted[i].n_probs, 2);
  }
  auto outcome = DrainGeneration(*pending.value(), true, nullptr);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(outcome.value().choices.size(), 3u);
  EXPECT_EQ(outcome.value().choices[2].text, "abc");
  EXPECT_EQ(outcome.value().choices[2].tokens.size(), 3u);
  EXPECT_EQ(outcome.value().choices[0].stop_reason, StopReason::kEndOfGeneration);
  EXPECT_EQ(outcome.value().prompt_tokens, 4);      // counted once
  EXPECT_EQ(outcome.value().completion_tokens, 9);  // summed over choices
  EXPECT_FALSE(outcome.value().cancelled);
}

TEST(Generation, QueueFullIs429AndCancelsTheChoicesAlreadySubmitted) {
  FakeCompletionService service(/*capacity=*/2);
  auto pending = SubmitGeneration(service, {0}, Spec(3), nullptr, "");
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.error().http_status, 429);
  EXPECT_EQ(service.cancels.load(), 2);
}

TEST(Generation, EngineRejectionIs400) {
  FakeCompletionService service;
  GenerationSpec spec = Spec();
  spec.sampling.temperature = -1;
  auto pending = SubmitGeneration(service, {0}, spec, nullptr, "");
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.error().http_status, 400);
}

TEST(Generation, AConstraintFactoryErrorIs400AndEveryChoiceGetsItsOwnConstraint) {
  FakeCompletionService service;
  int made = 0;
  ConstraintFactory factory =
      [&made](const GenerationSpec&) -> Result<std::unique_ptr<TokenConstraint>> {
    ++made;
    return std::unique_ptr<TokenConstraint>();
  };
  ASSERT_TRUE(SubmitGeneration(service, {0}, Spec(2), factory, "").ok());
  EXPECT_EQ(made, 2);
  ConstraintFactory failing =
      [](const GenerationSpec&) -> Result<std::unique_ptr<TokenConstraint>> {
    return InvalidArgumentError("schema keyword 'pattern' is not supported");
  };
  auto pending = SubmitGeneration(service, {0}, Spec(), failing, "");
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.error().http_status, 400);
  EXPECT_NE(pending.error().message.find("pattern"), std::string::npos);
}

TEST(Generation, AGoneClientCancelsEveryChoiceAtOnce) {
  FakeCompletionService service;
  auto pending = SubmitGeneration(service, {0}, Spec(2), nullptr, "");
  ASSERT_TRUE(pending.ok());
  int calls = 0;
  auto outcome = DrainGeneration(*pending.value(), false,
                                 [&calls](int32_t, const CompletionEvent&) { return ++calls < 2; });
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome.value().cancelled);
  EXPECT_EQ(service.cancels.load(), 2);
  EXPECT_EQ(calls, 2);  // nothing more is sent once the client is gone
  EXPECT_EQ(outcome.value().choices[0].stop_reason, StopReason::kCancelled);
}

TEST(Generation, FinishReasons) {
  EXPECT_STREQ(FinishReason(StopReason::kEndOfGeneration), "stop");
  EXPECT_STREQ(FinishReason(StopReason::kStopSequence), "stop");
  EXPECT_STREQ(FinishReason(StopReason::kMaxTokens), "length");
  EXPECT_STREQ(FinishReason(StopReason::kContextFull), "length");
}

}  // namespace
}  // namespace hearth::server
