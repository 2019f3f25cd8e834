// Evaluator: renders a parsed template (chat/ast.h) with jinja2's semantics
// as configured by transformers (ImmutableSandboxedEnvironment, default
// Undefined, loop controls). Every fallible step returns a Status; the
// limits in TemplateLimits bound recursion, total loop iterations and the
// size of every string the template builds.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chat/ast.h"
#include "chat/template_limits.h"
#include "chat/value.h"

namespace hearth::chat {

// Variables of one scope level; lookups walk to the parent. jinja2 gives a
// new level to each loop iteration, macro call and call/generation block;
// `if` and `set` do not create one.
class Scope {
 public:
  explicit Scope(std::shared_ptr<Scope> parent = nullptr) : parent_(std::move(parent)) {}
  const Value* Lookup(const std::string& name) const;
  void Set(const std::string& name, Value value) { vars_[name] = std::move(value); }

 private:
  std::shared_ptr<Scope> parent_;
  std::unordered_map<std::string, Value> vars_;
};
using ScopePtr = std::shared_ptr<Scope>;

enum class Flow { kNormal, kBreak, kContinue };

// Python-style binding of call arguments to parameter names; a parameter
// that was not passed is nullopt.
using BoundArgs = std::vector<std::optional<Value>>;
Result<BoundArgs> BindArgs(std::string_view function, const CallArgs& args,
                           const std::vector<std::string_view>& names);

class Evaluator {
 public:
  Evaluator(const TemplateLimits& limits, std::tm now) : limits_(limits), now_(now) {}

  // Renders `body` into `out`.
  Status Render(const Body& body, const ScopePtr& scope, std::string& out);

  Result<Value> Eval(const Expr& expr, const ScopePtr& scope);
  Result<Value> CallValue(const Value& callee, CallArgs& args, int line);
  // Renders a body into a fresh buffer (macro calls, block set, filter blocks).
  Result<std::string> Capture(const Body& body, const ScopePtr& scope);

  // Filters and tests by name (chat/filters.cpp, chat/predicates.cpp).
  Result<Value> ApplyFilter(std::string_view name, const Value& input, CallArgs& args);
  Result<bool> ApplyTest(std::string_view name, const Value& input, CallArgs& args);

  // Attribute and item access with jinja2's sandboxed getattr/getitem rules.
  Result<Value> GetAttr(const Value& object, const std::string& name);
  Result<Value> GetItem(const Value& object, const Value& key);

  // Budget checks: each returns an error once a limit is passed.
  Status CountIterations(uint64_t n);
  Status CheckStringSize(size_t bytes) const;
  Status EnterCall();
  void LeaveCall() { --call_depth_; }

  const TemplateLimits& limits() const { return limits_; }
  const std::tm& now() const { return now_; }

 private:
  Status Exec(const Body& body, const ScopePtr& scope, Flow& flow);
  Status ExecStmt(const Stmt& stmt, const ScopePtr& scope, Flow& flow);
  Status ExecFor(const Stmt& stmt, const ScopePtr& scope, const Value& iterable, int depth0);
  Status ExecIf(const Stmt& stmt, const ScopePtr& scope, Flow& flow);
  Status Assign(const Target& target, const Value& value, const ScopePtr& scope, int line);
  Status Emit(std::string_view text);

  Result<Value> EvalBinary(const Expr& expr, const ScopePtr& scope);
  Result<Value> EvalCompare(const Expr& expr, const ScopePtr& scope);
  Result<Value> EvalCall(const Expr& expr, const ScopePtr& scope);
  Result<Value> EvalSlice(const Expr& expr, const ScopePtr& scope);
  Status EvalArgs(const Expr& expr, const ScopePtr& scope, CallArgs& args);

  friend class LoopObject;

  const TemplateLimits& limits_;
  std::tm now_;
  std::string* out_ = nullptr;
  uint64_t iterations_ = 0;
  int call_depth_ = 0;
};

// Adds the line to an error that does not carry one yet.
Status AtLine(const Status& status, int line);

// Python semantics shared by the evaluator and the filters.
Result<Value> BinaryOp(Evaluator& ev, std::string_view op, const Value& a, const Value& b);
Result<bool> Contains(const Value& container, const Value& item);
// Items of a for loop / list(): dict keys, string characters, list items.
Result<std::vector<Value>> Iterate(const Value& value);
Status UndefinedError(const Value& undefined);

// The `loop` variable's iteration state (chat/evaluator.cpp).
class LoopObject;

// str / dict / list methods as bound callables (chat/methods.cpp).
// Returns nullopt when `name` is not a method of `self`'s type.
std::optional<Value> GetMethod(const Value& self, const std::string& name);

// Builtin globals: range, namespace, dict, raise_exception, strftime_now,
// cycler, joiner (chat/builtins.cpp).
void InstallGlobals(Scope& scope);

}  // namespace hearth::chat
