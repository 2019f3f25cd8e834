#include "server/metrics.h"

#include <gtest/gtest.h>

#include "server/model_registry.h"

namespace hearth::server {
namespace {

TEST(Metrics, RendersCountersAndGaugesInPrometheusText) {
  Metrics metrics;
  metrics.RecordRequest("/v1/chat/completions", 200, 0.5);
  metrics.RecordRequest("/v1/chat/completions", 200, 0.25);
  metrics.RecordRequest("/v1/chat/completions", 400, 0.01);
  metrics.RecordGeneration("m", 10, 20, 2.0, 0.3);
  ServiceStats stats;
  stats.slots_total = 4;
  stats.slots_busy = 3;
  stats.queue_depth = 2;
  const std::string text = metrics.Render({{"m", stats}});
  for (const char* line :
       {"hearth_http_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 2\n",
        "hearth_http_requests_total{endpoint=\"/v1/chat/completions\",status=\"400\"} 1\n",
        "hearth_prompt_tokens_total{model=\"m\"} 10\n",
        "hearth_generated_tokens_total{model=\"m\"} 20\n",
        "hearth_tokens_per_second{model=\"m\"} 10.000\n", "hearth_queue_depth{model=\"m\"} 2\n",
        "hearth_slots_busy{model=\"m\"} 3\n", "hearth_slots_total{model=\"m\"} 4\n",
        "# TYPE hearth_http_requests_total counter\n", "# TYPE hearth_slots_busy gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

TEST(Metrics, LabelValuesAreEscaped) { EXPECT_EQ(EscapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd"); }

TEST(ModelRegistry, NamesAndLookup) {
  EXPECT_EQ(ModelNameFromPath("/x/y/SmolLM2-135M-Instruct.Q4_1.gguf"),
            "SmolLM2-135M-Instruct.Q4_1");
  EXPECT_EQ(ModelNameFromPath("plain"), "plain");
  ModelRegistry registry;
  auto first = std::make_unique<ServedModel>();
  first->name = "alpha";
  ServedModel* alpha = first.get();
  ASSERT_TRUE(registry.Add(std::move(first)).ok());
  // One model: any name selects it (clients configured for other servers work).
  EXPECT_EQ(registry.Find("gpt-4o"), alpha);
  EXPECT_EQ(registry.Find(""), alpha);
  auto second = std::make_unique<ServedModel>();
  second->name = "beta";
  ServedModel* beta = second.get();
  ASSERT_TRUE(registry.Add(std::move(second)).ok());
  EXPECT_EQ(registry.Find("beta"), beta);
  EXPECT_EQ(registry.Find("beta.gguf"), beta);
  EXPECT_EQ(registry.Find("alpha:latest"), alpha);
  EXPECT_EQ(registry.Find("gpt-4o"), nullptr);
  auto duplicate = std::make_unique<ServedModel>();
  duplicate->name = "beta";
  EXPECT_FALSE(registry.Add(std::move(duplicate)).ok());
}

}  // namespace
}  // namespace hearth::server
