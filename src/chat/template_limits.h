// Resource bounds for parsing and rendering one chat template. A template
// is untrusted input (it ships inside a downloaded model), so every render
// is bounded in time and memory by these numbers; passing one is an error,
// never a crash or a hang.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hearth::chat {

struct TemplateLimits {
  size_t max_source_bytes = 1 << 20;       // template text
  int max_nesting_depth = 200;             // parser: brackets, operators, blocks
  int max_call_depth = 64;                 // macro / recursive-loop calls in flight
  uint64_t max_loop_iterations = 1 << 20;  // all loop iterations of one render together
  size_t max_output_bytes = 8 << 20;       // output, and any one string built on the way
  int64_t max_range = 100000;              // range() length, as jinja2's sandbox (MAX_RANGE)
};

}  // namespace hearth::chat
