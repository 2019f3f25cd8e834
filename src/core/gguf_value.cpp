// GgufValue element access and GgufFile's typed metadata/tensor accessors.
#include <cmath>
#include <cstring>
#include <limits>

#include "core/gguf.h"

namespace hearth {
namespace {

bool IsIntegerType(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
      return true;
    default:
      return false;
  }
}

bool IsSignedType(GgufValueType type) {
  return type == GgufValueType::kInt8 || type == GgufValueType::kInt16 ||
         type == GgufValueType::kInt32 || type == GgufValueType::kInt64;
}

bool IsFloatType(GgufValueType type) {
  return type == GgufValueType::kFloat32 || type == GgufValueType::kFloat64;
}

template <typename T>
T LoadElement(const uint8_t* raw, uint64_t i) {
  T value;
  std::memcpy(&value, raw + i * sizeof(T), sizeof(T));
  return value;
}

// "uint32" for scalars, "array of float32" for arrays.
std::string DescribeType(const GgufValue& value) {
  if (value.type != GgufValueType::kArray) return std::string(GgufValueTypeName(value.type));
  return fmt::format("array of {}", GgufValueTypeName(value.elem_type));
}

// Float to int64 without undefined behaviour: truncates, saturates, NaN -> 0.
int64_t SaturatingToInt64(double value) {
  if (std::isnan(value)) return 0;
  if (value >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
  if (value <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

}  // namespace

bool GgufValue::is_integer() const {
  return IsIntegerType(type == GgufValueType::kArray ? elem_type : type);
}

bool GgufValue::is_float() const {
  return IsFloatType(type == GgufValueType::kArray ? elem_type : type);
}

int64_t GgufValue::IntAt(uint64_t i) const {
  if (raw == nullptr) return 0;
  switch (elem_type) {
    case GgufValueType::kUint8:
    case GgufValueType::kBool:
      return LoadElement<uint8_t>(raw, i);
    case GgufValueType::kInt8:
      return LoadElement<int8_t>(raw, i);
    case GgufValueType::kUint16:
      return LoadElement<uint16_t>(raw, i);
    case GgufValueType::kInt16:
      return LoadElement<int16_t>(raw, i);
    case GgufValueType::kUint32:
      return LoadElement<uint32_t>(raw, i);
    case GgufValueType::kInt32:
      return LoadElement<int32_t>(raw, i);
    case GgufValueType::kUint64:
      return static_cast<int64_t>(LoadElement<uint64_t>(raw, i));
    case GgufValueType::kInt64:
      return LoadElement<int64_t>(raw, i);
    case GgufValueType::kFloat32:
    case GgufValueType::kFloat64:
      return SaturatingToInt64(FloatAt(i));
    case GgufValueType::kString:
    case GgufValueType::kArray:
      return 0;
  }
  return 0;
}

double GgufValue::FloatAt(uint64_t i) const {
  if (raw == nullptr) return 0;
  switch (elem_type) {
    case GgufValueType::kFloat32:
      return LoadElement<float>(raw, i);
    case GgufValueType::kFloat64:
      return LoadElement<double>(raw, i);
    case GgufValueType::kUint64:
      return static_cast<double>(LoadElement<uint64_t>(raw, i));
    default:
      return static_cast<double>(IntAt(i));
  }
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  const auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

namespace {

// Shared lookup for the typed accessors: NotFound or the value.
Result<const GgufValue*> Lookup(const GgufFile& file, std::string_view key) {
  const GgufValue* value = file.Find(key);
  if (value == nullptr) return NotFoundError("{}: metadata key '{}' not found", file.path(), key);
  return value;
}

Status WrongType(const GgufFile& file, std::string_view key, std::string_view expected,
                 const GgufValue& value) {
  return CorruptError("{}: metadata key '{}': expected {}, got {}", file.path(), key, expected,
                      DescribeType(value));
}

}  // namespace

Result<std::string_view> GgufFile::GetString(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const GgufValue* value, Lookup(*this, key));
  if (value->type != GgufValueType::kString) return WrongType(*this, key, "string", *value);
  return value->str;
}

Result<uint64_t> GgufFile::GetUint(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const GgufValue* value, Lookup(*this, key));
  if (!IsIntegerType(value->type)) return WrongType(*this, key, "an unsigned integer", *value);
  if (!IsSignedType(value->type)) return value->u64;
  if (value->i64 < 0) {
    return CorruptError("{}: metadata key '{}': value {} is negative, expected an unsigned integer",
                        path_, key, value->i64);
  }
  return static_cast<uint64_t>(value->i64);
}

Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const GgufValue* value, Lookup(*this, key));
  if (!IsIntegerType(value->type)) return WrongType(*this, key, "an integer", *value);
  if (IsSignedType(value->type)) return value->i64;
  if (value->u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return CorruptError("{}: metadata key '{}': value {} does not fit in int64", path_, key,
                        value->u64);
  }
  return static_cast<int64_t>(value->u64);
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const GgufValue* value, Lookup(*this, key));
  if (IsFloatType(value->type)) return value->f64;
  if (IsSignedType(value->type)) return static_cast<double>(value->i64);
  if (IsIntegerType(value->type)) return static_cast<double>(value->u64);
  return WrongType(*this, key, "a number", *value);
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const GgufValue* value, Lookup(*this, key));
  if (value->type != GgufValueType::kBool) return WrongType(*this, key, "bool", *value);
  return value->u64 != 0;
}

Result<const GgufValue*> GgufFile::GetArray(std::string_view key, GgufValueType elem_type,
                                            bool any_integer) const {
  HEARTH_ASSIGN_OR_RETURN(const GgufValue* value, Lookup(*this, key));
  const bool matches = value->type == GgufValueType::kArray &&
                       (value->elem_type == elem_type || (any_integer && IsIntegerType(elem_type) &&
                                                          IsIntegerType(value->elem_type)));
  if (!matches) {
    const std::string expected = any_integer && IsIntegerType(elem_type)
                                     ? std::string("array of integers")
                                     : fmt::format("array of {}", GgufValueTypeName(elem_type));
    return WrongType(*this, key, expected, *value);
  }
  return value;
}

Result<uint64_t> GgufFile::GetUintOr(std::string_view key, uint64_t fallback) const {
  return Find(key) == nullptr ? Result<uint64_t>(fallback) : GetUint(key);
}

Result<double> GgufFile::GetFloatOr(std::string_view key, double fallback) const {
  return Find(key) == nullptr ? Result<double>(fallback) : GetFloat(key);
}

Result<bool> GgufFile::GetBoolOr(std::string_view key, bool fallback) const {
  return Find(key) == nullptr ? Result<bool>(fallback) : GetBool(key);
}

Result<std::string_view> GgufFile::GetStringOr(std::string_view key,
                                               std::string_view fallback) const {
  return Find(key) == nullptr ? Result<std::string_view>(fallback) : GetString(key);
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Result<TensorView> GgufFile::GetTensor(std::string_view name) const {
  const GgufTensorInfo* info = FindTensor(name);
  if (info == nullptr) return NotFoundError("{}: tensor '{}' not found", path_, name);
  TensorView view;
  view.name = info->name;
  view.type = info->type;
  view.n_dims = info->n_dims;
  view.ne = info->ne;
  view.data = info->data;
  view.nbytes = info->nbytes;
  return view;
}

}  // namespace hearth
