//===- Data.h - Numeric tables from CSV files (plain or gzip) -*- C++ -*-===//

#ifndef NNGC_RUNTIME_DATA_H
#define NNGC_RUNTIME_DATA_H

#include <cstdint>
#include <string>
#include <vector>

namespace nngc::rt {

struct CsvOptions {
  /// The first (non-skipped) line names the columns.
  bool header = true;
  /// Lines to drop before the header or data (e.g. a metadata line).
  int64_t skipRows = 0;
  /// One character, or "whitespace" for runs of spaces and tabs.
  std::string delimiter = ",";
};

/// A rectangular table of numbers, read whole.
struct Table {
  std::string path;
  std::vector<std::string> names; ///< empty without a header
  int64_t cols = 0;
  std::vector<double> values; ///< row-major
  std::vector<int64_t> lines; ///< the file line of each row (1-based)

  int64_t rows() const { return static_cast<int64_t>(lines.size()); }
  double at(int64_t row, int64_t col) const { return values[row * cols + col]; }
  /// A column by name, or by index (negative counts from the end).
  /// Throws std::runtime_error if there is no such column.
  int64_t column(const std::string &spec) const;
};

/// Reads a CSV file, gzip-compressed or not. Every error names the file and
/// line: a missing file, a row with the wrong number of cells, an empty or
/// non-numeric cell, a file without data rows.
Table readTable(const std::string &path, const CsvOptions &options);

} // namespace nngc::rt

#endif // NNGC_RUNTIME_DATA_H
