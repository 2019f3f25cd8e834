// hearth: run GGUF language models locally.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"

namespace hearth::cli {

int ReportStatus(const Status& status) {
  if (status.ok()) return 0;
  std::fprintf(stderr, "hearth: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace hearth::cli

int main(int argc, char** argv) {
  using namespace hearth::cli;
  CLI::App app{"hearth: private, local language models on your CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hearth 0.1.0");
  ExitCode exit_code;
  RegisterShowCommand(app, exit_code);
  RegisterTokenizeCommand(app, exit_code);
  RegisterRunCommand(app, exit_code);
  RegisterPerplexityCommand(app, exit_code);
  RegisterTemplateCommand(app, exit_code);
  RegisterQuantizeCommand(app, exit_code);
  RegisterBenchCommand(app, exit_code);
  RegisterChatCommand(app, exit_code);
  RegisterServeCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version are "errors" CLI11 prints itself; real usage
    // errors get one line, as every other hearth error does.
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error);
    std::fprintf(stderr, "hearth: %s (see --help)\n", error.what());
    return 2;
  }
  return exit_code.value;
}
