//===- Json.cpp - A small JSON reader -------------------------------------===//

#include "nngc/Runtime/Json.h"

#include <cstdlib>
#include <cstring>

using namespace nngc::rt;

namespace {
struct Parser {
  const std::string &s;
  size_t i = 0;

  [[noreturn]] void fail(const std::string &what) {
    throw std::runtime_error("invalid JSON at byte " + std::to_string(i) +
                             ": " + what);
  }
  void ws() {
    while (i < s.size() && std::strchr(" \t\r\n", s[i]))
      ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c))
      fail(std::string("expected '") + c + "'");
  }
  std::string str() {
    expect('"');
    std::string out;
    while (true) {
      if (i >= s.size())
        fail("unterminated string");
      char c = s[i++];
      if (c == '"')
        return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size())
        fail("unterminated escape");
      char e = s[i++];
      switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        if (i + 4 > s.size())
          fail("bad \\u escape");
        unsigned code = std::stoul(s.substr(i, 4), nullptr, 16);
        i += 4;
        if (code < 0x80) {
          out += static_cast<char>(code);
        } else if (code < 0x800) {
          out += static_cast<char>(0xC0 | (code >> 6));
          out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
          out += static_cast<char>(0xE0 | (code >> 12));
          out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (code & 0x3F));
        }
        break;
      }
      default:
        out += e;
      }
    }
  }
  Json value() {
    ws();
    if (i >= s.size())
      fail("unexpected end");
    Json v;
    char c = s[i];
    if (c == '{') {
      ++i;
      v.kind = Json::Object;
      if (eat('}'))
        return v;
      do {
        ws();
        std::string key = str();
        expect(':');
        v.object[key] = value();
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++i;
      v.kind = Json::Array;
      if (eat(']'))
        return v;
      do
        v.array.push_back(value());
      while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.kind = Json::String;
      v.string = str();
    } else if (s.compare(i, 4, "true") == 0) {
      i += 4, v.kind = Json::Bool, v.boolean = true;
    } else if (s.compare(i, 5, "false") == 0) {
      i += 5, v.kind = Json::Bool;
    } else if (s.compare(i, 4, "null") == 0) {
      i += 4;
    } else {
      const char *begin = s.c_str() + i;
      char *end = nullptr;
      v.number = std::strtod(begin, &end);
      if (end == begin)
        fail("unexpected character");
      v.kind = Json::Number;
      i += end - begin;
    }
    return v;
  }
};
} // namespace

Json Json::parse(const std::string &text) {
  Parser p{text};
  Json v = p.value();
  p.ws();
  if (p.i != text.size())
    p.fail("trailing characters");
  return v;
}

const Json &Json::at(const std::string &key) const {
  if (kind != Object)
    throw std::runtime_error("JSON: expected an object with '" + key + "'");
  auto it = object.find(key);
  if (it == object.end())
    throw std::runtime_error("JSON: missing key '" + key + "'");
  return it->second;
}

bool Json::has(const std::string &key) const {
  return kind == Object && object.count(key) && object.at(key).kind != Null;
}

double Json::asNumber() const {
  if (kind != Number)
    throw std::runtime_error("JSON: expected a number");
  return number;
}

int64_t Json::asInt() const { return static_cast<int64_t>(asNumber()); }

const std::string &Json::asString() const {
  if (kind != String)
    throw std::runtime_error("JSON: expected a string");
  return string;
}

std::vector<int64_t> Json::asIntVector() const {
  if (kind != Array)
    throw std::runtime_error("JSON: expected an array");
  std::vector<int64_t> out;
  for (const Json &v : array)
    out.push_back(v.asInt());
  return out;
}

std::string nngc::rt::jsonQuote(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}
