//===- Text.h - Text corpora and vocabularies for language models -*- C++
//-*-===//
//
// A vocabulary maps tokens to the ids an nn.embedding reads and a
// cross-entropy predicts: bytes (character level, the distinct bytes of the
// training text, sorted, as nanoGPT's shakespeare_char does) or words (the
// most frequent words of the training text plus <unk>). It travels in the
// checkpoint's metadata so that eval and sampling reuse it.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_RUNTIME_TEXT_H
#define NNGC_RUNTIME_TEXT_H

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace nngc::rt {

/// The whole file, gzip-compressed or not; errors name the file.
std::string readTextFile(const std::string &path);

class Vocabulary {
public:
  enum class Kind { Char, Word };

  /// The distinct bytes of `text`, in byte order.
  static Vocabulary chars(const std::string &text);
  /// `<unk>` then the most frequent words of `text` (ties by first
  /// appearance), `maxSize` tokens in all; with `padding`, `<pad>` comes
  /// first (id 0, for classifiers' padded sentences). Words are runs of
  /// letters, digits and apostrophes; every other non-space byte, and each
  /// newline, is a token of its own.
  static Vocabulary words(const std::string &text, int64_t maxSize,
                          bool padding = false);
  /// The same with `specials` (e.g. "<bos>", "<eos>") after `<unk>`.
  static Vocabulary words(const std::string &text, int64_t maxSize,
                          bool padding,
                          const std::vector<std::string> &specials);
  /// The id of `token`, or -1.
  int64_t find(const std::string &token) const;
  /// The token of `id` ("?" outside the vocabulary).
  const std::string &token(int64_t id) const;

  Kind kind() const { return kindValue; }
  int64_t size() const { return static_cast<int64_t>(tokens.size()); }
  /// Ids of `text`; a token outside the vocabulary is an error for bytes
  /// (naming its offset) and <unk> for words.
  std::vector<int64_t> encode(const std::string &text) const;
  /// The text of a sequence of ids (words joined by spaces, no space before
  /// punctuation or after a newline).
  std::string decode(const std::vector<int64_t> &ids) const;

  /// "char" or "word", and the tokens as a JSON array (bytes as numbers),
  /// for checkpoints.
  std::string kindName() const;
  std::string toJson() const;
  static Vocabulary fromJson(const std::string &kind, const std::string &json);

private:
  Kind kindValue = Kind::Char;
  std::vector<std::string> tokens;
  std::unordered_map<std::string, int64_t> index;
  int64_t unk = -1;
  void add(const std::string &token);
};

/// Splits `text` into word-level tokens (see Vocabulary::words).
std::vector<std::string> wordTokens(const std::string &text);

} // namespace nngc::rt

#endif // NNGC_RUNTIME_TEXT_H
