// ChatSession on real models: SmolLM2 (its own chat template, byte-level BPE)
// for the cache reuse across turns, stories260K (fallback format, tiny
// context) for the conversation bookkeeping.
#include "engine/chat_session.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "testing/test_paths.h"

namespace hearth {
namespace {

using Json = nlohmann::ordered_json;

std::shared_ptr<LoadedModel> Load(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << path << " missing (python3 scripts/fetch_models.py, or set HEARTH_SHARED)";
    return nullptr;
  }
  auto model = LoadModel(path);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

std::shared_ptr<LoadedModel> Stories() {
  static auto model = Load(testing::SharedDir() + "/data/tinystories-260k/stories260K.gguf");
  return model;
}

std::unique_ptr<ChatSession> MakeSession(std::shared_ptr<LoadedModel> model, int32_t n_ctx,
                                         int32_t max_tokens, std::string system = "") {
  ChatSessionOptions options;
  options.generator.n_ctx = n_ctx;
  options.max_tokens = max_tokens;
  options.sampling.temperature = 0.0f;
  options.system_prompt = std::move(system);
  auto session = ChatSession::Create(std::move(model), options);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return session.ok() ? std::move(session).value() : nullptr;
}

struct Turn {
  std::string text;
  std::vector<std::string> notices;
  Result<TurnStats> stats = TurnStats{};
};

Turn Say(ChatSession& session, const std::string& message, int stop_after_chunks = -1) {
  Turn turn;
  int chunks = 0;
  TurnCallbacks callbacks;
  callbacks.on_text = [&](std::string_view text) {
    turn.text += text;
    return stop_after_chunks < 0 || ++chunks < stop_after_chunks;
  };
  callbacks.on_notice = [&](const std::string& notice) { turn.notices.push_back(notice); };
  turn.stats = session.Send(message, callbacks);
  return turn;
}

TEST(ChatSession, SmolLm2SecondTurnEvaluatesOnlyTheNewTokens) {
  auto model = Load(testing::ModelsDir() + "/SmolLM2-135M-Instruct.Q4_1.gguf");
  ASSERT_NE(model, nullptr);
  auto session = MakeSession(model, 512, 6);
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->format().has_model_template());
  Turn first = Say(*session, "Hi");
  ASSERT_TRUE(first.stats.ok()) << first.stats.status().ToString();
  EXPECT_EQ(first.stats->prompt_reused, 0);
  const std::vector<int32_t> after_first = session->context_tokens();

  Turn second = Say(*session, "What is two plus two?");
  ASSERT_TRUE(second.stats.ok()) << second.stats.status().ToString();
  // Everything the cache held after turn 1 is reused; only the new text is evaluated.
  EXPECT_EQ(second.stats->prompt_reused, static_cast<int32_t>(after_first.size()));
  EXPECT_EQ(second.stats->prompt_evaluated,
            second.stats->prompt_tokens - second.stats->prompt_reused);
  EXPECT_LT(second.stats->prompt_evaluated, 20);
  const std::vector<int32_t>& context = session->context_tokens();
  ASSERT_GE(context.size(), after_first.size());
  EXPECT_TRUE(std::equal(after_first.begin(), after_first.end(), context.begin()));

  // The turn-2 prompt tokens spell exactly what the template renders for it.
  Json asked = session->messages();
  asked.erase(asked.size() - 1);  // the answer to turn 2
  auto rendered = session->format().Render(asked, ChatPromptOptions{});
  ASSERT_TRUE(rendered.ok()) << rendered.status().ToString();
  const std::vector<int32_t> prompt(context.begin(), context.begin() + second.stats->prompt_tokens);
  EXPECT_EQ(model->tokenizer->Decode(prompt, /*render_special=*/true), *rendered);

  ASSERT_EQ(session->messages().size(), 4u);
  EXPECT_EQ(session->messages()[1]["content"], first.text);
  EXPECT_EQ(session->messages()[3]["content"], second.text);
}

TEST(ChatSession, LastAnswerHasTokenProbabilities) {
  auto session = MakeSession(Stories(), 128, 8);
  ASSERT_NE(session, nullptr);
  Turn turn = Say(*session, "Once upon a time");
  ASSERT_TRUE(turn.stats.ok()) << turn.stats.status().ToString();
  const auto& answer = session->last_answer();
  ASSERT_EQ(static_cast<int32_t>(answer.size()), turn.stats->generated_tokens);
  ASSERT_FALSE(answer.empty());
  std::string pieces;
  for (const AnswerToken& token : answer) {
    pieces += token.piece;
    EXPECT_GT(token.prob, 0.0f);
    EXPECT_LE(token.prob, 1.0f);
    ASSERT_EQ(static_cast<int32_t>(token.top.size()), kChatTopAlternatives);
    for (size_t i = 1; i < token.top.size(); ++i)
      EXPECT_GE(token.top[i - 1].second, token.top[i].second);
    // Greedy: the chosen token is the most likely one.
    EXPECT_EQ(token.piece, token.top[0].first);
    EXPECT_FLOAT_EQ(token.prob, token.top[0].second);
  }
  EXPECT_EQ(pieces, turn.text);
}

TEST(ChatSession, FullContextDropsOldestTurnsAndKeepsTheSystemPrompt) {
  auto session = MakeSession(Stories(), 128, 24, "Be kind.");
  ASSERT_NE(session, nullptr);
  std::vector<std::string> notices;
  for (int i = 0; i < 8; ++i) {
    Turn turn = Say(*session, "Tell me a story about a cat and a dog number " + std::to_string(i));
    ASSERT_TRUE(turn.stats.ok()) << i << ": " << turn.stats.status().ToString();
    notices.insert(notices.end(), turn.notices.begin(), turn.notices.end());
    ASSERT_GE(session->messages().size(), 3u);
    EXPECT_EQ(session->messages()[0], (Json{{"role", "system"}, {"content", "Be kind."}}));
    EXPECT_LE(session->tokens_in_context(), 128);
    if (turn.stats->dropped_messages > 0) {
      EXPECT_EQ(session->messages()[1]["role"], "user");
    }
  }
  ASSERT_FALSE(notices.empty());
  EXPECT_NE(notices[0].find("dropped"), std::string::npos) << notices[0];
  EXPECT_LT(session->messages().size(), 17u);  // 8 turns would be 17 messages
}

TEST(ChatSession, MessageTooLongForTheContextIsAnError) {
  auto session = MakeSession(Stories(), 64, 8);
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(Say(*session, "Hello").stats.ok());
  const Json before = session->messages();
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "the cat sat on the mat ";
  Turn turn = Say(*session, long_text);
  ASSERT_FALSE(turn.stats.ok());
  EXPECT_EQ(turn.stats.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(turn.stats.status().message().find("context holds 64"), std::string::npos)
      << turn.stats.status().ToString();
  EXPECT_EQ(session->messages(), before);
  EXPECT_TRUE(Say(*session, "Hello again").stats.ok());
}

TEST(ChatSession, StoppedAnswerIsKeptAndTheNextTurnWorks) {
  auto session = MakeSession(Stories(), 128, 20);
  ASSERT_NE(session, nullptr);
  Turn stopped = Say(*session, "Once upon a time", /*stop_after_chunks=*/2);
  ASSERT_TRUE(stopped.stats.ok()) << stopped.stats.status().ToString();
  EXPECT_EQ(stopped.stats->stop_reason, StopReason::kCancelled);
  EXPECT_LE(stopped.stats->generated_tokens, 3);
  EXPECT_EQ(session->messages().back()["content"], stopped.text);
  Turn next = Say(*session, "And then?");
  ASSERT_TRUE(next.stats.ok()) << next.stats.status().ToString();
  EXPECT_GT(next.stats->generated_tokens, 0);
  EXPECT_EQ(session->messages().size(), 4u);
}

TEST(ChatSession, ResetAndSystemPrompt) {
  auto session = MakeSession(Stories(), 128, 4, "S1");
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(Say(*session, "Hi").stats.ok());
  EXPECT_EQ(session->messages().size(), 3u);
  session->Reset();
  EXPECT_EQ(session->messages(), Json::parse(R"([{"role": "system", "content": "S1"}])"));
  session->SetSystemPrompt("S2");
  EXPECT_EQ(session->messages(), Json::parse(R"([{"role": "system", "content": "S2"}])"));
  session->SetSystemPrompt("");
  EXPECT_TRUE(session->messages().empty());
  ASSERT_TRUE(Say(*session, "Hi").stats.ok());
  EXPECT_EQ(session->messages()[0]["role"], "user");
}

TEST(ChatSession, SaveAndLoadRoundTrip) {
  auto session = MakeSession(Stories(), 128, 4, "Sys");
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(Say(*session, "Hi").stats.ok());
  const Json saved = Json::parse(session->ToJson().dump());
  auto other = MakeSession(Stories(), 128, 4);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->LoadJson(saved).ok());
  EXPECT_EQ(other->messages(), session->messages());
  other->Reset();  // the loaded system prompt is the session's now
  EXPECT_EQ(other->messages(), Json::parse(R"([{"role": "system", "content": "Sys"}])"));
  ASSERT_TRUE(other->LoadJson(saved["messages"]).ok());  // the bare list works too
  ASSERT_TRUE(Say(*other, "More").stats.ok());
  EXPECT_EQ(other->messages().size(), 5u);

  const Json before = other->messages();
  EXPECT_FALSE(other->LoadJson(Json::parse(R"({"messages": 3})")).ok());
  EXPECT_FALSE(other->LoadJson(Json::parse(R"([{"role": "user"}])")).ok());
  EXPECT_EQ(other->messages(), before);
}

}  // namespace
}  // namespace hearth
