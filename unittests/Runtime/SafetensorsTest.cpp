//===- SafetensorsTest.cpp - checkpoint format ----------------------------===//

#include "nngc/Runtime/Safetensors.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace nngc::rt;

namespace {
std::string tempPath(const char *name) {
  return std::string(::testing::TempDir()) + name + std::to_string(getpid());
}
} // namespace

TEST(Safetensors, RoundTripsTensorsAndMetadata) {
  std::string path = tempPath("roundtrip.safetensors");
  float w[6] = {1, -2, 3.5f, 0, 1e-8f, 7};
  int64_t step = 42;
  SafetensorsFile f;
  f.tensors["fc.weight"] = Tensor::f32({2, 3}, w);
  f.tensors["optimizer.step"] = Tensor::i64({}, &step);
  f.metadata["epoch"] = "3";
  f.write(path);

  SafetensorsFile g = SafetensorsFile::read(path);
  ASSERT_EQ(g.tensors.size(), 2u);
  const Tensor &t = g.tensors.at("fc.weight");
  EXPECT_EQ(t.dtype, "F32");
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(t.f32Data()[i], w[i]);
  EXPECT_EQ(g.tensors.at("optimizer.step").shape.size(), 0u);
  EXPECT_EQ(g.metadata.at("epoch"), "3");
  std::remove(path.c_str());
}

TEST(Safetensors, DataStartsEightByteAligned) {
  std::string path = tempPath("aligned.safetensors");
  float v = 1;
  SafetensorsFile f;
  f.tensors["x"] = Tensor::f32({1}, &v);
  f.write(path);
  std::ifstream in(path, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char *>(&n), 8);
  EXPECT_EQ(n % 8, 0u);
  std::remove(path.c_str());
}

TEST(Safetensors, RejectsBadFilesWithTheirPath) {
  std::string path = tempPath("bad.safetensors");
  {
    std::ofstream out(path, std::ios::binary);
    uint64_t n = 1000; // longer than the file
    out.write(reinterpret_cast<char *>(&n), 8);
    out << "{}";
  }
  try {
    SafetensorsFile::read(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  {
    std::ofstream out(path, std::ios::binary);
    std::string header =
        R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}})";
    uint64_t n = header.size();
    out.write(reinterpret_cast<char *>(&n), 8);
    out << header << "12345678";
  }
  EXPECT_THROW(SafetensorsFile::read(path), std::runtime_error);
  EXPECT_THROW(SafetensorsFile::read(path + ".missing"), std::runtime_error);
  std::remove(path.c_str());
}

TEST(Safetensors, WritesAtomicallyWithoutLeavingTemporaries) {
  std::string path = tempPath("atomic.safetensors");
  float v = 2;
  SafetensorsFile f;
  f.tensors["x"] = Tensor::f32({1}, &v);
  f.write(path);
  f.write(path); // replaces the first file in one rename
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  EXPECT_FALSE(std::ifstream(tmp).good());
  EXPECT_EQ(SafetensorsFile::read(path).tensors.at("x").f32Data()[0], 2.f);
  // Into a folder that does not exist: an error, not a crash.
  EXPECT_THROW(f.write("/nonexistent-dir/x.safetensors"), std::runtime_error);
  std::remove(path.c_str());
}
