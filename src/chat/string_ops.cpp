#include "chat/string_ops.h"

#include <algorithm>

namespace hearth::chat {
namespace {

bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAsciiLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAsciiAlpha(char c) { return IsAsciiUpper(c) || IsAsciiLower(c); }
char ToUpper(char c) { return IsAsciiLower(c) ? static_cast<char>(c - 32) : c; }
char ToLower(char c) { return IsAsciiUpper(c) ? static_cast<char>(c + 32) : c; }

size_t CharLen(std::string_view s, size_t pos) {
  size_t j = pos + 1;
  while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xc0) == 0x80) ++j;
  return j - pos;
}

bool InCharSet(std::string_view ch, const std::vector<std::string>& set) {
  return std::find(set.begin(), set.end(), ch) != set.end();
}

}  // namespace

std::string PyStrip(std::string_view s, const std::optional<std::string>& chars, bool left,
                    bool right) {
  if (!chars) {
    if (left) s = PyStripLeft(s);
    if (right) s = PyStripRight(s);
    return std::string(s);
  }
  const std::vector<std::string> set = Utf8Chars(*chars);
  std::vector<std::string> text = Utf8Chars(s);
  size_t begin = 0;
  size_t end = text.size();
  if (left) {
    while (begin < end && InCharSet(text[begin], set)) ++begin;
  }
  if (right) {
    while (end > begin && InCharSet(text[end - 1], set)) --end;
  }
  std::string out;
  for (size_t i = begin; i < end; ++i) out += text[i];
  return out;
}

std::vector<std::string> PySplit(std::string_view s, const std::optional<std::string>& sep,
                                 int64_t maxsplit, bool from_right) {
  std::vector<std::string> parts;
  if (sep) {
    if (!from_right) {
      size_t start = 0;
      while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
        const size_t pos = s.find(*sep, start);
        if (pos == std::string_view::npos) break;
        parts.emplace_back(s.substr(start, pos - start));
        start = pos + sep->size();
      }
      parts.emplace_back(s.substr(start));
      return parts;
    }
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      if (end < sep->size()) break;
      const size_t pos = s.rfind(*sep, end - sep->size());
      if (pos == std::string_view::npos) break;
      parts.emplace_back(s.substr(pos + sep->size(), end - pos - sep->size()));
      end = pos;
    }
    parts.emplace_back(s.substr(0, end));
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  // Whitespace runs; leading/trailing whitespace never makes empty parts.
  std::vector<std::pair<size_t, size_t>> words;  // [begin, end)
  size_t pos = 0;
  size_t len = 0;
  while (pos < s.size()) {
    while (pos < s.size() && IsPyWhitespaceAt(s, pos, &len)) pos += len;
    if (pos >= s.size()) break;
    const size_t begin = pos;
    while (pos < s.size() && !IsPyWhitespaceAt(s, pos, &len)) pos += CharLen(s, pos);
    words.emplace_back(begin, pos);
  }
  if (maxsplit < 0 || static_cast<size_t>(maxsplit) + 1 >= words.size()) {
    for (auto [b, e] : words) parts.emplace_back(s.substr(b, e - b));
    return parts;
  }
  const size_t keep = static_cast<size_t>(maxsplit);
  if (!from_right) {
    for (size_t i = 0; i < keep; ++i)
      parts.emplace_back(s.substr(words[i].first, words[i].second - words[i].first));
    parts.emplace_back(s.substr(words[keep].first));
    return parts;
  }
  const size_t first_tail = words.size() - keep;
  parts.emplace_back(s.substr(0, words[first_tail - 1].second));
  for (size_t i = first_tail; i < words.size(); ++i) {
    parts.emplace_back(s.substr(words[i].first, words[i].second - words[i].first));
  }
  return parts;
}

std::vector<std::string> PySplitLines(std::string_view s, bool keepends) {
  std::vector<std::string> lines;
  size_t start = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[pos]);
    size_t brk = 0;
    if (c == '\r' && pos + 1 < s.size() && s[pos + 1] == '\n') {
      brk = 2;
    } else if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) {
      brk = 1;
    } else if (c == 0xc2 && pos + 1 < s.size() && static_cast<unsigned char>(s[pos + 1]) == 0x85) {
      brk = 2;
    } else if (c == 0xe2 && pos + 2 < s.size() && static_cast<unsigned char>(s[pos + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[pos + 2]) == 0xa8 ||
                static_cast<unsigned char>(s[pos + 2]) == 0xa9)) {
      brk = 3;
    }
    if (brk == 0) {
      ++pos;
      continue;
    }
    lines.emplace_back(s.substr(start, (keepends ? pos + brk : pos) - start));
    pos += brk;
    start = pos;
  }
  if (start < s.size()) lines.emplace_back(s.substr(start));
  return lines;
}

std::string PyReplace(std::string_view s, std::string_view old_text, std::string_view new_text,
                      int64_t count) {
  std::string out;
  int64_t done = 0;
  if (old_text.empty()) {
    // Python inserts `new` before every character and at the end.
    size_t pos = 0;
    while (pos <= s.size()) {
      if (count < 0 || done < count) {
        out += new_text;
        ++done;
      }
      if (pos == s.size()) break;
      const size_t len = CharLen(s, pos);
      out += s.substr(pos, len);
      pos += len;
    }
    return out;
  }
  size_t start = 0;
  while (count < 0 || done < count) {
    const size_t pos = s.find(old_text, start);
    if (pos == std::string_view::npos) break;
    out += s.substr(start, pos - start);
    out += new_text;
    start = pos + old_text.size();
    ++done;
  }
  out += s.substr(start);
  return out;
}

std::string PyUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToUpper(c);
  return out;
}

std::string PyLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

std::string PyTitle(std::string_view s) {
  std::string out(s);
  bool previous_cased = false;
  for (char& c : out) {
    const bool non_ascii = static_cast<unsigned char>(c) >= 0x80;
    if (IsAsciiAlpha(c)) {
      c = previous_cased ? ToLower(c) : ToUpper(c);
      previous_cased = true;
    } else {
      previous_cased = non_ascii && previous_cased;
    }
  }
  return out;
}

std::string PyCapitalize(std::string_view s) {
  std::string out = PyLower(s);
  if (!out.empty()) out[0] = ToUpper(out[0]);
  return out;
}

namespace {

template <typename Pred>
bool AllChars(std::string_view s, Pred pred) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), pred);
}

}  // namespace

bool PyIsDigit(std::string_view s) {
  return AllChars(s, [](char c) { return c >= '0' && c <= '9'; });
}
bool PyIsAlpha(std::string_view s) { return AllChars(s, IsAsciiAlpha); }
bool PyIsAlnum(std::string_view s) {
  return AllChars(s, [](char c) { return IsAsciiAlpha(c) || (c >= '0' && c <= '9'); });
}
bool PyIsSpace(std::string_view s) { return !s.empty() && PyStripLeft(s).empty(); }
bool PyIsUpper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), IsAsciiUpper) &&
         std::none_of(s.begin(), s.end(), IsAsciiLower);
}
bool PyIsLower(std::string_view s) {
  return std::any_of(s.begin(), s.end(), IsAsciiLower) &&
         std::none_of(s.begin(), s.end(), IsAsciiUpper);
}

Result<std::string> PyStrFormat(std::string_view format, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      return InvalidArgumentError("ValueError: Single '}}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    const size_t close = format.find('}', i);
    if (close == std::string_view::npos) {
      return InvalidArgumentError("ValueError: Single '{{' encountered in format string");
    }
    std::string_view field = format.substr(i + 1, close - i - 1);
    i = close;
    char conversion = 's';
    if (const size_t bang = field.find('!'); bang != std::string_view::npos) {
      if (bang + 2 != field.size()) {
        return UnsupportedError("unsupported construct: format field '{{{}}}'", field);
      }
      conversion = field[bang + 1];
      field = field.substr(0, bang);
    }
    if (field.find_first_of(":.[") != std::string_view::npos) {
      return UnsupportedError("unsupported construct: format field '{{{}}}'", field);
    }
    const Value* value = nullptr;
    if (field.empty() ||
        std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      const size_t index = field.empty() ? auto_index++ : std::stoul(std::string(field));
      if (index >= args.positional.size()) {
        return InvalidArgumentError("IndexError: Replacement index {} out of range", index);
      }
      value = &args.positional[index];
    } else {
      for (const auto& [key, v] : args.keyword) {
        if (key == field) value = &v;
      }
      if (value == nullptr) return InvalidArgumentError("KeyError: '{}'", field);
    }
    out += conversion == 'r' ? ToPyRepr(*value) : ToPyStr(*value);
  }
  return out;
}

}  // namespace hearth::chat
