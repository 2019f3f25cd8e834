// Methods of str, dict and list that templates call (`text.strip()`,
// `message.get('content')`, `items.index(x)`). Methods that would mutate a
// list or dict resolve to an "unsafe" undefined, as jinja2's
// ImmutableSandboxedEnvironment does: calling one raises SecurityError.
#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "chat/evaluator.h"
#include "chat/string_ops.h"

namespace hearth::chat {
namespace {

using MethodFn = Result<Value> (*)(Evaluator&, const Value& self, CallArgs&);

class BoundMethod : public Callable {
 public:
  BoundMethod(Value self, std::string name, MethodFn fn)
      : self_(std::move(self)), name_(std::move(name)), fn_(fn) {}
  std::string Name() const override { return self_.TypeName() + "." + name_; }
  Result<Value> Call(Evaluator& ev, CallArgs& args) const override { return fn_(ev, self_, args); }

 private:
  Value self_;
  std::string name_;
  MethodFn fn_;
};

Result<std::string> StringArg(const std::optional<Value>& v, std::string_view what) {
  if (!v || !v->is_string()) {
    return InvalidArgumentError("TypeError: {} must be str, not {}", what,
                                v ? v->TypeName() : "nothing");
  }
  return v->AsString();
}

// Optional "chars" argument of strip(): None means whitespace.
Result<std::optional<std::string>> CharsArg(const std::optional<Value>& v) {
  if (!v || v->is_none()) return std::optional<std::string>();
  if (!v->is_string()) return InvalidArgumentError("TypeError: strip arg must be None or str");
  return std::optional<std::string>(v->AsString());
}

template <int kSides>
Result<Value> StripMethod(Evaluator&, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("strip", args, {"chars"}));
  HEARTH_ASSIGN_OR_RETURN(auto chars, CharsArg(bound[0]));
  return Value::String(PyStrip(self.AsString(), chars, kSides & 1, kSides & 2));
}

Result<int64_t> MaxSplitArg(const std::optional<Value>& v) {
  if (!v) return -1;
  if (!v->is_int()) return InvalidArgumentError("TypeError: maxsplit must be an integer");
  return v->AsInt();
}

template <bool kFromRight>
Result<Value> SplitMethod(Evaluator& ev, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("split", args, {"sep", "maxsplit"}));
  HEARTH_ASSIGN_OR_RETURN(int64_t maxsplit, MaxSplitArg(bound[1]));
  std::optional<std::string> sep;
  if (bound[0] && !bound[0]->is_none()) {
    HEARTH_ASSIGN_OR_RETURN(sep, StringArg(bound[0], "sep"));
    if (sep->empty()) return InvalidArgumentError("ValueError: empty separator");
  }
  std::vector<std::string> parts = PySplit(self.AsString(), sep, maxsplit, kFromRight);
  HEARTH_RETURN_IF_ERROR(ev.CountIterations(parts.size()));
  std::vector<Value> items;
  items.reserve(parts.size());
  for (std::string& p : parts) items.push_back(Value::String(std::move(p)));
  return Value::MakeList(std::move(items));
}

Result<Value> SplitLinesMethod(Evaluator& ev, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("splitlines", args, {"keepends"}));
  std::vector<Value> items;
  for (std::string& line : PySplitLines(self.AsString(), bound[0] && bound[0]->Truthy())) {
    items.push_back(Value::String(std::move(line)));
  }
  HEARTH_RETURN_IF_ERROR(ev.CountIterations(items.size()));
  return Value::MakeList(std::move(items));
}

template <bool kEnds>
Result<Value> AffixMethod(Evaluator&, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs(kEnds ? "endswith" : "startswith", args, {"affix"}));
  if (!bound[0]) return InvalidArgumentError("TypeError: startswith/endswith takes one argument");
  std::vector<Value> options;
  if (bound[0]->is_tuple()) {
    options = bound[0]->AsList().items;
  } else {
    options.push_back(*bound[0]);
  }
  const std::string& s = self.AsString();
  for (const Value& option : options) {
    if (!option.is_string()) {
      return InvalidArgumentError(
          "TypeError: startswith/endswith first arg must be str or a tuple "
          "of str, not {}",
          option.TypeName());
    }
    const std::string& affix = option.AsString();
    if (affix.size() > s.size()) continue;
    if (kEnds ? s.compare(s.size() - affix.size(), affix.size(), affix) == 0
              : s.compare(0, affix.size(), affix) == 0) {
      return Value::Bool(true);
    }
  }
  return Value::Bool(false);
}

template <std::string (*kFn)(std::string_view)>
Result<Value> CaseMethod(Evaluator&, const Value& self, CallArgs& args) {
  if (!args.positional.empty() || !args.keyword.empty()) {
    return InvalidArgumentError("TypeError: method takes no arguments");
  }
  return Value::String(kFn(self.AsString()));
}

Result<Value> ReplaceMethod(Evaluator& ev, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("replace", args, {"old", "new", "count"}));
  HEARTH_ASSIGN_OR_RETURN(std::string old_text, StringArg(bound[0], "replace() argument 1"));
  HEARTH_ASSIGN_OR_RETURN(std::string new_text, StringArg(bound[1], "replace() argument 2"));
  int64_t count = -1;
  if (bound[2]) {
    if (!bound[2]->is_int()) return InvalidArgumentError("TypeError: count must be an integer");
    count = bound[2]->AsInt();
  }
  std::string out = PyReplace(self.AsString(), old_text, new_text, count);
  HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(out.size()));
  return Value::String(std::move(out));
}

// find / rfind / index / rindex / count.
template <int kMode>
Result<Value> SearchMethod(Evaluator&, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("find", args, {"sub"}));
  HEARTH_ASSIGN_OR_RETURN(std::string sub, StringArg(bound[0], "substring"));
  const std::string& s = self.AsString();
  if (kMode == 4) {
    if (sub.empty()) return Value::Int(static_cast<int64_t>(Utf8Length(s)) + 1);
    int64_t n = 0;
    for (size_t pos = s.find(sub); pos != std::string::npos; pos = s.find(sub, pos + sub.size())) {
      ++n;
    }
    return Value::Int(n);
  }
  const size_t pos = (kMode == 1 || kMode == 3) ? s.rfind(sub) : s.find(sub);
  if (pos == std::string::npos) {
    if (kMode >= 2) return InvalidArgumentError("ValueError: substring not found");
    return Value::Int(-1);
  }
  return Value::Int(static_cast<int64_t>(Utf8Length(std::string_view(s).substr(0, pos))));
}

Result<Value> JoinMethod(Evaluator& ev, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("join", args, {"iterable"}));
  if (!bound[0]) return InvalidArgumentError("TypeError: join() takes exactly one argument");
  HEARTH_ASSIGN_OR_RETURN(auto items, Iterate(*bound[0]));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      return InvalidArgumentError("TypeError: sequence item {}: expected str instance, {} found", i,
                                  items[i].TypeName());
    }
    if (i > 0) out += self.AsString();
    out += items[i].AsString();
    HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(out.size()));
  }
  return Value::String(std::move(out));
}

Result<Value> FormatMethod(Evaluator& ev, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(std::string out, PyStrFormat(self.AsString(), args));
  HEARTH_RETURN_IF_ERROR(ev.CheckStringSize(out.size()));
  return Value::String(std::move(out));
}

template <bool (*kPredicate)(std::string_view)>
Result<Value> IsMethod(Evaluator&, const Value& self, CallArgs&) {
  return Value::Bool(kPredicate(self.AsString()));
}

template <bool kSuffix>
Result<Value> RemoveAffixMethod(Evaluator&, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("removeprefix", args, {"affix"}));
  HEARTH_ASSIGN_OR_RETURN(std::string affix, StringArg(bound[0], "argument"));
  std::string s = self.AsString();
  if (affix.size() <= s.size()) {
    if (kSuffix && s.compare(s.size() - affix.size(), affix.size(), affix) == 0) {
      s.resize(s.size() - affix.size());
    } else if (!kSuffix && s.compare(0, affix.size(), affix) == 0) {
      s.erase(0, affix.size());
    }
  }
  return Value::String(std::move(s));
}

// --- dict -----------------------------------------------------------------------

Result<Value> DictItems(Evaluator& ev, const Value& self, CallArgs&) {
  std::vector<Value> items;
  for (const auto& [key, value] : self.AsDict().entries) {
    items.push_back(Value::MakeList({key, value}, true));
  }
  HEARTH_RETURN_IF_ERROR(ev.CountIterations(items.size()));
  return Value::MakeList(std::move(items));
}

Result<Value> DictKeys(Evaluator&, const Value& self, CallArgs&) {
  HEARTH_ASSIGN_OR_RETURN(auto keys, Iterate(self));
  return Value::MakeList(std::move(keys));
}

Result<Value> DictValues(Evaluator&, const Value& self, CallArgs&) {
  std::vector<Value> items;
  for (const auto& entry : self.AsDict().entries) items.push_back(entry.second);
  return Value::MakeList(std::move(items));
}

Result<Value> DictGet(Evaluator&, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("get", args, {"key", "default"}));
  if (!bound[0]) return InvalidArgumentError("TypeError: get expected at least 1 argument");
  if (const Value* v = self.AsDict().FindKey(*bound[0])) return *v;
  return bound[1] ? *bound[1] : Value::None();
}

Result<Value> CopyMethod(Evaluator&, const Value& self, CallArgs&) {
  if (self.is_dict()) return Value::MakeDict(self.AsDict());
  return Value::MakeList(self.AsList().items, self.is_tuple());
}

// --- list -----------------------------------------------------------------------

Result<Value> ListIndex(Evaluator&, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("index", args, {"value"}));
  const auto& items = self.AsList().items;
  for (size_t i = 0; bound[0] && i < items.size(); ++i) {
    if (PyEquals(items[i], *bound[0])) return Value::Int(static_cast<int64_t>(i));
  }
  return InvalidArgumentError("ValueError: value is not in list");
}

Result<Value> ListCount(Evaluator&, const Value& self, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("count", args, {"value"}));
  int64_t n = 0;
  for (const Value& item : self.AsList().items) {
    if (bound[0] && PyEquals(item, *bound[0])) ++n;
  }
  return Value::Int(n);
}

const std::unordered_map<std::string, MethodFn>& StringMethods() {
  static const auto* methods = new std::unordered_map<std::string, MethodFn>{
      {"strip", StripMethod<3>},
      {"lstrip", StripMethod<1>},
      {"rstrip", StripMethod<2>},
      {"split", SplitMethod<false>},
      {"rsplit", SplitMethod<true>},
      {"splitlines", SplitLinesMethod},
      {"startswith", AffixMethod<false>},
      {"endswith", AffixMethod<true>},
      {"upper", CaseMethod<PyUpper>},
      {"lower", CaseMethod<PyLower>},
      {"casefold", CaseMethod<PyLower>},
      {"title", CaseMethod<PyTitle>},
      {"capitalize", CaseMethod<PyCapitalize>},
      {"replace", ReplaceMethod},
      {"find", SearchMethod<0>},
      {"rfind", SearchMethod<1>},
      {"index", SearchMethod<2>},
      {"rindex", SearchMethod<3>},
      {"count", SearchMethod<4>},
      {"join", JoinMethod},
      {"format", FormatMethod},
      {"isdigit", IsMethod<PyIsDigit>},
      {"isnumeric", IsMethod<PyIsDigit>},
      {"isdecimal", IsMethod<PyIsDigit>},
      {"isalpha", IsMethod<PyIsAlpha>},
      {"isalnum", IsMethod<PyIsAlnum>},
      {"isspace", IsMethod<PyIsSpace>},
      {"isupper", IsMethod<PyIsUpper>},
      {"islower", IsMethod<PyIsLower>},
      {"removeprefix", RemoveAffixMethod<false>},
      {"removesuffix", RemoveAffixMethod<true>},
  };
  return *methods;
}

bool IsMutatingDictMethod(const std::string& name) {
  return name == "pop" || name == "popitem" || name == "setdefault" || name == "update" ||
         name == "clear";
}

bool IsMutatingListMethod(const std::string& name) {
  return name == "append" || name == "extend" || name == "insert" || name == "pop" ||
         name == "remove" || name == "reverse" || name == "sort" || name == "clear";
}

Value Bind(const Value& self, const std::string& name, MethodFn fn) {
  return Value::MakeCallable(std::make_shared<BoundMethod>(self, name, fn));
}

Value Unsafe(const Value& self, const std::string& name) {
  return Value::Undefined(
      fmt::format("access to attribute '{}' of '{}' object is unsafe.", name, self.TypeName()),
      /*unsafe=*/true);
}

}  // namespace

std::optional<Value> GetMethod(const Value& self, const std::string& name) {
  if (self.is_string()) {
    const auto& methods = StringMethods();
    auto it = methods.find(name);
    if (it != methods.end()) return Bind(self, name, it->second);
    return std::nullopt;
  }
  if (self.is_dict() && !self.is_namespace()) {
    if (name == "items") return Bind(self, name, DictItems);
    if (name == "keys") return Bind(self, name, DictKeys);
    if (name == "values") return Bind(self, name, DictValues);
    if (name == "get") return Bind(self, name, DictGet);
    if (name == "copy") return Bind(self, name, CopyMethod);
    if (IsMutatingDictMethod(name)) return Unsafe(self, name);
    return std::nullopt;
  }
  if (self.is_list()) {
    if (name == "index") return Bind(self, name, ListIndex);
    if (name == "count") return Bind(self, name, ListCount);
    if (!self.is_tuple()) {
      if (name == "copy") return Bind(self, name, CopyMethod);
      if (IsMutatingListMethod(name)) return Unsafe(self, name);
    }
  }
  return std::nullopt;
}

}  // namespace hearth::chat
