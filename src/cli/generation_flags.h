// Flags shared by the commands that generate text (`hearth run`, `hearth
// chat`): model, sampling, seed, threads, context and batch size, and the
// model loading they lead to.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "engine/loaded_model.h"
#include "sampling/sampling_params.h"

namespace hearth::cli {

struct GenerationFlags {
  std::string model_path;
  int32_t max_tokens = 128;  // -n; -1: until end of generation or a full context
  int64_t seed = -1;         // -1: a random seed
  int n_threads = 0;
  int32_t n_ctx = 0;  // 0: kDefaultContext or the model's, if smaller
  int32_t n_batch = 512;
  bool verbose = false;
  SamplingParams sampling;
};

// Used when -c is not given: llama.cpp's default, capped by what the model was
// trained for (the cache grows with it).
inline constexpr int32_t kDefaultContext = 4096;

// Adds -n, --temp, --top-k, --top-p, --min-p, the penalties, -s, -t, -c, -b
// and -v to `cmd` (the MODEL positional is each command's own).
void AddGenerationFlags(CLI::App* cmd, GenerationFlags& flags);
// The help footer's first sentence for commands whose MODEL is optional: where the default is.
std::string DefaultModelHelp();

// Checks the flags (before any model is loaded) and picks the seed when it is -1.
Status PrepareGenerationFlags(GenerationFlags& flags);

struct ModelForGeneration {
  std::shared_ptr<LoadedModel> model;
  std::string path;
  int32_t n_ctx = 0;  // -c resolved against the model
};
// Loads the model (the default one when no path is given); with -v, prints
// what was loaded on stderr.
Result<ModelForGeneration> LoadModelForGeneration(const GenerationFlags& flags);

}  // namespace hearth::cli
