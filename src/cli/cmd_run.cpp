// hearth run: plain text completion of a prompt, streamed to stdout.
//
// stdout carries only the generated text (flushed after every chunk, so it
// streams through pipes); timings and diagnostics go to stderr.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "engine/generator.h"
#include "engine/loaded_model.h"

namespace hearth::cli {

namespace {

struct RunOptions {
  std::string model_path;
  std::string prompt;
  std::string prompt_file;
  int32_t max_tokens = 128;
  int64_t seed = -1;  // -1: a random seed, printed so the run can be repeated
  int n_threads = 0;
  int32_t n_ctx = 0;
  int32_t n_batch = 512;
  bool raw = false;
  bool verbose = false;
  SamplingParams sampling;
};

// Ctrl-C stops generation cleanly (the text so far and the timings are still
// printed); a second Ctrl-C kills the process as usual.
volatile std::sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) {
  g_interrupted = 1;
  std::signal(SIGINT, SIG_DFL);
}

// Used when -c is not given: llama.cpp's default, capped by what the model was
// trained for (the cache grows with it).
constexpr int32_t kDefaultContext = 4096;

Status ReadPrompt(RunOptions& options) {
  if (!options.prompt_file.empty()) {
    std::ifstream in(options.prompt_file, std::ios::binary);
    if (!in) return IoError("cannot read prompt file {}", options.prompt_file);
    std::ostringstream text;
    text << in.rdbuf();
    options.prompt = text.str();
    // As llama.cpp's -f: one trailing newline is not part of the prompt.
    if (!options.prompt.empty() && options.prompt.back() == '\n') options.prompt.pop_back();
  }
  return Status::Ok();
}

void PrintStats(const GenerationStats& stats, int32_t n_ctx) {
  auto rate = [](int32_t tokens, double seconds) { return seconds > 0 ? tokens / seconds : 0.0; };
  std::fprintf(stderr, "\n");
  if (stats.stop_reason == StopReason::kContextFull) {
    std::fprintf(stderr, "hearth: stopped: the context of %d tokens is full (raise it with -c)\n",
                 n_ctx);
  }
  std::fprintf(stderr, "prompt: %d tokens (%d evaluated) in %.3f s, %.2f tok/s\n",
               stats.prompt_tokens, stats.prompt_evaluated, stats.prompt_seconds,
               rate(stats.prompt_evaluated, stats.prompt_seconds));
  std::fprintf(stderr, "generation: %d tokens in %.3f s, %.2f tok/s (stopped: %s)\n",
               stats.generated_tokens, stats.generation_seconds,
               rate(stats.generated_tokens, stats.generation_seconds),
               StopReasonName(stats.stop_reason));
}

Status Run(RunOptions& options) {
  HEARTH_RETURN_IF_ERROR(ReadPrompt(options));
  if (options.max_tokens < -1) {
    return InvalidArgumentError("-n must be >= -1 (-1: until the end), got {}", options.max_tokens);
  }
  if (options.n_ctx < 0) return InvalidArgumentError("-c must be >= 0, got {}", options.n_ctx);
  if (options.seed < -1) return InvalidArgumentError("--seed must be >= 0, got {}", options.seed);
  options.sampling.seed = options.seed >= 0
                              ? static_cast<uint64_t>(options.seed)
                              : (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  // Fail on bad flags before spending time loading the model.
  HEARTH_RETURN_IF_ERROR(options.sampling.Validate(0));

  HEARTH_ASSIGN_OR_RETURN(std::string path, ResolveModelPath(options.model_path));
  ModelOptions model_options;
  model_options.n_threads = options.n_threads;
  const auto load_start = std::chrono::steady_clock::now();
  HEARTH_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> loaded, LoadModel(path, model_options));
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();

  const ModelSpec& spec = loaded->model->spec();
  int32_t n_ctx = options.n_ctx;
  if (n_ctx == 0)
    n_ctx = spec.n_ctx_train > 0 ? std::min(kDefaultContext, spec.n_ctx_train) : kDefaultContext;
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<Generator> generator,
                          Generator::Create(loaded, GeneratorOptions{n_ctx, options.n_batch}));
  if (options.verbose) {
    std::fprintf(stderr, "hearth: loaded %s (%s, %.1fM parameters) in %.2f s, context %d\n",
                 path.c_str(), spec.architecture.c_str(), static_cast<double>(spec.n_params) / 1e6,
                 load_seconds, n_ctx);
  }
  if (options.sampling.temperature > 0) {  // greedy runs use no randomness
    std::fprintf(stderr, "seed: %llu\n", static_cast<unsigned long long>(options.sampling.seed));
  }

  GenerationRequest request;
  request.prompt = options.prompt;
  request.max_tokens = options.max_tokens;
  request.sampling = options.sampling;
  g_interrupted = 0;
  std::signal(SIGINT, OnInterrupt);
  auto stats = generator->Generate(request, [](std::string_view text, const SampledToken*) {
    if (!text.empty()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    }
    return g_interrupted == 0;
  });
  std::signal(SIGINT, SIG_DFL);
  if (!stats.ok()) return stats.status();
  PrintStats(*stats, n_ctx);
  return Status::Ok();
}

}  // namespace

void RegisterRunCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Complete a prompt with a model, streaming the text");
  cmd->footer(
      "MODEL defaults to $HEARTH_MODEL, else $XDG_DATA_HOME/hearth/models/" +
      std::string(kDefaultModelFileName) +
      ".\nThe prompt is completed as plain text (what --raw asks for): chat templates are applied "
      "by `hearth chat`.\nThe generated text goes to stdout; speeds and diagnostics to stderr.");
  cmd->add_option("model", options->model_path, "GGUF model file");
  auto* prompt = cmd->add_option("-p,--prompt", options->prompt, "Text to complete");
  auto* file = cmd->add_option("-f,--file", options->prompt_file, "Read the prompt from a file");
  prompt->excludes(file);
  cmd->add_option("-n,--n-predict", options->max_tokens,
                  "Tokens to generate (-1: until end of generation or a full context)")
      ->capture_default_str();
  cmd->add_option("--temp", options->sampling.temperature, "Temperature (<= 0: greedy)")
      ->capture_default_str();
  cmd->add_option("--top-k", options->sampling.top_k, "Top-k (0: off)")->capture_default_str();
  cmd->add_option("--top-p", options->sampling.top_p, "Top-p in (0, 1] (1: off)")
      ->capture_default_str();
  cmd->add_option("--min-p", options->sampling.min_p, "Min-p in [0, 1] (0: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-penalty", options->sampling.repeat_penalty,
                  "Repetition penalty (1: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-last-n", options->sampling.repeat_last_n,
                  "Tokens the penalties look back over (0: off, -1: all)")
      ->capture_default_str();
  cmd->add_option("--frequency-penalty", options->sampling.frequency_penalty,
                  "OpenAI frequency penalty")
      ->capture_default_str();
  cmd->add_option("--presence-penalty", options->sampling.presence_penalty,
                  "OpenAI presence penalty")
      ->capture_default_str();
  cmd->add_option("-s,--seed", options->seed, "Random seed (-1: random, printed on stderr)")
      ->capture_default_str();
  cmd->add_option("-t,--threads", options->n_threads, "Threads (0: all cores)")
      ->capture_default_str();
  cmd->add_option("-c,--ctx-size", options->n_ctx,
                  "Context size in tokens (0: 4096 or the model's, if smaller)")
      ->capture_default_str();
  cmd->add_option("-b,--batch-size", options->n_batch, "Prompt tokens per evaluation")
      ->capture_default_str();
  cmd->add_flag("--raw", options->raw,
                "Complete the prompt as plain text, no chat template (currently always the case)");
  cmd->add_flag("-v,--verbose", options->verbose, "Print model details on stderr");
  cmd->callback([options, &exit_code] {
    if (options->prompt.empty() && options->prompt_file.empty()) {
      exit_code.value =
          ReportStatus(InvalidArgumentError("run: give a prompt with -p TEXT or -f FILE"));
      return;
    }
    exit_code.value = ReportStatus(Run(*options));
  });
}

}  // namespace hearth::cli
