// Loads the models `hearth serve` was given: the GGUF file, a scheduler
// (CompletionService) with the requested slots, the chat format and the
// constraint vocabulary for JSON / tool-call decoding.
#pragma once

#include <memory>
#include <string>

#include "engine/completion_service.h"
#include "model/model.h"
#include "server/model_registry.h"

namespace hearth::server {

struct ServeModelOptions {
  ModelOptions model;
  SchedulerOptions scheduler;
};

// Errors are the loaders' own (they name the file: shown on the command line,
// never to HTTP clients).
Result<std::unique_ptr<ServedModel>> LoadServedModel(const std::string& path,
                                                     const ServeModelOptions& options);

}  // namespace hearth::server
