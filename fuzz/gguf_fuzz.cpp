// libFuzzer target for the GGUF reader: parse arbitrary bytes, then touch
// every metadata value, tensor and accessor so ASan/UBSan see every path that
// reads from the image.
//
//   cmake --preset fuzz && cmake --build build/fuzz --target gguf_fuzz
//   build/fuzz/gguf_fuzz -max_total_time=300 tests/gguf_corpus/
#include <cstddef>
#include <cstdint>

#include "core/gguf.h"
#include "core/gguf_info.h"
#include "core/gguf_writer.h"

namespace {

// Folds a value into `sink` so the reads cannot be optimized away.
void Touch(const hearth::GgufValue& value, uint64_t& sink) {
  sink += value.u64 + static_cast<uint64_t>(value.i64) + static_cast<uint64_t>(value.f64 != 0);
  for (char c : value.str) sink += static_cast<uint8_t>(c);
  sink += value.is_integer() + value.is_float();
  for (uint64_t i = 0; i < value.count && value.raw != nullptr; ++i) {
    sink += static_cast<uint64_t>(value.IntAt(i)) + static_cast<uint64_t>(value.FloatAt(i) > 0);
  }
  for (std::string_view s : value.strings) sink += s.size() + (s.empty() ? 0 : s.back());
  for (const hearth::GgufValue& inner : value.arrays) Touch(inner, sink);
}

void CallAccessors(const hearth::GgufFile& file, std::string_view key, uint64_t& sink) {
  using hearth::GgufValueType;
  sink += file.GetString(key).ok() + file.GetUint(key).ok() + file.GetInt(key).ok();
  sink += file.GetFloat(key).ok() + file.GetBool(key).ok();
  sink += file.GetUintOr(key, 1).ok() + file.GetFloatOr(key, 1).ok();
  sink += file.GetBoolOr(key, true).ok() + file.GetStringOr(key, "x").ok();
  for (uint32_t t = 0; t <= static_cast<uint32_t>(GgufValueType::kFloat64); ++t) {
    sink += file.GetArray(key, static_cast<GgufValueType>(t)).ok();
    sink += file.GetArray(key, static_cast<GgufValueType>(t), true).ok();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto opened = hearth::GgufFile::FromBytes("fuzz.gguf", data, size);
  if (!opened.ok()) return 0;
  const hearth::GgufFile& file = **opened;
  uint64_t sink = file.version() + file.alignment();
  hearth::GgufWriter copy;
  for (const auto& [key, value] : file.metadata()) {
    Touch(value, sink);
    CallAccessors(file, key, sink);
    if (file.Find(key) != &value) __builtin_trap();  // index must agree with the list
    copy.Add(key, hearth::EncodeValue(value));
  }
  CallAccessors(file, "missing.key", sink);
  for (const hearth::GgufTensorInfo& info : file.tensors()) {
    auto view = file.GetTensor(info.name);
    if (!view.ok() || view->data != info.data) __builtin_trap();
    // Every byte of every tensor must be readable.
    for (uint64_t i = 0; i < info.nbytes; i += 61) sink += info.data[i];
    if (info.nbytes > 0) sink += info.data[info.nbytes - 1];
    sink += static_cast<uint64_t>(view->rows()) + view->row_bytes();
    copy.AddTensorView(info.name, info.type, {info.ne.begin(), info.ne.begin() + info.n_dims},
                       {info.data, info.nbytes});
  }
  // `hearth show` must describe or reject anything the reader accepts.
  auto info = hearth::DescribeModel(file);
  if (info.ok()) {
    sink += hearth::RenderModelInfoText(*info).size() + hearth::RenderModelInfoJson(*info).size();
  }
  // Re-encoding a parsed file must give a file that parses to the same shape.
  auto rewritten = copy.WriteToBuffer();
  if (!rewritten.ok()) __builtin_trap();
  auto reparsed = hearth::GgufFile::FromBytes("copy.gguf", rewritten->data(), rewritten->size());
  if (!reparsed.ok() || (*reparsed)->metadata().size() != file.metadata().size() ||
      (*reparsed)->tensors().size() != file.tensors().size()) {
    __builtin_trap();
  }
  return static_cast<int>(sink & 0);
}
