//===- nngc-fuzz-data.cpp - libFuzzer target for the trainer's readers ----===//
//
// Feeds each input, as a file, to what the trainer reads from users: the
// CSV/whitespace table reader (with and without a header), the text reader
// and both tokenizers (vocabulary, encode, decode, the checkpoint form of
// a vocabulary), the safetensors reader (with its checksum check) and the
// JSON parser. A std::exception is the expected answer to a bad file; a
// crash, a hang or a sanitizer error is a bug. See docs/Testing.md.
//
//===----------------------------------------------------------------------===//

#include "nngc/Runtime/Data.h"
#include "nngc/Runtime/Json.h"
#include "nngc/Runtime/Safetensors.h"
#include "nngc/Runtime/Text.h"

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <unistd.h>

using namespace nngc::rt;

template <typename F> static void expectOnlyExceptions(F &&f) {
  try {
    f();
  } catch (const std::exception &) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 256 * 1024)
    return -1;
  static const std::string path =
      "/tmp/nngc-fuzz-data." + std::to_string(getpid());
  if (FILE *f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  std::string bytes(reinterpret_cast<const char *>(data), size);
  for (const char *delimiter : {",", "whitespace", "\t"})
    for (bool header : {true, false})
      expectOnlyExceptions([&] {
        CsvOptions o;
        o.header = header;
        o.delimiter = delimiter;
        Table t = readTable(path, o);
        if (t.cols > 0)
          (void)t.column("-1");
      });
  expectOnlyExceptions([&] {
    std::string text = readTextFile(path);
    Vocabulary chars = Vocabulary::chars(text);
    std::vector<int64_t> ids = chars.encode(text);
    (void)chars.decode(ids);
    Vocabulary again = Vocabulary::fromJson(chars.kindName(), chars.toJson());
    (void)again.encode(text);
    Vocabulary words = Vocabulary::words(text, 50, /*padding=*/true);
    (void)words.decode(words.encode(text));
  });
  // The input as a vocabulary's checkpoint form.
  expectOnlyExceptions([&] { (void)Vocabulary::fromJson("char", bytes); });
  expectOnlyExceptions([&] { (void)Vocabulary::fromJson("word", bytes); });
  expectOnlyExceptions([&] {
    SafetensorsFile f = SafetensorsFile::read(path);
    for (auto &[name, t] : f.tensors)
      (void)t.numElements();
  });
  expectOnlyExceptions([&] { (void)Json::parse(bytes); });
  return 0;
}
