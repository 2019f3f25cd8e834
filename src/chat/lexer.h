// Lexer for jinja2 template source, configured the way transformers
// configures jinja2 for chat templates: trim_blocks=True (the first newline
// after a block tag or comment is dropped), lstrip_blocks=True (spaces and
// tabs before a block tag or comment at the start of a line are dropped),
// keep_trailing_newline=False (one final newline of the source is dropped),
// and newlines normalized to "\n". Whitespace control ({%- -%}, {{- -}},
// {#- -#}, {%+ +%}) is applied here, so kData tokens hold the final text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hearth::chat {

enum class TokenKind {
  kData,        // literal template text
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,  // text holds the unescaped value
  kInt,
  kFloat,
  kOp,  // text holds the operator: "+", "//", "(", "|", ...
  kEof,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;
  int line = 1;
  int column = 1;
  int64_t int_value = 0;
  double float_value = 0;
};

const char* TokenKindName(TokenKind kind);
// "'endfor'", "end of print statement", "end of template" ... for errors.
std::string DescribeToken(const Token& token);

// Splits `source` into tokens; the last is always kEof. Errors carry the
// line and column ("line 3, column 7: unterminated string").
Result<std::vector<Token>> Lex(std::string_view source);

}  // namespace hearth::chat
