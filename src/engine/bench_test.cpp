#include "engine/bench.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/loaded_model.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

TEST(BenchStatsTest, MeanAndSampleStandardDeviation) {
  const std::vector<double> samples = {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0};
  const SampleStats stats = ComputeSampleStats(samples);
  EXPECT_DOUBLE_EQ(stats.mean, 5.0);
  // Sum of squared deviations is 32; the sample variance divides by n - 1 = 7.
  EXPECT_NEAR(stats.stddev, std::sqrt(32.0 / 7.0), 1e-12);
}

TEST(BenchStatsTest, OneSampleHasNoSpread) {
  const std::vector<double> samples = {3.5};
  const SampleStats stats = ComputeSampleStats(samples);
  EXPECT_DOUBLE_EQ(stats.mean, 3.5);
  EXPECT_DOUBLE_EQ(stats.stddev, 0.0);
}

std::shared_ptr<LoadedModel> LoadStories() {
  const std::string path = testing::SharedDir() + "/data/tinystories-260k/stories260K.gguf";
  auto loaded = LoadModel(path, ModelOptions{1});
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.ok() ? *loaded : nullptr;
}

TEST(BenchTest, DescribesTheModelFromItsFile) {
  auto loaded = LoadStories();
  ASSERT_NE(loaded, nullptr);
  const BenchModelInfo info = DescribeForBench(*loaded->file, loaded->model->spec());
  uint64_t bytes = 0;
  for (const GgufTensorInfo& t : loaded->file->tensors()) bytes += t.nbytes;
  EXPECT_EQ(info.model_size, bytes);
  EXPECT_GT(info.model_size, 0u);
  EXPECT_EQ(info.n_params, loaded->model->spec().n_params);
  EXPECT_EQ(info.model_type.rfind("llama ", 0), 0u) << info.model_type;
  // stories260K has its own output.weight, so of token_embd only one row is
  // read per generated token.
  ASSERT_NE(loaded->file->FindTensor("output.weight"), nullptr);
  const GgufTensorInfo* embd = loaded->file->FindTensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  const uint64_t embd_row = embd->nbytes / static_cast<uint64_t>(embd->ne[1]);
  EXPECT_EQ(info.gen_bytes_read, info.model_size - embd->nbytes + embd_row);
}

TEST(BenchTest, JsonHasOneObjectPerTestWithLlamaBenchFields) {
  auto loaded = LoadStories();
  ASSERT_NE(loaded, nullptr);
  const BenchModelInfo info = DescribeForBench(*loaded->file, loaded->model->spec());
  BenchOptions options;
  options.n_prompt = 16;
  options.n_gen = 4;
  options.repetitions = 3;
  options.n_threads = 1;
  auto results = RunBench(*loaded->model, info, options);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 2u);

  const nlohmann::json json = nlohmann::json::parse(FormatBenchJson(info, *results));
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  const nlohmann::json& pp = json[0];
  const nlohmann::json& tg = json[1];
  EXPECT_EQ(pp["n_prompt"], 16);
  EXPECT_EQ(pp["n_gen"], 0);
  EXPECT_EQ(tg["n_prompt"], 0);
  EXPECT_EQ(tg["n_gen"], 4);
  for (const nlohmann::json& test : json) {
    EXPECT_EQ(test["n_threads"], 1);
    EXPECT_EQ(test["model_size"], info.model_size);
    EXPECT_EQ(test["model_type"], info.model_type);
    ASSERT_EQ(test["samples_ts"].size(), 3u);
    std::vector<double> samples = test["samples_ts"].get<std::vector<double>>();
    const SampleStats stats = ComputeSampleStats(samples);
    EXPECT_DOUBLE_EQ(test["avg_ts"].get<double>(), stats.mean);
    EXPECT_DOUBLE_EQ(test["stddev_ts"].get<double>(), stats.stddev);
    EXPECT_GT(stats.mean, 0.0);
  }
  EXPECT_FALSE(pp.contains("gen_bandwidth_gbs"));
  EXPECT_NEAR(tg["gen_bandwidth_gbs"].get<double>(),
              info.gen_bytes_read * tg["avg_ts"].get<double>() / 1e9, 1e-9);

  const std::string table = FormatBenchTable(info, *results);
  EXPECT_NE(table.find(" pp16 |"), std::string::npos) << table;
  EXPECT_NE(table.find(" tg4 |"), std::string::npos) << table;
}

TEST(BenchTest, RejectsTestsLongerThanTheContext) {
  auto loaded = LoadStories();
  ASSERT_NE(loaded, nullptr);
  const BenchModelInfo info = DescribeForBench(*loaded->file, loaded->model->spec());
  BenchOptions options;
  options.n_prompt = loaded->model->spec().n_ctx_train + 1;
  options.n_gen = 0;
  auto results = RunBench(*loaded->model, info, options);
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace hearth
