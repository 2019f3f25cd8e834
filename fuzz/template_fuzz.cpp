// libFuzzer target for the chat template engine: parse arbitrary bytes as a
// template with small limits, then render it against a fixed conversation
// (messages with tool calls, tools, special tokens). Any input must end in a
// rendered string or a Status, within the limits, with ASan/UBSan quiet.
//
//   cmake --preset fuzz && cmake --build build/fuzz --target template_fuzz
//   build/fuzz/template_fuzz -max_total_time=300 -dict=fuzz/template.dict \
//       fuzz_corpus_dir/ ../shared/data/chat-templates/
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chat/template.h"

namespace {

const nlohmann::ordered_json& Context() {
  static const auto* context = new nlohmann::ordered_json(nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "sys"},
      {"role": "user", "content": "héllo {{ x }} 🎉"},
      {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function",
        "function": {"name": "f", "arguments": {"a": 1, "b": [true, null, 2.5]}}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "{\"ok\": 1}"}
    ],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object",
      "properties": {"a": {"type": "integer"}}, "required": ["a"]}}}],
    "add_generation_prompt": true,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "now": "2026-01-15T12:34:56"
  })"));
  return *context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hearth::chat::TemplateLimits limits;
  limits.max_source_bytes = 64 << 10;
  limits.max_nesting_depth = 64;
  limits.max_call_depth = 16;
  limits.max_loop_iterations = 20000;
  limits.max_output_bytes = 1 << 16;
  limits.max_range = 1000;
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  auto parsed = hearth::chat::ChatTemplate::Parse(source, limits);
  if (!parsed.ok()) return 0;
  auto rendered = (*parsed)->Render(Context());
  if (rendered.ok() && rendered->size() > limits.max_output_bytes) __builtin_trap();
  return 0;
}
