//===- Safetensors.cpp - safetensors checkpoints --------------------------===//

#include "nngc/Runtime/Safetensors.h"
#include "nngc/Runtime/Json.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

using namespace nngc::rt;

static size_t dtypeSize(const std::string &dtype) {
  if (dtype == "F32" || dtype == "I32")
    return 4;
  if (dtype == "F64" || dtype == "I64")
    return 8;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16")
    return 2;
  if (dtype == "U8" || dtype == "I8" || dtype == "BOOL")
    return 1;
  return 0;
}

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Tensor Tensor::f32(std::vector<int64_t> shape, const float *values) {
  Tensor t{"F32", std::move(shape), {}};
  t.data.resize(t.numElements() * 4);
  std::memcpy(t.data.data(), values, t.data.size());
  return t;
}

Tensor Tensor::i64(std::vector<int64_t> shape, const int64_t *values) {
  Tensor t{"I64", std::move(shape), {}};
  t.data.resize(t.numElements() * 8);
  std::memcpy(t.data.data(), values, t.data.size());
  return t;
}

const float *Tensor::f32Data() const {
  return reinterpret_cast<const float *>(data.data());
}

SafetensorsFile SafetensorsFile::read(const std::string &path) {
  auto fail = [&](const std::string &what) -> std::runtime_error {
    return std::runtime_error(path + ": " + what);
  };
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    throw fail(std::string("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
    bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  if (bytes.size() < 8)
    throw fail("not a safetensors file (shorter than its 8-byte header "
               "length)");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = headerLen << 8 | bytes[i];
  if (headerLen > bytes.size() - 8)
    throw fail("not a safetensors file (header length " +
               std::to_string(headerLen) + " exceeds the file)");
  Json header;
  try {
    header = Json::parse(
        std::string(bytes.begin() + 8, bytes.begin() + 8 + headerLen));
  } catch (const std::exception &e) {
    throw fail(std::string("bad safetensors header: ") + e.what());
  }
  if (header.kind != Json::Object)
    throw fail("bad safetensors header: not a JSON object");
  size_t dataStart = 8 + headerLen;
  SafetensorsFile file;
  for (const auto &[name, entry] : header.object) {
    if (name == "__metadata__") {
      for (const auto &[k, v] : entry.object)
        if (v.kind == Json::String)
          file.metadata[k] = v.string;
      continue;
    }
    try {
      Tensor t;
      t.dtype = entry.at("dtype").asString();
      t.shape = entry.at("shape").asIntVector();
      std::vector<int64_t> off = entry.at("data_offsets").asIntVector();
      size_t size = dtypeSize(t.dtype);
      if (!size)
        throw std::runtime_error("unsupported dtype " + t.dtype);
      if (off.size() != 2 || off[0] < 0 || off[1] < off[0] ||
          dataStart + off[1] > bytes.size() ||
          static_cast<size_t>(off[1] - off[0]) != t.numElements() * size)
        throw std::runtime_error("data_offsets do not match its shape or the "
                                 "file size");
      t.data.assign(bytes.begin() + dataStart + off[0],
                    bytes.begin() + dataStart + off[1]);
      file.tensors[name] = std::move(t);
    } catch (const std::exception &e) {
      throw fail("tensor '" + name + "': " + e.what());
    }
  }
  return file;
}

void SafetensorsFile::write(const std::string &path) const {
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (const auto &[k, v] : metadata) {
      header += (first ? "" : ",") + jsonQuote(k) + ":" + jsonQuote(v);
      first = false;
    }
    header += "}";
  }
  size_t offset = 0;
  for (const auto &[name, t] : tensors) {
    header += (header.size() > 1 ? "," : "") + jsonQuote(name) +
              ":{\"dtype\":\"" + t.dtype + "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(t.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + t.data.size()) + "]}";
    offset += t.data.size();
  }
  header += "}";
  while (header.size() % 8) // the data starts 8-byte aligned
    header += ' ';

  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
  auto writeAll = [&](const void *p, size_t n) {
    const char *c = static_cast<const char *>(p);
    while (n) {
      ssize_t w = ::write(fd, c, n);
      if (w < 0) {
        if (errno == EINTR)
          continue;
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw std::runtime_error(path +
                                 ": write failed: " + std::strerror(err));
      }
      c += w, n -= w;
    }
  };
  uint8_t len[8];
  for (int i = 0; i < 8; ++i)
    len[i] =
        static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i));
  writeAll(len, 8);
  writeAll(header.data(), header.size());
  for (const auto &[name, t] : tensors)
    writeAll(t.data.data(), t.data.size());
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": cannot flush: " + std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(
        path + ": cannot rename into place: " + std::strerror(err));
  }
}
