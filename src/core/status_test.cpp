#include "core/status.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgumentError("value {} is not positive", v);
  return v;
}

Status UsesMacros(int v, int* out) {
  HEARTH_ASSIGN_OR_RETURN(*out, ParsePositive(v));
  HEARTH_RETURN_IF_ERROR(Status::Ok());
  return Status::Ok();
}

TEST(StatusTest, OkByDefault) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.ToString(), "ok");
}

TEST(StatusTest, FormatsCodeAndMessage) {
  Status status = CorruptError("tensor '{}' runs past the end", "w");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kCorrupt);
  EXPECT_EQ(status.ToString(), "corrupt: tensor 'w' runs past the end");
  EXPECT_EQ(status.WithContext("a.gguf").message(), "a.gguf: tensor 'w' runs past the end");
}

TEST(StatusTest, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(UsesMacros(5, &out).ok());
  EXPECT_EQ(out, 5);
  Status failed = UsesMacros(-1, &out);
  EXPECT_EQ(failed.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(failed.message(), "value -1 is not positive");
}

TEST(StatusTest, ResultFromOkStatusIsAnError) {
  Result<int> result{Status::Ok()};
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace hearth
