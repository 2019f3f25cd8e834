// Where tests find data: the repository (goldens, corpora) and ../shared.
#pragma once

#include <cstdlib>
#include <string>

namespace hearth::testing {

// HEARTH_SOURCE_DIR is set by ctest; fall back to the working directory.
inline std::string SourceDir() {
  const char* dir = std::getenv("HEARTH_SOURCE_DIR");
  return dir ? dir : ".";
}

// HEARTH_SHARED overrides; the default is the shared/ folder beside the checkout.
inline std::string SharedDir() {
  const char* dir = std::getenv("HEARTH_SHARED");
  return dir ? dir : SourceDir() + "/../shared";
}

// Directory of downloaded test models (fetched by scripts/fetch_models.py);
// tests that need a model missing from it fail with a message naming the
// command that fetches it, rather than passing silently.
inline std::string ModelsDir() {
  if (const char* dir = std::getenv("HEARTH_TEST_MODELS")) return dir;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/hearth/models";
}

}  // namespace hearth::testing
