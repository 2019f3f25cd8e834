// MappedFile: a whole file mapped read-only into memory (RAII, move-only).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace hearth {

class MappedFile {
 public:
  // Maps `path` read-only. An empty file maps to data() == nullptr, size() == 0.
  // IoError (naming the path and the OS reason) when it cannot be opened,
  // is not a regular file, or mmap fails.
  static Result<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  MappedFile(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  void Reset();

  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// Drops the whole pages inside [data, data + size) of a read-only file mapping from memory
// (madvise MADV_DONTNEED): they are read back from the file if touched again. For memory
// that a copy has replaced. Precondition: the range lies in a MappedFile's mapping.
void ReleaseMappedPages(const void* data, uint64_t size);

}  // namespace hearth
