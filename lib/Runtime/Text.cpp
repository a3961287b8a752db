//===- Text.cpp - Text corpora and vocabularies ---------------------------===//

#include "nngc/Runtime/Text.h"
#include "nngc/Runtime/Json.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

using namespace nngc::rt;

std::string nngc::rt::readTextFile(const std::string &path) {
  errno = 0;
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw std::runtime_error(path + ": cannot open: " +
                             (errno ? std::strerror(errno) : "gzopen failed"));
  std::string text;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0)
    text.append(buf, n);
  int err = 0;
  std::string msg = gzerror(f, &err); // gzclose frees it
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    throw std::runtime_error(path + ": read error: " + msg);
  return text;
}

void Vocabulary::add(const std::string &token) {
  index.emplace(token, static_cast<int64_t>(tokens.size()));
  tokens.push_back(token);
}

Vocabulary Vocabulary::chars(const std::string &text) {
  bool seen[256] = {};
  for (unsigned char c : text)
    seen[c] = true;
  Vocabulary v;
  v.kindValue = Kind::Char;
  for (int c = 0; c < 256; ++c)
    if (seen[c])
      v.add(std::string(1, static_cast<char>(c)));
  return v;
}

static bool isWordByte(unsigned char c) {
  return std::isalnum(c) || c == '\'' || c >= 0x80;
}

std::vector<std::string> nngc::rt::wordTokens(const std::string &text) {
  std::vector<std::string> out;
  size_t i = 0, n = text.size();
  while (i < n) {
    unsigned char c = text[i];
    if (c == '\n') {
      out.emplace_back("\n");
      ++i;
    } else if (std::isspace(c)) {
      ++i;
    } else if (isWordByte(c)) {
      size_t j = i;
      while (j < n && isWordByte(text[j]))
        ++j;
      out.push_back(text.substr(i, j - i));
      i = j;
    } else {
      out.emplace_back(1, static_cast<char>(c));
      ++i;
    }
  }
  return out;
}

Vocabulary Vocabulary::words(const std::string &text, int64_t maxSize,
                             bool padding) {
  return words(text, maxSize, padding, {});
}

int64_t Vocabulary::find(const std::string &token) const {
  auto it = index.find(token);
  return it == index.end() ? -1 : it->second;
}

const std::string &Vocabulary::token(int64_t id) const {
  static const std::string unknown = "?";
  return id >= 0 && id < size() ? tokens[id] : unknown;
}

Vocabulary Vocabulary::words(const std::string &text, int64_t maxSize,
                             bool padding,
                             const std::vector<std::string> &specials) {
  if (maxSize < 2 + padding + static_cast<int64_t>(specials.size()))
    throw std::runtime_error("a word vocabulary needs room for <unk> and one "
                             "word");
  std::unordered_map<std::string, std::pair<int64_t, int64_t>> counts;
  int64_t order = 0;
  for (const std::string &w : wordTokens(text)) {
    auto [it, fresh] = counts.try_emplace(w, 0, order);
    order += fresh;
    ++it->second.first;
  }
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> ranked(
      counts.begin(), counts.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) {
    if (a.second.first != b.second.first)
      return a.second.first > b.second.first;
    return a.second.second < b.second.second;
  });
  Vocabulary v;
  v.kindValue = Kind::Word;
  if (padding)
    v.add("<pad>");
  v.unk = v.size();
  v.add("<unk>");
  for (const std::string &t : specials)
    v.add(t);
  for (const auto &r : ranked) {
    if (v.size() >= maxSize)
      break;
    v.add(r.first);
  }
  return v;
}

std::vector<int64_t> Vocabulary::encode(const std::string &text) const {
  std::vector<int64_t> ids;
  if (kindValue == Kind::Char) {
    ids.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      auto it = index.find(std::string(1, text[i]));
      if (it == index.end()) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "0x%02x",
                      static_cast<unsigned char>(text[i]));
        throw std::runtime_error("byte " + std::string(hex) + " at offset " +
                                 std::to_string(i) +
                                 " is not in the model's vocabulary");
      }
      ids.push_back(it->second);
    }
    return ids;
  }
  for (const std::string &w : wordTokens(text)) {
    auto it = index.find(w);
    ids.push_back(it == index.end() ? unk : it->second);
  }
  return ids;
}

std::string Vocabulary::decode(const std::vector<int64_t> &ids) const {
  std::string out;
  for (int64_t id : ids) {
    const std::string &t =
        id >= 0 && id < size() ? tokens[id] : std::string("?");
    if (kindValue == Kind::Word && !out.empty() && out.back() != '\n' &&
        t != "\n" && isWordByte(static_cast<unsigned char>(t[0])))
      out += ' ';
    out += t;
  }
  return out;
}

std::string Vocabulary::kindName() const {
  return kindValue == Kind::Char ? "char" : "word";
}

std::string Vocabulary::toJson() const {
  std::string s = "[";
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i)
      s += ",";
    // Bytes as numbers: a lone byte >= 0x80 is not UTF-8, and the
    // safetensors header must be.
    s += kindValue == Kind::Char
             ? std::to_string(static_cast<unsigned char>(tokens[i][0]))
             : jsonQuote(tokens[i]);
  }
  return s + "]";
}

Vocabulary Vocabulary::fromJson(const std::string &kind,
                                const std::string &json) {
  Vocabulary v;
  if (kind != "char" && kind != "word")
    throw std::runtime_error("unknown vocabulary kind '" + kind + "'");
  v.kindValue = kind == "char" ? Kind::Char : Kind::Word;
  Json arr = Json::parse(json);
  if (arr.kind != Json::Array)
    throw std::runtime_error("the vocabulary is not a JSON array");
  for (const Json &t : arr.array) {
    if (v.kindValue == Kind::Word) {
      v.add(t.asString());
      continue;
    }
    double b = t.asNumber();
    if (!(b >= 0 && b <= 255) || b != static_cast<int>(b))
      throw std::runtime_error("a char vocabulary holds bytes 0..255, not " +
                               std::to_string(b));
    v.add(std::string(1, static_cast<char>(static_cast<unsigned char>(b))));
  }
  if (v.index.size() != v.tokens.size())
    throw std::runtime_error("the vocabulary lists a token twice");
  if (v.kindValue == Kind::Word) {
    auto it = v.index.find("<unk>");
    v.unk = it == v.index.end() ? 0 : it->second;
  }
  return v;
}
