// GGUF parsing: header, metadata, tensor table, data-section layout checks.
// Typed accessors and GgufValue helpers live in gguf_value.cpp.
#include "core/gguf.h"

#include <algorithm>
#include <bit>  // std::endian
#include <cstring>
#include <limits>
#include <unordered_set>
#include <utility>

#include "core/checked_math.h"
#include "core/mmap_file.h"

namespace hearth {

static_assert(std::endian::native == std::endian::little,
              "GGUF values are read with memcpy: a little-endian host is required");

namespace {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian uint32
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint64_t kMaxTensorNameBytes = 64;  // the GGUF spec's limit
constexpr int kMaxDims = 4;

// Smallest encodings, used to reject counts that cannot fit in the bytes left
// before anything is allocated for them.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;              // key length, type, uint8 value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset
constexpr uint64_t kMinStringBytes = 8;                  // length only
constexpr uint64_t kMinArrayBytes = 4 + 8;               // element type, count

bool IsKnownValueType(uint32_t raw) {
  return raw <= static_cast<uint32_t>(GgufValueType::kFloat64);
}

// Reads one GGUF image front to back. Every read is bounds-checked against the
// bytes that remain; every error names the file and the field being read.
class Parser {
 public:
  Parser(const std::string& file, const uint8_t* bytes, uint64_t size, const GgufLimits& limits)
      : file_(file), bytes_(bytes), size_(size), limits_(limits) {}

  Status ParseHeader(uint32_t* version, uint64_t* kv_count, uint64_t* tensor_count);
  Status ParseMetadata(uint64_t kv_count, std::vector<std::pair<std::string, GgufValue>>* out);
  Status ParseTensorInfos(uint64_t tensor_count, std::vector<GgufTensorInfo>* out);
  Status ResolveAlignment(const std::vector<std::pair<std::string, GgufValue>>& metadata,
                          uint64_t* alignment);
  Status PlaceTensorData(uint64_t alignment, std::vector<GgufTensorInfo>* tensors);

 private:
  uint64_t remaining() const { return size_ - pos_; }

  template <typename... Args>
  Status Corrupt(std::string_view field, fmt::format_string<Args...> format, Args&&... args) const {
    return CorruptError("{}: {}: {}", file_, field,
                        fmt::format(format, std::forward<Args>(args)...));
  }

  // Fails unless `n` more bytes are available at the cursor.
  Status Need(uint64_t n, std::string_view field) const {
    if (n <= remaining()) return Status::Ok();
    return Corrupt(field, "truncated: needs {} bytes at offset {} but the file has {} left", n,
                   pos_, remaining());
  }

  template <typename T>
  Status Read(T* out, std::string_view field) {
    HEARTH_RETURN_IF_ERROR(Need(sizeof(T), field));
    std::memcpy(out, bytes_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status ReadString(std::string_view* out, uint64_t max_bytes, std::string_view field);
  // `describe` renders a count for messages: "array of 5 elements", "5 tensors".
  using Describe = std::string (*)(uint64_t count);
  Status ReadCount(uint64_t* out, uint64_t limit, uint64_t min_elem_bytes, Describe describe,
                   std::string_view field);
  Status ParseValue(GgufValueType type, int depth, std::string_view field, GgufValue* out);
  Status ParseArray(int depth, std::string_view field, GgufValue* out);
  Status ParseScalar(GgufValueType type, std::string_view field, GgufValue* out);
  Status ParseTensorInfo(uint64_t index, GgufTensorInfo* out);
  Status ParseTensorShape(std::string_view field, GgufTensorInfo* out);

  const std::string& file_;
  const uint8_t* bytes_;
  uint64_t size_;
  const GgufLimits& limits_;
  uint64_t pos_ = 0;
  uint64_t nested_arrays_ = 0;  // arrays inside arrays seen so far
};

Status Parser::ReadString(std::string_view* out, uint64_t max_bytes, std::string_view field) {
  uint64_t length = 0;
  HEARTH_RETURN_IF_ERROR(Read(&length, field));
  if (length > max_bytes) {
    return Corrupt(field, "string of {} bytes exceeds the limit of {}", length, max_bytes);
  }
  HEARTH_RETURN_IF_ERROR(Need(length, field));
  *out = std::string_view(reinterpret_cast<const char*>(bytes_ + pos_), length);
  pos_ += length;
  return Status::Ok();
}

// Reads a uint64 count and rejects it when above `limit` or when even the
// smallest encoding of that many elements cannot fit in the remaining bytes.
Status Parser::ReadCount(uint64_t* out, uint64_t limit, uint64_t min_elem_bytes, Describe describe,
                         std::string_view field) {
  HEARTH_RETURN_IF_ERROR(Read(out, field));
  if (*out > limit) return Corrupt(field, "{} exceeds the limit of {}", describe(*out), limit);
  const auto min_bytes = CheckedMul(*out, min_elem_bytes);
  if (!min_bytes || *min_bytes > remaining()) {
    return Corrupt(field, "truncated: {} cannot fit in the {} bytes left at offset {}",
                   describe(*out), remaining(), pos_);
  }
  return Status::Ok();
}

std::string DescribeArray(uint64_t count) { return fmt::format("array of {} elements", count); }
std::string DescribeTensors(uint64_t count) { return fmt::format("{} tensors", count); }
std::string DescribeEntries(uint64_t count) { return fmt::format("{} metadata entries", count); }

Status Parser::ParseHeader(uint32_t* version, uint64_t* kv_count, uint64_t* tensor_count) {
  uint32_t magic = 0;
  HEARTH_RETURN_IF_ERROR(Read(&magic, "header: magic"));
  if (magic != kGgufMagic) {
    const uint8_t* b = bytes_;
    return Corrupt(
        "header: magic",
        "not a GGUF file (starts with bytes {:02x} {:02x} {:02x} {:02x}, expected \"GGUF\")", b[0],
        b[1], b[2], b[3]);
  }
  HEARTH_RETURN_IF_ERROR(Read(version, "header: version"));
  if (*version == 1) {
    return UnsupportedError(
        "{}: header: version: GGUF version 1 is not supported (only 2 and 3); re-convert the "
        "model with a current converter",
        file_);
  }
  if (__builtin_bswap32(*version) == 2 || __builtin_bswap32(*version) == 3) {
    return UnsupportedError("{}: header: version: big-endian GGUF files are not supported", file_);
  }
  if (*version != 2 && *version != 3) {
    return UnsupportedError("{}: header: version: GGUF version {} is not supported (only 2 and 3)",
                            file_, *version);
  }
  HEARTH_RETURN_IF_ERROR(ReadCount(tensor_count, limits_.max_tensor_count, kMinTensorInfoBytes,
                                   DescribeTensors, "header: tensor_count"));
  HEARTH_RETURN_IF_ERROR(
      ReadCount(kv_count, limits_.max_kv_count, kMinKvBytes, DescribeEntries, "header: kv_count"));
  return Status::Ok();
}

Status Parser::ParseMetadata(uint64_t kv_count,
                             std::vector<std::pair<std::string, GgufValue>>* out) {
  out->reserve(kv_count);
  std::unordered_set<std::string_view> seen;
  for (uint64_t i = 0; i < kv_count; ++i) {
    const std::string key_field = fmt::format("metadata entry #{}: key", i);
    std::string_view key;
    HEARTH_RETURN_IF_ERROR(ReadString(&key, limits_.max_string_bytes, key_field));
    const std::string field = fmt::format("metadata key '{}'", key);
    if (!seen.insert(key).second) return Corrupt(field, "duplicate key");
    uint32_t raw_type = 0;
    HEARTH_RETURN_IF_ERROR(Read(&raw_type, field));
    if (!IsKnownValueType(raw_type)) return Corrupt(field, "unknown value type {}", raw_type);
    GgufValue value;
    HEARTH_RETURN_IF_ERROR(ParseValue(static_cast<GgufValueType>(raw_type), 0, field, &value));
    out->emplace_back(std::string(key), std::move(value));
  }
  return Status::Ok();
}

Status Parser::ParseValue(GgufValueType type, int depth, std::string_view field, GgufValue* out) {
  out->type = type;
  if (type == GgufValueType::kArray) return ParseArray(depth + 1, field, out);
  if (type == GgufValueType::kString) {
    return ReadString(&out->str, limits_.max_string_bytes, field);
  }
  return ParseScalar(type, field, out);
}

Status Parser::ParseScalar(GgufValueType type, std::string_view field, GgufValue* out) {
  const uint64_t size = GgufValueTypeSize(type);
  HEARTH_RETURN_IF_ERROR(Need(size, field));
  const uint8_t* p = bytes_ + pos_;
  pos_ += size;
  auto load = [p](auto sample) {
    decltype(sample) v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  };
  switch (type) {
    case GgufValueType::kUint8:
      out->u64 = load(uint8_t{});
      break;
    case GgufValueType::kUint16:
      out->u64 = load(uint16_t{});
      break;
    case GgufValueType::kUint32:
      out->u64 = load(uint32_t{});
      break;
    case GgufValueType::kUint64:
      out->u64 = load(uint64_t{});
      break;
    case GgufValueType::kInt8:
      out->i64 = load(int8_t{});
      break;
    case GgufValueType::kInt16:
      out->i64 = load(int16_t{});
      break;
    case GgufValueType::kInt32:
      out->i64 = load(int32_t{});
      break;
    case GgufValueType::kInt64:
      out->i64 = load(int64_t{});
      break;
    case GgufValueType::kFloat32:
      out->f64 = load(float{});
      break;
    case GgufValueType::kFloat64:
      out->f64 = load(double{});
      break;
    case GgufValueType::kBool:
      if (*p > 1) return Corrupt(field, "bool value {} is neither 0 nor 1", *p);
      out->u64 = *p;
      break;
    case GgufValueType::kString:
    case GgufValueType::kArray:
      break;  // handled by ParseValue
  }
  return Status::Ok();
}

// `depth` is 1 for a top-level array, 2 for an array inside it, and so on.
Status Parser::ParseArray(int depth, std::string_view field, GgufValue* out) {
  out->type = GgufValueType::kArray;
  if (depth > limits_.max_array_depth) {
    return Corrupt(field, "arrays nested {} deep exceed the limit of {}", depth,
                   limits_.max_array_depth);
  }
  uint32_t raw_elem_type = 0;
  HEARTH_RETURN_IF_ERROR(Read(&raw_elem_type, field));
  if (!IsKnownValueType(raw_elem_type)) {
    return Corrupt(field, "array of unknown element type {}", raw_elem_type);
  }
  out->elem_type = static_cast<GgufValueType>(raw_elem_type);
  const uint64_t fixed = GgufValueTypeSize(out->elem_type);
  const uint64_t min_elem = fixed                                      ? fixed
                            : out->elem_type == GgufValueType::kString ? kMinStringBytes
                                                                       : kMinArrayBytes;
  HEARTH_RETURN_IF_ERROR(
      ReadCount(&out->count, limits_.max_array_elems, min_elem, DescribeArray, field));
  if (fixed != 0) {  // the whole array fits: ReadCount checked count * fixed
    out->raw = bytes_ + pos_;
    pos_ += out->count * fixed;
    if (out->elem_type == GgufValueType::kBool) {
      for (uint64_t i = 0; i < out->count; ++i) {
        if (out->raw[i] > 1)
          return Corrupt(field, "element {}: bool value {} is neither 0 nor 1", i, out->raw[i]);
      }
    }
    return Status::Ok();
  }
  if (out->elem_type == GgufValueType::kString) {
    out->strings.resize(out->count);
    for (uint64_t i = 0; i < out->count; ++i) {
      HEARTH_RETURN_IF_ERROR(ReadString(&out->strings[i], limits_.max_string_bytes, field));
    }
    return Status::Ok();
  }
  nested_arrays_ += out->count;  // cannot wrap: both terms are capped far below 2^63
  if (nested_arrays_ > limits_.max_nested_arrays) {
    return Corrupt(field, "arrays of arrays hold more than {} arrays in the file (the limit)",
                   limits_.max_nested_arrays);
  }
  out->arrays.resize(out->count);
  for (uint64_t i = 0; i < out->count; ++i) {
    HEARTH_RETURN_IF_ERROR(ParseArray(depth + 1, field, &out->arrays[i]));
  }
  return Status::Ok();
}

Status Parser::ParseTensorInfos(uint64_t tensor_count, std::vector<GgufTensorInfo>* out) {
  out->resize(tensor_count);
  std::unordered_set<std::string_view> seen;
  for (uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo& info = (*out)[i];
    HEARTH_RETURN_IF_ERROR(ParseTensorInfo(i, &info));
    if (!seen.insert(info.name).second) {
      return Corrupt(fmt::format("tensor '{}'", info.name), "duplicate tensor name");
    }
  }
  return Status::Ok();
}

Status Parser::ParseTensorInfo(uint64_t index, GgufTensorInfo* out) {
  std::string_view name;
  HEARTH_RETURN_IF_ERROR(
      ReadString(&name, kMaxTensorNameBytes, fmt::format("tensor #{}: name", index)));
  out->name = std::string(name);
  const std::string field = fmt::format("tensor '{}'", name);
  uint32_t n_dims = 0;
  HEARTH_RETURN_IF_ERROR(Read(&n_dims, field));
  if (n_dims > kMaxDims)
    return Corrupt(field, "{} dimensions exceed the limit of {}", n_dims, kMaxDims);
  out->n_dims = static_cast<int>(n_dims);
  for (int d = 0; d < out->n_dims; ++d) {
    uint64_t dim = 0;
    HEARTH_RETURN_IF_ERROR(Read(&dim, field));
    if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Corrupt(field, "dimension {} has invalid size {}", d, dim);
    }
    out->ne[d] = static_cast<int64_t>(dim);
  }
  uint32_t raw_type = 0;
  HEARTH_RETURN_IF_ERROR(Read(&raw_type, field));
  const auto traits = LookupTensorType(raw_type);
  if (!traits) return UnsupportedError("{}: {}: unknown tensor type {}", file_, field, raw_type);
  out->type = traits->type;
  HEARTH_RETURN_IF_ERROR(Read(&out->offset, field));
  return ParseTensorShape(field, out);
}

// Computes nbytes, rejecting shapes whose element count or byte size overflow.
Status Parser::ParseTensorShape(std::string_view field, GgufTensorInfo* out) {
  std::optional<uint64_t> elems = 1;
  for (int64_t dim : out->ne)
    elems = elems ? CheckedMul(*elems, static_cast<uint64_t>(dim)) : elems;
  if (!elems || *elems > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Corrupt(field, "shape [{}, {}, {}, {}] has too many elements", out->ne[0], out->ne[1],
                   out->ne[2], out->ne[3]);
  }
  const auto row_bytes = RowBytes(out->type, static_cast<uint64_t>(out->ne[0]));
  if (!row_bytes) {
    return Corrupt(field, "row of {} elements is not a multiple of the {} block size {}",
                   out->ne[0], TensorTypeName(out->type), TraitsOf(out->type).block_elems);
  }
  const auto nbytes = CheckedMul(*row_bytes, *elems / static_cast<uint64_t>(out->ne[0]));
  if (!nbytes) return Corrupt(field, "byte size overflows 64 bits");
  out->nbytes = *nbytes;
  return Status::Ok();
}

Status Parser::ResolveAlignment(const std::vector<std::pair<std::string, GgufValue>>& metadata,
                                uint64_t* alignment) {
  *alignment = kDefaultAlignment;
  constexpr std::string_view kKey = "general.alignment";
  for (const auto& [key, value] : metadata) {
    if (key != kKey) continue;
    const std::string field = fmt::format("metadata key '{}'", kKey);
    if (value.type != GgufValueType::kUint32) {
      return Corrupt(field, "expected uint32, got {}", GgufValueTypeName(value.type));
    }
    if (!IsPowerOfTwo(value.u64)) return Corrupt(field, "{} is not a power of two", value.u64);
    if (value.u64 > limits_.max_alignment) {
      return Corrupt(field, "{} exceeds the limit of {}", value.u64, limits_.max_alignment);
    }
    *alignment = value.u64;
  }
  return Status::Ok();
}

// The data section starts at the aligned end of the tensor table; each tensor
// must be aligned, lie inside the file and not overlap another.
Status Parser::PlaceTensorData(uint64_t alignment, std::vector<GgufTensorInfo>* tensors) {
  const auto aligned_end = CheckedAlignUp(pos_, alignment);
  if (!aligned_end) return Corrupt("tensor table", "aligned end overflows 64 bits");
  const uint64_t data_start = *aligned_end;
  std::vector<const GgufTensorInfo*> by_offset;
  by_offset.reserve(tensors->size());
  for (GgufTensorInfo& info : *tensors) {
    const std::string field = fmt::format("tensor '{}'", info.name);
    if (info.offset % alignment != 0) {
      return Corrupt(field, "data offset {} is not a multiple of the alignment {}", info.offset,
                     alignment);
    }
    const auto begin = CheckedAdd(data_start, info.offset);
    const auto end = begin ? CheckedAdd(*begin, info.nbytes) : std::nullopt;
    if (!end || *end > size_) {
      return Corrupt(field,
                     "data ({} bytes at data offset {}) runs past the end of the file ({} bytes)",
                     info.nbytes, info.offset, size_);
    }
    info.data = bytes_ + *begin;
    by_offset.push_back(&info);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const auto* a, const auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensorInfo& prev = *by_offset[i - 1];
    const GgufTensorInfo& next = *by_offset[i];
    if (prev.offset + prev.nbytes > next.offset) {  // both ends are inside the file: no overflow
      return Corrupt(fmt::format("tensor '{}'", next.name),
                     "data at offset {} overlaps tensor '{}'", next.offset, prev.name);
    }
  }
  return Status::Ok();
}

}  // namespace

std::string_view GgufValueTypeName(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
      return "uint8";
    case GgufValueType::kInt8:
      return "int8";
    case GgufValueType::kUint16:
      return "uint16";
    case GgufValueType::kInt16:
      return "int16";
    case GgufValueType::kUint32:
      return "uint32";
    case GgufValueType::kInt32:
      return "int32";
    case GgufValueType::kFloat32:
      return "float32";
    case GgufValueType::kBool:
      return "bool";
    case GgufValueType::kString:
      return "string";
    case GgufValueType::kArray:
      return "array";
    case GgufValueType::kUint64:
      return "uint64";
    case GgufValueType::kInt64:
      return "int64";
    case GgufValueType::kFloat64:
      return "float64";
  }
  return "unknown";
}

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path,
                                                 const GgufLimits& limits) {
  HEARTH_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::Open(path));
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = path;
  file->mapping_ = std::make_unique<MappedFile>(std::move(mapped));
  file->bytes_ = file->mapping_->data();
  file->size_ = file->mapping_->size();
  HEARTH_RETURN_IF_ERROR(file->Parse(limits));
  return file;
}

Result<std::unique_ptr<GgufFile>> GgufFile::FromBytes(std::string display_name,
                                                      const uint8_t* bytes, uint64_t size,
                                                      const GgufLimits& limits) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = std::move(display_name);
  file->bytes_ = bytes;
  file->size_ = size;
  HEARTH_RETURN_IF_ERROR(file->Parse(limits));
  return file;
}

GgufFile::~GgufFile() = default;

Status GgufFile::Parse(const GgufLimits& limits) {
  Parser parser(path_, bytes_, size_, limits);
  uint64_t kv_count = 0;
  uint64_t tensor_count = 0;
  HEARTH_RETURN_IF_ERROR(parser.ParseHeader(&version_, &kv_count, &tensor_count));
  HEARTH_RETURN_IF_ERROR(parser.ParseMetadata(kv_count, &metadata_));
  HEARTH_RETURN_IF_ERROR(parser.ResolveAlignment(metadata_, &alignment_));
  HEARTH_RETURN_IF_ERROR(parser.ParseTensorInfos(tensor_count, &tensors_));
  HEARTH_RETURN_IF_ERROR(parser.PlaceTensorData(alignment_, &tensors_));
  for (size_t i = 0; i < metadata_.size(); ++i) metadata_index_.emplace(metadata_[i].first, i);
  for (size_t i = 0; i < tensors_.size(); ++i) tensor_index_.emplace(tensors_[i].name, i);
  return Status::Ok();
}

uint64_t GgufValueTypeSize(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    case GgufValueType::kString:
    case GgufValueType::kArray:
      return 0;
  }
  return 0;
}

}  // namespace hearth
