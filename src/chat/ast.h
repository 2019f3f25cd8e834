// Syntax tree of a parsed template: expressions (Expr) and statements
// (Stmt). Each node records the source line for runtime errors. Nodes are
// plain structs owned through unique_ptr; the evaluator switches on `kind`.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/value.h"

namespace hearth::chat {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind {
  kLiteral,   // value
  kName,      // name
  kList,      // items
  kTuple,     // items
  kDict,      // keys[i] -> items[i]
  kUnary,     // op ("-", "+", "not") operand=items[0]
  kBinary,    // op, items[0] op items[1]; "and"/"or" short-circuit
  kCompare,   // items[0] ops[0] items[1] ops[1] items[2] ... (chained)
  kCondExpr,  // items[1] if items[0] else items[2] (items[2] may be null)
  kGetAttr,   // items[0].name
  kGetItem,   // items[0][items[1]]
  kSlice,     // items[0][items[1]:items[2]:items[3]] (null parts omitted)
  kCall,      // items[0](args, kwargs)
  kFilter,    // items[0] | name(args, kwargs)
  kTest,      // items[0] is [not] name(args, kwargs)
};

struct Expr {
  ExprKind kind;
  int line = 0;
  std::string name;  // kName, kGetAttr, kFilter, kTest; operator for kUnary/kBinary
  Value value;       // kLiteral
  std::vector<ExprPtr> items;
  std::vector<ExprPtr> keys;     // kDict
  std::vector<std::string> ops;  // kCompare
  std::vector<ExprPtr> args;     // kCall, kFilter, kTest
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  bool negated = false;  // kTest: "is not"

  Expr(ExprKind k, int l) : kind(k), line(l) {}
};

// Where {% set %} / {% for %} store: a name, a tuple of targets, or ns.attr.
struct Target {
  std::string name;              // plain name, or the namespace variable
  std::string attr;              // non-empty: namespace attribute
  std::vector<Target> elements;  // non-empty: tuple unpacking
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null: required
};

enum class StmtKind {
  kText,         // text
  kOutput,       // {{ expr }}
  kIf,           // conditions[i] -> bodies[i]; else_body
  kFor,          // target in expr [if filter] body else_body
  kSet,          // target = expr
  kSetBlock,     // {% set target | filters %} body {% endset %}
  kMacro,        // {% macro name(params) %} body
  kCallBlock,    // {% call(params) expr %} body: caller() renders body
  kFilterBlock,  // {% filter f | g %} body: expr holds the filter chain over a kName "\x01body"
  kBreak,
  kContinue,
  kScope,  // body rendered in its own scope ({% generation %})
};

struct Stmt {
  StmtKind kind;
  int line = 0;
  std::string text;                 // kText; macro name for kMacro
  ExprPtr expr;                     // kOutput, kFor (iterable), kSet, kCallBlock, kFilterBlock
  ExprPtr filter;                   // kFor "if" condition; kSetBlock filter chain
  Target target;                    // kFor, kSet, kSetBlock
  std::vector<ExprPtr> conditions;  // kIf
  std::vector<Body> bodies;         // kIf
  Body body;
  Body else_body;
  std::vector<MacroParam> params;  // kMacro, kCallBlock
  bool recursive = false;          // kFor

  Stmt(StmtKind k, int l) : kind(k), line(l) {}
};

// Name of the placeholder variable that a filter chain in {% filter %} and
// block {% set x | f %} is applied to.
inline constexpr const char* kBlockValueName = "\x01block";

}  // namespace hearth::chat
