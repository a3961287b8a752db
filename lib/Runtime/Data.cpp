//===- Data.cpp - Numeric tables from CSV files (plain or gzip) -----------===//

#include "nngc/Runtime/Data.h"

#include <zlib.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

using namespace nngc::rt;

static std::vector<std::string> splitLine(const std::string &line,
                                          const std::string &delimiter) {
  std::vector<std::string> cells;
  if (delimiter == "whitespace") {
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
        ++i;
      if (i == line.size())
        break;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t')
        ++j;
      cells.push_back(line.substr(i, j - i));
      i = j;
    }
    return cells;
  }
  char d = delimiter[0];
  size_t start = 0;
  while (true) {
    size_t end = line.find(d, start);
    cells.push_back(line.substr(start, end - start));
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return cells;
}

static std::string trim(const std::string &s) {
  size_t a = s.find_first_not_of(" \t\r\"");
  size_t b = s.find_last_not_of(" \t\r\"");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

int64_t Table::column(const std::string &spec) const {
  char *end = nullptr;
  long long index = std::strtoll(spec.c_str(), &end, 10);
  if (!spec.empty() && *end == '\0') {
    int64_t i = index < 0 ? cols + index : index;
    if (i < 0 || i >= cols)
      throw std::runtime_error(path + ": column index " + spec +
                               " is out of range for " + std::to_string(cols) +
                               " columns");
    return i;
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == spec)
      return static_cast<int64_t>(i);
  throw std::runtime_error(path + ": no column named '" + spec + "'" +
                           (names.empty() ? " (the file has no header; give "
                                            "an index)"
                                          : ""));
}

Table nngc::rt::readTable(const std::string &path, const CsvOptions &options) {
  if (options.delimiter != "whitespace" && options.delimiter.size() != 1)
    throw std::runtime_error("--delimiter must be one character or "
                             "'whitespace', got '" +
                             options.delimiter + "'");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw std::runtime_error(path + ": cannot open: " +
                             (errno ? std::strerror(errno) : "gzopen failed"));
  // Closed on every path, the errors `handle` throws included (found by
  // nngc-fuzz-data: each bad file leaked a descriptor).
  std::unique_ptr<gzFile_s, int (*)(gzFile)> closer(f, gzclose);
  Table table;
  table.path = path;
  std::string line;
  char buf[1 << 16];
  int64_t lineNo = 0;
  bool headerSeen = !options.header;
  auto where = [&] { return path + ":" + std::to_string(lineNo) + ": "; };
  auto handle = [&](std::string &l) {
    ++lineNo;
    if (!l.empty() && l.back() == '\r')
      l.pop_back();
    if (lineNo <= options.skipRows)
      return;
    if (trim(l).empty())
      return; // blank lines (e.g. a trailing one) carry no row
    std::vector<std::string> cells = splitLine(l, options.delimiter);
    if (!headerSeen) {
      headerSeen = true;
      for (const std::string &c : cells)
        table.names.push_back(trim(c));
      table.cols = static_cast<int64_t>(cells.size());
      return;
    }
    if (table.cols == 0)
      table.cols = static_cast<int64_t>(cells.size());
    if (static_cast<int64_t>(cells.size()) != table.cols)
      throw std::runtime_error(where() + "expected " +
                               std::to_string(table.cols) + " columns, found " +
                               std::to_string(cells.size()));
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string cell = trim(cells[c]);
      if (cell.empty())
        throw std::runtime_error(where() + "column " + std::to_string(c + 1) +
                                 " is empty");
      char *end = nullptr;
      double v = std::strtod(cell.c_str(), &end);
      if (*end != '\0' || !std::isfinite(v))
        throw std::runtime_error(where() + "column " + std::to_string(c + 1) +
                                 ": '" + cell + "' is not a finite number");
      table.values.push_back(v);
    }
    table.lines.push_back(lineNo);
  };
  while (gzgets(f, buf, sizeof(buf))) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      handle(line);
      line.clear();
    }
  }
  int err = 0;
  std::string msg = gzerror(f, &err); // gzclose frees it
  closer.reset();
  if (err != Z_OK && err != Z_STREAM_END)
    throw std::runtime_error(path + ": read error: " + msg);
  if (!line.empty())
    handle(line);
  if (table.rows() == 0)
    throw std::runtime_error(path + ": no data rows");
  return table;
}
