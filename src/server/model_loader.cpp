#include "server/model_loader.h"

#include <sys/stat.h>

#include "engine/constraint_vocab_builder.h"
#include "sampling/json_schema.h"
#include "sampling/tool_call_constraint.h"

namespace hearth::server {

namespace {

// The constraint for a spec's JSON format or forced tool call; null when the
// output is free (tool_choice auto is parsed afterwards, not constrained).
ConstraintFactory MakeConstraintFactory(std::shared_ptr<const ConstraintVocab> vocab) {
  return [vocab](const GenerationSpec& spec) -> Result<std::unique_ptr<TokenConstraint>> {
    if (spec.tool_choice == ToolChoice::kRequired || spec.tool_choice == ToolChoice::kFunction) {
      return MakeToolCallConstraint(spec.tools, spec.forced_function, vocab);
    }
    if (spec.format == ResponseFormat::kJsonObject) return MakeJsonConstraint(nullptr, vocab);
    if (spec.format == ResponseFormat::kJsonSchema) return MakeJsonConstraint(spec.schema, vocab);
    return std::unique_ptr<TokenConstraint>();
  };
}

}  // namespace

Result<std::unique_ptr<ServedModel>> LoadServedModel(const std::string& path,
                                                     const ServeModelOptions& options) {
  HEARTH_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> loaded, LoadModel(path, options.model));
  auto served = std::make_unique<ServedModel>();
  served->name = ModelNameFromPath(path);
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    served->modified_unix = static_cast<int64_t>(info.st_mtime);
    served->size_bytes = static_cast<uint64_t>(info.st_size);
  }
  if (loaded->file) {
    auto source = loaded->file->GetStringOr("tokenizer.chat_template", "");
    if (source.ok()) served->chat_template = std::string(*source);
  }
  HEARTH_ASSIGN_OR_RETURN(served->chat_format, ChatPromptFormat::FromModel(*loaded));
  served->make_constraint = MakeConstraintFactory(BuildConstraintVocab(*loaded->tokenizer));
  HEARTH_ASSIGN_OR_RETURN(served->service, CreateScheduler(loaded, options.scheduler));
  return served;
}

}  // namespace hearth::server
