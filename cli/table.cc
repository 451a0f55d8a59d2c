#include "cli/table.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace rapport::cli {
namespace {

// Decodes one UTF-8 code point at `text[*i]` and advances `*i`; a malformed
// byte decodes as itself and advances by one.
char32_t NextCodePoint(absl::string_view text, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(*i);
  int extra = 0;
  char32_t cp = b0;
  if (b0 >= 0xF0 && b0 < 0xF8) {
    extra = 3;
    cp = b0 & 0x07;
  } else if (b0 >= 0xE0) {
    extra = 2;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xC0) {
    extra = 1;
    cp = b0 & 0x1F;
  }
  if ((b0 >= 0x80 && extra == 0) || *i + extra >= text.size() + (extra == 0 ? 1 : 0)) {
    ++*i;
    return b0;
  }
  for (int k = 1; k <= extra; ++k) {
    const unsigned char b = byte(*i + k);
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *i += 1 + extra;
  return cp;
}

// Columns one code point takes: a rough wcwidth().
int CodePointWidth(char32_t cp) {
  if (cp == 0) return 0;
  // Combining marks, zero-width joiners and variation selectors.
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
      (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
      (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
      (cp >= 0xFE20 && cp <= 0xFE2F)) {
    return 0;
  }
  // East Asian wide and fullwidth ranges, and emoji.
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
      (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) width += CodePointWidth(NextCodePoint(text, &i));
  return width;
}

std::string Truncate(absl::string_view text, size_t width) {
  std::string flat(text);
  std::replace_if(
      flat.begin(), flat.end(), [](char ch) { return ch == '\n' || ch == '\r' || ch == '\t'; },
      ' ');
  if (DisplayWidth(flat) <= width) return flat;
  if (width == 0) return "";
  std::string out;
  size_t used = 0;
  for (size_t i = 0; i < flat.size();) {
    const size_t start = i;
    const int w = CodePointWidth(NextCodePoint(flat, &i));
    if (used + w > width - 1) break;  // Keep a column for the ellipsis.
    used += w;
    out.append(flat, start, i - start);
  }
  return out + "…";
}

std::string PadRight(absl::string_view text, size_t width) {
  const size_t used = DisplayWidth(text);
  return std::string(text) + std::string(used < width ? width - used : 0, ' ');
}

Table::Table(std::vector<std::string> header)
    : header_(std::move(header)), right_(header_.size()), max_width_(header_.size()) {}

Table& Table::AlignRight(size_t column) {
  if (column < right_.size()) right_[column] = true;
  return *this;
}

Table& Table::MaxWidth(size_t column, size_t width) {
  if (column < max_width_.size()) max_width_[column] = width;
  return *this;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    cells[i] = Truncate(cells[i], max_width_[i] > 0 ? max_width_[i] : cells[i].size());
  }
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& os) const {
  const size_t n = header_.size();
  std::vector<size_t> widths(n);
  std::vector<const std::vector<std::string>*> lines;
  const bool with_header =
      std::any_of(header_.begin(), header_.end(), [](const std::string& h) { return !h.empty(); });
  if (with_header) lines.push_back(&header_);
  for (const auto& row : rows_) lines.push_back(&row);
  for (const auto* line : lines) {
    for (size_t i = 0; i < n; ++i) widths[i] = std::max(widths[i], DisplayWidth((*line)[i]));
  }
  for (const auto* line : lines) {
    std::string text;
    for (size_t i = 0; i < n; ++i) {
      const std::string& cell = (*line)[i];
      const std::string pad(widths[i] - DisplayWidth(cell), ' ');
      if (i > 0) text += "  ";
      text += right_[i] ? pad + cell : cell + pad;
    }
    text.erase(text.find_last_not_of(' ') + 1);
    os << text << "\n";
  }
}

void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields, std::ostream& os) {
  Table table({"", ""});
  for (const auto& [label, value] : fields) table.AddRow({label, value});
  table.Print(os);
}

}  // namespace rapport::cli
