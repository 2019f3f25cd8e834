// Value: the dynamic type a chat template computes with. It mirrors the
// Python objects jinja2 sees when transformers renders a template: None,
// bool, int, float, str, list/tuple, dict (insertion ordered), callables
// (macros, builtins, bound methods), jinja2's Undefined, and namespace().
//
// Strings, lists and dicts are shared (copying a Value is cheap); the
// sandbox never mutates a list or dict after it is built, except namespace
// attributes, which `{% set ns.x = ... %}` changes in place on purpose.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace hearth::chat {

class Value;
class Evaluator;

struct List {
  std::vector<Value> items;
  bool is_tuple = false;      // prints as (a, b) instead of [a, b]
  bool is_generator = false;  // a lazy iterator in jinja2 (map, select, ...): always true,
                              // no len(), no indexing
};

struct Dict {
  // Insertion order, like Python 3.7+. Keys are hashable values: str (JSON
  // objects, attributes), int, float, bool, None or tuples of those.
  std::vector<std::pair<Value, Value>> entries;
  bool is_namespace = false;  // jinja2 namespace(): attributes assignable by {% set %}

  const Value* Find(std::string_view key) const;  // string keys only
  const Value* FindKey(const Value& key) const;   // Python dict lookup (1 == 1.0 == True)
  void Set(std::string key, Value value);
  void Set(Value key, Value value);
};

// Arguments of one call: f(a, b, key=c).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

class Callable {
 public:
  virtual ~Callable() = default;
  virtual Result<Value> Call(Evaluator& evaluator, CallArgs& args) const = 0;
  virtual std::string Name() const = 0;
};

class Value {
 public:
  enum class Type : uint8_t {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kDict,
    kCallable,
  };

  Value() = default;  // undefined
  static Value Undefined(std::string hint = {}, bool unsafe = false);
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  // markupsafe.Markup (from |safe or |escape): `Markup + str` HTML-escapes the str.
  static Value Markup(std::string s);
  static Value MakeList(std::vector<Value> items, bool is_tuple = false);
  static Value MakeGenerator(std::vector<Value> items);
  static Value MakeDict(Dict dict);
  static Value MakeCallable(std::shared_ptr<const Callable> fn);
  // JSON objects keep their key order (ordered_json), as Python dicts do.
  static Value FromJson(const nlohmann::ordered_json& json);

  Type type() const { return type_; }
  bool is_undefined() const { return type_ == Type::kUndefined; }
  bool is_none() const { return type_ == Type::kNone; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_int() const { return type_ == Type::kInt; }
  bool is_float() const { return type_ == Type::kFloat; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return type_ == Type::kString; }
  bool is_markup() const { return is_string() && scalar_.b; }
  bool is_list() const { return type_ == Type::kList; }
  bool is_dict() const { return type_ == Type::kDict; }
  bool is_callable() const { return type_ == Type::kCallable; }
  bool is_namespace() const { return is_dict() && dict_->is_namespace; }
  bool is_tuple() const { return is_list() && list_->is_tuple; }
  bool is_generator() const { return is_list() && list_->is_generator; }

  bool AsBool() const { return scalar_.b; }
  int64_t AsInt() const { return is_bool() ? (scalar_.b ? 1 : 0) : scalar_.i; }
  double AsDouble() const;  // any number
  const std::string& AsString() const { return *str_; }
  const List& AsList() const { return *list_; }
  const Dict& AsDict() const { return *dict_; }
  Dict& MutableNamespace() const { return *dict_; }  // precondition: is_namespace()
  const Callable& AsCallable() const { return *fn_; }
  // For undefined: what was missing, e.g. "'x' is undefined".
  const std::string& UndefinedHint() const { return *str_; }
  bool IsUnsafeUndefined() const { return is_undefined() && scalar_.b; }

  // Python truthiness.
  bool Truthy() const;
  // Python's type name as jinja2 errors say it: "str", "dict", "NoneType".
  std::string TypeName() const;

 private:
  Type type_ = Type::kUndefined;
  union {
    bool b;
    int64_t i;
    double f;
  } scalar_{.i = 0};
  std::shared_ptr<const std::string> str_;  // kString; kUndefined's hint
  std::shared_ptr<List> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<const Callable> fn_;
};

// str(value) as Python prints it; undefined prints as "".
std::string ToPyStr(const Value& value);
// repr(value): strings quoted, lists/dicts with repr'd elements.
std::string ToPyRepr(const Value& value);
// repr(float): shortest round-trip digits, Python's fixed/exponent switch.
std::string FormatPyFloat(double value);
// markupsafe.escape: & < > " ' as HTML entities.
std::string HtmlEscape(std::string_view text);

// json.dumps(value, ensure_ascii=False, indent=indent, separators=..., sort_keys=...).
struct JsonDumpOptions {
  bool has_indent = false;
  std::string indent;  // used when has_indent
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};
Result<std::string> PyJsonDumps(const Value& value, const JsonDumpOptions& options);

// Whether `key` may be a dict key (Python hashable): str, numbers, None, tuples of those.
bool IsHashable(const Value& key);

// Python ==, and < for sorting / comparisons (error when the types don't order).
bool PyEquals(const Value& a, const Value& b);
Result<bool> PyLess(const Value& a, const Value& b);

// UTF-8 helpers: Python indexes strings by code point.
size_t Utf8Length(std::string_view s);
std::vector<std::string> Utf8Chars(std::string_view s);
// Python str.isspace() for one code point starting at s[pos]; sets *len.
bool IsPyWhitespaceAt(std::string_view s, size_t pos, size_t* len);
std::string_view PyStripRight(std::string_view s);
std::string_view PyStripLeft(std::string_view s);

}  // namespace hearth::chat
