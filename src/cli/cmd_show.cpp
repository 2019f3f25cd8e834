// hearth show MODEL [--json]: what a GGUF file contains, without loading it.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/gguf.h"
#include "core/gguf_info.h"

namespace hearth::cli {
namespace {

struct ShowOptions {
  std::string model;
  bool json = false;
  bool no_hash = false;
};

Status RunShow(const ShowOptions& options) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, GgufFile::Open(options.model));
  HEARTH_ASSIGN_OR_RETURN(ModelInfo info,
                          DescribeModel(*file, {.compute_sha256 = !options.no_hash}));
  const std::string out = options.json ? RenderModelInfoJson(info) : RenderModelInfoText(info);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return Status::Ok();
}

}  // namespace

void RegisterShowCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<ShowOptions>();
  auto* cmd = app.add_subcommand(
      "show", "Describe a GGUF model: architecture, size, tensors, tokenizer, chat template");
  cmd->add_option("MODEL", options->model, "Path to a .gguf file")->required();
  cmd->add_flag("--json", options->json, "Print JSON (includes the full chat template)");
  cmd->add_flag("--no-hash", options->no_hash, "Skip the SHA-256 of the file (faster)");
  cmd->callback([options, &exit_code] { exit_code.value = ReportStatus(RunShow(*options)); });
}

}  // namespace hearth::cli
