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

//===----------------------------------------------------------------------===//
// XXH64 (the reference algorithm, xxhash.h's XXH64)
//===----------------------------------------------------------------------===//

namespace {
constexpr uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL,
                   P3 = 0x165667B19E3779F9ULL, P4 = 0x85EBCA77C2B2AE63ULL,
                   P5 = 0x27D4EB2F165667C5ULL;
uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
uint64_t read64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t read32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t round64(uint64_t acc, uint64_t in) {
  return rotl(acc + in * P2, 31) * P1;
}
uint64_t merge64(uint64_t acc, uint64_t v) {
  return (acc ^ round64(0, v)) * P1 + P4;
}
} // namespace

uint64_t nngc::rt::xxh64(const void *data, size_t n, uint64_t seed) {
  const auto *p = static_cast<const uint8_t *>(data);
  const uint8_t *end = p + n;
  uint64_t h;
  if (n >= 32) {
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    for (; p + 32 <= end; p += 32) {
      v1 = round64(v1, read64(p));
      v2 = round64(v2, read64(p + 8));
      v3 = round64(v3, read64(p + 16));
      v4 = round64(v4, read64(p + 24));
    }
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = merge64(merge64(merge64(merge64(h, v1), v2), v3), v4);
  } else {
    h = seed + P5;
  }
  h += n;
  for (; p + 8 <= end; p += 8)
    h = rotl(h ^ round64(0, read64(p)), 27) * P1 + P4;
  if (p + 4 <= end) {
    h = rotl(h ^ (uint64_t(read32(p)) * P1), 23) * P2 + P3;
    p += 4;
  }
  for (; p < end; ++p)
    h = rotl(h ^ (*p * P5), 11) * P1;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

std::string nngc::rt::hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

std::string SafetensorsFile::checksum() const {
  uint64_t h = 0;
  auto add = [&](const std::string &s) {
    h = xxh64(s.data(), s.size() + 1, h);
  };
  for (const auto &[k, v] : metadata)
    if (k != "nngc.checksum") {
      add(k);
      add(v);
    }
  for (const auto &[name, t] : tensors) {
    add(name);
    add(t.dtype);
    std::string shape;
    for (int64_t d : t.shape)
      shape += std::to_string(d) + ",";
    add(shape);
    h = xxh64(t.data.data(), t.data.size(), h);
  }
  return hex64(h);
}

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
    throw fail("not a safetensors file, or truncated (header length " +
               std::to_string(headerLen) + " exceeds the file's " +
               std::to_string(bytes.size()) + " bytes)");
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
          static_cast<size_t>(off[1] - off[0]) != t.numElements() * size)
        throw std::runtime_error("data_offsets do not match its shape");
      if (dataStart + off[1] > bytes.size())
        throw std::runtime_error(
            "the file is truncated: its data ends at byte " +
            std::to_string(dataStart + off[1]) + " but the file has " +
            std::to_string(bytes.size()));
      t.data.assign(bytes.begin() + dataStart + off[0],
                    bytes.begin() + dataStart + off[1]);
      file.tensors[name] = std::move(t);
    } catch (const std::exception &e) {
      throw fail("tensor '" + name + "': " + e.what());
    }
  }
  auto sum = file.metadata.find("nngc.checksum");
  if (sum != file.metadata.end() && sum->second != file.checksum())
    throw fail("checksum mismatch (the file says " + sum->second +
               ", its contents give " + file.checksum() +
               "): the file is corrupted");
  return file;
}

void SafetensorsFile::write(const std::string &path) const {
  std::string header = "{";
  bool first = true;
  std::map<std::string, std::string> meta = metadata;
  meta["nngc.checksum"] = checksum();
  {
    header += "\"__metadata__\":{";
    for (const auto &[k, v] : meta) {
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
  // The rename is durable once the folder's entry is on disk.
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  int dfd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}
