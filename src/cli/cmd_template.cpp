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

struct TemplateSource {
  std::string text;
  std::string bos_token;
  std::string eos_token;
};

Result<std::string> TokenText(const GgufFile& file, std::string_view id_key) {
  HEARTH_ASSIGN_OR_RETURN(uint64_t id, file.GetUint(id_key));
  HEARTH_ASSIGN_OR_RETURN(const GgufValue* tokens,
                          file.GetArray("tokenizer.ggml.tokens", GgufValueType::kString));
  if (id >= tokens->strings.size()) {
    return CorruptError("{}: {} = {} is past the vocabulary ({} tokens)", file.path(), id_key, id,
                        tokens->strings.size());
  }
  return std::string(tokens->strings[id]);
}

// A GGUF model's own template and special tokens (a token the model lacks stays "").
Result<TemplateSource> LoadFromGguf(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(auto file, GgufFile::Open(path));
  TemplateSource source;
  auto text = file->GetString("tokenizer.chat_template");
  if (!text.ok()) return NotFoundError("{}: the model has no tokenizer.chat_template", path);
  source.text = std::string(*text);
  if (file->Find("tokenizer.ggml.bos_token_id") != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(source.bos_token, TokenText(*file, "tokenizer.ggml.bos_token_id"));
  }
  if (file->Find("tokenizer.ggml.eos_token_id") != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(source.eos_token, TokenText(*file, "tokenizer.ggml.eos_token_id"));
  }
  return source;
}

Result<TemplateSource> LoadTemplate(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("{}: cannot open", path);
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::string_view(magic, 4) == "GGUF") return LoadFromGguf(path);
  TemplateSource source;
  HEARTH_ASSIGN_OR_RETURN(source.text, ReadWholeFile(path));
  return source;
}

Status RunRender(const TemplateOptions& options, bool bos_given, bool eos_given) {
  HEARTH_ASSIGN_OR_RETURN(TemplateSource source, LoadTemplate(options.template_path));
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
