// Bench: prompt-processing and generation speed measured as llama.cpp's
// llama-bench measures it, so the two can be compared side by side.
//
//   pp<N>: one batch of N token ids evaluated from an empty cache.
//   tg<N>: N token ids evaluated one at a time from an empty cache.
// Token ids are pseudo-random valid ids (fixed seed); nothing is sampled or
// tokenized inside the timed region. Each test runs once untimed (warm-up),
// then `repetitions` times, clearing the cache before each; every repetition
// gives tokens/second, summarized as mean and sample standard deviation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/status.h"
#include "model/model.h"

namespace hearth {

struct BenchOptions {
  int n_prompt = 512;  // 0: no prompt test
  int n_gen = 128;     // 0: no generation test
  int repetitions = 5;
  int n_threads = 1;  // reported only; the model's pool does the work
};

// What the report says about the model file.
struct BenchModelInfo {
  std::string model_type;       // e.g. "llama 135M Q4_1"
  uint64_t model_size = 0;      // bytes of all tensors (llama-bench's model_size)
  uint64_t n_params = 0;        // elements of all tensors
  uint64_t gen_bytes_read = 0;  // weight bytes read to generate one token
};

struct SampleStats {
  double mean = 0.0;
  double stddev = 0.0;  // sample standard deviation (n - 1); 0 for fewer than 2 samples
};

struct BenchResult {
  int n_prompt = 0;
  int n_gen = 0;
  int n_threads = 0;
  std::vector<double> samples_ts;  // tokens/second of each repetition
  SampleStats ts;
  // gen_bytes_read x avg tokens/second, in GB/s (1e9 bytes); 0 for prompt tests.
  double gen_bandwidth_gbs = 0.0;
};

SampleStats ComputeSampleStats(std::span<const double> samples);

// Reads the model description from the file's metadata and tensor table.
BenchModelInfo DescribeForBench(const GgufFile& file, const ModelSpec& spec);

// Runs the pp test (if n_prompt > 0) then the tg test (if n_gen > 0).
// OutOfRange if a test needs more positions than the model's context length.
Result<std::vector<BenchResult>> RunBench(Model& model, const BenchModelInfo& info,
                                          const BenchOptions& options);

// llama-bench's "-o json": an array with one object per test.
std::string FormatBenchJson(const BenchModelInfo& info, std::span<const BenchResult> results);
// llama-bench's markdown table (one row per test), plus a GB/s column.
std::string FormatBenchTable(const BenchModelInfo& info, std::span<const BenchResult> results);

}  // namespace hearth
