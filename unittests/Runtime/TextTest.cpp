//===- TextTest.cpp - vocabularies and their checkpoint form --------------===//

#include "nngc/Runtime/Text.h"
#include "nngc/Runtime/Safetensors.h"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace nngc::rt;

TEST(Vocabulary, CharRoundTripsThroughItsCheckpointForm) {
  Vocabulary v = Vocabulary::chars("hello\xff\n");
  Vocabulary w = Vocabulary::fromJson(v.kindName(), v.toJson());
  EXPECT_EQ(w.size(), v.size());
  EXPECT_EQ(w.encode("hole\xff"), v.encode("hole\xff"));
  EXPECT_EQ(w.decode(v.encode("hello")), "hello");
}

// Found by nngc-fuzz-data: a byte outside 0..255 was converted to char
// (undefined behaviour); a non-array or a repeated token was accepted.
TEST(Vocabulary, RejectsMalformedCheckpointForms) {
  for (const char *bad : {"[128.5]", "[256]", "[-1]", "[1e300]", "{\"a\":1}",
                          "[97, 97]", "\"abc\""})
    EXPECT_THROW(Vocabulary::fromJson("char", bad), std::runtime_error) << bad;
  EXPECT_THROW(Vocabulary::fromJson("word", "[\"<unk>\", \"<unk>\"]"),
               std::runtime_error);
  EXPECT_THROW(Vocabulary::fromJson("byte", "[]"), std::runtime_error);
}

TEST(Safetensors, ChecksumCoversDataAndMetadata) {
  float w[2] = {1, 2};
  SafetensorsFile f;
  f.tensors["w"] = Tensor::f32({2}, w);
  f.metadata["step"] = "3";
  std::string sum = f.checksum();
  EXPECT_EQ(sum.size(), 16u);
  f.metadata["nngc.checksum"] = "ignored";
  EXPECT_EQ(f.checksum(), sum);
  f.metadata["step"] = "4";
  EXPECT_NE(f.checksum(), sum);
  f.metadata["step"] = "3";
  f.tensors["w"].data[0] ^= 1;
  EXPECT_NE(f.checksum(), sum);
}

// The reference XXH64 test vectors (xxhash's sanity checks).
TEST(Safetensors, Xxh64MatchesTheReference) {
  EXPECT_EQ(hex64(xxh64("", 0)), "ef46db3751d8e999");
  EXPECT_EQ(hex64(xxh64("a", 1)), "d24ec4f1a98c6e5b");
  EXPECT_EQ(hex64(xxh64("abc", 3)), "44bc2cf5ad770999");
  const char *fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(hex64(xxh64(fox, 43)), "0b242d361fda71bc");
}
