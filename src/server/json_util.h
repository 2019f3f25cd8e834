// JSON helpers for the server: parsing untrusted request bodies safely and
// writing model text into responses.
//
// nlohmann's parser recurses once per nesting level, so a body such as
// "[[[[...]]]]" 100,000 levels deep would overflow the stack; MaxJsonDepth()
// measures the depth on the raw bytes first, without recursion.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace hearth::server {

using Json = nlohmann::ordered_json;

// The deepest nesting of [ and { in `text`, brackets inside strings ignored
// (escapes honoured). Malformed text still gets a number; the parser rejects it.
int32_t MaxJsonDepth(std::string_view text);

// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Parses a request body: InvalidArgument for nesting deeper than max_depth,
// invalid UTF-8 or malformed JSON (the message names the byte offset, never
// echoes the body).
Result<Json> ParseJsonBody(std::string_view body, int32_t max_depth);

// Serializes for a response; invalid UTF-8 (which model text should not hold,
// but a byte-level token can) becomes U+FFFD instead of throwing.
std::string DumpJson(const Json& value);

// Escapes control characters, quotes and backslashes (and bytes >= 0x7F as
// \xNN) so any value can be written to a log line safely.
std::string EscapeForLog(std::string_view text, size_t max_length = 200);

}  // namespace hearth::server
