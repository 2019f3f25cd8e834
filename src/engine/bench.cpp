#include "engine/bench.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

namespace hearth {
namespace {

// llama.cpp's names for general.file_type (llama_model_ftype_name), so the
// model_type column reads the same in both reports.
std::string FileTypeName(uint64_t file_type) {
  switch (file_type) {
    case 0:
      return "all F32";
    case 1:
      return "F16";
    case 2:
      return "Q4_0";
    case 3:
      return "Q4_1";
    case 7:
      return "Q8_0";
    case 8:
      return "Q5_0";
    case 9:
      return "Q5_1";
    case 10:
      return "Q2_K - Medium";
    case 11:
      return "Q3_K - Small";
    case 12:
      return "Q3_K - Medium";
    case 13:
      return "Q3_K - Large";
    case 14:
      return "Q4_K - Small";
    case 15:
      return "Q4_K - Medium";
    case 16:
      return "Q5_K - Small";
    case 17:
      return "Q5_K - Medium";
    case 18:
      return "Q6_K";
    case 32:
      return "BF16";
    default:
      return fmt::format("ftype {}", file_type);
  }
}

// 134'515'008 -> "135M", 1'711'376'384 -> "1.7B", 292'000 -> "292K".
std::string SizeLabel(uint64_t n_params) {
  const double n = static_cast<double>(n_params);
  const auto scaled = [](double x, char unit) {
    return x < 10.0 ? fmt::format("{:.1f}{}", x, unit) : fmt::format("{:.0f}{}", x, unit);
  };
  if (n >= 1e9) return scaled(n / 1e9, 'B');
  if (n >= 1e6) return scaled(n / 1e6, 'M');
  return scaled(n / 1e3, 'K');
}

std::string TestName(const BenchResult& r) {
  return r.n_prompt > 0 ? fmt::format("pp{}", r.n_prompt) : fmt::format("tg{}", r.n_gen);
}

using Clock = std::chrono::steady_clock;

// Seconds to evaluate `ids` (one batch if `one_batch`, else one by one) from an empty cache.
Result<double> TimeOnce(Model& model, KvCache& cache, const std::vector<int32_t>& ids,
                        bool one_batch, std::vector<float>& logits) {
  cache.Truncate(0);
  const Clock::time_point start = Clock::now();
  if (one_batch) {
    HEARTH_RETURN_IF_ERROR(model.Forward(ids, cache, /*all_logits=*/false, logits));
  } else {
    for (const int32_t id : ids) {
      HEARTH_RETURN_IF_ERROR(
          model.Forward(std::span<const int32_t>(&id, 1), cache, /*all_logits=*/false, logits));
    }
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Result<BenchResult> RunTest(Model& model, const BenchModelInfo& info, const BenchOptions& options,
                            int n_prompt, int n_gen) {
  const int n_tokens = n_prompt + n_gen;
  if (n_tokens > model.spec().n_ctx_train) {
    return OutOfRangeError("bench: {} tokens exceed the model's context length {}", n_tokens,
                           model.spec().n_ctx_train);
  }
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<KvCache> cache, model.NewCache(n_tokens));
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> any_token(0, model.spec().n_vocab - 1);
  std::vector<int32_t> ids(n_tokens);
  for (int32_t& id : ids) id = any_token(rng);
  const bool one_batch = n_prompt > 0;
  std::vector<float> logits;

  // Warm-up as llama-bench does it: the whole prompt, or a single generated token.
  const std::vector<int32_t> warmup = one_batch ? ids : std::vector<int32_t>{ids[0]};
  HEARTH_RETURN_IF_ERROR(TimeOnce(model, *cache, warmup, one_batch, logits).status());

  BenchResult result;
  result.n_prompt = n_prompt;
  result.n_gen = n_gen;
  result.n_threads = options.n_threads;
  for (int rep = 0; rep < options.repetitions; ++rep) {
    HEARTH_ASSIGN_OR_RETURN(double seconds, TimeOnce(model, *cache, ids, one_batch, logits));
    result.samples_ts.push_back(n_tokens / std::max(seconds, 1e-12));
  }
  result.ts = ComputeSampleStats(result.samples_ts);
  if (n_gen > 0) result.gen_bandwidth_gbs = info.gen_bytes_read * result.ts.mean / 1e9;
  return result;
}

}  // namespace

SampleStats ComputeSampleStats(std::span<const double> samples) {
  SampleStats stats;
  if (samples.empty()) return stats;
  double sum = 0.0;
  for (const double s : samples) sum += s;
  stats.mean = sum / static_cast<double>(samples.size());
  if (samples.size() < 2) return stats;
  double squares = 0.0;
  for (const double s : samples) squares += (s - stats.mean) * (s - stats.mean);
  stats.stddev = std::sqrt(squares / static_cast<double>(samples.size() - 1));
  return stats;
}

BenchModelInfo DescribeForBench(const GgufFile& file, const ModelSpec& spec) {
  BenchModelInfo info;
  uint64_t embd_bytes = 0;
  bool has_output = false;
  for (const GgufTensorInfo& t : file.tensors()) {
    info.model_size += t.nbytes;
    if (t.name == "token_embd.weight") embd_bytes = t.nbytes;
    if (t.name == "output.weight") has_output = true;
  }
  info.n_params = spec.n_params;
  // Generating a token reads every weight once, except the embedding table, of
  // which only one row is read unless the output projection is tied to it.
  info.gen_bytes_read = info.model_size;
  if (has_output && spec.n_vocab > 0) {
    info.gen_bytes_read -= embd_bytes - embd_bytes / static_cast<uint64_t>(spec.n_vocab);
  }
  const Result<uint64_t> file_type = file.GetUint("general.file_type");
  const std::string type_name = file_type.ok() ? FileTypeName(*file_type) : "?";
  info.model_type = fmt::format("{} {} {}", spec.architecture, SizeLabel(spec.n_params), type_name);
  return info;
}

Result<std::vector<BenchResult>> RunBench(Model& model, const BenchModelInfo& info,
                                          const BenchOptions& options) {
  if (options.n_prompt < 0 || options.n_gen < 0 || options.repetitions < 1) {
    return InvalidArgumentError("bench: -p and -n must be >= 0 and -r >= 1 (got {}, {}, {})",
                                options.n_prompt, options.n_gen, options.repetitions);
  }
  std::vector<BenchResult> results;
  if (options.n_prompt > 0) {
    HEARTH_ASSIGN_OR_RETURN(BenchResult pp, RunTest(model, info, options, options.n_prompt, 0));
    results.push_back(std::move(pp));
  }
  if (options.n_gen > 0) {
    HEARTH_ASSIGN_OR_RETURN(BenchResult tg, RunTest(model, info, options, 0, options.n_gen));
    results.push_back(std::move(tg));
  }
  return results;
}

std::string FormatBenchJson(const BenchModelInfo& info, std::span<const BenchResult> results) {
  nlohmann::json array = nlohmann::json::array();
  for (const BenchResult& r : results) {
    nlohmann::json test = {
        {"engine", "hearth"},
        {"model_type", info.model_type},
        {"model_size", info.model_size},
        {"model_n_params", info.n_params},
        {"n_threads", r.n_threads},
        {"n_prompt", r.n_prompt},
        {"n_gen", r.n_gen},
        {"avg_ts", r.ts.mean},
        {"stddev_ts", r.ts.stddev},
        {"samples_ts", r.samples_ts},
    };
    if (r.n_gen > 0) test["gen_bandwidth_gbs"] = r.gen_bandwidth_gbs;
    array.push_back(std::move(test));
  }
  return array.dump(2) + "\n";
}

std::string FormatBenchTable(const BenchModelInfo& info, std::span<const BenchResult> results) {
  std::string out;
  out += fmt::format("| {:<30} | {:>10} | {:>10} | {:>7} | {:>13} | {:>20} | {:>8} |\n", "model",
                     "size", "params", "threads", "test", "t/s", "GB/s");
  out += fmt::format("| {:-<30} | {:->10} | {:->10} | {:->7} | {:->13} | {:->20} | {:->8} |\n", "",
                     ":", ":", ":", ":", ":", ":");
  for (const BenchResult& r : results) {
    const std::string bandwidth = r.n_gen > 0 ? fmt::format("{:.2f}", r.gen_bandwidth_gbs) : "";
    out +=
        fmt::format("| {:<30} | {:>10} | {:>10} | {:>7} | {:>13} | {:>20} | {:>8} |\n",
                    info.model_type, fmt::format("{:.2f} MiB", info.model_size / (1024.0 * 1024.0)),
                    fmt::format("{:.2f} M", info.n_params / 1e6), r.n_threads, TestName(r),
                    fmt::format("{:.2f} ± {:.2f}", r.ts.mean, r.ts.stddev), bandwidth);
  }
  return out;
}

}  // namespace hearth
