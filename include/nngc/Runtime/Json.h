//===- Json.h - A small JSON reader for manifests and checkpoints -*- C++
//-*-===//
//
// The runtime is plain C++ with no LLVM dependency, so it carries its own
// reader for the two JSON documents it meets: the model manifest and
// safetensors headers.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_RUNTIME_JSON_H
#define NNGC_RUNTIME_JSON_H

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace nngc::rt {

/// A parsed JSON value.
struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;

  /// Throws std::runtime_error with the offset of the first error.
  static Json parse(const std::string &text);

  /// Object member access; throws if this is not an object or lacks `key`.
  const Json &at(const std::string &key) const;
  bool has(const std::string &key) const;
  int64_t asInt() const;
  double asNumber() const;
  const std::string &asString() const;
  std::vector<int64_t> asIntVector() const;
};

/// Quotes and escapes `s` as a JSON string.
std::string jsonQuote(const std::string &s);

} // namespace nngc::rt

#endif // NNGC_RUNTIME_JSON_H
