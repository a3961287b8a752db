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

/// XXH64 (Yann Collet's xxHash, 64-bit) of `n` bytes.
uint64_t xxh64(const void *data, size_t n, uint64_t seed = 0);
/// `v` as 16 lower-case hex digits.
std::string hex64(uint64_t v);

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;

  /// Throws std::runtime_error naming `path` and the problem: not a
  /// safetensors file, truncated, or (when it carries `nngc.checksum`) a
  /// checksum that does not match its contents.
  static SafetensorsFile read(const std::string &path);
  /// Writes atomically (a temporary file, fsync, rename, fsync of the
  /// folder), with `nngc.checksum` in the metadata; throws
  /// std::runtime_error on failure.
  void write(const std::string &path) const;

  /// XXH64 chained over the metadata (sorted, `nngc.checksum` left out)
  /// and every tensor's name, dtype, shape and bytes: what `nngc.checksum`
  /// holds, as 16 hex digits (docs/Trainer.md, "Checkpoints").
  std::string checksum() const;
};

} // namespace nngc::rt

#endif // NNGC_RUNTIME_SAFETENSORS_H
