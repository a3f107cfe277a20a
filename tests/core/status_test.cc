#include "core/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace ccow {
namespace {

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("odd");
  return v / 2;
}

Status UseHalf(int v, int* out) {
  CCOW_ASSIGN_OR_RETURN(*out, Half(v));
  return Status::OK();
}

TEST(StatusTest, OkStatusHasNoMessage) {
  EXPECT_TRUE(Status::OK().ok());
  EXPECT_EQ(Status::OK().ToString(), "ok");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status st = Status::NotFound("object a/b/c/d does not exist");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(st.IsNotFound());
  EXPECT_EQ(st.ToString(), "not found: object a/b/c/d does not exist");
  EXPECT_EQ(st.WithContext("get").ToString(), "not found: get: object a/b/c/d does not exist");
}

TEST(StatusTest, FullDiskErrnoMapsToNoSpace) {
  EXPECT_EQ(Status::FromErrno(ENOSPC, "write").code(), Code::kNoSpace);
  EXPECT_EQ(Status::FromErrno(EIO, "write").code(), Code::kIOError);
}

TEST(StatusTest, AssignOrReturnPropagatesErrors) {
  int out = 0;
  EXPECT_TRUE(UseHalf(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(UseHalf(3, &out).code(), Code::kInvalidArgument);
}

// The file layer's POSIX refusals keep their exact errno through context, under the
// nearest general code; other statuses answer the errno of their code.
TEST(StatusTest, PosixErrnoIsKeptAndDerived) {
  Status s = Status::Posix(ENOTEMPTY, "directory d is not empty").WithContext("rmdir");
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.posix_errno(), ENOTEMPTY);
  EXPECT_EQ(Status::Posix(EISDIR, "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(Status::Posix(EISDIR, "x").posix_errno(), EISDIR);
  EXPECT_EQ(Status::Posix(ENOENT, "x").code(), Code::kNotFound);
  EXPECT_EQ(Status::NotFound("x").posix_errno(), ENOENT);
  EXPECT_EQ(Status::IOError("x").posix_errno(), EIO);
  EXPECT_EQ(Status::OK().posix_errno(), 0);
}

}  // namespace
}  // namespace ccow
