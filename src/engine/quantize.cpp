// QuantizeModel: see quantize.h.
#include "engine/quantize.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include "core/checked_math.h"
#include "core/gguf.h"
#include "core/gguf_writer.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/quantize_weights.h"

namespace hearth {
namespace {

constexpr uint32_t kQuantizationVersion = 2;  // ggml's GGML_QNT_VERSION

bool IsSplitKey(std::string_view key) {
  return key == "split.no" || key == "split.count" || key == "split.tensors.count";
}

void CopyMetadata(const GgufFile& in, const QuantizeFileType& ftype, GgufWriter& writer) {
  bool wrote_file_type = false, wrote_version = false;
  for (const auto& [key, value] : in.metadata()) {
    if (IsSplitKey(key)) continue;
    if (key == "general.file_type") {
      writer.AddUint32(key, ftype.llama_ftype);
      wrote_file_type = true;
    } else if (key == "general.quantization_version") {
      writer.AddUint32(key, kQuantizationVersion);
      wrote_version = true;
    } else {
      writer.Add(key, EncodeValue(value));
    }
  }
  if (!wrote_version) writer.AddUint32("general.quantization_version", kQuantizationVersion);
  if (!wrote_file_type) writer.AddUint32("general.file_type", ftype.llama_ftype);
}

std::vector<int64_t> Shape(const GgufTensorInfo& t) {
  return std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims);
}

// Converts one tensor: rows are dequantized to F32 and quantized to `to`.
Result<std::vector<uint8_t>> ConvertTensor(const GgufTensorInfo& t, TensorType to,
                                           ThreadPool& pool) {
  const int64_t n_per_row = t.ne[0];
  const int64_t n_rows = t.ne[1] * t.ne[2] * t.ne[3];
  const auto row_in = RowBytes(t.type, static_cast<uint64_t>(n_per_row));
  const auto row_out = RowBytes(to, static_cast<uint64_t>(n_per_row));
  if (!row_in || !row_out) {
    return InvalidArgumentError("tensor '{}': row of {} values is not whole blocks of {}/{}",
                                t.name, n_per_row, TensorTypeName(t.type), TensorTypeName(to));
  }
  if (t.type != TensorType::kF32 && !kernels::IsWeightTypeSupported(t.type)) {
    return UnsupportedError("tensor '{}': cannot dequantize type {}", t.name,
                            TensorTypeName(t.type));
  }
  std::vector<uint8_t> out(*row_out * static_cast<uint64_t>(n_rows));
  const kernels::KernelSet& scalar = kernels::KernelsFor(kernels::Isa::kScalar);
  pool.ParallelFor(n_rows, [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(n_per_row));  // [n_per_row]
    for (int64_t r = begin; r < end; ++r) {
      scalar.dequantize_row(t.type, t.data + r * *row_in, row.data(), n_per_row);
      kernels::QuantizeWeights(to, row.data(), out.data() + r * *row_out, n_per_row);
    }
  });
  return out;
}

}  // namespace

Result<QuantizeSummary> QuantizeModel(const std::string& input_path, const std::string& output_path,
                                      const QuantizeFileType& ftype,
                                      const QuantizeOptions& options) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> in, GgufFile::Open(input_path));
  HEARTH_ASSIGN_OR_RETURN(const QuantizeModelInfo model, ReadQuantizeModelInfo(*in));
  std::vector<QuantizeTensorDesc> descs;
  for (const GgufTensorInfo& t : in->tensors()) descs.push_back({t.name, t.type, t.ne});
  HEARTH_ASSIGN_OR_RETURN(const std::vector<TensorType> types,
                          ChooseTensorTypes(ftype, model, descs));

  GgufWriter writer;
  CopyMetadata(*in, ftype, writer);
  ThreadPool pool(std::max(1, options.threads));
  QuantizeSummary summary;
  for (size_t i = 0; i < in->tensors().size(); ++i) {
    const GgufTensorInfo& t = in->tensors()[i];
    const TensorType to = types[i];
    ++summary.n_tensors;
    summary.bytes_in += t.nbytes;
    if (to == t.type) {
      writer.AddTensorView(t.name, t.type, Shape(t), {t.data, t.nbytes});
      summary.bytes_out += t.nbytes;
      continue;
    }
    if (!kernels::CanQuantizeWeights(to)) {
      return UnsupportedError("{}: tensor '{}': cannot quantize to {}", input_path, t.name,
                              TensorTypeName(to));
    }
    auto converted = ConvertTensor(t, to, pool);
    if (!converted.ok()) return converted.status().WithContext(input_path);
    summary.bytes_out += converted->size();
    ++summary.n_converted;
    if (options.progress) {
      options.progress(
          fmt::format("{} {} -> {}", t.name, TensorTypeName(t.type), TensorTypeName(to)));
    }
    writer.AddTensor(t.name, to, Shape(t), std::move(converted).value());
  }
  HEARTH_RETURN_IF_ERROR(writer.status());
  HEARTH_RETURN_IF_ERROR(writer.WriteToFile(output_path));
  return summary;
}

}  // namespace hearth
