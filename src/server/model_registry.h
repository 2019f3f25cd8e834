// ModelRegistry: the models one `hearth serve` serves, each with its own
// CompletionService (scheduler), chat format and constraint builder. Models
// are named by their file stem ("SmolLM2-135M-Instruct.Q4_1"), as listed by
// /v1/models and /api/tags; file paths are never sent to clients.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat_prompt.h"
#include "engine/completion_service.h"
#include "server/generation.h"

namespace hearth::server {

struct ServedModel {
  std::string name;
  std::unique_ptr<CompletionService> service;
  std::unique_ptr<ChatPromptFormat> chat_format;  // null: no chat endpoint for this model
  ConstraintFactory make_constraint;              // null: constrained output unsupported
  int64_t modified_unix = 0;                      // file modification time
  uint64_t size_bytes = 0;                        // file size
  std::string chat_template;                      // template source, for /api/show
};

// "dir/SmolLM2-135M-Instruct.Q4_1.gguf" -> "SmolLM2-135M-Instruct.Q4_1".
std::string ModelNameFromPath(std::string_view path);

class ModelRegistry {
 public:
  // Fails (InvalidArgument) for a second model with the same name.
  Status Add(std::unique_ptr<ServedModel> model);

  // By name, also accepting "<name>.gguf" and Ollama's "<name>:latest". When
  // one model is served, any name (or none) selects it, so clients configured
  // for another server's model name work unchanged. Null: not found.
  ServedModel* Find(std::string_view name) const;

  const std::vector<std::unique_ptr<ServedModel>>& models() const { return models_; }

 private:
  std::vector<std::unique_ptr<ServedModel>> models_;
};

}  // namespace hearth::server
