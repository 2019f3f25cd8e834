// hearth template render TEMPLATE --messages MESSAGES.json [...]: prints what
// a chat template renders for a conversation, exactly (no trailing newline
// added). TEMPLATE is a Jinja file, or a GGUF model (detected by its magic),
// whose tokenizer.chat_template and BOS/EOS token text are used.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "chat/template.h"
#include "cli/commands.h"
#include "core/gguf.h"
#include "engine/chat_prompt.h"

namespace hearth::cli {
namespace {

struct TemplateOptions {
  std::string template_path;
  std::string messages_path;
  std::string tools_path;
  bool add_generation_prompt = false;
  std::string bos_token;
  std::string eos_token;
  std::string now;
};

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("{}: cannot open", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return IoError("{}: read failed", path);
  return buffer.str();
}

Result<nlohmann::ordered_json> ReadJson(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  auto json = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return InvalidArgumentError("{}: not valid JSON", path);
  return json;
}

// A GGUF model's own template and special tokens (a token the model lacks stays "").
Result<ChatTemplateSource> LoadFromGguf(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(auto file, GgufFile::Open(path));
  HEARTH_ASSIGN_OR_RETURN(ChatTemplateSource source, ReadChatTemplateSource(*file));
  if (source.text.empty())
    return NotFoundError("{}: the model has no tokenizer.chat_template", path);
  return source;
}

Result<ChatTemplateSource> LoadTemplate(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("{}: cannot open", path);
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::string_view(magic, 4) == "GGUF") return LoadFromGguf(path);
  ChatTemplateSource source;
  HEARTH_ASSIGN_OR_RETURN(source.text, ReadWholeFile(path));
  return source;
}

Status RunRender(const TemplateOptions& options, bool bos_given, bool eos_given) {
  HEARTH_ASSIGN_OR_RETURN(ChatTemplateSource source, LoadTemplate(options.template_path));
  HEARTH_ASSIGN_OR_RETURN(nlohmann::ordered_json messages, ReadJson(options.messages_path));
  nlohmann::ordered_json tools = nullptr;
  // MESSAGES.json is a list of messages, or an object with "messages" (and maybe "tools").
  if (messages.is_object() && messages.contains("messages")) {
    if (messages.contains("tools")) tools = messages["tools"];
    nlohmann::ordered_json list = messages["messages"];
    messages = std::move(list);
  }
  if (!messages.is_array()) {
    return InvalidArgumentError("{}: expected a JSON list of messages", options.messages_path);
  }
  if (!options.tools_path.empty()) {
    HEARTH_ASSIGN_OR_RETURN(tools, ReadJson(options.tools_path));
  }
  if (!tools.is_null() && !tools.is_array()) {
    return InvalidArgumentError("{}: expected a JSON list of tools", options.tools_path.empty()
                                                                         ? options.messages_path
                                                                         : options.tools_path);
  }
  nlohmann::ordered_json context = {
      {"messages", messages},
      {"tools", tools},
      {"add_generation_prompt", options.add_generation_prompt},
      {"bos_token", bos_given ? options.bos_token : source.bos_token},
      {"eos_token", eos_given ? options.eos_token : source.eos_token},
  };
  if (!options.now.empty()) context["now"] = options.now;
  auto parsed = chat::ChatTemplate::Parse(source.text);
  if (!parsed.ok()) return parsed.status().WithContext(options.template_path);
  auto rendered = (*parsed)->Render(context);
  if (!rendered.ok()) return rendered.status().WithContext(options.template_path);
  std::fwrite(rendered->data(), 1, rendered->size(), stdout);
  return Status::Ok();
}

}  // namespace

void RegisterTemplateCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<TemplateOptions>();
  auto* cmd = app.add_subcommand("template", "Work with chat templates");
  cmd->require_subcommand(1);
  auto* render = cmd->add_subcommand(
      "render",
      "Print what a chat template renders for a conversation (exactly, no newline added)");
  auto* path = render->add_option("template", options->template_path,
                                  "Jinja template file, or a GGUF model (uses its chat template)");
  render->add_option("--messages", options->messages_path,
                     "JSON file: a list of {role, content, ...} messages");
  render->add_option("--tools", options->tools_path, "JSON file: a list of tool schemas");
  render->add_flag("--add-generation-prompt", options->add_generation_prompt,
                   "End with the assistant turn's opening");
  auto* bos = render->add_option("--bos-token", options->bos_token,
                                 "bos_token text (default: the model's, or empty)");
  auto* eos = render->add_option("--eos-token", options->eos_token,
                                 "eos_token text (default: the model's, or empty)");
  render->add_option("--now", options->now,
                     "Time strftime_now() sees, YYYY-MM-DD[THH:MM[:SS]] (default: now)");
  render->callback([options, path, bos, eos, &exit_code] {
    if (path->count() == 0 || options->messages_path.empty()) {
      exit_code.value = ReportStatus(InvalidArgumentError(
          "template render: expected TEMPLATE and --messages MESSAGES.json (see --help)"));
      return;
    }
    exit_code.value = ReportStatus(RunRender(*options, bos->count() > 0, eos->count() > 0));
  });
}

}  // namespace hearth::cli
