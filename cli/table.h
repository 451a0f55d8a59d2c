// Aligned text tables for rapportctl's default output: a header row and
// columns padded to the widest cell, measured in terminal columns (UTF-8
// aware: combining marks take none, East Asian wide characters and emoji two),
// so "→" and "Zürich" line up like plain ASCII.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace rapport::cli {

// Roughly how many terminal columns `text` (UTF-8) takes. Malformed bytes
// count one column each.
size_t DisplayWidth(absl::string_view text);

// `text` cut to at most `width` columns, ending in "…" when cut. Also turns
// line breaks and tabs into spaces, so one cell stays on one line.
std::string Truncate(absl::string_view text, size_t width);

// `text` followed by spaces up to `width` columns (unchanged when wider).
std::string PadRight(absl::string_view text, size_t width);

// A table printed with two spaces between columns and no trailing spaces.
// Cells past the header's column count are dropped; missing ones are empty.
class Table final {
 public:
  // `header` names the columns; an empty header prints no header row.
  explicit Table(std::vector<std::string> header);

  // Right-aligns column `column` (for numbers).
  Table& AlignRight(size_t column);
  // Cuts cells of column `column` to `width` columns (see Truncate).
  Table& MaxWidth(size_t column, size_t width);

  // Appends a row.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // Writes the header (if any) and every row.
  void Print(std::ostream& os) const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<size_t> max_width_;  // 0: no limit.
  std::vector<std::vector<std::string>> rows_;
};

// Prints (label, value) pairs as two aligned columns without a header:
// the layout of every `show` command.
void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields, std::ostream& os);

}  // namespace rapport::cli
