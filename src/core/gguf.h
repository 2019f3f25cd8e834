// GgufFile: a GGUF v2/v3 model file, memory-mapped and validated.
//
// Contract: Open() checks every count, length, size and offset against the real
// file size with overflow-safe arithmetic before allocating or reading, so a
// successfully opened file never leads to a read outside the mapping. Errors
// name the file, the field and what is wrong. Metadata strings and tensor data
// are views into the mapping: the GgufFile must outlive them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "core/tensor_type.h"

namespace hearth {

class MappedFile;

enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view GgufValueTypeName(GgufValueType type);

// Bytes of one element of a fixed-size type; 0 for kString and kArray.
uint64_t GgufValueTypeSize(GgufValueType type);

// One metadata value. Scalars are widened (all integers to int64/uint64, floats
// to double) but keep their declared `type`. Arrays keep their element type;
// numeric arrays are views of the raw little-endian elements in the file.
class GgufValue {
 public:
  GgufValueType type = GgufValueType::kUint8;

  // Scalars (valid for the matching `type`).
  uint64_t u64 = 0;      // kUint8/16/32/64, kBool (0/1)
  int64_t i64 = 0;       // kInt8/16/32/64
  double f64 = 0;        // kFloat32/64
  std::string_view str;  // kString

  // Arrays (type == kArray).
  GgufValueType elem_type = GgufValueType::kUint8;
  uint64_t count = 0;
  const uint8_t* raw = nullptr;           // numeric/bool elements, packed
  std::vector<std::string_view> strings;  // elem_type == kString
  std::vector<GgufValue> arrays;          // elem_type == kArray (arrays of arrays)

  // Whether `type` (for an array: `elem_type`) is an integer type (bool is
  // not) or a floating-point type.
  bool is_integer() const;
  bool is_float() const;
  // Element i of a numeric array as int64/double (precondition: i < count).
  // IntAt truncates float elements toward zero (saturating) and wraps uint64
  // values above INT64_MAX; both return 0 for string or array elements.
  int64_t IntAt(uint64_t i) const;
  double FloatAt(uint64_t i) const;
};

struct GgufTensorInfo {
  std::string name;
  TensorType type = TensorType::kF32;
  int n_dims = 0;
  std::array<int64_t, 4> ne = {1, 1, 1, 1};  // ggml order: ne[0] innermost
  uint64_t offset = 0;                       // from the start of the data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // into the mapping
};

struct GgufLimits {
  uint64_t max_string_bytes = 64ull << 20;  // one metadata string
  uint64_t max_array_elems = 1ull << 28;    // one metadata array
  uint64_t max_kv_count = 1ull << 20;
  uint64_t max_tensor_count = 1ull << 20;
  uint64_t max_alignment = 1ull << 20;
  int max_array_depth = 8;
  // Arrays inside arrays, summed over the whole file. Each costs far more
  // memory parsed than its 12 bytes on disk, so this bounds the blow-up.
  uint64_t max_nested_arrays = 1ull << 20;
};

class GgufFile {
 public:
  // Maps and validates `path`.
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path,
                                                const GgufLimits& limits = {});
  // Parses an in-memory image (tests, fuzzing). `bytes` must outlive the result;
  // `display_name` is used in error messages in place of a path.
  static Result<std::unique_ptr<GgufFile>> FromBytes(std::string display_name, const uint8_t* bytes,
                                                     uint64_t size, const GgufLimits& limits = {});
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t file_size() const { return size_; }
  uint64_t alignment() const { return alignment_; }
  const uint8_t* bytes() const { return bytes_; }
  // Whether the bytes are a read-only mapping of the file (Open), not a caller's buffer.
  bool is_mapped() const { return mapping_ != nullptr; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* Find(std::string_view key) const;

  // Typed accessors. NotFound if the key is missing; Corrupt (naming the key,
  // the expected and the actual type) if it has the wrong type or range.
  Result<std::string_view> GetString(std::string_view key) const;
  Result<uint64_t> GetUint(std::string_view key) const;  // any integer type, value >= 0
  Result<int64_t> GetInt(std::string_view key) const;    // any integer type
  Result<double> GetFloat(std::string_view key) const;   // float32/64 (integers accepted)
  Result<bool> GetBool(std::string_view key) const;
  // An array whose elements have `elem_type` (for integers, any integer type
  // matches kInt32/kUint32 requests is NOT assumed: the type must match exactly
  // unless `any_integer` is true).
  Result<const GgufValue*> GetArray(std::string_view key, GgufValueType elem_type,
                                    bool any_integer = false) const;

  // The same, with a default when the key is absent (wrong types still fail).
  Result<uint64_t> GetUintOr(std::string_view key, uint64_t fallback) const;
  Result<double> GetFloatOr(std::string_view key, double fallback) const;
  Result<bool> GetBoolOr(std::string_view key, bool fallback) const;
  Result<std::string_view> GetStringOr(std::string_view key, std::string_view fallback) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  // NotFound naming the tensor when absent.
  Result<TensorView> GetTensor(std::string_view name) const;

 private:
  GgufFile() = default;
  Status Parse(const GgufLimits& limits);

  std::string path_;
  const uint8_t* bytes_ = nullptr;
  uint64_t size_ = 0;
  std::unique_ptr<MappedFile> mapping_;  // set when Open() owns an mmap
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  // Lookup indexes into metadata_ and tensors_ (keys view their strings).
  std::unordered_map<std::string_view, size_t> metadata_index_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

}  // namespace hearth
