#include "chat/lexer.h"

#include <array>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "chat/value.h"

namespace hearth::chat {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

// Newlines normalized to "\n" and one trailing newline dropped, as jinja2's
// lexer does before tokenizing.
std::string NormalizeSource(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python "unicode-escape" decoding of a string literal's body.
std::string UnescapeLiteral(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 == body.size()) {
      out.push_back(body[i]);
      continue;
    }
    const char c = body[++i];
    switch (c) {
      case '\n':
        break;  // line continuation
      case '\\':
      case '\'':
      case '"':
        out.push_back(c);
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'a':
        out.push_back('\a');
        break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        size_t k = 0;
        for (; k < digits && i + 1 + k < body.size() && HexValue(body[i + 1 + k]) >= 0; ++k) {
          cp = cp * 16 + static_cast<uint32_t>(HexValue(body[i + 1 + k]));
        }
        if (k == digits && cp <= 0x10ffff) {
          AppendUtf8(out, cp);
          i += digits;
        } else {
          out.push_back('\\');
          out.push_back(c);
        }
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          uint32_t cp = 0;
          size_t k = 0;
          for (; k < 3 && i + k < body.size() && body[i + k] >= '0' && body[i + k] <= '7'; ++k) {
            cp = cp * 8 + static_cast<uint32_t>(body[i + k] - '0');
          }
          i += k - 1;
          AppendUtf8(out, cp);
        } else {
          out.push_back('\\');
          out.push_back(c);
        }
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {}

  Result<std::vector<Token>> Run() {
    while (pos_ < src_.size()) {
      HEARTH_RETURN_IF_ERROR(LexRootSegment());
    }
    Push(TokenKind::kEof, "", pos_);
    return std::move(tokens_);
  }

 private:
  enum class TagKind { kVar, kBlock, kComment };

  Status Error(size_t at, const std::string& what) const {
    auto [line, column] = LineColumn(at);
    return InvalidArgumentError("template line {}, column {}: {}", line, column, what);
  }

  std::pair<int, int> LineColumn(size_t at) {
    // Tokens arrive in order, so counting incrementally is linear overall.
    while (line_pos_ < at && line_pos_ < src_.size()) {
      if (src_[line_pos_] == '\n') {
        ++line_;
        line_start_ = line_pos_ + 1;
      }
      ++line_pos_;
    }
    return {line_, static_cast<int>(at - line_start_) + 1};
  }
  std::pair<int, int> LineColumn(size_t at) const {
    int line = 1;
    size_t start = 0;
    for (size_t i = 0; i < at && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        start = i + 1;
      }
    }
    return {line, static_cast<int>(at - start) + 1};
  }

  void Push(TokenKind kind, std::string text, size_t at) {
    Token token;
    token.kind = kind;
    token.text = std::move(text);
    auto [line, column] = LineColumn(at);
    token.line = line;
    token.column = column;
    tokens_.push_back(std::move(token));
  }

  size_t SkipWhitespace(size_t p) const {
    size_t len = 0;
    while (p < src_.size() && IsPyWhitespaceAt(src_, p, &len)) p += len;
    return p;
  }

  // The text before a tag, with {%- / lstrip_blocks applied.
  void EmitText(size_t start, size_t end, char modifier, bool lstrip_applies) {
    std::string_view text(src_.data() + start, end - start);
    if (modifier == '-') {
      text = PyStripRight(text);
    } else if (modifier != '+' && lstrip_applies) {
      const size_t newline = text.rfind('\n');
      const size_t l_pos = newline == std::string_view::npos ? 0 : newline + 1;
      if (l_pos > 0 || line_starting_) {
        std::string_view tail = text.substr(l_pos);
        if (!tail.empty() && PyStripLeft(tail).empty()) text = text.substr(0, l_pos);
      }
    }
    if (!text.empty()) Push(TokenKind::kData, std::string(text), start);
  }

  // After a tag's closing delimiter at `p` (just past it): "-" eats all
  // whitespace, "+" keeps it, otherwise trim_blocks eats one newline.
  size_t AfterClose(size_t p, char modifier, bool trim_newline) {
    if (modifier == '-') {
      p = SkipWhitespace(p);
    } else if (modifier != '+' && trim_newline && p < src_.size() && src_[p] == '\n') {
      ++p;
    }
    line_starting_ = p > 0 && src_[p - 1] == '\n';
    return p;
  }

  Status LexRootSegment() {
    size_t tag = pos_;
    TagKind kind = TagKind::kVar;
    for (;; ++tag) {
      tag = src_.find('{', tag);
      if (tag == std::string::npos || tag + 1 >= src_.size()) {
        EmitText(pos_, src_.size(), 0, false);
        pos_ = src_.size();
        return Status::Ok();
      }
      const char next = src_[tag + 1];
      if (next == '{')
        kind = TagKind::kVar;
      else if (next == '%')
        kind = TagKind::kBlock;
      else if (next == '#')
        kind = TagKind::kComment;
      else
        continue;
      break;
    }
    size_t p = tag + 2;
    char modifier = 0;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) modifier = src_[p++];
    EmitText(pos_, tag, modifier, kind != TagKind::kVar);
    line_starting_ = false;
    if (kind == TagKind::kComment) return LexComment(tag, p);
    if (kind == TagKind::kBlock && IsRawBegin(p)) return LexRaw(tag, p);
    Push(kind == TagKind::kVar ? TokenKind::kVarBegin : TokenKind::kBlockBegin,
         kind == TagKind::kVar ? "{{" : "{%", tag);
    pos_ = p;
    return LexTag(kind);
  }

  Status LexComment(size_t tag, size_t p) {
    for (;;) {
      const size_t close = src_.find("#}", p);
      if (close == std::string::npos) return Error(tag, "unterminated comment: missing '#}'");
      char modifier = 0;
      if (close > p && (src_[close - 1] == '-' || src_[close - 1] == '+')) {
        modifier = src_[close - 1];
      }
      pos_ = AfterClose(close + 2, modifier, true);
      return Status::Ok();
    }
  }

  bool IsRawBegin(size_t p) const {
    p = SkipWhitespace(p);
    if (src_.compare(p, 3, "raw") != 0) return false;
    p = SkipWhitespace(p + 3);
    if (src_.compare(p, 2, "%}") == 0) return true;
    return src_.compare(p, 3, "-%}") == 0;
  }

  Status LexRaw(size_t tag, size_t p) {
    p = SkipWhitespace(p) + 3;
    p = SkipWhitespace(p);
    if (src_[p] == '-') {
      p = SkipWhitespace(p + 3);
    } else {
      p += 2;
    }
    // Find "{%[-+]? endraw [-+]?%}".
    for (size_t search = p;;) {
      const size_t open = src_.find("{%", search);
      if (open == std::string::npos) return Error(tag, "missing '{% endraw %}' for raw block");
      size_t q = open + 2;
      char left = 0;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) left = src_[q++];
      q = SkipWhitespace(q);
      if (src_.compare(q, 6, "endraw") != 0) {
        search = open + 2;
        continue;
      }
      q = SkipWhitespace(q + 6);
      char right = 0;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) right = src_[q++];
      if (src_.compare(q, 2, "%}") != 0) {
        search = open + 2;
        continue;
      }
      EmitText(p, open, left, true);
      pos_ = AfterClose(q + 2, right, true);
      return Status::Ok();
    }
  }

  // Tokens inside {{ }} or {% %} up to the closing delimiter.
  Status LexTag(TagKind kind) {
    const bool is_block = kind == TagKind::kBlock;
    std::vector<char> brackets;  // open ( [ {: a closing delimiter inside them is an operator
    while (true) {
      if (pos_ >= src_.size()) {
        return Error(pos_, is_block ? "unexpected end of template, expected '%}'"
                                    : "unexpected end of template, expected '}}'");
      }
      if (brackets.empty()) {
        if (auto closed = TryClose(is_block)) {
          if (*closed) return Status::Ok();
        }
      }
      const char c = src_[pos_];
      size_t ws = 0;
      if (IsPyWhitespaceAt(src_, pos_, &ws)) {
        pos_ += ws;
        continue;
      }
      if (IsDigit(c)) {
        HEARTH_RETURN_IF_ERROR(LexNumber());
        continue;
      }
      if (IsNameStart(c)) {
        const size_t start = pos_;
        while (pos_ < src_.size() && IsNameChar(src_[pos_])) ++pos_;
        Push(TokenKind::kName, src_.substr(start, pos_ - start), start);
        continue;
      }
      if (c == '\'' || c == '"') {
        HEARTH_RETURN_IF_ERROR(LexString());
        continue;
      }
      HEARTH_RETURN_IF_ERROR(LexOperator(brackets));
    }
  }

  // Returns true (and advances) when the tag's closing delimiter is at pos_.
  std::optional<bool> TryClose(bool is_block) {
    const char* close = is_block ? "%}" : "}}";
    const size_t at = pos_;
    char modifier = 0;
    size_t p = pos_;
    if (src_[p] == '-' || (is_block && src_[p] == '+')) {
      if (src_.compare(p + 1, 2, close) != 0) return std::nullopt;
      modifier = src_[p];
      ++p;
    } else if (src_.compare(p, 2, close) != 0) {
      return std::nullopt;
    }
    Push(is_block ? TokenKind::kBlockEnd : TokenKind::kVarEnd, close, at);
    pos_ = AfterClose(p + 2, modifier, is_block);
    return true;
  }

  Status LexNumber() {
    const size_t start = pos_;
    auto digits = [&] {
      while (pos_ < src_.size() &&
             (IsDigit(src_[pos_]) ||
              (src_[pos_] == '_' && pos_ + 1 < src_.size() && IsDigit(src_[pos_ + 1])))) {
        ++pos_;
      }
    };
    const bool after_dot = start > 0 && src_[start - 1] == '.';
    if (!after_dot && src_[pos_] == '0' && pos_ + 1 < src_.size() &&
        (src_[pos_ + 1] == 'x' || src_[pos_ + 1] == 'X' || src_[pos_ + 1] == 'b' ||
         src_[pos_ + 1] == 'B' || src_[pos_ + 1] == 'o' || src_[pos_ + 1] == 'O')) {
      const char base_char = static_cast<char>(src_[pos_ + 1] | 0x20);
      const int base = base_char == 'x' ? 16 : base_char == 'b' ? 2 : 8;
      pos_ += 2;
      std::string body;
      while (pos_ < src_.size() && (HexValue(src_[pos_]) >= 0 || src_[pos_] == '_')) {
        if (src_[pos_] != '_') body.push_back(src_[pos_]);
        ++pos_;
      }
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), value, base);
      if (body.empty() || ec != std::errc() || ptr != body.data() + body.size()) {
        return Error(start, "malformed integer literal");
      }
      Push(TokenKind::kInt, src_.substr(start, pos_ - start), start);
      tokens_.back().int_value = value;
      return Status::Ok();
    }
    digits();
    bool is_float = false;
    if (!after_dot && pos_ + 1 < src_.size() && src_[pos_] == '.' && IsDigit(src_[pos_ + 1])) {
      ++pos_;
      digits();
      is_float = true;
    }
    if (!after_dot && pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && IsDigit(src_[p])) {
        pos_ = p;
        digits();
        is_float = true;
      }
    }
    std::string text;
    for (size_t i = start; i < pos_; ++i) {
      if (src_[i] != '_') text.push_back(src_[i]);
    }
    Push(is_float ? TokenKind::kFloat : TokenKind::kInt, text, start);
    if (is_float) {
      tokens_.back().float_value = std::strtod(text.c_str(), nullptr);
    } else {
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc()) return Error(start, "integer literal out of range: " + text);
      tokens_.back().int_value = value;
    }
    return Status::Ok();
  }

  Status LexString() {
    const size_t start = pos_;
    const char quote = src_[pos_++];
    while (pos_ < src_.size() && src_[pos_] != quote) {
      if (src_[pos_] == '\\') ++pos_;
      ++pos_;
    }
    if (pos_ >= src_.size()) return Error(start, "unterminated string literal");
    ++pos_;
    Push(TokenKind::kString,
         UnescapeLiteral(std::string_view(src_).substr(start + 1, pos_ - start - 2)), start);
    return Status::Ok();
  }

  Status LexOperator(std::vector<char>& brackets) {
    static constexpr std::array<std::string_view, 6> kTwoChar = {
        "**", "//", "==", "!=", ">=", "<="};
    static constexpr std::string_view kOneChar = "+-/*%~[](){}><=.:|,;";
    const size_t start = pos_;
    for (std::string_view op : kTwoChar) {
      if (src_.compare(pos_, 2, op) == 0) {
        pos_ += 2;
        Push(TokenKind::kOp, std::string(op), start);
        return Status::Ok();
      }
    }
    const char c = src_[pos_];
    if (kOneChar.find(c) == std::string_view::npos) {
      return Error(start, fmt::format("unexpected character '{}'", c));
    }
    if (c == '(' || c == '[' || c == '{') brackets.push_back(c);
    if (c == ')' || c == ']' || c == '}') {
      const char open = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (brackets.empty() || brackets.back() != open) {
        return Error(start, fmt::format("unexpected '{}'", c));
      }
      brackets.pop_back();
    }
    ++pos_;
    Push(TokenKind::kOp, std::string(1, c), start);
    return Status::Ok();
  }

  std::string src_;
  size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
  int line_ = 1;
  size_t line_start_ = 0;
  size_t line_pos_ = 0;
};

}  // namespace

const char* TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kData:
      return "template data";
    case TokenKind::kVarBegin:
      return "'{{'";
    case TokenKind::kVarEnd:
      return "end of print statement";
    case TokenKind::kBlockBegin:
      return "'{%'";
    case TokenKind::kBlockEnd:
      return "end of statement block";
    case TokenKind::kName:
      return "name";
    case TokenKind::kString:
      return "string";
    case TokenKind::kInt:
      return "integer";
    case TokenKind::kFloat:
      return "float";
    case TokenKind::kOp:
      return "operator";
    case TokenKind::kEof:
      return "end of template";
  }
  return "token";
}

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case TokenKind::kName:
    case TokenKind::kOp:
    case TokenKind::kInt:
    case TokenKind::kFloat:
      return "'" + token.text + "'";
    case TokenKind::kString:
      return "string literal";
    default:
      return TokenKindName(token.kind);
  }
}

Result<std::vector<Token>> Lex(std::string_view source) {
  Lexer lexer(NormalizeSource(source));
  return lexer.Run();
}

}  // namespace hearth::chat
