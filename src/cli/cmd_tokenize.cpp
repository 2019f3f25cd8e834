// hearth tokenize MODEL TEXT: prints the token ids of TEXT, space-separated on
// one line. No BOS/EOS unless --add-special; special-token text such as
// "<|im_start|>" is plain text unless --parse-special.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "core/gguf.h"
#include "tokenizer/tokenizer.h"

namespace hearth::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string text;
  bool add_special = false;
  bool parse_special = false;
};

Status RunTokenize(const TokenizeOptions& options) {
  HEARTH_ASSIGN_OR_RETURN(auto file, GgufFile::Open(options.model));
  HEARTH_ASSIGN_OR_RETURN(auto tokenizer, Tokenizer::FromGguf(*file));
  const std::vector<TokenId> ids =
      tokenizer->Encode(options.text, options.add_special, options.parse_special);
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) line.push_back(' ');
    line.append(std::to_string(ids[i]));
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stdout);
  return Status::Ok();
}

}  // namespace

void RegisterTokenizeCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<TokenizeOptions>();
  auto* cmd =
      app.add_subcommand("tokenize", "Print the token ids of TEXT under MODEL's vocabulary");
  // Not ->required(): a missing argument is reported like every other error
  // (one line, exit code 1) instead of by CLI11's parser.
  auto* model = cmd->add_option("model", options->model, "GGUF model (or vocabulary) file");
  auto* text = cmd->add_option("text", options->text, "Text to tokenize (may be empty)");
  cmd->add_flag("--add-special", options->add_special,
                "Add BOS/EOS as the vocabulary's add_bos/add_eos metadata says");
  cmd->add_flag("--parse-special", options->parse_special,
                "Turn special-token text such as <|im_start|> into that token");
  cmd->callback([options, model, text, &exit_code] {
    if (model->count() == 0 || text->count() == 0) {
      exit_code.value =
          ReportStatus(InvalidArgumentError("tokenize: expected MODEL and TEXT (see --help)"));
      return;
    }
    exit_code.value = ReportStatus(RunTokenize(*options));
  });
}

}  // namespace hearth::cli
