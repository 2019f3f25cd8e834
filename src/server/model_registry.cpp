#include "server/model_registry.h"

namespace hearth::server {

std::string ModelNameFromPath(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  constexpr std::string_view kSuffix = ".gguf";
  if (name.size() > kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix) {
    name.remove_suffix(kSuffix.size());
  }
  return std::string(name);
}

Status ModelRegistry::Add(std::unique_ptr<ServedModel> model) {
  for (const auto& existing : models_) {
    if (existing->name == model->name) {
      return InvalidArgumentError("two models are named {}: serve files with different names",
                                  model->name);
    }
  }
  models_.push_back(std::move(model));
  return Status::Ok();
}

ServedModel* ModelRegistry::Find(std::string_view name) const {
  std::string_view wanted = name;
  for (std::string_view suffix : {std::string_view(".gguf"), std::string_view(":latest")}) {
    if (wanted.size() > suffix.size() && wanted.substr(wanted.size() - suffix.size()) == suffix) {
      wanted.remove_suffix(suffix.size());
    }
  }
  for (const auto& model : models_) {
    if (model->name == wanted) return model.get();
  }
  if (models_.size() == 1) return models_.front().get();
  return nullptr;
}

}  // namespace hearth::server
