// Parser: jinja2's grammar (operator precedence, statements, whitespace
// already handled by the lexer) into the tree of chat/ast.h.
//
// Supported statements: if/elif/else, for (tuple targets, `if` filter,
// else, recursive), set (expression, block, tuple, namespace attribute),
// macro, call, filter, break/continue, generation (transformers' tag;
// rendered as a plain scoped block). Anything else (include, extends,
// import, block, with, ...) is an error naming the tag and its line.
#pragma once

#include <string_view>

#include "chat/ast.h"
#include "core/status.h"

namespace hearth::chat {

// max_depth bounds nesting (brackets, operators, blocks) so hostile input
// cannot overflow the stack.
Result<Body> ParseTemplate(std::string_view source, int max_depth);

}  // namespace hearth::chat
