//===- DataTest.cpp - CSV and gzip loading --------------------------------===//

#include "nngc/Runtime/Data.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

using namespace nngc::rt;

namespace {
std::string writeFile(const char *name, const std::string &text) {
  std::string path =
      std::string(::testing::TempDir()) + name + std::to_string(getpid());
  std::ofstream(path) << text;
  return path;
}

/// Expects `fn` to throw a message containing `needle`.
template <typename F> void expectError(F fn, const std::string &needle) {
  try {
    fn();
    FAIL() << "expected an error containing '" << needle << "'";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << e.what();
  }
}
} // namespace

TEST(Data, ReadsHeaderAndColumnsByNameOrIndex) {
  std::string p = writeFile("h.csv", "a,b,label\n1,2,0\n3.5,-4e1,1\n\n");
  Table t = readTable(p, {});
  EXPECT_EQ(t.rows(), 2);
  EXPECT_EQ(t.cols, 3);
  EXPECT_DOUBLE_EQ(t.at(1, 1), -40);
  EXPECT_EQ(t.column("label"), 2);
  EXPECT_EQ(t.column("-1"), 2);
  EXPECT_EQ(t.column("0"), 0);
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 3}));
  expectError([&] { t.column("nope"); }, "no column named 'nope'");
  expectError([&] { t.column("3"); }, "out of range");
  std::remove(p.c_str());
}

TEST(Data, SkipsRowsAndSplitsOnWhitespace) {
  std::string p = writeFile("ws.txt", "569,30,meta\n 1  2\t3\n4 5 6\n");
  CsvOptions o;
  o.header = false;
  o.skipRows = 1;
  o.delimiter = "whitespace";
  Table t = readTable(p, o);
  EXPECT_EQ(t.rows(), 2);
  EXPECT_EQ(t.cols, 3);
  EXPECT_DOUBLE_EQ(t.at(1, 2), 6);
  std::remove(p.c_str());
}

TEST(Data, ReadsGzip) {
  std::string p =
      std::string(::testing::TempDir()) + "z.csv.gz" + std::to_string(getpid());
  gzFile f = gzopen(p.c_str(), "wb");
  gzputs(f, "1,2\n3,4\n");
  gzclose(f);
  CsvOptions o;
  o.header = false;
  Table t = readTable(p, o);
  EXPECT_EQ(t.rows(), 2);
  EXPECT_DOUBLE_EQ(t.at(1, 0), 3);
  std::remove(p.c_str());
}

TEST(Data, ErrorsNameTheFileAndLine) {
  CsvOptions noHeader;
  noHeader.header = false;
  std::string ragged = writeFile("ragged.csv", "1,2\n3\n");
  expectError([&] { readTable(ragged, noHeader); },
              ragged + ":2: expected 2 columns, found 1");
  std::string word = writeFile("word.csv", "1,2\n3,abc\n");
  expectError([&] { readTable(word, noHeader); },
              word + ":2: column 2: 'abc' is not a finite number");
  std::string empty = writeFile("empty.csv", "1,,2\n");
  expectError([&] { readTable(empty, noHeader); }, ":1: column 2 is empty");
  std::string headerOnly = writeFile("header.csv", "a,b\n");
  expectError([&] { readTable(headerOnly, {}); }, "no data rows");
  expectError([&] { readTable("/nonexistent/file.csv", {}); },
              "/nonexistent/file.csv: cannot open");
  CsvOptions badDelim;
  badDelim.delimiter = "::";
  expectError([&] { readTable(word, badDelim); }, "--delimiter");
  for (const std::string &p : {ragged, word, empty, headerOnly})
    std::remove(p.c_str());
}

// Found by nngc-fuzz-data: every file rejected mid-way leaked its
// descriptor (and zlib's buffers), until open() failed.
TEST(Data, BadFilesLeaveNoDescriptorOpen) {
  auto openFiles = [] {
    int n = 0;
    for (int fd = 0; fd < 4096; ++fd)
      n += ::fcntl(fd, F_GETFD) != -1;
    return n;
  };
  CsvOptions noHeader;
  noHeader.header = false;
  std::string ragged = writeFile("leak.csv", "1,2\n3\n");
  int before = openFiles();
  for (int i = 0; i < 100; ++i)
    EXPECT_THROW(readTable(ragged, noHeader), std::runtime_error);
  EXPECT_EQ(openFiles(), before);
  std::remove(ragged.c_str());
}
