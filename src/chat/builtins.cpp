// Global functions a chat template can call: jinja2's range, namespace,
// dict, joiner, and transformers' raise_exception and strftime_now.
#include <ctime>
#include <functional>

#include "chat/evaluator.h"

namespace hearth::chat {
namespace {

using BuiltinFn = Result<Value> (*)(Evaluator&, CallArgs&);

class Builtin : public Callable {
 public:
  Builtin(std::string name, BuiltinFn fn) : name_(std::move(name)), fn_(fn) {}
  std::string Name() const override { return name_; }
  Result<Value> Call(Evaluator& ev, CallArgs& args) const override { return fn_(ev, args); }

 private:
  std::string name_;
  BuiltinFn fn_;
};

Result<Value> Range(Evaluator& ev, CallArgs& args) {
  if (!args.keyword.empty() || args.positional.empty() || args.positional.size() > 3) {
    return InvalidArgumentError("TypeError: range expected 1 to 3 integer arguments");
  }
  for (const Value& v : args.positional) {
    if (!v.is_int() && !v.is_bool()) {
      return InvalidArgumentError("TypeError: '{}' object cannot be interpreted as an integer",
                                  v.TypeName());
    }
  }
  const auto& p = args.positional;
  const int64_t start = p.size() == 1 ? 0 : p[0].AsInt();
  const int64_t stop = p.size() == 1 ? p[0].AsInt() : p[1].AsInt();
  const int64_t step = p.size() == 3 ? p[2].AsInt() : 1;
  if (step == 0) return InvalidArgumentError("ValueError: range() arg 3 must not be zero");
  // Length computed in long double so extreme bounds cannot overflow.
  const long double span = static_cast<long double>(stop) - static_cast<long double>(start);
  const long double count = span / static_cast<long double>(step);
  if (count > static_cast<long double>(ev.limits().max_range)) {
    return OutOfRangeError(
        "OverflowError: Range too big. The sandbox blocks ranges larger than "
        "MAX_RANGE ({}).",
        ev.limits().max_range);
  }
  std::vector<Value> items;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.push_back(Value::Int(i));
  return Value::MakeList(std::move(items));
}

Result<Dict> DictFromArgs(CallArgs& args, std::string_view function) {
  Dict dict;
  if (args.positional.size() > 1) {
    return InvalidArgumentError("TypeError: {} expected at most 1 positional argument", function);
  }
  if (args.positional.size() == 1) {
    const Value& source = args.positional[0];
    if (source.is_dict() && !source.is_namespace()) {
      dict = source.AsDict();
    } else if (source.is_list()) {
      for (const Value& pair : source.AsList().items) {
        if (!pair.is_list() || pair.AsList().items.size() != 2 ||
            !IsHashable(pair.AsList().items[0])) {
          return InvalidArgumentError("TypeError: {}() needs a sequence of (key, value) pairs",
                                      function);
        }
        dict.Set(pair.AsList().items[0], pair.AsList().items[1]);
      }
    } else {
      return InvalidArgumentError("TypeError: '{}' object is not iterable", source.TypeName());
    }
  }
  for (auto& [key, value] : args.keyword) dict.Set(key, value);
  return dict;
}

Result<Value> MakeNamespace(Evaluator&, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(Dict dict, DictFromArgs(args, "namespace"));
  dict.is_namespace = true;
  return Value::MakeDict(std::move(dict));
}

Result<Value> MakeDict(Evaluator&, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(Dict dict, DictFromArgs(args, "dict"));
  return Value::MakeDict(std::move(dict));
}

Result<Value> RaiseException(Evaluator&, CallArgs& args) {
  const std::string message = args.positional.empty() ? "" : ToPyStr(args.positional[0]);
  return InvalidArgumentError("TemplateError: {}", message);
}

Result<Value> StrftimeNow(Evaluator& ev, CallArgs& args) {
  if (args.positional.size() != 1 || !args.positional[0].is_string()) {
    return InvalidArgumentError("TypeError: strftime_now takes one format string");
  }
  const std::string& format = args.positional[0].AsString();
  if (format.empty()) return Value::String("");
  std::string buffer(256 + format.size() * 16, '\0');
  const size_t n = std::strftime(buffer.data(), buffer.size(), format.c_str(), &ev.now());
  if (n == 0) {
    return InvalidArgumentError("ValueError: strftime format '{}' produced no output", format);
  }
  buffer.resize(n);
  return Value::String(std::move(buffer));
}

// joiner(sep): returns "" on its first call and sep afterwards.
class Joiner : public Callable {
 public:
  explicit Joiner(std::string separator) : separator_(std::move(separator)) {}
  std::string Name() const override { return "joiner"; }
  Result<Value> Call(Evaluator&, CallArgs&) const override {
    if (!used_) {
      used_ = true;
      return Value::String("");
    }
    return Value::String(separator_);
  }

 private:
  std::string separator_;
  mutable bool used_ = false;  // per-render state, like jinja2's Joiner
};

Result<Value> MakeJoiner(Evaluator&, CallArgs& args) {
  HEARTH_ASSIGN_OR_RETURN(auto bound, BindArgs("joiner", args, {"sep"}));
  const std::string separator = bound[0] ? ToPyStr(*bound[0]) : ", ";
  return Value::MakeCallable(std::make_shared<Joiner>(separator));
}

}  // namespace

void InstallGlobals(Scope& scope) {
  const std::pair<const char*, BuiltinFn> builtins[] = {
      {"range", Range},       {"namespace", MakeNamespace},        {"dict", MakeDict},
      {"joiner", MakeJoiner}, {"raise_exception", RaiseException}, {"strftime_now", StrftimeNow},
  };
  for (const auto& [name, fn] : builtins) {
    scope.Set(name, Value::MakeCallable(std::make_shared<Builtin>(name, fn)));
  }
}

}  // namespace hearth::chat
