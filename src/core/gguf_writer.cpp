#include "core/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/checked_math.h"

namespace hearth {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" as a little-endian uint32

template <typename T>
void Append(std::vector<uint8_t>* out, T value) {
  const size_t at = out->size();
  out->resize(at + sizeof(T));
  std::memcpy(out->data() + at, &value, sizeof(T));
}

void AppendString(std::vector<uint8_t>* out, std::string_view value) {
  Append<uint64_t>(out, value.size());
  out->insert(out->end(), value.begin(), value.end());
}

template <typename T>
GgufEncodedValue Scalar(GgufValueType type, T value) {
  GgufEncodedValue encoded{type, {}};
  Append(&encoded.payload, value);
  return encoded;
}

template <typename T>
constexpr GgufValueType TypeOf() {
  if constexpr (std::is_same_v<T, uint8_t>) return GgufValueType::kUint8;
  if constexpr (std::is_same_v<T, int8_t>) return GgufValueType::kInt8;
  if constexpr (std::is_same_v<T, uint16_t>) return GgufValueType::kUint16;
  if constexpr (std::is_same_v<T, int16_t>) return GgufValueType::kInt16;
  if constexpr (std::is_same_v<T, uint32_t>) return GgufValueType::kUint32;
  if constexpr (std::is_same_v<T, int32_t>) return GgufValueType::kInt32;
  if constexpr (std::is_same_v<T, uint64_t>) return GgufValueType::kUint64;
  if constexpr (std::is_same_v<T, int64_t>) return GgufValueType::kInt64;
  if constexpr (std::is_same_v<T, float>) return GgufValueType::kFloat32;
  if constexpr (std::is_same_v<T, double>) return GgufValueType::kFloat64;
}

GgufEncodedValue ArrayHeader(GgufValueType elem_type, uint64_t count) {
  GgufEncodedValue encoded{GgufValueType::kArray, {}};
  Append<uint32_t>(&encoded.payload, static_cast<uint32_t>(elem_type));
  Append<uint64_t>(&encoded.payload, count);
  return encoded;
}

GgufEncodedValue EncodeArrayValue(const GgufValue& value) {
  GgufEncodedValue encoded = ArrayHeader(value.elem_type, value.count);
  if (value.elem_type == GgufValueType::kString) {
    for (std::string_view s : value.strings) AppendString(&encoded.payload, s);
  } else if (value.elem_type == GgufValueType::kArray) {
    for (const GgufValue& inner : value.arrays) {
      const GgufEncodedValue nested = EncodeArrayValue(inner);
      encoded.payload.insert(encoded.payload.end(), nested.payload.begin(), nested.payload.end());
    }
  } else if (value.raw != nullptr) {
    encoded.payload.insert(encoded.payload.end(), value.raw,
                           value.raw + value.count * GgufValueTypeSize(value.elem_type));
  }
  return encoded;
}

}  // namespace

GgufEncodedValue EncodeUint8(uint8_t v) { return Scalar(GgufValueType::kUint8, v); }
GgufEncodedValue EncodeInt8(int8_t v) { return Scalar(GgufValueType::kInt8, v); }
GgufEncodedValue EncodeUint16(uint16_t v) { return Scalar(GgufValueType::kUint16, v); }
GgufEncodedValue EncodeInt16(int16_t v) { return Scalar(GgufValueType::kInt16, v); }
GgufEncodedValue EncodeUint32(uint32_t v) { return Scalar(GgufValueType::kUint32, v); }
GgufEncodedValue EncodeInt32(int32_t v) { return Scalar(GgufValueType::kInt32, v); }
GgufEncodedValue EncodeUint64(uint64_t v) { return Scalar(GgufValueType::kUint64, v); }
GgufEncodedValue EncodeInt64(int64_t v) { return Scalar(GgufValueType::kInt64, v); }
GgufEncodedValue EncodeFloat32(float v) { return Scalar(GgufValueType::kFloat32, v); }
GgufEncodedValue EncodeFloat64(double v) { return Scalar(GgufValueType::kFloat64, v); }
GgufEncodedValue EncodeBool(bool v) {
  return Scalar(GgufValueType::kBool, static_cast<uint8_t>(v ? 1 : 0));
}

GgufEncodedValue EncodeString(std::string_view value) {
  GgufEncodedValue encoded{GgufValueType::kString, {}};
  AppendString(&encoded.payload, value);
  return encoded;
}

template <typename T>
GgufEncodedValue EncodeArray(std::span<const T> values) {
  GgufEncodedValue encoded = ArrayHeader(TypeOf<T>(), values.size());
  for (T v : values) Append(&encoded.payload, v);
  return encoded;
}
template GgufEncodedValue EncodeArray<uint8_t>(std::span<const uint8_t>);
template GgufEncodedValue EncodeArray<int8_t>(std::span<const int8_t>);
template GgufEncodedValue EncodeArray<uint16_t>(std::span<const uint16_t>);
template GgufEncodedValue EncodeArray<int16_t>(std::span<const int16_t>);
template GgufEncodedValue EncodeArray<uint32_t>(std::span<const uint32_t>);
template GgufEncodedValue EncodeArray<int32_t>(std::span<const int32_t>);
template GgufEncodedValue EncodeArray<uint64_t>(std::span<const uint64_t>);
template GgufEncodedValue EncodeArray<int64_t>(std::span<const int64_t>);
template GgufEncodedValue EncodeArray<float>(std::span<const float>);
template GgufEncodedValue EncodeArray<double>(std::span<const double>);

GgufEncodedValue EncodeBoolArray(const std::vector<bool>& values) {
  GgufEncodedValue encoded = ArrayHeader(GgufValueType::kBool, values.size());
  for (bool v : values) Append<uint8_t>(&encoded.payload, v ? 1 : 0);
  return encoded;
}

GgufEncodedValue EncodeStringArray(std::span<const std::string> values) {
  GgufEncodedValue encoded = ArrayHeader(GgufValueType::kString, values.size());
  for (const std::string& s : values) AppendString(&encoded.payload, s);
  return encoded;
}

GgufEncodedValue EncodeArrayOfArrays(std::span<const GgufEncodedValue> arrays, bool* ok) {
  if (ok != nullptr) *ok = true;
  GgufEncodedValue encoded = ArrayHeader(GgufValueType::kArray, arrays.size());
  for (const GgufEncodedValue& inner : arrays) {
    if (inner.type != GgufValueType::kArray) {
      if (ok != nullptr) *ok = false;
      return ArrayHeader(GgufValueType::kUint8, 0);
    }
    encoded.payload.insert(encoded.payload.end(), inner.payload.begin(), inner.payload.end());
  }
  return encoded;
}

GgufEncodedValue EncodeValue(const GgufValue& value) {
  switch (value.type) {
    case GgufValueType::kUint8:
      return EncodeUint8(static_cast<uint8_t>(value.u64));
    case GgufValueType::kInt8:
      return EncodeInt8(static_cast<int8_t>(value.i64));
    case GgufValueType::kUint16:
      return EncodeUint16(static_cast<uint16_t>(value.u64));
    case GgufValueType::kInt16:
      return EncodeInt16(static_cast<int16_t>(value.i64));
    case GgufValueType::kUint32:
      return EncodeUint32(static_cast<uint32_t>(value.u64));
    case GgufValueType::kInt32:
      return EncodeInt32(static_cast<int32_t>(value.i64));
    case GgufValueType::kUint64:
      return EncodeUint64(value.u64);
    case GgufValueType::kInt64:
      return EncodeInt64(value.i64);
    case GgufValueType::kFloat32:
      return EncodeFloat32(static_cast<float>(value.f64));
    case GgufValueType::kFloat64:
      return EncodeFloat64(value.f64);
    case GgufValueType::kBool:
      return EncodeBool(value.u64 != 0);
    case GgufValueType::kString:
      return EncodeString(value.str);
    case GgufValueType::kArray:
      return EncodeArrayValue(value);
  }
  return EncodeUint8(0);
}

GgufWriter::GgufWriter(uint32_t version) : version_(version) {
  if (version != 2 && version != 3) {
    Fail(InvalidArgumentError("GGUF writer: version {} is not 2 or 3", version));
  }
}

void GgufWriter::Fail(Status status) {
  if (status_.ok()) status_ = std::move(status);
}

void GgufWriter::Add(std::string key, GgufEncodedValue value) {
  for (const std::string& existing : keys_) {
    if (existing == key) return Fail(InvalidArgumentError("GGUF writer: duplicate key '{}'", key));
  }
  if (key == "general.alignment") {
    uint32_t alignment = 0;
    if (value.type == GgufValueType::kUint32) std::memcpy(&alignment, value.payload.data(), 4);
    if (!IsPowerOfTwo(alignment) || !tensors_.empty()) {
      return Fail(InvalidArgumentError(
          "GGUF writer: general.alignment must be a uint32 power of two set before any tensor"));
    }
    alignment_ = alignment;
  }
  AppendString(&kv_bytes_, key);
  Append<uint32_t>(&kv_bytes_, static_cast<uint32_t>(value.type));
  kv_bytes_.insert(kv_bytes_.end(), value.payload.begin(), value.payload.end());
  keys_.push_back(std::move(key));
  ++kv_count_;
}

bool GgufWriter::CheckTensor(const std::string& name, TensorType type,
                             const std::vector<int64_t>& ne, uint64_t data_size) {
  for (const PendingTensor& t : tensors_) {
    if (t.name == name) {
      Fail(InvalidArgumentError("GGUF writer: duplicate tensor '{}'", name));
      return false;
    }
  }
  std::optional<uint64_t> rows = 1;
  bool dims_ok = ne.size() <= 4;  // no dimensions: a scalar
  for (size_t d = 0; dims_ok && d < ne.size(); ++d) {
    dims_ok = ne[d] > 0;
    if (dims_ok && d > 0 && rows) rows = CheckedMul(*rows, static_cast<uint64_t>(ne[d]));
  }
  const uint64_t row_elems = ne.empty() ? 1 : static_cast<uint64_t>(ne[0]);
  const auto row_bytes = dims_ok ? RowBytes(type, row_elems) : std::nullopt;
  const auto nbytes = row_bytes && rows ? CheckedMul(*row_bytes, *rows) : std::nullopt;
  if (!nbytes) {
    Fail(InvalidArgumentError("GGUF writer: tensor '{}': invalid shape for {}", name,
                              TensorTypeName(type)));
    return false;
  }
  if (*nbytes != data_size) {
    Fail(InvalidArgumentError("GGUF writer: tensor '{}': shape needs {} bytes, got {}", name,
                              *nbytes, data_size));
    return false;
  }
  return true;
}

void GgufWriter::AddTensorView(std::string name, TensorType type, std::vector<int64_t> ne,
                               std::span<const uint8_t> data) {
  if (!CheckTensor(name, type, ne, data.size())) return;
  PendingTensor tensor{std::move(name), type, std::move(ne), {}, data, data_size_};
  data_size_ = *CheckedAlignUp(data_size_ + data.size(), alignment_);
  tensors_.push_back(std::move(tensor));
}

void GgufWriter::AddTensor(std::string name, TensorType type, std::vector<int64_t> ne,
                           std::vector<uint8_t> data) {
  if (!CheckTensor(name, type, ne, data.size())) return;
  const uint64_t size = data.size();
  PendingTensor tensor{std::move(name), type, std::move(ne), std::move(data), {}, data_size_};
  data_size_ = *CheckedAlignUp(data_size_ + size, alignment_);
  tensors_.push_back(std::move(tensor));
}

// Header, metadata and tensor table, padded to the data section's alignment.
std::vector<uint8_t> GgufWriter::EncodeHeaderAndTables() const {
  std::vector<uint8_t> out;
  Append<uint32_t>(&out, kMagic);
  Append<uint32_t>(&out, version_);
  Append<uint64_t>(&out, tensors_.size());
  Append<uint64_t>(&out, kv_count_);
  out.insert(out.end(), kv_bytes_.begin(), kv_bytes_.end());
  for (const PendingTensor& t : tensors_) {
    AppendString(&out, t.name);
    Append<uint32_t>(&out, static_cast<uint32_t>(t.ne.size()));
    for (int64_t dim : t.ne) Append<uint64_t>(&out, static_cast<uint64_t>(dim));
    Append<uint32_t>(&out, static_cast<uint32_t>(t.type));
    Append<uint64_t>(&out, t.offset);
  }
  out.resize(*CheckedAlignUp(out.size(), alignment_), 0);
  return out;
}

// Writes the whole file through `sink(const uint8_t*, size_t) -> Status`.
template <typename Sink>
Status GgufWriter::Emit(Sink& sink) const {
  HEARTH_RETURN_IF_ERROR(status_);
  const std::vector<uint8_t> head = EncodeHeaderAndTables();
  HEARTH_RETURN_IF_ERROR(sink(head.data(), head.size()));
  const std::vector<uint8_t> zeros(alignment_, 0);
  uint64_t written = 0;
  for (const PendingTensor& t : tensors_) {
    HEARTH_RETURN_IF_ERROR(sink(zeros.data(), t.offset - written));
    HEARTH_RETURN_IF_ERROR(sink(t.bytes().data(), t.bytes().size()));
    written = t.offset + t.bytes().size();
  }
  return sink(zeros.data(), data_size_ - written);
}

Result<std::vector<uint8_t>> GgufWriter::WriteToBuffer() const {
  std::vector<uint8_t> out;
  auto sink = [&out](const uint8_t* data, size_t size) {
    out.insert(out.end(), data, data + size);
    return Status::Ok();
  };
  HEARTH_RETURN_IF_ERROR(Emit(sink));
  return out;
}

Status GgufWriter::WriteToFile(const std::string& path) const {
  HEARTH_RETURN_IF_ERROR(status_);
  const std::string temp = path + ".tmp";
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(temp.c_str(), "wb"), &std::fclose);
  if (!file) return IoError("{}: cannot create: {}", temp, std::strerror(errno));
  auto sink = [&](const uint8_t* data, size_t size) {
    if (size == 0 || std::fwrite(data, 1, size, file.get()) == size) return Status::Ok();
    return IoError("{}: write failed: {}", temp, std::strerror(errno));
  };
  Status status = Emit(sink);
  const bool closed = std::fclose(file.release()) == 0;
  if (status.ok() && !closed) status = IoError("{}: close failed: {}", temp, std::strerror(errno));
  if (status.ok() && std::rename(temp.c_str(), path.c_str()) != 0) {
    status = IoError("{}: cannot rename to {}: {}", temp, path, std::strerror(errno));
  }
  if (!status.ok()) std::remove(temp.c_str());
  return status;
}

}  // namespace hearth
