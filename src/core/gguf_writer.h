// GgufWriter: builds a GGUF v3 (or v2) file from metadata and tensors.
//
// Used by tests to build images in memory and by `hearth quantize` to write
// models. Metadata values are encoded up front into GgufEncodedValue (so any
// value, including arrays of arrays, can be built or copied from a parsed
// GgufValue); tensors either borrow their bytes (the caller keeps them alive
// until the write) or own them.
//
// Errors are sticky: Add* calls record the first problem (duplicate key or
// tensor name, bad shape, data of the wrong size, bad general.alignment) and
// WriteToBuffer()/WriteToFile() return it, so building code stays linear.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/gguf.h"
#include "core/status.h"
#include "core/tensor_type.h"

namespace hearth {

// One metadata value in its GGUF encoding: `payload` holds the bytes that
// follow the value's type tag (for an array: element type, count, elements).
struct GgufEncodedValue {
  GgufValueType type = GgufValueType::kUint8;
  std::vector<uint8_t> payload;
};

GgufEncodedValue EncodeUint8(uint8_t value);
GgufEncodedValue EncodeInt8(int8_t value);
GgufEncodedValue EncodeUint16(uint16_t value);
GgufEncodedValue EncodeInt16(int16_t value);
GgufEncodedValue EncodeUint32(uint32_t value);
GgufEncodedValue EncodeInt32(int32_t value);
GgufEncodedValue EncodeUint64(uint64_t value);
GgufEncodedValue EncodeInt64(int64_t value);
GgufEncodedValue EncodeFloat32(float value);
GgufEncodedValue EncodeFloat64(double value);
GgufEncodedValue EncodeBool(bool value);
GgufEncodedValue EncodeString(std::string_view value);

// Arrays. Numeric element types follow the C++ type (uint8_t -> kUint8, ...,
// float -> kFloat32, double -> kFloat64).
template <typename T>
GgufEncodedValue EncodeArray(std::span<const T> values);
GgufEncodedValue EncodeBoolArray(const std::vector<bool>& values);
GgufEncodedValue EncodeStringArray(std::span<const std::string> values);
// Every element must be an array (type kArray); otherwise the result is an
// empty array of uint8 and `ok` (when given) is set to false.
GgufEncodedValue EncodeArrayOfArrays(std::span<const GgufEncodedValue> arrays, bool* ok = nullptr);

// Re-encodes a parsed value (copying metadata from one file to another).
GgufEncodedValue EncodeValue(const GgufValue& value);

class GgufWriter {
 public:
  // `version` is 2 or 3 (the layout is the same; 3 is what current tools write).
  explicit GgufWriter(uint32_t version = 3);

  // Metadata, written in the order added. Adding "general.alignment" (uint32,
  // a power of two) also sets the data alignment; the default is 32.
  void Add(std::string key, GgufEncodedValue value);
  void AddUint32(std::string key, uint32_t value) { Add(std::move(key), EncodeUint32(value)); }
  void AddInt32(std::string key, int32_t value) { Add(std::move(key), EncodeInt32(value)); }
  void AddUint64(std::string key, uint64_t value) { Add(std::move(key), EncodeUint64(value)); }
  void AddFloat32(std::string key, float value) { Add(std::move(key), EncodeFloat32(value)); }
  void AddBool(std::string key, bool value) { Add(std::move(key), EncodeBool(value)); }
  void AddString(std::string key, std::string_view value) {
    Add(std::move(key), EncodeString(value));
  }
  void AddStringArray(std::string key, std::span<const std::string> values) {
    Add(std::move(key), EncodeStringArray(values));
  }
  template <typename T>
  void AddArray(std::string key, std::span<const T> values) {
    Add(std::move(key), EncodeArray<T>(values));
  }
  // Adds general.alignment as uint32.
  void SetAlignment(uint32_t alignment) { AddUint32("general.alignment", alignment); }

  // Tensors, laid out in the order added, each at an aligned offset. `ne` has
  // 0 (a scalar) to 4 positive dimensions in ggml order (ne[0] innermost, a multiple of
  // the type's block size); `data` must hold exactly the tensor's bytes.
  // The borrowing overload keeps a view: `data` must outlive the write.
  void AddTensorView(std::string name, TensorType type, std::vector<int64_t> ne,
                     std::span<const uint8_t> data);
  void AddTensor(std::string name, TensorType type, std::vector<int64_t> ne,
                 std::vector<uint8_t> data);

  // The first error recorded by an Add* call (OK if none).
  const Status& status() const { return status_; }

  Result<std::vector<uint8_t>> WriteToBuffer() const;
  // Writes `path` + ".tmp" and renames it over `path`, so a failed write never
  // leaves a half-written model under the final name.
  Status WriteToFile(const std::string& path) const;

 private:
  struct PendingTensor {
    std::string name;
    TensorType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> owned;         // set by AddTensor
    std::span<const uint8_t> borrowed;  // set by AddTensorView
    uint64_t offset = 0;                // within the data section
    std::span<const uint8_t> bytes() const { return owned.empty() ? borrowed : owned; }
  };

  bool CheckTensor(const std::string& name, TensorType type, const std::vector<int64_t>& ne,
                   uint64_t data_size);
  void Fail(Status status);
  std::vector<uint8_t> EncodeHeaderAndTables() const;
  template <typename Sink>
  Status Emit(Sink& sink) const;

  uint32_t version_;
  uint64_t alignment_ = 32;  // GGUF default; general.alignment overrides
  uint64_t kv_count_ = 0;
  std::vector<uint8_t> kv_bytes_;  // encoded key/value pairs
  std::vector<std::string> keys_;
  std::vector<PendingTensor> tensors_;
  uint64_t data_size_ = 0;  // aligned end of the data section
  Status status_;
};

}  // namespace hearth
