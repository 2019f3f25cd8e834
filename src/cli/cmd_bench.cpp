// hearth bench: prompt and generation speed, measured as llama-bench does
// (see engine/bench.h) so the numbers can be put side by side.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/thread_pool.h"
#include "engine/bench.h"
#include "engine/loaded_model.h"

namespace hearth::cli {

namespace {

struct BenchCommandOptions {
  std::string model_path;
  std::string output = "table";
  BenchOptions bench;
};

Status RunBenchCommand(BenchCommandOptions options) {
  HEARTH_ASSIGN_OR_RETURN(std::string path, ResolveModelPath(options.model_path));
  if (options.bench.n_threads <= 0) options.bench.n_threads = ThreadPool::DefaultThreadCount();
  ModelOptions model_options;
  model_options.n_threads = options.bench.n_threads;
  HEARTH_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> loaded, LoadModel(path, model_options));
  const BenchModelInfo info = DescribeForBench(*loaded->file, loaded->model->spec());
  HEARTH_ASSIGN_OR_RETURN(std::vector<BenchResult> results,
                          RunBench(*loaded->model, info, options.bench));
  const std::string report =
      options.output == "json" ? FormatBenchJson(info, results) : FormatBenchTable(info, results);
  std::fputs(report.c_str(), stdout);
  return Status::Ok();
}

}  // namespace

void RegisterBenchCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<BenchCommandOptions>();
  auto* cmd = app.add_subcommand("bench", "Measure prompt and generation speed (as llama-bench)");
  cmd->footer(
      "ppN: N random token ids in one batch from an empty cache; tgN: N ids one at a time.\n"
      "One warm-up run, then -r repetitions; t/s is their mean +/- sample standard deviation.\n"
      "GB/s: weight bytes read per generated token x tokens per second.");
  cmd->add_option("model", options->model_path, "GGUF model file (default: the default model)");
  cmd->add_option("-p,--n-prompt", options->bench.n_prompt, "Prompt tokens (0: skip)")
      ->capture_default_str();
  cmd->add_option("-n,--n-gen", options->bench.n_gen, "Generated tokens (0: skip)")
      ->capture_default_str();
  cmd->add_option("-r,--repetitions", options->bench.repetitions, "Repetitions of each test")
      ->capture_default_str();
  options->bench.n_threads = 0;
  cmd->add_option("-t,--threads", options->bench.n_threads, "Threads (0: all cores)")
      ->capture_default_str();
  cmd->add_option("-o,--output", options->output, "Report format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->callback(
      [options, &exit_code] { exit_code.value = ReportStatus(RunBenchCommand(*options)); });
}

}  // namespace hearth::cli
