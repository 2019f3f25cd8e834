// Python semantics of the binary operators, `in` and iteration.
#include <cmath>
#include <limits>

#include "chat/evaluator.h"

namespace hearth::chat {
namespace {

Status TypeError(std::string_view op, const Value& a, const Value& b) {
  return InvalidArgumentError("TypeError: unsupported operand type(s) for {}: '{}' and '{}'", op,
                              a.TypeName(), b.TypeName());
}

Result<Value> Repeat(Evaluator& ev, const Value& sequence, int64_t times) {
  if (times <= 0) {
    return sequence.is_string() ? Value::String("") : Value::MakeList({}, sequence.is_tuple());
  }
  if (sequence.is_string()) {
    const std::string& s = sequence.AsString();
    HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(s.size() * static_cast<uint64_t>(times)));
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(times));
    for (int64_t i = 0; i < times; ++i) out += s;
    return Value::String(std::move(out));
  }
  const auto& items = sequence.AsList().items;
  HEARTH_RETURN_IF_ERROR(ev.CountIterations(items.size() * static_cast<uint64_t>(times)));
  std::vector<Value> out;
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), items.begin(), items.end());
  return Value::MakeList(std::move(out), sequence.is_tuple());
}

Result<Value> IntPow(int64_t base, int64_t exponent) {
  if (exponent < 0) return Value::Float(std::pow(static_cast<double>(base), exponent));
  int64_t result = 1;
  for (int64_t i = 0; i < exponent; ++i) {
    if (__builtin_mul_overflow(result, base, &result)) {
      return OutOfRangeError("OverflowError: integer power {} ** {} exceeds 64 bits", base,
                             exponent);
    }
    if (result == 0 || result == 1) break;
  }
  return Value::Int(result);
}

// "%s" % value (printf-style string formatting; %s, %d, %r, %f, %%).
Result<Value> PercentFormat(const std::string& format, const Value& args) {
  std::vector<Value> values;
  if (args.is_tuple()) {
    values = args.AsList().items;
  } else {
    values.push_back(args);
  }
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    if (i + 1 >= format.size()) return InvalidArgumentError("ValueError: incomplete format");
    const char spec = format[++i];
    if (spec == '%') {
      out.push_back('%');
      continue;
    }
    if (next >= values.size()) {
      return InvalidArgumentError("TypeError: not enough arguments for format string");
    }
    const Value& v = values[next++];
    if (spec == 's') {
      out += ToPyStr(v);
    } else if (spec == 'r') {
      out += ToPyRepr(v);
    } else if (spec == 'd' || spec == 'i') {
      if (!v.is_number()) return InvalidArgumentError("TypeError: %d format: a number is required");
      out += std::to_string(v.is_float() ? static_cast<int64_t>(v.AsDouble()) : v.AsInt());
    } else if (spec == 'f') {
      if (!v.is_number()) return InvalidArgumentError("TypeError: %f format: a number is required");
      out += fmt::format("{:.6f}", v.AsDouble());
    } else {
      return UnsupportedError("unsupported construct: '%{}' in string formatting", spec);
    }
  }
  if (next < values.size()) {
    return InvalidArgumentError("TypeError: not all arguments converted during string formatting");
  }
  return Value::String(std::move(out));
}

Result<Value> Arithmetic(std::string_view op, const Value& a, const Value& b) {
  const bool use_float = a.is_float() || b.is_float();
  if (op == "/") {
    if (b.AsDouble() == 0.0) return InvalidArgumentError("ZeroDivisionError: division by zero");
    return Value::Float(a.AsDouble() / b.AsDouble());
  }
  if (use_float) {
    const double x = a.AsDouble();
    const double y = b.AsDouble();
    if (op == "+") return Value::Float(x + y);
    if (op == "-") return Value::Float(x - y);
    if (op == "*") return Value::Float(x * y);
    if (op == "**") return Value::Float(std::pow(x, y));
    if (y == 0.0)
      return InvalidArgumentError("ZeroDivisionError: float modulo or division by zero");
    if (op == "//") return Value::Float(std::floor(x / y));
    double r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return Value::Float(r);
  }
  const int64_t x = a.AsInt();
  const int64_t y = b.AsInt();
  int64_t r = 0;
  if (op == "+" && !__builtin_add_overflow(x, y, &r)) return Value::Int(r);
  if (op == "-" && !__builtin_sub_overflow(x, y, &r)) return Value::Int(r);
  if (op == "*" && !__builtin_mul_overflow(x, y, &r)) return Value::Int(r);
  if (op == "**") return IntPow(x, y);
  if (op == "//" || op == "%") {
    if (y == 0)
      return InvalidArgumentError("ZeroDivisionError: integer division or modulo by zero");
    if (x == std::numeric_limits<int64_t>::min() && y == -1) {
      return OutOfRangeError("OverflowError: integer division overflows 64 bits");
    }
    int64_t q = x / y;
    int64_t m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) {
      --q;
      m += y;
    }
    return Value::Int(op == "//" ? q : m);
  }
  return OutOfRangeError("OverflowError: integer {} overflows 64 bits", op);
}

}  // namespace

Result<Value> BinaryOp(Evaluator& ev, std::string_view op, const Value& a, const Value& b) {
  if (op == "~") {
    std::string out = ToPyStr(a) + ToPyStr(b);
    HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(out.size()));
    return Value::String(std::move(out));
  }
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  if (a.is_number() && b.is_number()) return Arithmetic(op, a, b);
  if (op == "+") {
    if (a.is_string() && b.is_string() && (a.is_markup() || b.is_markup())) {
      // Markup.__add__ / __radd__ escape the plain operand.
      std::string out = (a.is_markup() ? a.AsString() : HtmlEscape(a.AsString())) +
                        (b.is_markup() ? b.AsString() : HtmlEscape(b.AsString()));
      HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(out.size()));
      return Value::Markup(std::move(out));
    }
    if (a.is_string() && b.is_string()) {
      HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(a.AsString().size() + b.AsString().size()));
      return Value::String(a.AsString() + b.AsString());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      std::vector<Value> items = a.AsList().items;
      const auto& more = b.AsList().items;
      HEARTH_RETURN_IF_ERROR(ev.CountIterations(more.size()));
      items.insert(items.end(), more.begin(), more.end());
      return Value::MakeList(std::move(items), a.is_tuple());
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) {
      return Repeat(ev, a, b.AsInt());
    }
    if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) {
      return Repeat(ev, b, a.AsInt());
    }
  }
  if (op == "%" && a.is_string()) {
    HEARTH_ASSIGN_OR_RETURN(Value formatted, PercentFormat(a.AsString(), b));
    HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(formatted.AsString().size()));
    return formatted;
  }
  return TypeError(op, a, b);
}

Result<bool> Contains(const Value& container, const Value& item) {
  switch (container.type()) {
    case Value::Type::kUndefined:
      return false;
    case Value::Type::kString:
      if (!item.is_string()) {
        return InvalidArgumentError(
            "TypeError: 'in <string>' requires string as left operand, "
            "not {}",
            item.TypeName());
      }
      return container.AsString().find(item.AsString()) != std::string::npos;
    case Value::Type::kList:
      for (const Value& v : container.AsList().items) {
        if (PyEquals(v, item)) return true;
      }
      return false;
    case Value::Type::kDict:
      if (container.is_namespace()) break;
      return container.AsDict().FindKey(item) != nullptr;
    default:
      break;
  }
  return InvalidArgumentError("TypeError: argument of type '{}' is not iterable",
                              container.TypeName());
}

Result<std::vector<Value>> Iterate(const Value& value) {
  std::vector<Value> items;
  switch (value.type()) {
    case Value::Type::kUndefined:
      return items;
    case Value::Type::kList:
      return value.AsList().items;
    case Value::Type::kDict:
      if (value.is_namespace()) break;
      items.reserve(value.AsDict().entries.size());
      for (const auto& [key, v] : value.AsDict().entries) items.push_back(key);
      return items;
    case Value::Type::kString:
      for (std::string& c : Utf8Chars(value.AsString()))
        items.push_back(Value::String(std::move(c)));
      return items;
    default:
      break;
  }
  return InvalidArgumentError("TypeError: '{}' object is not iterable", value.TypeName());
}

}  // namespace hearth::chat
