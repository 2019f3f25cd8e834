// ChatTemplate: a model's `tokenizer.chat_template` (Jinja), rendered the
// way Hugging Face transformers renders it (jinja2 ImmutableSandboxedEnvironment
// with trim_blocks, lstrip_blocks, loop controls, transformers' tojson,
// raise_exception and strftime_now), byte for byte.
//
//   HEARTH_ASSIGN_OR_RETURN(auto tmpl, chat::ChatTemplate::Parse(source));
//   HEARTH_ASSIGN_OR_RETURN(std::string prompt, tmpl->Render({
//       {"messages", messages}, {"add_generation_prompt", true},
//       {"bos_token", "<s>"}, {"eos_token", "</s>"}, {"tools", nullptr}}));
//
// The template is untrusted: it can read only the context it is given, and
// TemplateLimits bounds its recursion, loop iterations and output, so a
// hostile template fails with an error instead of hanging or exhausting memory.
// Errors name the template line (and column for syntax errors); a construct
// the engine does not support is an kUnsupported error naming it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "chat/ast.h"
#include "chat/template_limits.h"
#include "core/status.h"

namespace hearth::chat {

class ChatTemplate {
 public:
  static Result<std::unique_ptr<ChatTemplate>> Parse(std::string_view source,
                                                     const TemplateLimits& limits = {});

  // `context` must be a JSON object (ordered_json: key order is kept, as
  // Python dicts keep it, and templates iterate and print it); each key
  // becomes a template variable,
  // except "now": an optional ISO-8601 local time ("2026-01-15T12:34:56" or
  // "2026-01-15") that strftime_now() formats (default: the current local time).
  // Renders are independent; a ChatTemplate can render from several threads.
  Result<std::string> Render(const nlohmann::ordered_json& context) const;

  const TemplateLimits& limits() const { return limits_; }

 private:
  ChatTemplate(Body body, const TemplateLimits& limits) : body_(std::move(body)), limits_(limits) {}

  Body body_;
  TemplateLimits limits_;
};

// Parses "YYYY-MM-DD[THH:MM[:SS]]" into a broken-down time (weekday and
// day of year filled in).
Result<std::tm> ParseIsoTime(std::string_view text);

}  // namespace hearth::chat
