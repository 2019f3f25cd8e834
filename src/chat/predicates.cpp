// jinja2's builtin tests (`x is defined`, `n is divisibleby 3`, ...), by name.
#include <unordered_map>

#include "chat/evaluator.h"
#include "chat/string_ops.h"

namespace hearth::chat {
namespace {

using TestFn = Result<bool> (*)(Evaluator&, const Value&, const std::vector<Value>&);

Result<const Value*> OneArg(std::string_view test, const std::vector<Value>& args) {
  if (args.size() != 1) {
    return InvalidArgumentError("TypeError: test '{}' takes exactly one argument", test);
  }
  return &args[0];
}

Result<bool> Defined(Evaluator&, const Value& v, const std::vector<Value>&) {
  return !v.is_undefined();
}
Result<bool> IsUndefined(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_undefined();
}
Result<bool> IsNone(Evaluator&, const Value& v, const std::vector<Value>&) { return v.is_none(); }
Result<bool> IsString(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_string();
}
Result<bool> IsNumber(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_number();
}
Result<bool> IsInteger(Evaluator&, const Value& v, const std::vector<Value>&) { return v.is_int(); }
Result<bool> IsFloat(Evaluator&, const Value& v, const std::vector<Value>&) { return v.is_float(); }
Result<bool> IsBoolean(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_bool();
}
Result<bool> IsTrue(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_bool() && v.AsBool();
}
Result<bool> IsFalse(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_bool() && !v.AsBool();
}
Result<bool> IsMapping(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_dict() && !v.is_namespace();
}
Result<bool> IsIterable(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_undefined() || v.is_string() || v.is_list() || (v.is_dict() && !v.is_namespace());
}
Result<bool> IsSequence(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_undefined() || v.is_string() || (v.is_list() && !v.is_generator()) ||
         (v.is_dict() && !v.is_namespace());
}
Result<bool> IsCallable(Evaluator&, const Value& v, const std::vector<Value>&) {
  return v.is_callable();
}
Result<bool> IsLower(Evaluator&, const Value& v, const std::vector<Value>&) {
  const std::string s = ToPyStr(v);
  return PyLower(s) == s && PyIsLower(s);
}
Result<bool> IsUpper(Evaluator&, const Value& v, const std::vector<Value>&) {
  const std::string s = ToPyStr(v);
  return PyIsUpper(s);
}

Result<bool> Equal(Evaluator&, const Value& v, const std::vector<Value>& args) {
  HEARTH_ASSIGN_OR_RETURN(const Value* other, OneArg("eq", args));
  return PyEquals(v, *other);
}
Result<bool> NotEqual(Evaluator&, const Value& v, const std::vector<Value>& args) {
  HEARTH_ASSIGN_OR_RETURN(const Value* other, OneArg("ne", args));
  return !PyEquals(v, *other);
}

template <int kOp>  // 0: <, 1: <=, 2: >, 3: >=
Result<bool> Order(Evaluator&, const Value& v, const std::vector<Value>& args) {
  HEARTH_ASSIGN_OR_RETURN(const Value* other, OneArg("comparison", args));
  if (kOp == 0) return PyLess(v, *other);
  if (kOp == 2) return PyLess(*other, v);
  if (kOp == 1) {
    HEARTH_ASSIGN_OR_RETURN(bool greater, PyLess(*other, v));
    return !greater;
  }
  HEARTH_ASSIGN_OR_RETURN(bool less, PyLess(v, *other));
  return !less;
}

Result<bool> In(Evaluator&, const Value& v, const std::vector<Value>& args) {
  HEARTH_ASSIGN_OR_RETURN(const Value* container, OneArg("in", args));
  return Contains(*container, v);
}

Result<bool> SameAs(Evaluator&, const Value& v, const std::vector<Value>& args) {
  HEARTH_ASSIGN_OR_RETURN(const Value* other, OneArg("sameas", args));
  // Python identity: singletons and small ints compare by value here.
  if (v.type() != other->type()) return false;
  // Equal short strings are one interned object in CPython too.
  if (v.is_none() || v.is_bool() || v.is_int() || v.is_string()) return PyEquals(v, *other);
  return false;
}

Result<int64_t> IntegerOf(const Value& v, std::string_view test) {
  if (v.is_int() || v.is_bool()) return v.AsInt();
  return InvalidArgumentError("TypeError: test '{}' needs an integer, got {}", test, v.TypeName());
}

Result<bool> Odd(Evaluator&, const Value& v, const std::vector<Value>&) {
  HEARTH_ASSIGN_OR_RETURN(int64_t n, IntegerOf(v, "odd"));
  return n % 2 != 0;
}
Result<bool> Even(Evaluator&, const Value& v, const std::vector<Value>&) {
  HEARTH_ASSIGN_OR_RETURN(int64_t n, IntegerOf(v, "even"));
  return n % 2 == 0;
}
Result<bool> DivisibleBy(Evaluator&, const Value& v, const std::vector<Value>& args) {
  HEARTH_ASSIGN_OR_RETURN(const Value* divisor, OneArg("divisibleby", args));
  HEARTH_ASSIGN_OR_RETURN(int64_t n, IntegerOf(v, "divisibleby"));
  HEARTH_ASSIGN_OR_RETURN(int64_t d, IntegerOf(*divisor, "divisibleby"));
  if (d == 0) return InvalidArgumentError("ZeroDivisionError: integer modulo by zero");
  if (d == -1) return true;
  return n % d == 0;
}

Result<bool> KnownFilter(Evaluator& ev, const Value& v, const std::vector<Value>&) {
  CallArgs probe;
  // A filter exists when applying it fails for any reason but "no filter named".
  auto result = ev.ApplyFilter(ToPyStr(v), Value::Undefined(), probe);
  return result.ok() || result.status().message().find("No filter named") == std::string::npos;
}

const std::unordered_map<std::string, TestFn>& Tests() {
  static const auto* tests = new std::unordered_map<std::string, TestFn>{
      {"defined", Defined},
      {"undefined", IsUndefined},
      {"none", IsNone},
      {"string", IsString},
      {"number", IsNumber},
      {"integer", IsInteger},
      {"float", IsFloat},
      {"boolean", IsBoolean},
      {"true", IsTrue},
      {"false", IsFalse},
      {"mapping", IsMapping},
      {"iterable", IsIterable},
      {"sequence", IsSequence},
      {"callable", IsCallable},
      {"lower", IsLower},
      {"upper", IsUpper},
      {"eq", Equal},
      {"equalto", Equal},
      {"==", Equal},
      {"ne", NotEqual},
      {"!=", NotEqual},
      {"lt", Order<0>},
      {"lessthan", Order<0>},
      {"<", Order<0>},
      {"le", Order<1>},
      {"<=", Order<1>},
      {"gt", Order<2>},
      {"greaterthan", Order<2>},
      {">", Order<2>},
      {"ge", Order<3>},
      {">=", Order<3>},
      {"in", In},
      {"sameas", SameAs},
      {"odd", Odd},
      {"even", Even},
      {"divisibleby", DivisibleBy},
      {"filter", KnownFilter},
  };
  return *tests;
}

}  // namespace

Result<bool> Evaluator::ApplyTest(std::string_view name, const Value& input, CallArgs& args) {
  const auto& tests = Tests();
  auto it = tests.find(std::string(name));
  if (it == tests.end()) {
    return InvalidArgumentError("TemplateAssertionError: No test named '{}'", name);
  }
  if (!args.keyword.empty()) {
    return UnsupportedError("unsupported construct: keyword arguments to test '{}'", name);
  }
  return it->second(*this, input, args.positional);
}

}  // namespace hearth::chat
