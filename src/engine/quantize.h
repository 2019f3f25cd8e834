// `hearth quantize`: rewrites a GGUF model with its weights in another tensor
// type, as llama.cpp's llama-quantize does (without an importance matrix).
//
// Every metadata key is copied in order except general.file_type (set to the
// target's llama_ftype number) and general.quantization_version (set to 2);
// split.* keys are dropped as the output is one file. Tensors keep their
// order, names and shapes; their types come from ChooseTensorTypes
// (quantize_plan.h). Inputs may be F32, F16, BF16 or any quantized type Hearth
// can dequantize (re-quantizing goes through F32, as llama-quantize's
// --allow-requantize does). Tensors that keep their type are copied byte for
// byte.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "engine/quantize_plan.h"

namespace hearth {

struct QuantizeOptions {
  int threads = 1;  // rows of one tensor are quantized in parallel
  // Called once per tensor after it is converted ("blk.0.attn_q.weight F16 -> Q4_K").
  std::function<void(const std::string& line)> progress;
};

struct QuantizeSummary {
  int n_tensors = 0;
  int n_converted = 0;     // tensors whose type changed
  uint64_t bytes_in = 0;   // tensor data
  uint64_t bytes_out = 0;  // tensor data
};

// Reads `input_path`, writes `output_path` (via a temporary file renamed on
// success). Errors name the file and tensor.
Result<QuantizeSummary> QuantizeModel(const std::string& input_path, const std::string& output_path,
                                      const QuantizeFileType& ftype,
                                      const QuantizeOptions& options = {});

}  // namespace hearth
