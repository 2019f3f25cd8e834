// hearth quantize: write a model with its weights in another type, choosing
// per-tensor types as llama.cpp's llama-quantize does (engine/quantize.h).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/thread_pool.h"
#include "engine/quantize.h"

namespace hearth::cli {
namespace {

struct QuantizeCommandOptions {
  std::string input_path;
  std::string output_path;
  std::string type;
  int n_threads = 0;
  bool quiet = false;
};

Status RunQuantize(const QuantizeCommandOptions& options) {
  HEARTH_ASSIGN_OR_RETURN(const QuantizeFileType ftype, ParseQuantizeFileType(options.type));
  if (options.input_path == options.output_path) {
    return InvalidArgumentError("output {} must differ from the input", options.output_path);
  }
  QuantizeOptions quantize;
  quantize.threads = options.n_threads > 0 ? options.n_threads : ThreadPool::DefaultThreadCount();
  if (!options.quiet) {
    quantize.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }
  HEARTH_ASSIGN_OR_RETURN(const QuantizeSummary summary,
                          QuantizeModel(options.input_path, options.output_path, ftype, quantize));
  std::fprintf(stderr, "quantize: %s -> %s (%s): %d tensors, %d converted, %.2f MiB -> %.2f MiB\n",
               options.input_path.c_str(), options.output_path.c_str(),
               std::string(ftype.name).c_str(), summary.n_tensors, summary.n_converted,
               summary.bytes_in / 1048576.0, summary.bytes_out / 1048576.0);
  return Status::Ok();
}

}  // namespace

void RegisterQuantizeCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<QuantizeCommandOptions>();
  auto* cmd = app.add_subcommand("quantize", "Convert a model's weights to another type");
  cmd->footer("TYPE: " + QuantizeFileTypeNames() +
              " (Q4_K/Q5_K mean Q4_K_M/Q5_K_M).\nTensor types follow llama.cpp's "
              "llama-quantize mixes; quantized inputs are re-quantized via F32.");
  cmd->add_option("input", options->input_path, "GGUF model to read")->required();
  cmd->add_option("output", options->output_path, "GGUF file to write")->required();
  cmd->add_option("type", options->type, "Target type, e.g. Q4_K_M")->required();
  cmd->add_option("-t,--threads", options->n_threads, "Threads (0: all cores)")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", options->quiet, "Do not list converted tensors");
  cmd->callback([options, &exit_code] { exit_code.value = ReportStatus(RunQuantize(*options)); });
}

}  // namespace hearth::cli
