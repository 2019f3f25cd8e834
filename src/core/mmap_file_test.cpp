#include "core/mmap_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "core/gguf.h"

namespace hearth {
namespace {

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name + std::to_string(::getpid());
  FILE* file = std::fopen(path.c_str(), "wb");
  EXPECT_NE(file, nullptr);
  if (file != nullptr) {
    std::fwrite(contents.data(), 1, contents.size(), file);
    std::fclose(file);
  }
  return path;
}

TEST(MappedFileTest, MapsContentsAndMoves) {
  const std::string path = WriteTempFile("mapped_", "hello mmap");
  auto mapped = MappedFile::Open(path);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  ASSERT_EQ(mapped->size(), 10u);
  EXPECT_EQ(std::memcmp(mapped->data(), "hello mmap", 10), 0);
  MappedFile moved = std::move(*mapped);
  EXPECT_EQ(mapped->data(), nullptr);  // NOLINT: checking the moved-from state
  EXPECT_EQ(moved.size(), 10u);
  EXPECT_EQ(moved.data()[4], 'o');
  std::remove(path.c_str());
}

TEST(MappedFileTest, EmptyFileMapsToNothing) {
  const std::string path = WriteTempFile("empty_", "");
  auto mapped = MappedFile::Open(path);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_EQ(mapped->size(), 0u);
  EXPECT_EQ(mapped->data(), nullptr);
  // An empty .gguf is corrupt, not an I/O error.
  auto gguf = GgufFile::Open(path);
  EXPECT_EQ(gguf.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(gguf.status().message().find("header: magic: truncated"), std::string::npos);
  std::remove(path.c_str());
}

TEST(MappedFileTest, ErrorsNameThePath) {
  auto missing = MappedFile::Open("/no/such/file.gguf");
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  EXPECT_EQ(missing.status().message(),
            "/no/such/file.gguf: cannot open: No such file or directory");
  auto directory = MappedFile::Open("/tmp");
  EXPECT_EQ(directory.status().message(), "/tmp: not a regular file");
}

}  // namespace
}  // namespace hearth
