// Each `hearth` subcommand lives in its own cli/cmd_*.cpp and registers itself
// here. A command's callback returns the process exit code; errors are printed
// as one line on stderr ("hearth: <message>"), never a stack trace.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

#include "core/status.h"

namespace hearth::cli {

// Set by a subcommand's callback; main() returns it.
struct ExitCode {
  int value = 0;
};

// Prints "hearth: <status message>" on stderr and returns 1 (0 when OK).
int ReportStatus(const Status& status);

void RegisterShowCommand(CLI::App& app, ExitCode& exit_code);
void RegisterTokenizeCommand(CLI::App& app, ExitCode& exit_code);
void RegisterRunCommand(CLI::App& app, ExitCode& exit_code);
void RegisterPerplexityCommand(CLI::App& app, ExitCode& exit_code);
void RegisterTemplateCommand(CLI::App& app, ExitCode& exit_code);
void RegisterQuantizeCommand(CLI::App& app, ExitCode& exit_code);
void RegisterBenchCommand(CLI::App& app, ExitCode& exit_code);
void RegisterChatCommand(CLI::App& app, ExitCode& exit_code);
void RegisterServeCommand(CLI::App& app, ExitCode& exit_code);

}  // namespace hearth::cli
