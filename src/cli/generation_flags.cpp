#include "cli/generation_flags.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

namespace hearth::cli {

void AddGenerationFlags(CLI::App* cmd, GenerationFlags& flags) {
  cmd->add_option("-n,--n-predict", flags.max_tokens,
                  "Tokens to generate (-1: until end of generation or a full context)")
      ->capture_default_str();
  cmd->add_option("--temp", flags.sampling.temperature, "Temperature (<= 0: greedy)")
      ->capture_default_str();
  cmd->add_option("--top-k", flags.sampling.top_k, "Top-k (0: off)")->capture_default_str();
  cmd->add_option("--top-p", flags.sampling.top_p, "Top-p in (0, 1] (1: off)")
      ->capture_default_str();
  cmd->add_option("--min-p", flags.sampling.min_p, "Min-p in [0, 1] (0: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-penalty", flags.sampling.repeat_penalty, "Repetition penalty (1: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-last-n", flags.sampling.repeat_last_n,
                  "Tokens the penalties look back over (0: off, -1: all)")
      ->capture_default_str();
  cmd->add_option("--frequency-penalty", flags.sampling.frequency_penalty,
                  "OpenAI frequency penalty")
      ->capture_default_str();
  cmd->add_option("--presence-penalty", flags.sampling.presence_penalty, "OpenAI presence penalty")
      ->capture_default_str();
  cmd->add_option("-s,--seed", flags.seed, "Random seed (-1: random, printed on stderr)")
      ->capture_default_str();
  cmd->add_option("-t,--threads", flags.n_threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_option("-c,--ctx-size", flags.n_ctx,
                  "Context size in tokens (0: 4096 or the model's, if smaller)")
      ->capture_default_str();
  cmd->add_option("-b,--batch-size", flags.n_batch, "Prompt tokens per evaluation")
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", flags.verbose, "Print model details on stderr");
}

Status PrepareGenerationFlags(GenerationFlags& flags) {
  if (flags.max_tokens < -1) {
    return InvalidArgumentError("-n must be >= -1 (-1: until the end), got {}", flags.max_tokens);
  }
  if (flags.n_ctx < 0) return InvalidArgumentError("-c must be >= 0, got {}", flags.n_ctx);
  if (flags.seed < -1) return InvalidArgumentError("--seed must be >= 0, got {}", flags.seed);
  flags.sampling.seed = flags.seed >= 0
                            ? static_cast<uint64_t>(flags.seed)
                            : (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  return flags.sampling.Validate(0);
}

Result<ModelForGeneration> LoadModelForGeneration(const GenerationFlags& flags) {
  ModelForGeneration out;
  HEARTH_ASSIGN_OR_RETURN(out.path, ResolveModelPath(flags.model_path));
  ModelOptions model_options;
  model_options.n_threads = flags.n_threads;
  const auto load_start = std::chrono::steady_clock::now();
  HEARTH_ASSIGN_OR_RETURN(out.model, LoadModel(out.path, model_options));
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const ModelSpec& spec = out.model->model->spec();
  out.n_ctx = flags.n_ctx;
  if (out.n_ctx == 0) {
    out.n_ctx =
        spec.n_ctx_train > 0 ? std::min(kDefaultContext, spec.n_ctx_train) : kDefaultContext;
  }
  if (flags.verbose) {
    std::fprintf(stderr, "hearth: loaded %s (%s, %.1fM parameters) in %.2f s, context %d\n",
                 out.path.c_str(), spec.architecture.c_str(),
                 static_cast<double>(spec.n_params) / 1e6, load_seconds, out.n_ctx);
  }
  return out;
}

std::string DefaultModelHelp() {
  return "MODEL defaults to $HEARTH_MODEL, else $XDG_DATA_HOME/hearth/models/" +
         std::string(kDefaultModelFileName) + ".";
}

}  // namespace hearth::cli
