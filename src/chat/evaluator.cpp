#include "chat/evaluator.h"

#include <algorithm>

namespace hearth::chat {

const Value* Scope::Lookup(const std::string& name) const {
  for (const Scope* scope = this; scope != nullptr; scope = scope->parent_.get()) {
    auto it = scope->vars_.find(name);
    if (it != scope->vars_.end()) return &it->second;
  }
  return nullptr;
}

Status AtLine(const Status& status, int line) {
  if (status.ok() || status.message().rfind("template line", 0) == 0) return status;
  return Status(status.code(), fmt::format("template line {}: {}", line, status.message()));
}

Status UndefinedError(const Value& undefined) {
  const std::string& hint = undefined.UndefinedHint();
  if (undefined.IsUnsafeUndefined()) return InvalidArgumentError("SecurityError: {}", hint);
  return InvalidArgumentError("UndefinedError: {}", hint.empty() ? "value is undefined" : hint);
}

Result<BoundArgs> BindArgs(std::string_view function, const CallArgs& args,
                           const std::vector<std::string_view>& names) {
  if (args.positional.size() > names.size()) {
    return InvalidArgumentError("TypeError: {}() takes at most {} arguments ({} given)", function,
                                names.size(), args.positional.size());
  }
  BoundArgs bound(names.size());
  for (size_t i = 0; i < args.positional.size(); ++i) bound[i] = args.positional[i];
  for (const auto& [key, value] : args.keyword) {
    auto it = std::find(names.begin(), names.end(), key);
    if (it == names.end()) {
      return InvalidArgumentError("TypeError: {}() got an unexpected keyword argument '{}'",
                                  function, key);
    }
    bound[static_cast<size_t>(it - names.begin())] = value;
  }
  return bound;
}

// --- the loop variable ---------------------------------------------------------

class LoopObject : public Callable {
 public:
  LoopObject(std::shared_ptr<const std::vector<Value>> items, size_t index, int depth0,
             const Stmt* stmt, ScopePtr scope)
      : items_(std::move(items)),
        index_(index),
        depth0_(depth0),
        stmt_(stmt),
        scope_(std::move(scope)) {}

  std::string Name() const override { return "loop"; }

  // loop(children) in a recursive for loop renders the body again.
  Result<Value> Call(Evaluator& ev, CallArgs& args) const override {
    if (!stmt_->recursive) {
      return InvalidArgumentError(
          "TypeError: the loop variable is only callable in a recursive "
          "loop (add 'recursive' to the for tag)");
    }
    if (args.positional.size() != 1) {
      return InvalidArgumentError("TypeError: loop() takes exactly one argument");
    }
    HEARTH_RETURN_IF_ERROR(ev.EnterCall());
    std::string* saved = ev.out_;
    std::string buffer;
    ev.out_ = &buffer;
    Status status = ev.ExecFor(*stmt_, scope_, args.positional[0], depth0_ + 1);
    ev.out_ = saved;
    ev.LeaveCall();
    HEARTH_RETURN_IF_ERROR(status);
    return Value::String(std::move(buffer));
  }

  std::optional<Value> Attribute(const std::string& name) const {
    const int64_t n = static_cast<int64_t>(items_->size());
    const int64_t i = static_cast<int64_t>(index_);
    if (name == "index") return Value::Int(i + 1);
    if (name == "index0") return Value::Int(i);
    if (name == "revindex") return Value::Int(n - i);
    if (name == "revindex0") return Value::Int(n - i - 1);
    if (name == "first") return Value::Bool(i == 0);
    if (name == "last") return Value::Bool(i == n - 1);
    if (name == "length") return Value::Int(n);
    if (name == "depth") return Value::Int(depth0_ + 1);
    if (name == "depth0") return Value::Int(depth0_);
    if (name == "previtem") {
      return i > 0 ? (*items_)[index_ - 1] : Value::Undefined("there is no previous item");
    }
    if (name == "nextitem") {
      return i + 1 < n ? (*items_)[index_ + 1] : Value::Undefined("there is no next item");
    }
    return std::nullopt;
  }

  size_t index() const { return index_; }

 private:
  std::shared_ptr<const std::vector<Value>> items_;
  size_t index_;
  int depth0_;
  const Stmt* stmt_;
  ScopePtr scope_;
};

namespace {

// loop.cycle(a, b, ...) picks by the iteration index.
class LoopCycle : public Callable {
 public:
  explicit LoopCycle(size_t index) : index_(index) {}
  std::string Name() const override { return "loop.cycle"; }
  Result<Value> Call(Evaluator&, CallArgs& args) const override {
    if (args.positional.empty())
      return InvalidArgumentError("TypeError: no items for cycling given");
    return args.positional[index_ % args.positional.size()];
  }

 private:
  size_t index_;
};

class Macro : public Callable {
 public:
  Macro(const Stmt* stmt, ScopePtr closure) : stmt_(stmt), closure_(std::move(closure)) {}
  std::string Name() const override { return stmt_->text; }

  Result<Value> Call(Evaluator& ev, CallArgs& args) const override {
    HEARTH_RETURN_IF_ERROR(ev.EnterCall());
    Result<Value> result = Invoke(ev, args);
    ev.LeaveCall();
    return result;
  }

 private:
  Result<Value> Invoke(Evaluator& ev, CallArgs& args) const {
    auto scope = std::make_shared<Scope>(closure_);
    const auto& params = stmt_->params;
    std::vector<Value> varargs;
    for (size_t i = 0; i < args.positional.size(); ++i) {
      if (i < params.size()) {
        scope->Set(params[i].name, args.positional[i]);
      } else {
        varargs.push_back(args.positional[i]);
      }
    }
    std::vector<bool> bound(params.size(), false);
    for (size_t i = 0; i < args.positional.size() && i < params.size(); ++i) bound[i] = true;
    Dict extra_kwargs;
    for (auto& [key, value] : args.keyword) {
      auto it = std::find_if(params.begin(), params.end(),
                             [&](const MacroParam& p) { return p.name == key; });
      if (it != params.end()) {
        scope->Set(key, value);
        bound[static_cast<size_t>(it - params.begin())] = true;
      } else if (key == "caller") {
        scope->Set("caller", value);
      } else {
        extra_kwargs.Set(key, value);
      }
    }
    for (size_t i = 0; i < params.size(); ++i) {
      if (bound[i]) continue;
      if (params[i].default_value) {
        HEARTH_ASSIGN_OR_RETURN(Value v, ev.Eval(*params[i].default_value, scope));
        scope->Set(params[i].name, std::move(v));
      } else {
        scope->Set(params[i].name, Value::Undefined(fmt::format("parameter '{}' was not provided",
                                                                params[i].name)));
      }
    }
    scope->Set("varargs", Value::MakeList(std::move(varargs), true));
    scope->Set("kwargs", Value::MakeDict(std::move(extra_kwargs)));
    HEARTH_ASSIGN_OR_RETURN(std::string text, ev.Capture(stmt_->body, scope));
    return Value::String(std::move(text));
  }

  const Stmt* stmt_;
  ScopePtr closure_;
};

// caller() inside a macro invoked by {% call %}: renders the call block body.
class CallerBody : public Callable {
 public:
  CallerBody(const Stmt* stmt, ScopePtr scope) : stmt_(stmt), scope_(std::move(scope)) {}
  std::string Name() const override { return "caller"; }
  Result<Value> Call(Evaluator& ev, CallArgs& args) const override {
    HEARTH_RETURN_IF_ERROR(ev.EnterCall());
    auto scope = std::make_shared<Scope>(scope_);
    for (size_t i = 0; i < stmt_->params.size(); ++i) {
      if (i < args.positional.size()) {
        scope->Set(stmt_->params[i].name, args.positional[i]);
      } else if (stmt_->params[i].default_value) {
        auto v = ev.Eval(*stmt_->params[i].default_value, scope);
        if (!v.ok()) {
          ev.LeaveCall();
          return v.status();
        }
        scope->Set(stmt_->params[i].name, std::move(v).value());
      }
    }
    auto text = ev.Capture(stmt_->body, scope);
    ev.LeaveCall();
    if (!text.ok()) return text.status();
    return Value::String(std::move(text).value());
  }

 private:
  const Stmt* stmt_;
  ScopePtr scope_;
};

}  // namespace

// --- budgets ---------------------------------------------------------------------

Status Evaluator::CountIterations(uint64_t n) {
  iterations_ += n;
  if (iterations_ > limits_.max_loop_iterations) {
    return OutOfRangeError("loop iteration limit exceeded ({} iterations in one render)",
                           limits_.max_loop_iterations);
  }
  return Status::Ok();
}

Status Evaluator::CheckStringSize(size_t bytes) const {
  if (bytes > limits_.max_output_bytes) {
    return OutOfRangeError("output size limit exceeded ({} bytes)", limits_.max_output_bytes);
  }
  return Status::Ok();
}

Status Evaluator::EnterCall() {
  if (call_depth_ >= limits_.max_call_depth) {
    return OutOfRangeError("recursion limit exceeded ({} nested macro or loop calls)",
                           limits_.max_call_depth);
  }
  ++call_depth_;
  return Status::Ok();
}

Status Evaluator::Emit(std::string_view text) {
  HEARTH_RETURN_IF_ERROR(CheckStringSize(out_->size() + text.size()));
  out_->append(text);
  return Status::Ok();
}

// --- statements --------------------------------------------------------------------

Status Evaluator::Render(const Body& body, const ScopePtr& scope, std::string& out) {
  out_ = &out;
  Flow flow = Flow::kNormal;
  Status status = Exec(body, scope, flow);
  out_ = nullptr;
  return status;
}

Result<std::string> Evaluator::Capture(const Body& body, const ScopePtr& scope) {
  std::string* saved = out_;
  std::string buffer;
  out_ = &buffer;
  Flow flow = Flow::kNormal;
  Status status = Exec(body, scope, flow);
  out_ = saved;
  HEARTH_RETURN_IF_ERROR(status);
  return buffer;
}

Status Evaluator::Exec(const Body& body, const ScopePtr& scope, Flow& flow) {
  for (const StmtPtr& stmt : body) {
    HEARTH_RETURN_IF_ERROR(AtLine(ExecStmt(*stmt, scope, flow), stmt->line));
    if (flow != Flow::kNormal) return Status::Ok();
  }
  return Status::Ok();
}

Status Evaluator::ExecStmt(const Stmt& stmt, const ScopePtr& scope, Flow& flow) {
  switch (stmt.kind) {
    case StmtKind::kText:
      return Emit(stmt.text);
    case StmtKind::kOutput: {
      HEARTH_ASSIGN_OR_RETURN(Value value, Eval(*stmt.expr, scope));
      return Emit(ToPyStr(value));
    }
    case StmtKind::kIf:
      return ExecIf(stmt, scope, flow);
    case StmtKind::kFor: {
      HEARTH_ASSIGN_OR_RETURN(Value iterable, Eval(*stmt.expr, scope));
      return ExecFor(stmt, scope, iterable, 0);
    }
    case StmtKind::kSet: {
      HEARTH_ASSIGN_OR_RETURN(Value value, Eval(*stmt.expr, scope));
      return Assign(stmt.target, value, scope, stmt.line);
    }
    case StmtKind::kSetBlock:
    case StmtKind::kFilterBlock: {
      HEARTH_ASSIGN_OR_RETURN(std::string text, Capture(stmt.body, scope));
      Value value = Value::String(std::move(text));
      const ExprPtr& chain = stmt.kind == StmtKind::kSetBlock ? stmt.filter : stmt.expr;
      if (chain) {
        auto inner = std::make_shared<Scope>(scope);
        inner->Set(kBlockValueName, value);
        HEARTH_ASSIGN_OR_RETURN(value, Eval(*chain, inner));
      }
      if (stmt.kind == StmtKind::kFilterBlock) return Emit(ToPyStr(value));
      return Assign(stmt.target, value, scope, stmt.line);
    }
    case StmtKind::kMacro:
      scope->Set(stmt.text, Value::MakeCallable(std::make_shared<Macro>(&stmt, scope)));
      return Status::Ok();
    case StmtKind::kCallBlock: {
      const Expr& call = *stmt.expr;
      HEARTH_ASSIGN_OR_RETURN(Value callee, Eval(*call.items[0], scope));
      CallArgs args;
      HEARTH_RETURN_IF_ERROR(EvalArgs(call, scope, args));
      args.keyword.emplace_back("caller",
                                Value::MakeCallable(std::make_shared<CallerBody>(&stmt, scope)));
      HEARTH_ASSIGN_OR_RETURN(Value result, CallValue(callee, args, stmt.line));
      return Emit(ToPyStr(result));
    }
    case StmtKind::kBreak:
      flow = Flow::kBreak;
      return Status::Ok();
    case StmtKind::kContinue:
      flow = Flow::kContinue;
      return Status::Ok();
    case StmtKind::kScope: {
      HEARTH_ASSIGN_OR_RETURN(std::string text, Capture(stmt.body, std::make_shared<Scope>(scope)));
      return Emit(text);
    }
  }
  return InternalError("unknown statement kind");
}

Status Evaluator::ExecIf(const Stmt& stmt, const ScopePtr& scope, Flow& flow) {
  for (size_t i = 0; i < stmt.conditions.size(); ++i) {
    HEARTH_ASSIGN_OR_RETURN(Value condition, Eval(*stmt.conditions[i], scope));
    if (condition.Truthy()) return Exec(stmt.bodies[i], scope, flow);
  }
  return Exec(stmt.else_body, scope, flow);
}

Status Evaluator::ExecFor(const Stmt& stmt, const ScopePtr& scope, const Value& iterable,
                          int depth0) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<Value> all, Iterate(iterable));
  HEARTH_RETURN_IF_ERROR(CountIterations(all.size()));
  auto items = std::make_shared<std::vector<Value>>();
  if (stmt.filter) {
    for (Value& item : all) {
      auto probe = std::make_shared<Scope>(scope);
      HEARTH_RETURN_IF_ERROR(Assign(stmt.target, item, probe, stmt.line));
      HEARTH_ASSIGN_OR_RETURN(Value keep, Eval(*stmt.filter, probe));
      if (keep.Truthy()) items->push_back(std::move(item));
    }
  } else {
    *items = std::move(all);
  }
  if (items->empty()) {
    Flow flow = Flow::kNormal;
    return Exec(stmt.else_body, scope, flow);
  }
  std::shared_ptr<const std::vector<Value>> shared_items = items;
  for (size_t i = 0; i < shared_items->size(); ++i) {
    auto iteration = std::make_shared<Scope>(scope);
    HEARTH_RETURN_IF_ERROR(Assign(stmt.target, (*shared_items)[i], iteration, stmt.line));
    iteration->Set("loop", Value::MakeCallable(std::make_shared<LoopObject>(shared_items, i, depth0,
                                                                            &stmt, scope)));
    Flow flow = Flow::kNormal;
    HEARTH_RETURN_IF_ERROR(Exec(stmt.body, iteration, flow));
    if (flow == Flow::kBreak) break;
  }
  return Status::Ok();
}

Status Evaluator::Assign(const Target& target, const Value& value, const ScopePtr& scope,
                         int line) {
  if (!target.elements.empty()) {
    HEARTH_ASSIGN_OR_RETURN(std::vector<Value> parts, Iterate(value));
    if (parts.size() != target.elements.size()) {
      return InvalidArgumentError("ValueError: cannot unpack {} values into {} targets",
                                  parts.size(), target.elements.size());
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      HEARTH_RETURN_IF_ERROR(Assign(target.elements[i], parts[i], scope, line));
    }
    return Status::Ok();
  }
  if (!target.attr.empty()) {
    const Value* ns = scope->Lookup(target.name);
    if (ns == nullptr || !ns->is_namespace()) {
      return InvalidArgumentError(
          "TemplateRuntimeError: cannot assign attribute on non-namespace object '{}'",
          target.name);
    }
    ns->MutableNamespace().Set(target.attr, value);
    return Status::Ok();
  }
  scope->Set(target.name, value);
  return Status::Ok();
}

// --- expressions ---------------------------------------------------------------

Result<Value> Evaluator::Eval(const Expr& expr, const ScopePtr& scope) {
  switch (expr.kind) {
    case ExprKind::kLiteral:
      return expr.value;
    case ExprKind::kName: {
      const Value* value = scope->Lookup(expr.name);
      if (value != nullptr) return *value;
      return Value::Undefined(fmt::format("'{}' is undefined", expr.name));
    }
    case ExprKind::kList:
    case ExprKind::kTuple: {
      std::vector<Value> items;
      items.reserve(expr.items.size());
      for (const ExprPtr& item : expr.items) {
        HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*item, scope));
        items.push_back(std::move(v));
      }
      return Value::MakeList(std::move(items), expr.kind == ExprKind::kTuple);
    }
    case ExprKind::kDict: {
      Dict dict;
      for (size_t i = 0; i < expr.items.size(); ++i) {
        HEARTH_ASSIGN_OR_RETURN(Value key, Eval(*expr.keys[i], scope));
        if (!IsHashable(key)) {
          return InvalidArgumentError("TypeError: unhashable type: '{}'", key.TypeName());
        }
        HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*expr.items[i], scope));
        dict.Set(std::move(key), std::move(v));
      }
      return Value::MakeDict(std::move(dict));
    }
    case ExprKind::kUnary: {
      HEARTH_ASSIGN_OR_RETURN(Value operand, Eval(*expr.items[0], scope));
      if (expr.name == "not") return Value::Bool(!operand.Truthy());
      if (operand.is_undefined()) return UndefinedError(operand);
      if (!operand.is_number()) {
        return InvalidArgumentError("TypeError: bad operand type for unary {}: '{}'", expr.name,
                                    operand.TypeName());
      }
      if (expr.name == "+") return operand.is_bool() ? Value::Int(operand.AsInt()) : operand;
      if (operand.is_float()) return Value::Float(-operand.AsDouble());
      return Value::Int(-operand.AsInt());
    }
    case ExprKind::kBinary:
      return EvalBinary(expr, scope);
    case ExprKind::kCompare:
      return EvalCompare(expr, scope);
    case ExprKind::kCondExpr: {
      HEARTH_ASSIGN_OR_RETURN(Value condition, Eval(*expr.items[0], scope));
      if (condition.Truthy()) return Eval(*expr.items[1], scope);
      if (expr.items[2]) return Eval(*expr.items[2], scope);
      return Value::Undefined("the inline if-expression evaluated to false and had no else");
    }
    case ExprKind::kGetAttr: {
      HEARTH_ASSIGN_OR_RETURN(Value object, Eval(*expr.items[0], scope));
      return GetAttr(object, expr.name);
    }
    case ExprKind::kGetItem: {
      HEARTH_ASSIGN_OR_RETURN(Value object, Eval(*expr.items[0], scope));
      HEARTH_ASSIGN_OR_RETURN(Value key, Eval(*expr.items[1], scope));
      return GetItem(object, key);
    }
    case ExprKind::kSlice:
      return EvalSlice(expr, scope);
    case ExprKind::kCall:
      return EvalCall(expr, scope);
    case ExprKind::kFilter: {
      HEARTH_ASSIGN_OR_RETURN(Value input, Eval(*expr.items[0], scope));
      CallArgs args;
      HEARTH_RETURN_IF_ERROR(EvalArgs(expr, scope, args));
      return ApplyFilter(expr.name, input, args);
    }
    case ExprKind::kTest: {
      HEARTH_ASSIGN_OR_RETURN(Value input, Eval(*expr.items[0], scope));
      CallArgs args;
      HEARTH_RETURN_IF_ERROR(EvalArgs(expr, scope, args));
      HEARTH_ASSIGN_OR_RETURN(bool result, ApplyTest(expr.name, input, args));
      return Value::Bool(result != expr.negated);
    }
  }
  return InternalError("unknown expression kind");
}

Result<Value> Evaluator::EvalBinary(const Expr& expr, const ScopePtr& scope) {
  HEARTH_ASSIGN_OR_RETURN(Value left, Eval(*expr.items[0], scope));
  if (expr.name == "and") return left.Truthy() ? Eval(*expr.items[1], scope) : left;
  if (expr.name == "or") return left.Truthy() ? left : Eval(*expr.items[1], scope);
  HEARTH_ASSIGN_OR_RETURN(Value right, Eval(*expr.items[1], scope));
  return BinaryOp(*this, expr.name, left, right);
}

Result<Value> Evaluator::EvalCompare(const Expr& expr, const ScopePtr& scope) {
  HEARTH_ASSIGN_OR_RETURN(Value left, Eval(*expr.items[0], scope));
  for (size_t i = 0; i < expr.ops.size(); ++i) {
    HEARTH_ASSIGN_OR_RETURN(Value right, Eval(*expr.items[i + 1], scope));
    const std::string& op = expr.ops[i];
    bool result = false;
    if (op == "==") {
      result = PyEquals(left, right);
    } else if (op == "!=") {
      result = !PyEquals(left, right);
    } else if (op == "in" || op == "notin") {
      HEARTH_ASSIGN_OR_RETURN(bool contained, Contains(right, left));
      result = contained == (op == "in");
    } else {
      if (left.is_undefined()) return UndefinedError(left);
      if (right.is_undefined()) return UndefinedError(right);
      if (op == "<") {
        HEARTH_ASSIGN_OR_RETURN(result, PyLess(left, right));
      } else if (op == ">") {
        HEARTH_ASSIGN_OR_RETURN(result, PyLess(right, left));
      } else if (op == "<=") {
        HEARTH_ASSIGN_OR_RETURN(bool greater, PyLess(right, left));
        result = !greater;
      } else {
        HEARTH_ASSIGN_OR_RETURN(bool less, PyLess(left, right));
        result = !less;
      }
    }
    if (!result) return Value::Bool(false);
    left = std::move(right);
  }
  return Value::Bool(true);
}

Status Evaluator::EvalArgs(const Expr& expr, const ScopePtr& scope, CallArgs& args) {
  for (const ExprPtr& arg : expr.args) {
    HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*arg, scope));
    args.positional.push_back(std::move(v));
  }
  for (const auto& [key, arg] : expr.kwargs) {
    HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*arg, scope));
    args.keyword.emplace_back(key, std::move(v));
  }
  return Status::Ok();
}

Result<Value> Evaluator::EvalCall(const Expr& expr, const ScopePtr& scope) {
  HEARTH_ASSIGN_OR_RETURN(Value callee, Eval(*expr.items[0], scope));
  CallArgs args;
  HEARTH_RETURN_IF_ERROR(EvalArgs(expr, scope, args));
  return CallValue(callee, args, expr.line);
}

Result<Value> Evaluator::CallValue(const Value& callee, CallArgs& args, int line) {
  if (callee.is_undefined()) return AtLine(UndefinedError(callee), line);
  if (!callee.is_callable()) {
    return AtLine(InvalidArgumentError("TypeError: '{}' object is not callable", callee.TypeName()),
                  line);
  }
  return callee.AsCallable().Call(*this, args);
}

Result<Value> Evaluator::GetAttr(const Value& object, const std::string& name) {
  if (object.is_undefined()) return UndefinedError(object);
  if (!name.empty() && name[0] == '_') {
    return Value::Undefined(
        fmt::format("access to attribute '{}' of '{}' object is unsafe.", name, object.TypeName()),
        /*unsafe=*/true);
  }
  if (object.is_callable()) {
    if (const auto* loop = dynamic_cast<const LoopObject*>(&object.AsCallable())) {
      if (auto value = loop->Attribute(name)) return *value;
      if (name == "cycle") return Value::MakeCallable(std::make_shared<LoopCycle>(loop->index()));
    }
    return Value::Undefined(fmt::format("'{}' has no attribute '{}'", object.TypeName(), name));
  }
  if (object.is_namespace()) {
    if (const Value* v = object.AsDict().Find(name)) return *v;
    return Value::Undefined(fmt::format("'Namespace' object has no attribute '{}'", name));
  }
  if (auto method = GetMethod(object, name)) return *method;
  if (object.is_dict()) {
    if (const Value* v = object.AsDict().Find(name)) return *v;
  }
  return Value::Undefined(
      fmt::format("'{}' object has no attribute '{}'", object.TypeName(), name));
}

namespace {

// Python index normalization: negative counts from the end; nullopt if out of range.
std::optional<size_t> NormalizeIndex(int64_t index, size_t size) {
  const int64_t n = static_cast<int64_t>(size);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return std::nullopt;
  return static_cast<size_t>(index);
}

}  // namespace

Result<Value> Evaluator::GetItem(const Value& object, const Value& key) {
  if (object.is_undefined()) return UndefinedError(object);
  if (object.is_dict() && !object.is_namespace()) {
    if (const Value* v = object.AsDict().FindKey(key)) return *v;
  }
  if (((object.is_list() && !object.is_generator()) || object.is_string()) &&
      (key.is_int() || key.is_bool())) {
    if (object.is_list()) {
      const auto& items = object.AsList().items;
      if (auto i = NormalizeIndex(key.AsInt(), items.size())) return items[*i];
    } else {
      const std::string& s = object.AsString();
      if (Utf8Length(s) == s.size()) {
        if (auto i = NormalizeIndex(key.AsInt(), s.size())) return Value::String(s.substr(*i, 1));
      } else {
        auto chars = Utf8Chars(s);
        if (auto i = NormalizeIndex(key.AsInt(), chars.size())) return Value::String(chars[*i]);
      }
    }
  }
  if (key.is_string() && !object.is_dict()) return GetAttr(object, key.AsString());
  if (key.is_string() && object.is_dict() && !object.is_namespace()) {
    if (!key.AsString().empty() && key.AsString()[0] == '_') return GetAttr(object, key.AsString());
    if (auto method = GetMethod(object, key.AsString())) return *method;
  }
  return Value::Undefined(
      fmt::format("'{}' object has no element {}", object.TypeName(), ToPyRepr(key)));
}

Result<Value> Evaluator::EvalSlice(const Expr& expr, const ScopePtr& scope) {
  HEARTH_ASSIGN_OR_RETURN(Value object, Eval(*expr.items[0], scope));
  std::optional<int64_t> parts[3];
  for (int i = 0; i < 3; ++i) {
    if (!expr.items[static_cast<size_t>(i) + 1]) continue;
    HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*expr.items[static_cast<size_t>(i) + 1], scope));
    if (v.is_none()) continue;
    if (!v.is_int() && !v.is_bool()) {
      return InvalidArgumentError("TypeError: slice indices must be integers or None");
    }
    parts[i] = v.AsInt();
  }
  if (object.is_undefined()) return UndefinedError(object);
  const int64_t step = parts[2].value_or(1);
  if (step == 0) return InvalidArgumentError("ValueError: slice step cannot be zero");
  std::vector<Value> source;
  std::vector<std::string> chars;
  int64_t n = 0;
  if (object.is_list() && !object.is_generator()) {
    n = static_cast<int64_t>(object.AsList().items.size());
  } else if (object.is_string()) {
    chars = Utf8Chars(object.AsString());
    n = static_cast<int64_t>(chars.size());
  } else {
    return InvalidArgumentError("TypeError: '{}' object is not subscriptable", object.TypeName());
  }
  // Python's slice.indices().
  auto clamp = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v;
    if (x < 0) x += n;
    if (step > 0) return std::clamp<int64_t>(x, 0, n);
    return std::clamp<int64_t>(x, -1, n - 1);
  };
  const int64_t start = clamp(parts[0], step > 0 ? 0 : n - 1);
  const int64_t stop = clamp(parts[1], step > 0 ? n : -1);
  std::vector<Value> items;
  std::string text;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (object.is_list()) {
      items.push_back(object.AsList().items[static_cast<size_t>(i)]);
    } else {
      text += chars[static_cast<size_t>(i)];
    }
  }
  if (object.is_string()) return Value::String(std::move(text));
  return Value::MakeList(std::move(items), object.is_tuple());
}

}  // namespace hearth::chat
