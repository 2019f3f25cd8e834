// jinja2's builtin filters (and transformers' tojson), by name.
#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_map>

#include "chat/evaluator.h"
#include "chat/string_ops.h"

namespace hearth::chat {
namespace {

using FilterFn = Result<Value> (*)(Evaluator&, const Value&, CallArgs&);

Result<BoundArgs> Bind(std::string_view name, const CallArgs& args,
                       const std::vector<std::string_view>& names) {
  return BindArgs(name, args, names);
}

bool ArgTrue(const std::optional<Value>& v) { return v && v->Truthy(); }

Result<Value> NoArgs(std::string_view name, const CallArgs& args) {
  if (!args.positional.empty() || !args.keyword.empty()) {
    return InvalidArgumentError("TypeError: filter '{}' takes no arguments", name);
  }
  return Value();
}

// environment.getitem for each part of "a.b.0" (make_attrgetter).
Result<Value> GetPath(Evaluator& ev, const Value& item, const Value& attribute) {
  if (!attribute.is_string()) return ev.GetItem(item, attribute);
  Value current = item;
  std::string_view path = attribute.AsString();
  while (true) {
    const size_t dot = path.find('.');
    std::string part(path.substr(0, dot));
    Value key = Value::String(part);
    if (!part.empty() &&
        std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      key = Value::Int(std::stoll(part));
    }
    HEARTH_ASSIGN_OR_RETURN(current, ev.GetItem(current, key));
    if (dot == std::string_view::npos) return current;
    path.remove_prefix(dot + 1);
  }
}

Result<std::vector<Value>> Items(const Value& v) { return Iterate(v); }

Result<Value> Length(Evaluator&, const Value& v, CallArgs& args) {
  HEARTH_RETURN_IF_ERROR(NoArgs("length", args).status());
  switch (v.type()) {
    case Value::Type::kUndefined:
      return Value::Int(0);
    case Value::Type::kString:
      return Value::Int(static_cast<int64_t>(Utf8Length(v.AsString())));
    case Value::Type::kList:
      if (v.is_generator()) break;
      return Value::Int(static_cast<int64_t>(v.AsList().items.size()));
    case Value::Type::kDict:
      if (v.is_namespace()) break;
      return Value::Int(static_cast<int64_t>(v.AsDict().entries.size()));
    default:
      break;
  }
  return InvalidArgumentError("TypeError: object of type '{}' has no len()", v.TypeName());
}

Result<Value> Default(Evaluator&, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("default", args, {"default_value", "boolean"}));
  const bool use_default = v.is_undefined() || (ArgTrue(a[1]) && !v.Truthy());
  if (!use_default) return v;
  return a[0] ? *a[0] : Value::String("");
}

Result<Value> Trim(Evaluator&, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("trim", args, {"chars"}));
  std::optional<std::string> chars;
  if (a[0] && !a[0]->is_none()) chars = ToPyStr(*a[0]);
  return Value::String(PyStrip(ToPyStr(v), chars, true, true));
}

template <std::string (*kFn)(std::string_view)>
Result<Value> StringFilter(Evaluator&, const Value& v, CallArgs& args) {
  HEARTH_RETURN_IF_ERROR(NoArgs("string filter", args).status());
  return Value::String(kFn(ToPyStr(v)));
}

Result<Value> First(Evaluator&, const Value& v, CallArgs&) {
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  if (items.empty()) return Value::Undefined("No first item, sequence was empty.");
  return items.front();
}

Result<Value> Last(Evaluator&, const Value& v, CallArgs&) {
  if (v.is_generator() || v.is_dict()) {
    return InvalidArgumentError("TypeError: '{}' object is not reversible", v.TypeName());
  }
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  if (items.empty()) return Value::Undefined("No last item, sequence was empty.");
  return items.back();
}

Result<Value> Join(Evaluator& ev, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("join", args, {"d", "attribute"}));
  const std::string separator = a[0] ? ToPyStr(*a[0]) : "";
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    Value item = items[i];
    if (a[1] && !a[1]->is_none()) {
      HEARTH_ASSIGN_OR_RETURN(item, GetPath(ev, item, *a[1]));
    }
    if (i > 0) out += separator;
    out += ToPyStr(item);
    HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(out.size()));
  }
  return Value::String(std::move(out));
}

Result<Value> Replace(Evaluator& ev, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("replace", args, {"old", "new", "count"}));
  if (!a[0] || !a[1]) return InvalidArgumentError("TypeError: replace needs old and new");
  int64_t count = -1;
  if (a[2] && !a[2]->is_none()) count = a[2]->AsInt();
  std::string out = PyReplace(ToPyStr(v), ToPyStr(*a[0]), ToPyStr(*a[1]), count);
  HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(out.size()));
  return Value::String(std::move(out));
}

Result<Value> ToList(Evaluator&, const Value& v, CallArgs&) {
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  return Value::MakeList(std::move(items));
}

Result<Value> ToString(Evaluator&, const Value& v, CallArgs&) { return Value::String(ToPyStr(v)); }

// Python float(str): surrounding whitespace, underscores between digits, inf/nan.
std::optional<double> ParsePyFloat(std::string_view text) {
  std::string s(PyStripRight(PyStripLeft(text)));
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  const std::string lower = PyLower(s);
  if (lower.find("x") != std::string::npos) return std::nullopt;  // strtod accepts hex
  return d;
}

std::optional<int64_t> ParsePyInt(std::string_view text, int base) {
  std::string s(PyStripRight(PyStripLeft(text)));
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, base);
  if (end != s.c_str() + s.size() || errno != 0) return std::nullopt;
  return v;
}

Result<Value> Int(Evaluator&, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("int", args, {"default", "base"}));
  const Value fallback = a[0] ? *a[0] : Value::Int(0);
  const int base = a[1] ? static_cast<int>(a[1]->AsInt()) : 10;
  if (v.is_int() || v.is_bool()) return Value::Int(v.AsInt());
  if (v.is_float()) {
    if (!std::isfinite(v.AsDouble()))
      return InvalidArgumentError("OverflowError: cannot convert float");
    return Value::Int(static_cast<int64_t>(v.AsDouble()));
  }
  if (v.is_string()) {
    if (auto i = ParsePyInt(v.AsString(), base)) return Value::Int(*i);
    if (auto f = ParsePyFloat(v.AsString()); f && std::isfinite(*f)) {
      return Value::Int(static_cast<int64_t>(*f));
    }
  }
  return fallback;
}

Result<Value> Float(Evaluator&, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("float", args, {"default"}));
  if (v.is_number()) return Value::Float(v.AsDouble());
  if (v.is_string()) {
    if (auto f = ParsePyFloat(v.AsString())) return Value::Float(*f);
  }
  return a[0] ? *a[0] : Value::Float(0.0);
}

Result<Value> Abs(Evaluator&, const Value& v, CallArgs&) {
  if (v.is_float()) return Value::Float(std::fabs(v.AsDouble()));
  if (v.is_number()) return Value::Int(v.AsInt() < 0 ? -v.AsInt() : v.AsInt());
  return InvalidArgumentError("TypeError: bad operand type for abs(): '{}'", v.TypeName());
}

Result<Value> Round(Evaluator&, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("round", args, {"precision", "method"}));
  if (!v.is_number()) return InvalidArgumentError("TypeError: round() needs a number");
  const int64_t precision = a[0] ? a[0]->AsInt() : 0;
  const std::string method = a[1] ? ToPyStr(*a[1]) : "common";
  const double scale = std::pow(10.0, static_cast<double>(precision));
  if (method == "common") {
    if (!v.is_float()) return Value::Int(v.AsInt());  // round(int, n) stays an int
    return Value::Float(std::nearbyint(v.AsDouble() * scale) / scale);  // ties to even, as Python
  }
  if (method == "ceil") return Value::Float(std::ceil(v.AsDouble() * scale) / scale);
  if (method == "floor") return Value::Float(std::floor(v.AsDouble() * scale) / scale);
  return InvalidArgumentError("FilterArgumentError: method must be common, ceil or floor");
}

Result<Value> DictItems(Evaluator&, const Value& v, CallArgs&) {
  if (v.is_undefined()) return Value::MakeGenerator({});
  if (!v.is_dict() || v.is_namespace()) {
    return InvalidArgumentError("TypeError: Can only get item pairs from a mapping.");
  }
  std::vector<Value> items;
  for (const auto& [key, value] : v.AsDict().entries) {
    items.push_back(Value::MakeList({key, value}, true));
  }
  return Value::MakeGenerator(std::move(items));
}

// Sort key for case-insensitive comparisons: strings are lowercased.
Value SortKey(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::String(PyLower(v.AsString()));
  return v;
}

Status SortValues(std::vector<std::pair<Value, Value>>& keyed, bool reverse) {
  Status error;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    if (!error.ok()) return false;
    auto less = reverse ? PyLess(y.first, x.first) : PyLess(x.first, y.first);
    if (!less.ok()) {
      error = less.status();
      return false;
    }
    return *less;
  });
  return error;
}

Result<Value> DictSort(Evaluator&, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("dictsort", args, {"case_sensitive", "by", "reverse"}));
  if (!v.is_dict() || v.is_namespace()) {
    return InvalidArgumentError("TypeError: dictsort needs a mapping");
  }
  const bool by_value = a[1] && ToPyStr(*a[1]) == "value";
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [key, value] : v.AsDict().entries) {
    keyed.emplace_back(SortKey(by_value ? value : key, ArgTrue(a[0])),
                       Value::MakeList({key, value}, true));
  }
  HEARTH_RETURN_IF_ERROR(SortValues(keyed, ArgTrue(a[2])));
  std::vector<Value> out;
  for (auto& entry : keyed) out.push_back(std::move(entry.second));
  return Value::MakeList(std::move(out));
}

Result<Value> Sort(Evaluator& ev, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("sort", args, {"reverse", "case_sensitive", "attribute"}));
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) {
    Value key = item;
    if (a[2] && !a[2]->is_none()) {
      HEARTH_ASSIGN_OR_RETURN(key, GetPath(ev, item, *a[2]));
    }
    keyed.emplace_back(SortKey(key, ArgTrue(a[1])), std::move(item));
  }
  HEARTH_RETURN_IF_ERROR(SortValues(keyed, ArgTrue(a[0])));
  std::vector<Value> out;
  for (auto& entry : keyed) out.push_back(std::move(entry.second));
  return Value::MakeList(std::move(out));
}

Result<Value> Unique(Evaluator& ev, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("unique", args, {"case_sensitive", "attribute"}));
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  std::vector<Value> seen;
  std::vector<Value> out;
  for (Value& item : items) {
    Value key = item;
    if (a[1] && !a[1]->is_none()) {
      HEARTH_ASSIGN_OR_RETURN(key, GetPath(ev, item, *a[1]));
    }
    key = SortKey(key, ArgTrue(a[0]));
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return PyEquals(s, key); })) {
      continue;
    }
    seen.push_back(key);
    out.push_back(std::move(item));
  }
  return Value::MakeGenerator(std::move(out));
}

Result<Value> MinMax(Evaluator& ev, const Value& v, CallArgs& args, bool want_max) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("min", args, {"case_sensitive", "attribute"}));
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  Value best_key;
  for (size_t i = 0; i < items.size(); ++i) {
    Value key = items[i];
    if (a[1] && !a[1]->is_none()) {
      HEARTH_ASSIGN_OR_RETURN(key, GetPath(ev, items[i], *a[1]));
    }
    key = SortKey(key, ArgTrue(a[0]));
    if (i == 0) {
      best_key = key;
      continue;
    }
    HEARTH_ASSIGN_OR_RETURN(bool better, want_max ? PyLess(best_key, key) : PyLess(key, best_key));
    if (better) {
      best = i;
      best_key = key;
    }
  }
  return items[best];
}

Result<Value> Min(Evaluator& ev, const Value& v, CallArgs& args) {
  return MinMax(ev, v, args, false);
}
Result<Value> Max(Evaluator& ev, const Value& v, CallArgs& args) {
  return MinMax(ev, v, args, true);
}

Result<Value> Sum(Evaluator& ev, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("sum", args, {"attribute", "start"}));
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  Value total = a[1] ? *a[1] : Value::Int(0);
  for (Value& item : items) {
    if (a[0] && !a[0]->is_none()) {
      HEARTH_ASSIGN_OR_RETURN(item, GetPath(ev, item, *a[0]));
    }
    HEARTH_ASSIGN_OR_RETURN(total, BinaryOp(ev, "+", total, item));
  }
  return total;
}

Result<Value> Reverse(Evaluator&, const Value& v, CallArgs&) {
  if (v.is_string()) {
    auto chars = Utf8Chars(v.AsString());
    std::string out;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
    return Value::String(std::move(out));
  }
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  std::reverse(items.begin(), items.end());
  if (v.is_generator()) return Value::MakeList(std::move(items));
  return Value::MakeGenerator(std::move(items));  // reversed(list) is an iterator
}

Result<Value> Indent(Evaluator& ev, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("indent", args, {"width", "first", "blank"}));
  std::string indentation(4, ' ');
  if (a[0]) {
    if (a[0]->is_string()) {
      indentation = a[0]->AsString();
    } else {
      indentation = std::string(static_cast<size_t>(std::max<int64_t>(0, a[0]->AsInt())), ' ');
    }
  }
  const std::string text = ToPyStr(v) + "\n";  // jinja2's quirk for splitlines()
  std::vector<std::string> lines = PySplitLines(text, false);
  std::string out;
  if (ArgTrue(a[2])) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) out += "\n" + indentation;
      out += lines[i];
    }
  } else {
    out = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      out += "\n";
      if (!lines[i].empty()) out += indentation + lines[i];
    }
  }
  if (ArgTrue(a[1])) out = indentation + out;
  HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(out.size()));
  return Value::String(std::move(out));
}

Result<Value> WordCount(Evaluator&, const Value& v, CallArgs&) {
  const std::string s = ToPyStr(v);
  int64_t words = 0;
  bool in_word = false;
  for (char c : s) {
    const bool word_char = std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                           static_cast<unsigned char>(c) >= 0x80;
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return Value::Int(words);
}

Result<Value> Safe(Evaluator&, const Value& v, CallArgs&) { return Value::Markup(ToPyStr(v)); }

Result<Value> Escape(Evaluator&, const Value& v, CallArgs&) {
  if (v.is_markup()) return v;
  return Value::Markup(HtmlEscape(ToPyStr(v)));
}

Result<Value> Attr(Evaluator& ev, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("attr", args, {"name"}));
  if (!a[0] || !a[0]->is_string()) return InvalidArgumentError("TypeError: attr needs a name");
  return ev.GetAttr(v, a[0]->AsString());
}

Result<Value> Format(Evaluator& ev, const Value& v, CallArgs& args) {
  if (!args.keyword.empty()) {
    return UnsupportedError("unsupported construct: keyword arguments to the format filter");
  }
  return BinaryOp(ev, "%", Value::String(ToPyStr(v)), Value::MakeList(args.positional, true));
}

// transformers: json.dumps(x, ensure_ascii=False, indent=indent, separators=..., sort_keys=...)
Result<Value> ToJson(Evaluator& ev, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(
      auto a, Bind("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"}));
  JsonDumpOptions options;
  options.ensure_ascii = ArgTrue(a[0]);
  if (a[1] && !a[1]->is_none()) {
    options.has_indent = true;
    options.item_separator.assign(1, ',');  // not = ",": GCC 12 -Wrestrict false positive
    if (a[1]->is_string()) {
      options.indent = a[1]->AsString();
    } else if (a[1]->is_int()) {
      const int64_t width = std::clamp<int64_t>(a[1]->AsInt(), 0, 64);
      for (int64_t i = 0; i < width; ++i) options.indent.push_back(' ');
    } else {
      return InvalidArgumentError("TypeError: tojson indent must be an int or a string");
    }
  }
  if (a[2] && !a[2]->is_none()) {
    if (!a[2]->is_list() || a[2]->AsList().items.size() != 2 ||
        !a[2]->AsList().items[0].is_string() || !a[2]->AsList().items[1].is_string()) {
      return InvalidArgumentError("TypeError: tojson separators must be two strings");
    }
    options.item_separator = a[2]->AsList().items[0].AsString();
    options.key_separator = a[2]->AsList().items[1].AsString();
  }
  options.sort_keys = ArgTrue(a[3]);
  HEARTH_ASSIGN_OR_RETURN(std::string json, PyJsonDumps(v, options));
  HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(json.size()));
  return Value::String(std::move(json));
}

// map(filter_name, *args) or map(attribute=name, default=value).
Result<Value> Map(Evaluator& ev, const Value& v, CallArgs& args) {
  if (!v.Truthy()) return Value::MakeGenerator({});  // jinja2: `if value:` guards the loop
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  std::optional<Value> attribute;
  std::optional<Value> fallback;
  for (const auto& [key, value] : args.keyword) {
    if (key == "attribute")
      attribute = value;
    else if (key == "default")
      fallback = value;
  }
  std::vector<Value> out;
  if (attribute) {
    for (const Value& item : items) {
      HEARTH_ASSIGN_OR_RETURN(Value mapped, GetPath(ev, item, *attribute));
      if (mapped.is_undefined() && fallback) mapped = *fallback;
      out.push_back(std::move(mapped));
    }
    return Value::MakeGenerator(std::move(out));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) {
    return InvalidArgumentError("FilterArgumentError: map requires a filter name or attribute=");
  }
  const std::string filter = args.positional[0].AsString();
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keyword = args.keyword;
  for (const Value& item : items) {
    CallArgs call = rest;
    HEARTH_ASSIGN_OR_RETURN(Value mapped, ev.ApplyFilter(filter, item, call));
    out.push_back(std::move(mapped));
  }
  return Value::MakeGenerator(std::move(out));
}

// select / reject / selectattr / rejectattr.
template <bool kAttr, bool kSelect>
Result<Value> SelectFilter(Evaluator& ev, const Value& v, CallArgs& args) {
  if (!v.Truthy()) return Value::MakeGenerator({});  // jinja2: `if seq:` guards the loop
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  size_t next = 0;
  std::optional<Value> attribute;
  if (kAttr) {
    if (args.positional.empty()) return InvalidArgumentError("TypeError: missing attribute name");
    attribute = args.positional[next++];
  }
  std::optional<std::string> test;
  if (next < args.positional.size()) test = ToPyStr(args.positional[next++]);
  CallArgs test_args;
  test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(next),
                              args.positional.end());
  test_args.keyword = args.keyword;
  std::vector<Value> out;
  for (const Value& item : items) {
    Value subject = item;
    if (attribute) {
      HEARTH_ASSIGN_OR_RETURN(subject, GetPath(ev, item, *attribute));
    }
    bool passed = subject.Truthy();
    if (test) {
      CallArgs call = test_args;
      HEARTH_ASSIGN_OR_RETURN(passed, ev.ApplyTest(*test, subject, call));
    }
    if (passed == kSelect) out.push_back(item);
  }
  return Value::MakeGenerator(std::move(out));
}

Result<Value> Batch(Evaluator&, const Value& v, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto a, Bind("batch", args, {"linecount", "fill_with"}));
  if (!a[0] || !a[0]->is_int() || a[0]->AsInt() <= 0) {
    return InvalidArgumentError("ValueError: batch needs a positive line count");
  }
  const size_t n = static_cast<size_t>(a[0]->AsInt());
  HEARTH_ASSIGN_OR_RETURN(auto items, Items(v));
  std::vector<Value> out;
  for (size_t i = 0; i < items.size(); i += n) {
    std::vector<Value> row(
        items.begin() + static_cast<std::ptrdiff_t>(i),
        items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), i + n)));
    while (a[1] && !a[1]->is_none() && row.size() < n) row.push_back(*a[1]);
    out.push_back(Value::MakeList(std::move(row)));
  }
  return Value::MakeGenerator(std::move(out));
}

const std::unordered_map<std::string, FilterFn>& Filters() {
  static const auto* filters = new std::unordered_map<std::string, FilterFn>{
      {"abs", Abs},
      {"attr", Attr},
      {"batch", Batch},
      {"capitalize", StringFilter<PyCapitalize>},
      {"count", Length},
      {"d", Default},
      {"default", Default},
      {"dictsort", DictSort},
      {"e", Escape},
      {"escape", Escape},
      {"first", First},
      {"float", Float},
      {"format", Format},
      {"indent", Indent},
      {"int", Int},
      {"items", DictItems},
      {"join", Join},
      {"last", Last},
      {"length", Length},
      {"list", ToList},
      {"lower", StringFilter<PyLower>},
      {"map", Map},
      {"max", Max},
      {"min", Min},
      {"reject", SelectFilter<false, false>},
      {"rejectattr", SelectFilter<true, false>},
      {"replace", Replace},
      {"reverse", Reverse},
      {"round", Round},
      {"safe", Safe},
      {"select", SelectFilter<false, true>},
      {"selectattr", SelectFilter<true, true>},
      {"sort", Sort},
      {"string", ToString},
      {"sum", Sum},
      {"title", StringFilter<PyTitle>},
      {"tojson", ToJson},
      {"trim", Trim},
      {"unique", Unique},
      {"upper", StringFilter<PyUpper>},
      {"wordcount", WordCount},
  };
  return *filters;
}

}  // namespace

Result<Value> Evaluator::ApplyFilter(std::string_view name, const Value& input, CallArgs& args) {
  const auto& filters = Filters();
  auto it = filters.find(std::string(name));
  if (it == filters.end()) {
    return InvalidArgumentError("TemplateAssertionError: No filter named '{}'", name);
  }
  return it->second(*this, input, args);
}

}  // namespace hearth::chat
