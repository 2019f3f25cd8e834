#include "cli/commands.h"

namespace hearth::cli {

// Placeholder until the command lands; it says so instead of pretending.
void RegisterShowCommand(CLI::App& app, ExitCode& exit_code) {
  auto* cmd = app.add_subcommand("show", "(not yet implemented)");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    exit_code.value = ReportStatus(Status(StatusCode::kUnsupported, "'show' is not implemented yet"));
  });
}

}  // namespace hearth::cli
