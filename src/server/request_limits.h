// RequestLimits: bounds on what one HTTP request may ask of the server, so a
// single client cannot exhaust memory, stack or compute. Checked before (body
// size, nesting depth) and while (counts, lengths, values) parsing.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hearth::server {

struct RequestLimits {
  size_t max_body_bytes = size_t{8} << 20;  // larger bodies: 413, not read into memory
  int32_t max_json_depth = 64;              // of the request body, checked on raw bytes
  int32_t max_schema_depth = 32;            // of a response_format / tool parameters schema
  size_t max_messages = 1024;
  size_t max_string_bytes = size_t{4} << 20;  // one prompt or message content
  int32_t max_tokens_cap = 4096;              // max_tokens above this: 400; absent: this
  size_t max_stop = 16;
  size_t max_stop_bytes = 256;
  int32_t max_n = 8;
  int32_t max_top_logprobs = 20;
  size_t max_logit_bias = 1024;
  size_t max_tools = 128;
  size_t max_embedding_inputs = 256;
  double request_read_seconds = 30.0;  // whole request (headers and body) must arrive by then
};

}  // namespace hearth::server
