// hearth run: answers a prompt, streamed to stdout. On a model with a chat
// template the prompt is one user message of a chat (the template renders
// it); with --raw, or on a model without a template, it is completed as
// plain text.
//
// stdout carries only the generated text (flushed after every chunk, so it
// streams through pipes); timings and diagnostics go to stderr.
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/generation_flags.h"
#include "engine/chat_prompt.h"
#include "engine/generator.h"
#include "engine/loaded_model.h"

namespace hearth::cli {

namespace {

struct RunOptions {
  GenerationFlags flags;
  std::string prompt;
  std::string prompt_file;
  bool raw = false;
};

// Ctrl-C stops generation cleanly (the text so far and the timings are still
// printed); a second Ctrl-C kills the process as usual.
volatile std::sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) {
  g_interrupted = 1;
  std::signal(SIGINT, SIG_DFL);
}

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

// The request for the prompt: a one-turn chat in the model's template, or
// plain text with --raw or when the model has none.
Status PreparePrompt(const RunOptions& options, const LoadedModel& model,
                     GenerationRequest& request) {
  request.prompt = options.prompt;
  if (options.raw) return Status::Ok();
  HEARTH_ASSIGN_OR_RETURN(auto format, ChatPromptFormat::FromModel(model));
  if (!format->has_model_template()) {
    std::fprintf(stderr,
                 "hearth: the model has no chat template: completing the prompt as plain text\n");
    return Status::Ok();
  }
  const nlohmann::ordered_json messages = {{{"role", "user"}, {"content", options.prompt}}};
  HEARTH_ASSIGN_OR_RETURN(request.prompt, format->Render(messages, ChatPromptOptions{}));
  request.add_special = format->add_special();
  request.parse_special = true;
  return Status::Ok();
}

Status Run(RunOptions& options) {
  HEARTH_RETURN_IF_ERROR(ReadPrompt(options));
  // Fail on bad flags before spending time loading the model.
  HEARTH_RETURN_IF_ERROR(PrepareGenerationFlags(options.flags));
  HEARTH_ASSIGN_OR_RETURN(ModelForGeneration loaded, LoadModelForGeneration(options.flags));
  HEARTH_ASSIGN_OR_RETURN(
      std::unique_ptr<Generator> generator,
      Generator::Create(loaded.model, GeneratorOptions{loaded.n_ctx, options.flags.n_batch}));
  const SamplingParams& sampling = options.flags.sampling;
  if (sampling.temperature > 0) {  // greedy runs use no randomness
    std::fprintf(stderr, "seed: %llu\n", static_cast<unsigned long long>(sampling.seed));
  }

  GenerationRequest request;
  HEARTH_RETURN_IF_ERROR(PreparePrompt(options, *loaded.model, request));
  request.max_tokens = options.flags.max_tokens;
  request.sampling = sampling;
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
  PrintStats(*stats, loaded.n_ctx);
  return Status::Ok();
}

}  // namespace

void RegisterRunCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Answer a prompt with a model, streaming the text");
  cmd->footer(
      DefaultModelHelp() +
      "\nOn a model with a chat template the prompt is sent as one user message (a one-turn "
      "chat); --raw completes it as plain text, as on a model without a template.\nThe "
      "generated text goes to stdout; speeds and diagnostics to stderr.");
  cmd->add_option("model", options->flags.model_path, "GGUF model file");
  auto* prompt = cmd->add_option("-p,--prompt", options->prompt, "Text to answer or complete");
  auto* file = cmd->add_option("-f,--file", options->prompt_file, "Read the prompt from a file");
  prompt->excludes(file);
  AddGenerationFlags(cmd, options->flags);
  cmd->add_flag("--raw", options->raw,
                "Complete the prompt as plain text, without the model's chat template");
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
