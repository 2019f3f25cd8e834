// Python str operations on UTF-8 text, as chat templates use them through
// methods (str.split, str.format, ...) and filters (trim, title, ...).
// Case mapping covers ASCII letters; other characters pass through.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/value.h"
#include "core/status.h"

namespace hearth::chat {

// str.strip / lstrip / rstrip; chars == nullopt strips whitespace.
std::string PyStrip(std::string_view s, const std::optional<std::string>& chars, bool left,
                    bool right);
// str.split / rsplit; sep == nullopt splits on whitespace runs.
std::vector<std::string> PySplit(std::string_view s, const std::optional<std::string>& sep,
                                 int64_t maxsplit, bool from_right);
std::vector<std::string> PySplitLines(std::string_view s, bool keepends);
std::string PyReplace(std::string_view s, std::string_view old_text, std::string_view new_text,
                      int64_t count);
std::string PyUpper(std::string_view s);
std::string PyLower(std::string_view s);
std::string PyTitle(std::string_view s);
std::string PyCapitalize(std::string_view s);
bool PyIsDigit(std::string_view s);
bool PyIsAlpha(std::string_view s);
bool PyIsAlnum(std::string_view s);
bool PyIsSpace(std::string_view s);
bool PyIsUpper(std::string_view s);
bool PyIsLower(std::string_view s);
// str.format with {}, {0}, {name}, {{ }} and !r/!s; format specs are unsupported.
Result<std::string> PyStrFormat(std::string_view format, const CallArgs& args);

}  // namespace hearth::chat
