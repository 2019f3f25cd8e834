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

// Zero-filled private anonymous memory (RAII, move-only) for large buffers that are filled
// once and then streamed (packed weights): transparent huge pages are requested (fewer page
// faults and TLB misses), and pages never touched never become resident.
class AnonymousMapping {
 public:
  // An empty mapping (data() == nullptr) when size is 0 or the kernel refuses.
  static AnonymousMapping Create(uint64_t size);

  AnonymousMapping() = default;
  ~AnonymousMapping();
  AnonymousMapping(AnonymousMapping&& other) noexcept;
  AnonymousMapping& operator=(AnonymousMapping&& other) noexcept;
  AnonymousMapping(const AnonymousMapping&) = delete;
  AnonymousMapping& operator=(const AnonymousMapping&) = delete;

  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  AnonymousMapping(uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  void Reset();

  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace hearth
