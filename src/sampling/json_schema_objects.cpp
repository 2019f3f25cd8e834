// Objects and arrays of the JSON schema compiler (see json_schema_compiler.h).
#include <algorithm>
#include <map>

#include "sampling/json_schema_compiler.h"

namespace hearth {
namespace {

using Item = GrammarBuilder::Item;
using Sequence = GrammarBuilder::Sequence;

Item Ref(int32_t rule) { return GrammarBuilder::Ref(rule); }
Item Byte(char c) { return GrammarBuilder::Byte(static_cast<uint8_t>(c)); }

struct Property {
  std::string name;
  const Json* schema;  // the value's schema
  bool required;
};

}  // namespace

int32_t JsonSchemaCompiler::KeyOtherThan(const std::vector<std::string>& names) {
  // A trie of the names: at each node the next byte either follows a name
  // (stay in the trie) or leaves every name behind (any rest). A node that
  // ends a name may not close the string there.
  struct Node {
    std::map<uint8_t, size_t> children;
    bool ends_name = false;
  };
  std::vector<Node> nodes(1);
  const ByteSet plain = JsonGrammar::PlainAscii();
  for (const std::string& name : names) {
    size_t node = 0;
    bool representable = true;
    for (char c : name) {
      const auto byte = static_cast<uint8_t>(c);
      if (!plain.Has(byte)) {
        representable = false;  // cannot be written without escapes: never produced
        break;
      }
      auto [it, added] = nodes[node].children.try_emplace(byte, nodes.size());
      if (added) nodes.emplace_back();
      node = it->second;
    }
    if (representable) nodes[node].ends_name = true;
  }
  const int32_t free_rest = b_.AddRule();  // plain* '"'
  b_.AddAlternative(free_rest, {GrammarBuilder::Chars(plain), Ref(free_rest)});
  b_.AddAlternative(free_rest, {Byte('"')});
  std::vector<int32_t> rules(nodes.size());
  for (auto& rule : rules) rule = b_.AddRule();
  for (size_t i = 0; i < nodes.size(); ++i) {
    ByteSet other = plain;
    for (const auto& [byte, child] : nodes[i].children) {
      other.Remove(byte);
      b_.AddAlternative(rules[i], {GrammarBuilder::Byte(byte), Ref(rules[child])});
    }
    if (!other.Empty()) b_.AddAlternative(rules[i], {GrammarBuilder::Chars(other), Ref(free_rest)});
    if (!nodes[i].ends_name) b_.AddAlternative(rules[i], {Byte('"')});
  }
  return b_.AddRuleOf({Byte('"'), Ref(rules[0])});
}

Result<int32_t> JsonSchemaCompiler::CompileObject(const Json& schema, int depth) {
  static const Json kAnything = true;
  const Json empty = Json::object();
  const auto properties_it = schema.find("properties");
  const Json& properties = properties_it == schema.end() ? empty : *properties_it;
  if (!properties.is_object())
    return InvalidArgumentError("JSON schema 'properties' must be an object");
  std::vector<std::string> required;
  if (const auto it = schema.find("required"); it != schema.end()) {
    if (!it->is_array()) return InvalidArgumentError("JSON schema 'required' must be a list");
    for (const Json& name : *it) {
      if (!name.is_string())
        return InvalidArgumentError("JSON schema 'required' must list strings");
      if (std::find(required.begin(), required.end(), name) == required.end()) {
        required.push_back(name.get<std::string>());
      }
    }
  }
  const auto additional_it = schema.find("additionalProperties");
  const Json* additional = additional_it == schema.end() ? nullptr : &*additional_it;
  if (additional && !additional->is_boolean() && !additional->is_object()) {
    return InvalidArgumentError("JSON schema 'additionalProperties' must be a boolean or a schema");
  }

  std::vector<Property> declared;
  for (const auto& [name, value] : properties.items()) {
    const bool is_required = std::find(required.begin(), required.end(), name) != required.end();
    declared.push_back({name, &value, is_required});
  }
  for (const std::string& name : required) {
    if (properties.contains(name)) continue;
    // Required but not listed: it is an additional property.
    if (additional && *additional == false) return json_.Never();
    declared.push_back({name, additional ? additional : &kAnything, true});
  }
  // Extra properties: as the schema says, and by default only when it lists
  // none (a listed set without additionalProperties gets no extras).
  const Json* extra = additional ? (*additional == false ? nullptr : additional)
                                 : (declared.empty() ? &kAnything : nullptr);

  const int32_t ws = json_.Whitespace();
  // rest_first / rest_later: the members from here on, when none / some
  // have been written (only the latter needs a comma first).
  int32_t rest_first = b_.AddRuleOf({});
  int32_t rest_later = ws;
  if (extra) {
    HEARTH_ASSIGN_OR_RETURN(const int32_t value, Compile(*extra, depth + 1));
    std::vector<std::string> names;
    for (const Property& p : declared) names.push_back(p.name);
    const int32_t key = declared.empty() ? json_.String(0, -1) : KeyOtherThan(names);
    const int32_t member = b_.AddRuleOf({Ref(key), Ref(ws), Byte(':'), Ref(ws), Ref(value)});
    const int32_t later = b_.AddRule();
    b_.AddAlternative(later, {Ref(ws), Byte(','), Ref(ws), Ref(member), Ref(later)});
    b_.AddAlternative(later, {Ref(ws)});
    const int32_t first = b_.AddRule();
    b_.AddAlternative(first, {Ref(member), Ref(later)});
    b_.AddAlternative(first, {});
    rest_first = first;
    rest_later = later;
  }
  for (auto p = declared.rbegin(); p != declared.rend(); ++p) {
    HEARTH_RETURN_IF_ERROR(CheckDepthAndSize(depth));
    HEARTH_ASSIGN_OR_RETURN(const int32_t value, Compile(*p->schema, depth + 1));
    Sequence member;
    GrammarBuilder::AppendLiteral(
        member, Json(p->name).dump(-1, ' ', false, Json::error_handler_t::replace));
    member.insert(member.end(), {Ref(ws), Byte(':'), Ref(ws), Ref(value)});
    const int32_t member_rule = b_.AddRuleOf(std::move(member));
    const int32_t first = b_.AddRule();
    const int32_t later = b_.AddRule();
    b_.AddAlternative(first, {Ref(member_rule), Ref(rest_later)});
    b_.AddAlternative(later, {Ref(ws), Byte(','), Ref(ws), Ref(member_rule), Ref(rest_later)});
    if (!p->required) {
      b_.AddAlternative(first, {Ref(rest_first)});
      b_.AddAlternative(later, {Ref(rest_later)});
    }
    rest_first = first;
    rest_later = later;
  }
  return b_.AddRuleOf({Byte('{'), Ref(ws), Ref(rest_first), Byte('}')});
}

Result<int32_t> JsonSchemaCompiler::CompileArray(const Json& schema, int depth) {
  HEARTH_ASSIGN_OR_RETURN(const int64_t min_items, CountKeyword(schema, "minItems", 0));
  HEARTH_ASSIGN_OR_RETURN(int64_t max_items, CountKeyword(schema, "maxItems", -1));
  if (min_items > limits_.max_repeat) {
    return InvalidArgumentError("JSON schema minItems {} is above the supported {}", min_items,
                                limits_.max_repeat);
  }
  // Producing at most max_repeat items still satisfies a larger maxItems.
  max_items = std::min<int64_t>(max_items, limits_.max_repeat);

  std::vector<int32_t> prefix;  // rules of the first items (prefixItems, or a draft-4 items list)
  const Json* tail = nullptr;   // schema of the items after them; null: none allowed
  static const Json kAnything = true;
  const auto items = schema.find("items");
  const auto prefix_items = schema.find("prefixItems");
  const Json* prefix_list = nullptr;
  if (prefix_items != schema.end()) {
    if (!prefix_items->is_array())
      return InvalidArgumentError("JSON schema 'prefixItems' must be a list");
    prefix_list = &*prefix_items;
    tail = items == schema.end() ? &kAnything : &*items;
  } else if (items != schema.end() && items->is_array()) {
    prefix_list = &*items;
    tail = &kAnything;
  } else {
    tail = items == schema.end() ? &kAnything : &*items;
  }
  if (prefix_list) {
    if (static_cast<int64_t>(prefix_list->size()) > limits_.max_repeat) {
      return InvalidArgumentError("JSON schema prefixItems has more than {} entries",
                                  limits_.max_repeat);
    }
    for (const Json& item : *prefix_list) {
      HEARTH_ASSIGN_OR_RETURN(const int32_t rule, Compile(item, depth + 1));
      prefix.push_back(rule);
    }
  }
  if (tail && *tail == false) {
    tail = nullptr;
    const auto n = static_cast<int64_t>(prefix.size());
    max_items = max_items < 0 ? n : std::min(max_items, n);
  }
  if (max_items >= 0 && max_items < min_items) return json_.Never();
  int32_t tail_rule = -1;
  if (tail) {
    HEARTH_ASSIGN_OR_RETURN(tail_rule, Compile(*tail, depth + 1));
  }
  const int32_t ws = json_.Whitespace();
  const auto item_at = [&](int64_t i) {
    return i < static_cast<int64_t>(prefix.size()) ? prefix[static_cast<size_t>(i)] : tail_rule;
  };
  // after[i]: the rest of an array that has i items. Positions up to `last`
  // are unrolled; an unbounded array loops at `last`.
  // (At least 1 when unbounded: the loop writes a comma before each item.)
  const int64_t last = max_items >= 0
                           ? max_items
                           : std::max<int64_t>({static_cast<int64_t>(prefix.size()), min_items, 1});
  std::vector<int32_t> after(static_cast<size_t>(last) + 1);
  for (auto& rule : after) rule = b_.AddRule();
  HEARTH_RETURN_IF_ERROR(CheckDepthAndSize(depth));
  const auto separated = [&](int64_t i, Sequence seq) {
    if (i > 0) seq.insert(seq.begin(), {Ref(ws), Byte(','), Ref(ws)});
    return seq;
  };
  const auto close = [&](int64_t i) { return i > 0 ? Sequence{Ref(ws)} : Sequence{}; };
  for (int64_t i = 0; i <= last; ++i) {
    const int32_t rule = after[static_cast<size_t>(i)];
    if (i == last && max_items < 0) {
      // Unbounded: another tail item and loop, or stop.
      b_.AddAlternative(rule, separated(i, {Ref(tail_rule), Ref(rule)}));
      b_.AddAlternative(rule, close(i));
      continue;
    }
    if (i < last) {
      b_.AddAlternative(rule,
                        separated(i, {Ref(item_at(i)), Ref(after[static_cast<size_t>(i) + 1])}));
    }
    if (i >= min_items) b_.AddAlternative(rule, close(i));
  }
  return b_.AddRuleOf({Byte('['), Ref(ws), Ref(after[0]), Byte(']')});
}

}  // namespace hearth
