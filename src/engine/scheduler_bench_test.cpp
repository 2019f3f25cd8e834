// A measurement, not a test (DISABLED_: it runs only when asked):
//   build/release/hearth_tests --gtest_also_run_disabled_tests --gtest_filter='SchedulerBench.*'
// Aggregate generated tokens per second for 1, 4 and 8 concurrent greedy
// requests on the default model (SmolLM2-135M-Instruct Q4_1), through the
// scheduler's continuous batching. HEARTH_BENCH_THREADS sets the threads
// (default: the thread pool's default).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/completion_service.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

TEST(SchedulerBench, DISABLED_AggregateThroughputSmolLM2) {
  const std::string path = testing::ModelsDir() + "/SmolLM2-135M-Instruct.Q4_1.gguf";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing";
  ModelOptions model_options;
  if (const char* threads = std::getenv("HEARTH_BENCH_THREADS")) {
    model_options.n_threads = std::atoi(threads);
  }
  auto loaded = LoadModel(path, model_options);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const char* const prompts[] = {"Tell me a story about a dragon.",
                                 "What is the capital of France?",
                                 "Write a poem about the sea.",
                                 "Explain how a bicycle works.",
                                 "List three fruits.",
                                 "Why is the sky blue?",
                                 "Describe a sunny day.",
                                 "How do plants grow?"};
  constexpr int32_t kTokens = 64;
  for (int clients : {1, 4, 8}) {
    SchedulerOptions options;
    options.n_slots = 8;
    auto service = CreateScheduler(*loaded, options);
    ASSERT_TRUE(service.ok());
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<Completion>> completions;
    for (int i = 0; i < clients; ++i) {
      CompletionRequest request;
      request.prompt = (*loaded)->tokenizer->Encode(prompts[i], true, false);
      request.max_tokens = kTokens;
      request.sampling.temperature = 0.0f;
      if (const int32_t eos = (*loaded)->tokenizer->eos(); eos >= 0) {
        request.sampling.logit_bias = {{eos, -INFINITY}};  // run the full length
      }
      auto completion = (*service)->Submit(std::move(request));
      ASSERT_TRUE(completion.ok());
      completions.push_back(std::move(*completion));
    }
    int64_t generated = 0;
    double ttft = 0.0;
    for (auto& completion : completions) {
      CompletionEvent event;
      while (completion->Next(event)) {
        if (event.kind == CompletionEvent::Kind::kDone) {
          ASSERT_TRUE(event.status.ok());
          generated += event.usage.completion_tokens;
          ttft += event.usage.time_to_first_token;
        }
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("clients %d: %lld tokens in %.2f s = %.1f tok/s aggregate, mean TTFT %.3f s\n",
                clients, static_cast<long long>(generated), seconds, generated / seconds,
                ttft / clients);
  }
}

}  // namespace
}  // namespace hearth

namespace hearth {
namespace {

// One decoding step of 8 sequences: one ForwardBatch against 8 Forward calls.
TEST(SchedulerBench, DISABLED_DecodeStepBatchedVsSequential) {
  const std::string path = testing::ModelsDir() + "/SmolLM2-135M-Instruct.Q4_1.gguf";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing";
  auto loaded = LoadModel(path);
  ASSERT_TRUE(loaded.ok());
  Model& model = *(*loaded)->model;
  constexpr int kSequences = 8;
  constexpr int kSteps = 16;
  std::vector<std::unique_ptr<KvCache>> caches;
  std::vector<float> logits;
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  for (int i = 0; i < kSequences; ++i) {
    auto cache = model.NewCache(256);
    ASSERT_TRUE(cache.ok());
    caches.push_back(std::move(cache).value());
    ASSERT_TRUE(model.Forward(prompt, *caches.back(), false, logits).ok());
  }
  std::vector<int32_t> tokens(kSequences, 42);
  for (int round = 0; round < 2; ++round) {
    auto start = std::chrono::steady_clock::now();
    for (int step = 0; step < kSteps; ++step) {
      for (int i = 0; i < kSequences; ++i) {
        ASSERT_TRUE(model.Forward({&tokens[i], 1}, *caches[i], false, logits).ok());
      }
    }
    const double sequential =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    start = std::chrono::steady_clock::now();
    for (int step = 0; step < kSteps; ++step) {
      std::vector<SequenceBatch> batch;
      for (int i = 0; i < kSequences; ++i) batch.push_back({{&tokens[i], 1}, caches[i].get()});
      ASSERT_TRUE(model.ForwardBatch(batch, logits).ok());
    }
    const double batched =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("8 sequences x %d steps: sequential %.1f ms/step, batched %.1f ms/step\n", kSteps,
                1e3 * sequential / kSteps, 1e3 * batched / kSteps);
  }
}

}  // namespace
}  // namespace hearth
