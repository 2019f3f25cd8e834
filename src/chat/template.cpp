#include "chat/template.h"

#include <cstdio>
#include <ctime>

#include "chat/evaluator.h"
#include "chat/parser.h"

namespace hearth::chat {

Result<std::unique_ptr<ChatTemplate>> ChatTemplate::Parse(std::string_view source,
                                                          const TemplateLimits& limits) {
  if (source.size() > limits.max_source_bytes) {
    return OutOfRangeError("chat template is {} bytes, over the limit of {}", source.size(),
                           limits.max_source_bytes);
  }
  HEARTH_ASSIGN_OR_RETURN(Body body, ParseTemplate(source, limits.max_nesting_depth));
  return std::unique_ptr<ChatTemplate>(new ChatTemplate(std::move(body), limits));
}

Result<std::tm> ParseIsoTime(std::string_view text) {
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char tail = 0;
  const std::string s(text);
  const int fields = std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &year, &month, &day, &tail,
                                 &hour, &minute, &second);
  const bool date_only = fields == 3;
  const bool with_time = fields >= 6 && (tail == 'T' || tail == ' ');
  if ((!date_only && !with_time) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return InvalidArgumentError("invalid time '{}': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]",
                                text);
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  // timegm normalizes and fills tm_wday / tm_yday; the time is taken as-is (no zone).
  std::tm normalized = tm;
  if (timegm(&normalized) == -1 && year != 1969) {
    return InvalidArgumentError("invalid time '{}'", text);
  }
  if (normalized.tm_mday != day) return InvalidArgumentError("invalid date '{}'", text);
  return normalized;
}

namespace {

std::tm LocalNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

}  // namespace

Result<std::string> ChatTemplate::Render(const nlohmann::ordered_json& context) const {
  if (!context.is_object()) return InvalidArgumentError("chat template context must be an object");
  std::tm now{};
  if (auto it = context.find("now"); it != context.end() && !it->is_null()) {
    if (!it->is_string()) return InvalidArgumentError("context 'now' must be an ISO-8601 string");
    HEARTH_ASSIGN_OR_RETURN(now, ParseIsoTime(it->get<std::string>()));
  } else {
    now = LocalNow();
  }
  auto globals = std::make_shared<Scope>();
  InstallGlobals(*globals);
  auto root = std::make_shared<Scope>(globals);
  for (auto it = context.begin(); it != context.end(); ++it) {
    if (it.key() == "now") continue;
    root->Set(it.key(), Value::FromJson(it.value()));
  }
  Evaluator evaluator(limits_, now);
  std::string out;
  HEARTH_RETURN_IF_ERROR(evaluator.Render(body_, root, out));
  return out;
}

}  // namespace hearth::chat
