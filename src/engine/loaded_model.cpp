#include "engine/loaded_model.h"

#include <cstdlib>
#include <filesystem>

namespace hearth {

namespace {

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

Result<std::shared_ptr<LoadedModel>> LoadModel(const std::string& path,
                                               const ModelOptions& options) {
  auto loaded = std::make_shared<LoadedModel>();
  loaded->path = path;
  auto file = GgufFile::Open(path);
  if (!file.ok()) return file.status();
  loaded->file = std::shared_ptr<const GgufFile>(std::move(file).value());

  // The loaders name the file in their errors already.
  auto model = Model::Load(loaded->file, options);
  if (!model.ok()) return model.status();
  loaded->model = std::move(model).value();

  auto tokenizer = Tokenizer::FromGguf(*loaded->file);
  if (!tokenizer.ok()) return tokenizer.status();
  loaded->tokenizer = std::move(tokenizer).value();
  return loaded;
}

std::string DefaultModelPath() {
  if (std::string env = EnvOrEmpty("HEARTH_MODEL"); !env.empty()) return env;
  std::string data_home = EnvOrEmpty("XDG_DATA_HOME");
  if (data_home.empty()) data_home = EnvOrEmpty("HOME") + "/.local/share";
  return data_home + "/hearth/models/" + kDefaultModelFileName;
}

Result<std::string> ResolveModelPath(const std::string& path) {
  if (!path.empty()) return path;
  std::string fallback = DefaultModelPath();
  std::error_code error;
  if (std::filesystem::exists(fallback, error)) return fallback;
  return NotFoundError(
      "no model given and the default model {} is missing: fetch it with "
      "`python3 scripts/fetch_models.py` (or run scripts/setup.sh), set HEARTH_MODEL, or pass a "
      ".gguf path",
      fallback);
}

}  // namespace hearth
