//===- Safetensors.h - safetensors checkpoints ----------------*- C++ -*-===//
//
// The format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header mapping each tensor name to
// {dtype, shape, data_offsets}, an optional "__metadata__" string map, then
// the raw data. Writes are atomic: a temporary file in the same folder,
// fsync, rename.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_RUNTIME_SAFETENSORS_H
#define NNGC_RUNTIME_SAFETENSORS_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nngc::rt {

/// One tensor: dtype ("F32", "I64", ...), shape and raw little-endian bytes.
struct Tensor {
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
  static Tensor f32(std::vector<int64_t> shape, const float *values);
  static Tensor i64(std::vector<int64_t> shape, const int64_t *values);
  const float *f32Data() const;
};

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;

  /// Throws std::runtime_error naming `path` and the problem.
  static SafetensorsFile read(const std::string &path);
  /// Writes atomically; throws std::runtime_error on failure.
  void write(const std::string &path) const;
};

} // namespace nngc::rt

#endif // NNGC_RUNTIME_SAFETENSORS_H
