#include "chat/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace hearth::chat {

const Value* Dict::Find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k.is_string() && k.AsString() == key) return &v;
  }
  return nullptr;
}

const Value* Dict::FindKey(const Value& key) const {
  if (key.is_string()) return Find(key.AsString());
  for (const auto& [k, v] : entries) {
    if (PyEquals(k, key)) return &v;
  }
  return nullptr;
}

void Dict::Set(std::string key, Value value) {
  Set(Value::String(std::move(key)), std::move(value));
}

void Dict::Set(Value key, Value value) {
  for (auto& [k, v] : entries) {
    if (PyEquals(k, key)) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
}

bool IsHashable(const Value& key) {
  if (key.is_list()) {
    if (!key.is_tuple()) return false;
    for (const Value& item : key.AsList().items) {
      if (!IsHashable(item)) return false;
    }
    return true;
  }
  return key.is_string() || key.is_number() || key.is_none();
}

Value Value::Undefined(std::string hint, bool unsafe) {
  Value v;
  v.type_ = Type::kUndefined;
  v.scalar_.b = unsafe;
  v.str_ = std::make_shared<const std::string>(std::move(hint));
  return v;
}

Value Value::None() {
  Value v;
  v.type_ = Type::kNone;
  return v;
}

Value Value::Bool(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.scalar_.b = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.type_ = Type::kInt;
  v.scalar_.i = i;
  return v;
}

Value Value::Float(double f) {
  Value v;
  v.type_ = Type::kFloat;
  v.scalar_.f = f;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.str_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::Markup(std::string s) {
  Value v = String(std::move(s));
  v.scalar_.b = true;
  return v;
}

Value Value::MakeList(std::vector<Value> items, bool is_tuple) {
  Value v;
  v.type_ = Type::kList;
  v.list_ = std::make_shared<List>(List{std::move(items), is_tuple});
  return v;
}

Value Value::MakeGenerator(std::vector<Value> items) {
  Value v = MakeList(std::move(items));
  v.list_->is_generator = true;
  return v;
}

Value Value::MakeDict(Dict dict) {
  Value v;
  v.type_ = Type::kDict;
  v.dict_ = std::make_shared<Dict>(std::move(dict));
  return v;
}

Value Value::MakeCallable(std::shared_ptr<const Callable> fn) {
  Value v;
  v.type_ = Type::kCallable;
  v.fn_ = std::move(fn);
  return v;
}

Value Value::FromJson(const nlohmann::ordered_json& json) {
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
      return None();
    case nlohmann::ordered_json::value_t::boolean:
      return Bool(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Int(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const uint64_t u = json.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Int(static_cast<int64_t>(u));
      }
      return Float(static_cast<double>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Float(json.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return String(json.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(FromJson(item));
      return MakeList(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Dict dict;
      dict.entries.reserve(json.size());
      for (auto it = json.begin(); it != json.end(); ++it) {
        dict.entries.emplace_back(String(it.key()), FromJson(it.value()));
      }
      return MakeDict(std::move(dict));
    }
    default:
      return None();
  }
}

double Value::AsDouble() const {
  if (is_float()) return scalar_.f;
  return static_cast<double>(AsInt());
}

bool Value::Truthy() const {
  switch (type_) {
    case Type::kUndefined:
    case Type::kNone:
      return false;
    case Type::kBool:
      return scalar_.b;
    case Type::kInt:
      return scalar_.i != 0;
    case Type::kFloat:
      return scalar_.f != 0.0;
    case Type::kString:
      return !str_->empty();
    case Type::kList:
      return list_->is_generator || !list_->items.empty();
    case Type::kDict:
      return is_namespace() || !dict_->entries.empty();
    case Type::kCallable:
      return true;
  }
  return false;
}

std::string Value::TypeName() const {
  switch (type_) {
    case Type::kUndefined:
      return "Undefined";
    case Type::kNone:
      return "NoneType";
    case Type::kBool:
      return "bool";
    case Type::kInt:
      return "int";
    case Type::kFloat:
      return "float";
    case Type::kString:
      return "str";
    case Type::kList:
      if (list_->is_generator) return "generator";
      return list_->is_tuple ? "tuple" : "list";
    case Type::kDict:
      return dict_->is_namespace ? "Namespace" : "dict";
    case Type::kCallable:
      return "function";
  }
  return "object";
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string FormatPyFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  // Shortest round-trip digits in scientific form: "-d.ddde+XX".
  auto result = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  std::string sign;
  if (!sci.empty() && sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e_pos = sci.find('e');
  std::string digits = sci.substr(0, e_pos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::stoi(sci.substr(e_pos + 1));
  std::string out;
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      const size_t int_len = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out = digits + std::string(int_len - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, int_len) + "." + digits.substr(int_len);
      }
    } else {
      out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    const int abs_exp = std::abs(exponent);
    if (abs_exp < 10) out += "0";
    out += std::to_string(abs_exp);
  }
  return sign + out;
}

namespace {

void AppendHex2(std::string& out, unsigned c) {
  static const char* kHex = "0123456789abcdef";
  out.push_back(kHex[(c >> 4) & 15]);
  out.push_back(kHex[c & 15]);
}

std::string ReprString(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += quote;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      AppendHex2(out, c);
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0xa0) {
      // C1 controls and NBSP are not printable in Python's repr.
      out += "\\x";
      AppendHex2(out, static_cast<unsigned char>(s[i + 1]));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back(quote);
  return out;
}

}  // namespace

std::string ToPyRepr(const Value& value) {
  switch (value.type()) {
    case Value::Type::kString:
      return ReprString(value.AsString());
    case Value::Type::kList: {
      const List& list = value.AsList();
      if (list.is_generator) return "<generator object>";
      std::string out = list.is_tuple ? "(" : "[";
      for (size_t i = 0; i < list.items.size(); ++i) {
        if (i > 0) out += ", ";
        out += ToPyRepr(list.items[i]);
      }
      if (list.is_tuple && list.items.size() == 1) out += ",";
      out += list.is_tuple ? ")" : "]";
      return out;
    }
    case Value::Type::kDict: {
      const Dict& dict = value.AsDict();
      std::string out = dict.is_namespace ? "<Namespace {" : "{";
      for (size_t i = 0; i < dict.entries.size(); ++i) {
        if (i > 0) out += ", ";
        out += ToPyRepr(dict.entries[i].first) + ": " + ToPyRepr(dict.entries[i].second);
      }
      out += dict.is_namespace ? "}>" : "}";
      return out;
    }
    default:
      return ToPyStr(value);
  }
}

std::string ToPyStr(const Value& value) {
  switch (value.type()) {
    case Value::Type::kUndefined:
      return "";
    case Value::Type::kNone:
      return "None";
    case Value::Type::kBool:
      return value.AsBool() ? "True" : "False";
    case Value::Type::kInt:
      return std::to_string(value.AsInt());
    case Value::Type::kFloat:
      return FormatPyFloat(value.AsDouble());
    case Value::Type::kString:
      return value.AsString();
    case Value::Type::kCallable:
      return "<function " + value.AsCallable().Name() + ">";
    default:
      return ToPyRepr(value);
  }
}

namespace {

void AppendJsonString(std::string& out, const std::string& s, bool ensure_ascii) {
  out.push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      out += "\\u00";
      AppendHex2(out, c);
    } else if (c >= 0x80 && ensure_ascii) {
      // Decode one UTF-8 sequence and write \uXXXX (surrogate pairs above the BMP).
      int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
      uint32_t cp = c & (0x3f >> extra);
      for (int k = 0; k < extra && i + 1 < s.size(); ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3f);
      }
      auto put = [&out](uint32_t unit) {
        out += "\\u";
        AppendHex2(out, (unit >> 8) & 0xff);
        AppendHex2(out, unit & 0xff);
      };
      if (cp >= 0x10000) {
        cp -= 0x10000;
        put(0xd800 + (cp >> 10));
        put(0xdc00 + (cp & 0x3ff));
      } else {
        put(cp);
      }
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

Status DumpJson(const Value& value, const JsonDumpOptions& options, int level, std::string& out) {
  auto newline = [&](int depth) {
    out.push_back('\n');
    for (int i = 0; i < depth; ++i) out += options.indent;
  };
  switch (value.type()) {
    case Value::Type::kNone:
      out += "null";
      return Status::Ok();
    case Value::Type::kBool:
      out += value.AsBool() ? "true" : "false";
      return Status::Ok();
    case Value::Type::kInt:
      out += std::to_string(value.AsInt());
      return Status::Ok();
    case Value::Type::kFloat: {
      const double f = value.AsDouble();
      if (std::isnan(f)) {
        out += "NaN";
      } else if (std::isinf(f)) {
        out += f > 0 ? "Infinity" : "-Infinity";
      } else {
        out += FormatPyFloat(f);
      }
      return Status::Ok();
    }
    case Value::Type::kString:
      AppendJsonString(out, value.AsString(), options.ensure_ascii);
      return Status::Ok();
    case Value::Type::kList: {
      if (value.is_generator()) break;
      const auto& items = value.AsList().items;
      if (items.empty()) {
        out += "[]";
        return Status::Ok();
      }
      out.push_back('[');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += options.item_separator;
        if (options.has_indent) newline(level + 1);
        HEARTH_RETURN_IF_ERROR(DumpJson(items[i], options, level + 1, out));
      }
      if (options.has_indent) newline(level);
      out.push_back(']');
      return Status::Ok();
    }
    case Value::Type::kDict: {
      if (value.is_namespace()) break;
      // json.dumps turns int/float/bool/None keys into strings.
      std::vector<std::pair<std::string, const Value*>> entries;
      for (const auto& [key, item] : value.AsDict().entries) {
        if (key.is_string()) {
          entries.emplace_back(key.AsString(), &item);
        } else if (key.is_bool()) {
          entries.emplace_back(key.AsBool() ? "true" : "false", &item);
        } else if (key.is_none()) {
          entries.emplace_back("null", &item);
        } else if (key.is_number()) {
          entries.emplace_back(ToPyStr(key), &item);
        } else {
          return InvalidArgumentError(
              "TypeError: keys must be str, int, float, bool or None, not {}", key.TypeName());
        }
      }
      if (options.sort_keys) {
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
      }
      if (entries.empty()) {
        out += "{}";
        return Status::Ok();
      }
      out.push_back('{');
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += options.item_separator;
        if (options.has_indent) newline(level + 1);
        AppendJsonString(out, entries[i].first, options.ensure_ascii);
        out += options.key_separator;
        HEARTH_RETURN_IF_ERROR(DumpJson(*entries[i].second, options, level + 1, out));
      }
      if (options.has_indent) newline(level);
      out.push_back('}');
      return Status::Ok();
    }
    default:
      break;
  }
  return InvalidArgumentError("TypeError: Object of type {} is not JSON serializable",
                              value.TypeName());
}

}  // namespace

Result<std::string> PyJsonDumps(const Value& value, const JsonDumpOptions& options) {
  std::string out;
  HEARTH_RETURN_IF_ERROR(DumpJson(value, options, 0, out));
  return out;
}

bool PyEquals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.AsDouble() == b.AsDouble();
    return a.AsInt() == b.AsInt();
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::kUndefined:
    case Value::Type::kNone:
      return true;
    case Value::Type::kString:
      return a.AsString() == b.AsString();
    case Value::Type::kList: {
      const List& la = a.AsList();
      const List& lb = b.AsList();
      if (la.is_generator || lb.is_generator) return &la == &lb;
      if (la.is_tuple != lb.is_tuple || la.items.size() != lb.items.size()) return false;
      for (size_t i = 0; i < la.items.size(); ++i) {
        if (!PyEquals(la.items[i], lb.items[i])) return false;
      }
      return true;
    }
    case Value::Type::kDict: {
      const Dict& da = a.AsDict();
      const Dict& db = b.AsDict();
      if (da.is_namespace || db.is_namespace) return &da == &db;
      if (da.entries.size() != db.entries.size()) return false;
      for (const auto& [key, val] : da.entries) {
        const Value* other = db.FindKey(key);
        if (other == nullptr || !PyEquals(val, *other)) return false;
      }
      return true;
    }
    case Value::Type::kCallable:
      return &a.AsCallable() == &b.AsCallable();
    default:
      return false;
  }
}

Result<bool> PyLess(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.AsDouble() < b.AsDouble();
    return a.AsInt() < b.AsInt();
  }
  if (a.is_string() && b.is_string()) return a.AsString() < b.AsString();
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto& la = a.AsList().items;
    const auto& lb = b.AsList().items;
    for (size_t i = 0; i < la.size() && i < lb.size(); ++i) {
      if (PyEquals(la[i], lb[i])) continue;
      return PyLess(la[i], lb[i]);
    }
    return la.size() < lb.size();
  }
  return InvalidArgumentError("TypeError: '<' not supported between instances of '{}' and '{}'",
                              a.TypeName(), b.TypeName());
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xc0) != 0x80) ++n;
  }
  return n;
}

std::vector<std::string> Utf8Chars(std::string_view s) {
  std::vector<std::string> chars;
  for (size_t i = 0; i < s.size();) {
    size_t j = i + 1;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xc0) == 0x80) ++j;
    chars.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return chars;
}

bool IsPyWhitespaceAt(std::string_view s, size_t pos, size_t* len) {
  const unsigned char c = static_cast<unsigned char>(s[pos]);
  *len = 1;
  if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return true;
  if (c < 0x80) return false;
  auto byte = [&](size_t k) -> unsigned {
    return pos + k < s.size() ? static_cast<unsigned char>(s[pos + k]) : 0u;
  };
  if (c == 0xc2 && (byte(1) == 0x85 || byte(1) == 0xa0)) {
    *len = 2;
    return true;
  }
  if (c == 0xe1 && byte(1) == 0x9a && byte(2) == 0x80) {  // U+1680
    *len = 3;
    return true;
  }
  if (c == 0xe2 && byte(1) == 0x80) {
    const unsigned b2 = byte(2);
    if ((b2 >= 0x80 && b2 <= 0x8a) || b2 == 0xa8 || b2 == 0xa9 || b2 == 0xaf) {
      *len = 3;
      return true;
    }
  }
  if (c == 0xe2 && byte(1) == 0x81 && byte(2) == 0x9f) {  // U+205F
    *len = 3;
    return true;
  }
  if (c == 0xe3 && byte(1) == 0x80 && byte(2) == 0x80) {  // U+3000
    *len = 3;
    return true;
  }
  return false;
}

std::string_view PyStripLeft(std::string_view s) {
  size_t pos = 0;
  size_t len = 0;
  while (pos < s.size() && IsPyWhitespaceAt(s, pos, &len)) pos += len;
  return s.substr(pos);
}

std::string_view PyStripRight(std::string_view s) {
  // Walk forward remembering where the trailing whitespace run starts.
  size_t pos = 0;
  size_t run_start = 0;
  size_t len = 0;
  while (pos < s.size()) {
    if (IsPyWhitespaceAt(s, pos, &len)) {
      pos += len;
    } else {
      pos += 1;
      while (pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xc0) == 0x80) ++pos;
      run_start = pos;
    }
  }
  return s.substr(0, run_start);
}

}  // namespace hearth::chat
