// hearth perplexity: a model's perplexity on a text file, computed as
// llama.cpp's llama-perplexity does (see engine/perplexity.h).
//
// Running values go to stderr as llama.cpp prints them ("[1]12.3456,[2]...");
// the final "PPL = x +/- y" line goes to stdout.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "engine/loaded_model.h"
#include "engine/perplexity.h"

namespace hearth::cli {

namespace {

struct PerplexityCommandOptions {
  std::string model_path;
  std::string text_path;
  int n_threads = 0;
  PerplexityOptions perplexity;
};

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read text file {}", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError("error while reading {}", path);
  // llama.cpp's -f drops one trailing newline; do the same so token counts and
  // chunk boundaries match.
  std::string content = text.str();
  if (!content.empty() && content.back() == '\n') content.pop_back();
  return content;
}

Status RunPerplexity(const PerplexityCommandOptions& options) {
  HEARTH_ASSIGN_OR_RETURN(std::string text, ReadTextFile(options.text_path));
  ModelOptions model_options;
  model_options.n_threads = options.n_threads;
  HEARTH_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> loaded,
                          LoadModel(options.model_path, model_options));
  std::fprintf(stderr, "perplexity: context %d, batch %d\n", options.perplexity.n_ctx,
               options.perplexity.n_batch);
  HEARTH_ASSIGN_OR_RETURN(
      PerplexityResult result,
      ComputePerplexity(*loaded->model, *loaded->tokenizer, text, options.perplexity,
                        [](const PerplexityProgress& progress) {
                          if (progress.chunk == 1) {
                            std::fprintf(stderr, "perplexity: %.2f seconds per chunk, %d chunks\n",
                                         progress.seconds, progress.n_chunks);
                          }
                          std::fprintf(stderr, "[%d]%.4f,", progress.chunk, progress.ppl);
                          std::fflush(stderr);
                        }));
  std::fprintf(stderr, "\nperplexity: %d tokens, %d chunks, %lld scored, %.2f s\n", result.n_tokens,
               result.n_chunks, static_cast<long long>(result.n_scored), result.seconds);
  if (std::isnan(result.ppl_error)) {
    std::printf("PPL = %.4f\n", result.ppl);
  } else {
    std::printf("PPL = %.4f +/- %.5f\n", result.ppl, result.ppl_error);
  }
  return Status::Ok();
}

}  // namespace

void RegisterPerplexityCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<PerplexityCommandOptions>();
  auto* cmd = app.add_subcommand("perplexity", "Measure a model's perplexity on a text file");
  cmd->footer(
      "Computed as llama.cpp's llama-perplexity: chunks of CTX tokens, each starting with BOS, "
      "scored on their second half.\nThe text must hold at least 2 x CTX tokens.");
  cmd->add_option("model", options->model_path, "GGUF model file")->required();
  cmd->add_option("file", options->text_path, "Text file (e.g. wiki.test.raw)")->required();
  cmd->add_option("-c,--ctx-size", options->perplexity.n_ctx, "Tokens per chunk")
      ->capture_default_str();
  cmd->add_option("-b,--batch-size", options->perplexity.n_batch, "Tokens per evaluation")
      ->capture_default_str();
  cmd->add_option("--chunks", options->perplexity.max_chunks, "Chunks to score (-1: all)")
      ->capture_default_str();
  cmd->add_option("-t,--threads", options->n_threads, "Threads (0: all cores)")
      ->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code.value = ReportStatus(RunPerplexity(*options)); });
}

}  // namespace hearth::cli
