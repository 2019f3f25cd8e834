// LoadedModel: a GGUF file opened and turned into a Model and its Tokenizer.
//
// The one place that knows the loading sequence (GgufFile::Open ->
// Model::Load -> Tokenizer::FromGguf), so the CLI and the server share it.
#pragma once

#include <memory>
#include <string>

#include "core/gguf.h"
#include "core/status.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace hearth {

struct LoadedModel {
  std::string path;
  std::shared_ptr<const GgufFile> file;  // null for models built in memory (tests)
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

// Errors are the loaders' own (they name the file).
Result<std::shared_ptr<LoadedModel>> LoadModel(const std::string& path,
                                               const ModelOptions& options = {});

// The file name of the model used when none is given.
inline constexpr const char* kDefaultModelFileName = "SmolLM2-135M-Instruct.Q4_1.gguf";

// $HEARTH_MODEL if set and non-empty, else
// $XDG_DATA_HOME/hearth/models/<kDefaultModelFileName> (XDG_DATA_HOME defaults
// to ~/.local/share). The file may not exist.
std::string DefaultModelPath();

// `path` if non-empty; else the default model, or NotFound telling the user how
// to get it when it is missing.
Result<std::string> ResolveModelPath(const std::string& path);

}  // namespace hearth
