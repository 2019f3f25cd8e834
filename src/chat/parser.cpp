#include "chat/parser.h"

#include <algorithm>
#include <initializer_list>

#include "chat/lexer.h"

namespace hearth::chat {
namespace {

bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), s) != options.end();
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, int max_depth)
      : tokens_(std::move(tokens)), max_depth_(max_depth) {}

  Result<Body> ParseAll() {
    Body body;
    std::string found;
    HEARTH_RETURN_IF_ERROR(ParseBody({}, body, found, 0));
    return body;
  }

 private:
  // --- token helpers --------------------------------------------------------
  const Token& Cur() const { return tokens_[pos_]; }
  const Token& Peek(size_t ahead = 1) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  void Advance() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  bool IsOp(std::string_view op) const { return Cur().kind == TokenKind::kOp && Cur().text == op; }
  bool IsName(std::string_view name) const {
    return Cur().kind == TokenKind::kName && Cur().text == name;
  }
  bool SkipOp(std::string_view op) {
    if (!IsOp(op)) return false;
    Advance();
    return true;
  }
  bool SkipName(std::string_view name) {
    if (!IsName(name)) return false;
    Advance();
    return true;
  }

  Status ErrorAt(const Token& token, const std::string& what) const {
    return InvalidArgumentError("template line {}, column {}: {}", token.line, token.column, what);
  }
  Status Expected(const std::string& what) const {
    return ErrorAt(Cur(), "expected " + what + ", got " + DescribeToken(Cur()));
  }
  Status ExpectOp(std::string_view op) {
    if (!SkipOp(op)) return Expected("'" + std::string(op) + "'");
    return Status::Ok();
  }
  Status ExpectBlockEnd() {
    if (Cur().kind != TokenKind::kBlockEnd) return Expected("end of statement block ('%}')");
    Advance();
    return Status::Ok();
  }
  Result<std::string> ExpectName() {
    if (Cur().kind != TokenKind::kName) return Expected("a name");
    std::string name = Cur().text;
    Advance();
    return name;
  }

  // Guards recursion; every recursive parse step holds one.
  struct DepthGuard {
    Parser* parser;
    explicit DepthGuard(Parser* p) : parser(p) { ++parser->depth_; }
    ~DepthGuard() { --parser->depth_; }
  };
  Status CheckDepth() const {
    if (depth_ > max_depth_) {
      return ErrorAt(Cur(), fmt::format("template nests deeper than {} levels", max_depth_));
    }
    return Status::Ok();
  }

  ExprPtr MakeExpr(ExprKind kind, int line) { return std::make_unique<Expr>(kind, line); }

  // --- statements -------------------------------------------------------------
  // Parses until a block tag whose keyword is in `end_keywords`; leaves the
  // stream at that keyword (after "{%") and stores it in `found`.
  Status ParseBody(std::initializer_list<std::string_view> end_keywords, Body& body,
                   std::string& found, int open_line) {
    DepthGuard guard(this);
    HEARTH_RETURN_IF_ERROR(CheckDepth());
    while (true) {
      const Token& token = Cur();
      switch (token.kind) {
        case TokenKind::kData: {
          auto stmt = std::make_unique<Stmt>(StmtKind::kText, token.line);
          stmt->text = token.text;
          body.push_back(std::move(stmt));
          Advance();
          break;
        }
        case TokenKind::kVarBegin: {
          Advance();
          auto stmt = std::make_unique<Stmt>(StmtKind::kOutput, token.line);
          HEARTH_ASSIGN_OR_RETURN(stmt->expr, ParseTuple(true, false));
          if (Cur().kind != TokenKind::kVarEnd) return Expected("end of print statement ('}}')");
          Advance();
          body.push_back(std::move(stmt));
          break;
        }
        case TokenKind::kBlockBegin: {
          Advance();
          if (Cur().kind != TokenKind::kName) return Expected("a statement name after '{%'");
          if (std::find(end_keywords.begin(), end_keywords.end(), Cur().text) !=
              end_keywords.end()) {
            found = Cur().text;
            Advance();
            return Status::Ok();
          }
          HEARTH_ASSIGN_OR_RETURN(auto stmt, ParseStatement());
          body.push_back(std::move(stmt));
          break;
        }
        case TokenKind::kEof: {
          if (end_keywords.size() == 0) return Status::Ok();
          std::string wanted;
          for (std::string_view k : end_keywords) {
            if (!wanted.empty()) wanted += " or ";
            wanted += "'" + std::string(k) + "'";
          }
          return ErrorAt(token, fmt::format("unexpected end of template: expected {} to close "
                                            "the block opened at line {}",
                                            wanted, open_line));
        }
        default:
          return ErrorAt(token, "unexpected " + DescribeToken(token));
      }
    }
  }

  Result<StmtPtr> ParseStatement() {
    const Token& keyword = Cur();
    const std::string name = keyword.text;
    const int line = keyword.line;
    Advance();
    if (name == "if") return ParseIf(line);
    if (name == "for") return ParseFor(line);
    if (name == "set") return ParseSet(line);
    if (name == "macro") return ParseMacro(line);
    if (name == "call") return ParseCallBlock(line);
    if (name == "filter") return ParseFilterBlock(line);
    if (name == "generation") {
      auto stmt = std::make_unique<Stmt>(StmtKind::kScope, line);
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      HEARTH_RETURN_IF_ERROR(ParseBlockBodyUntil("endgeneration", stmt->body, line));
      return stmt;
    }
    if (name == "break" || name == "continue") {
      auto stmt =
          std::make_unique<Stmt>(name == "break" ? StmtKind::kBreak : StmtKind::kContinue, line);
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      return stmt;
    }
    if (IsOneOf(name, {"include", "import", "from", "extends", "block", "with", "do", "autoescape",
                       "trans", "raw"})) {
      return UnsupportedError("template line {}: unsupported construct '{{% {} %}}'", line, name);
    }
    if (name.rfind("end", 0) == 0 || IsOneOf(name, {"else", "elif"})) {
      return ErrorAt(keyword, "unexpected '" + name + "' (no open block it could close)");
    }
    return ErrorAt(keyword, "unknown tag '" + name + "'");
  }

  Status ParseBlockBodyUntil(std::string_view end_keyword, Body& body, int open_line) {
    std::string found;
    HEARTH_RETURN_IF_ERROR(ParseBody({end_keyword}, body, found, open_line));
    return ExpectBlockEnd();
  }

  Result<StmtPtr> ParseIf(int line) {
    auto stmt = std::make_unique<Stmt>(StmtKind::kIf, line);
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(auto condition, ParseTuple(false, false));
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      Body body;
      std::string found;
      HEARTH_RETURN_IF_ERROR(ParseBody({"elif", "else", "endif"}, body, found, line));
      stmt->conditions.push_back(std::move(condition));
      stmt->bodies.push_back(std::move(body));
      if (found == "elif") continue;
      if (found == "else") {
        HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
        HEARTH_RETURN_IF_ERROR(ParseBlockBodyUntil("endif", stmt->else_body, line));
      } else {
        HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      }
      return stmt;
    }
  }

  Result<StmtPtr> ParseFor(int line) {
    auto stmt = std::make_unique<Stmt>(StmtKind::kFor, line);
    HEARTH_ASSIGN_OR_RETURN(stmt->target, ParseTarget(false));
    if (!SkipName("in")) return Expected("'in' in for loop");
    HEARTH_ASSIGN_OR_RETURN(stmt->expr, ParseTuple(false, false, /*stop_at_recursive=*/true));
    if (SkipName("if")) {
      HEARTH_ASSIGN_OR_RETURN(stmt->filter, ParseExpression(true));
    }
    stmt->recursive = SkipName("recursive");
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    std::string found;
    HEARTH_RETURN_IF_ERROR(ParseBody({"endfor", "else"}, stmt->body, found, line));
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    if (found == "else") {
      HEARTH_RETURN_IF_ERROR(ParseBlockBodyUntil("endfor", stmt->else_body, line));
    }
    return stmt;
  }

  // name | name.attr (namespaces, set only) | a, b | (a, (b, c))
  Result<Target> ParseTarget(bool allow_attr) {
    Target target;
    HEARTH_ASSIGN_OR_RETURN(Target first, ParseSingleTarget(allow_attr));
    if (!IsOp(",")) return first;
    target.elements.push_back(std::move(first));
    while (SkipOp(",")) {
      if (IsName("in") || IsOp("=") || Cur().kind == TokenKind::kBlockEnd) break;
      HEARTH_ASSIGN_OR_RETURN(Target next, ParseSingleTarget(false));
      target.elements.push_back(std::move(next));
    }
    return target;
  }

  Result<Target> ParseSingleTarget(bool allow_attr) {
    DepthGuard guard(this);
    HEARTH_RETURN_IF_ERROR(CheckDepth());
    Target target;
    if (SkipOp("(")) {
      while (!IsOp(")")) {
        HEARTH_ASSIGN_OR_RETURN(Target element, ParseSingleTarget(false));
        target.elements.push_back(std::move(element));
        if (!SkipOp(",")) break;
      }
      HEARTH_RETURN_IF_ERROR(ExpectOp(")"));
      return target;
    }
    if (Cur().kind != TokenKind::kName) return Expected("an assignment target name");
    HEARTH_ASSIGN_OR_RETURN(target.name, ExpectName());
    if (allow_attr && SkipOp(".")) {
      HEARTH_ASSIGN_OR_RETURN(target.attr, ExpectName());
    }
    return target;
  }

  Result<StmtPtr> ParseSet(int line) {
    HEARTH_ASSIGN_OR_RETURN(Target target, ParseTarget(true));
    if (SkipOp("=")) {
      auto stmt = std::make_unique<Stmt>(StmtKind::kSet, line);
      stmt->target = std::move(target);
      HEARTH_ASSIGN_OR_RETURN(stmt->expr, ParseTuple(true, false));
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      return stmt;
    }
    auto stmt = std::make_unique<Stmt>(StmtKind::kSetBlock, line);
    stmt->target = std::move(target);
    if (IsOp("|")) {
      HEARTH_ASSIGN_OR_RETURN(stmt->filter, ParseFilterChain(line));
    }
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    HEARTH_RETURN_IF_ERROR(ParseBlockBodyUntil("endset", stmt->body, line));
    return stmt;
  }

  // "| f(args) | g" applied to the block placeholder variable.
  Result<ExprPtr> ParseFilterChain(int line) {
    auto node = MakeExpr(ExprKind::kName, line);
    node->name = kBlockValueName;
    if (!IsOp("|")) {
      HEARTH_ASSIGN_OR_RETURN(node, ParseFilter(std::move(node)));
    }
    while (IsOp("|")) {
      Advance();
      HEARTH_ASSIGN_OR_RETURN(node, ParseFilter(std::move(node)));
    }
    return node;
  }

  Status ParseParams(std::vector<MacroParam>& params) {
    HEARTH_RETURN_IF_ERROR(ExpectOp("("));
    while (!IsOp(")")) {
      MacroParam param;
      HEARTH_ASSIGN_OR_RETURN(param.name, ExpectName());
      if (SkipOp("=")) {
        HEARTH_ASSIGN_OR_RETURN(param.default_value, ParseExpression(true));
      }
      params.push_back(std::move(param));
      if (!SkipOp(",")) break;
    }
    return ExpectOp(")");
  }

  Result<StmtPtr> ParseMacro(int line) {
    auto stmt = std::make_unique<Stmt>(StmtKind::kMacro, line);
    HEARTH_ASSIGN_OR_RETURN(stmt->text, ExpectName());
    HEARTH_RETURN_IF_ERROR(ParseParams(stmt->params));
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    HEARTH_RETURN_IF_ERROR(ParseBlockBodyUntil("endmacro", stmt->body, line));
    return stmt;
  }

  Result<StmtPtr> ParseCallBlock(int line) {
    auto stmt = std::make_unique<Stmt>(StmtKind::kCallBlock, line);
    if (IsOp("(")) HEARTH_RETURN_IF_ERROR(ParseParams(stmt->params));
    HEARTH_ASSIGN_OR_RETURN(stmt->expr, ParseExpression(true));
    if (stmt->expr->kind != ExprKind::kCall) {
      return ErrorAt(Cur(), "expected a call after '{% call %}'");
    }
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    HEARTH_RETURN_IF_ERROR(ParseBlockBodyUntil("endcall", stmt->body, line));
    return stmt;
  }

  Result<StmtPtr> ParseFilterBlock(int line) {
    auto stmt = std::make_unique<Stmt>(StmtKind::kFilterBlock, line);
    HEARTH_ASSIGN_OR_RETURN(stmt->expr, ParseFilterChain(line));
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    HEARTH_RETURN_IF_ERROR(ParseBlockBodyUntil("endfilter", stmt->body, line));
    return stmt;
  }

  // --- expressions --------------------------------------------------------------
  bool AtTupleEnd(bool stop_at_recursive) const {
    const Token& t = Cur();
    if (t.kind == TokenKind::kVarEnd || t.kind == TokenKind::kBlockEnd ||
        t.kind == TokenKind::kEof) {
      return true;
    }
    if (t.kind == TokenKind::kOp && t.text == ")") return true;
    return stop_at_recursive && t.kind == TokenKind::kName && t.text == "recursive";
  }

  // a, b, c -> tuple; a single expression stays itself.
  Result<ExprPtr> ParseTuple(bool with_condexpr, bool explicit_parens,
                             bool stop_at_recursive = false) {
    const int line = Cur().line;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) HEARTH_RETURN_IF_ERROR(ExpectOp(","));
      if (AtTupleEnd(stop_at_recursive)) break;
      if (stop_at_recursive && IsName("if")) break;
      HEARTH_ASSIGN_OR_RETURN(auto item, ParseExpression(with_condexpr));
      items.push_back(std::move(item));
      if (IsOp(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (items.size() == 1) return std::move(items[0]);
      if (!explicit_parens) return Expected("an expression");
    }
    auto node = MakeExpr(ExprKind::kTuple, line);
    node->items = std::move(items);
    return node;
  }

  Result<ExprPtr> ParseExpression(bool with_condexpr) {
    DepthGuard guard(this);
    HEARTH_RETURN_IF_ERROR(CheckDepth());
    if (!with_condexpr) return ParseOr();
    HEARTH_ASSIGN_OR_RETURN(auto expr, ParseOr());
    while (IsName("if")) {
      const int line = Cur().line;
      Advance();
      HEARTH_ASSIGN_OR_RETURN(auto condition, ParseOr());
      ExprPtr otherwise;
      if (SkipName("else")) {
        HEARTH_ASSIGN_OR_RETURN(otherwise, ParseExpression(true));
      }
      auto node = MakeExpr(ExprKind::kCondExpr, line);
      node->items.push_back(std::move(condition));
      node->items.push_back(std::move(expr));
      node->items.push_back(std::move(otherwise));
      expr = std::move(node);
    }
    return expr;
  }

  ExprPtr MakeBinary(std::string op, ExprPtr left, ExprPtr right, int line) {
    auto node = MakeExpr(ExprKind::kBinary, line);
    node->name = std::move(op);
    node->items.push_back(std::move(left));
    node->items.push_back(std::move(right));
    return node;
  }

  Result<ExprPtr> ParseOr() {
    HEARTH_ASSIGN_OR_RETURN(auto left, ParseAnd());
    while (IsName("or")) {
      const int line = Cur().line;
      Advance();
      HEARTH_ASSIGN_OR_RETURN(auto right, ParseAnd());
      left = MakeBinary("or", std::move(left), std::move(right), line);
    }
    return left;
  }

  Result<ExprPtr> ParseAnd() {
    HEARTH_ASSIGN_OR_RETURN(auto left, ParseNot());
    while (IsName("and")) {
      const int line = Cur().line;
      Advance();
      HEARTH_ASSIGN_OR_RETURN(auto right, ParseNot());
      left = MakeBinary("and", std::move(left), std::move(right), line);
    }
    return left;
  }

  Result<ExprPtr> ParseNot() {
    if (IsName("not")) {
      DepthGuard guard(this);
      HEARTH_RETURN_IF_ERROR(CheckDepth());
      const int line = Cur().line;
      Advance();
      auto node = MakeExpr(ExprKind::kUnary, line);
      node->name = "not";
      HEARTH_ASSIGN_OR_RETURN(auto operand, ParseNot());
      node->items.push_back(std::move(operand));
      return node;
    }
    return ParseCompare();
  }

  Result<ExprPtr> ParseCompare() {
    const int line = Cur().line;
    HEARTH_ASSIGN_OR_RETURN(auto first, ParseMath1());
    auto node = MakeExpr(ExprKind::kCompare, line);
    node->items.push_back(std::move(first));
    while (true) {
      std::string op;
      if (Cur().kind == TokenKind::kOp && IsOneOf(Cur().text, {"==", "!=", "<", "<=", ">", ">="})) {
        op = Cur().text;
        Advance();
      } else if (IsName("in")) {
        op = "in";
        Advance();
      } else if (IsName("not") && Peek().kind == TokenKind::kName && Peek().text == "in") {
        op = "notin";
        Advance();
        Advance();
      } else {
        break;
      }
      HEARTH_ASSIGN_OR_RETURN(auto operand, ParseMath1());
      node->ops.push_back(std::move(op));
      node->items.push_back(std::move(operand));
    }
    if (node->ops.empty()) return std::move(node->items[0]);
    return node;
  }

  Result<ExprPtr> ParseMath1() {
    HEARTH_ASSIGN_OR_RETURN(auto left, ParseConcat());
    while (IsOp("+") || IsOp("-")) {
      const std::string op = Cur().text;
      const int line = Cur().line;
      Advance();
      HEARTH_ASSIGN_OR_RETURN(auto right, ParseConcat());
      left = MakeBinary(op, std::move(left), std::move(right), line);
    }
    return left;
  }

  Result<ExprPtr> ParseConcat() {
    HEARTH_ASSIGN_OR_RETURN(auto left, ParseMath2());
    while (IsOp("~")) {
      const int line = Cur().line;
      Advance();
      HEARTH_ASSIGN_OR_RETURN(auto right, ParseMath2());
      left = MakeBinary("~", std::move(left), std::move(right), line);
    }
    return left;
  }

  Result<ExprPtr> ParseMath2() {
    HEARTH_ASSIGN_OR_RETURN(auto left, ParsePow());
    while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
      const std::string op = Cur().text;
      const int line = Cur().line;
      Advance();
      HEARTH_ASSIGN_OR_RETURN(auto right, ParsePow());
      left = MakeBinary(op, std::move(left), std::move(right), line);
    }
    return left;
  }

  Result<ExprPtr> ParsePow() {
    HEARTH_ASSIGN_OR_RETURN(auto left, ParseUnary(true));
    while (IsOp("**")) {
      const int line = Cur().line;
      Advance();
      HEARTH_ASSIGN_OR_RETURN(auto right, ParseUnary(true));
      left = MakeBinary("**", std::move(left), std::move(right), line);
    }
    return left;
  }

  Result<ExprPtr> ParseUnary(bool with_filter) {
    DepthGuard guard(this);
    HEARTH_RETURN_IF_ERROR(CheckDepth());
    ExprPtr node;
    if (IsOp("-") || IsOp("+")) {
      node = MakeExpr(ExprKind::kUnary, Cur().line);
      node->name = Cur().text;
      Advance();
      HEARTH_ASSIGN_OR_RETURN(auto operand, ParseUnary(false));
      node->items.push_back(std::move(operand));
    } else {
      HEARTH_ASSIGN_OR_RETURN(node, ParsePrimary());
    }
    HEARTH_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
    if (with_filter) {
      HEARTH_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
    }
    return node;
  }

  Result<ExprPtr> ParsePrimary() {
    const Token& token = Cur();
    switch (token.kind) {
      case TokenKind::kName: {
        const std::string& n = token.text;
        auto literal = MakeExpr(ExprKind::kLiteral, token.line);
        if (n == "true" || n == "True") {
          literal->value = Value::Bool(true);
        } else if (n == "false" || n == "False") {
          literal->value = Value::Bool(false);
        } else if (n == "none" || n == "None") {
          literal->value = Value::None();
        } else {
          auto name = MakeExpr(ExprKind::kName, token.line);
          name->name = n;
          Advance();
          return name;
        }
        Advance();
        return literal;
      }
      case TokenKind::kString: {
        auto literal = MakeExpr(ExprKind::kLiteral, token.line);
        std::string text;
        while (Cur().kind == TokenKind::kString) {  // adjacent literals concatenate
          text += Cur().text;
          Advance();
        }
        literal->value = Value::String(std::move(text));
        return literal;
      }
      case TokenKind::kInt:
      case TokenKind::kFloat: {
        auto literal = MakeExpr(ExprKind::kLiteral, token.line);
        literal->value = token.kind == TokenKind::kInt ? Value::Int(token.int_value)
                                                       : Value::Float(token.float_value);
        Advance();
        return literal;
      }
      case TokenKind::kOp:
        if (token.text == "(") {
          Advance();
          HEARTH_ASSIGN_OR_RETURN(auto inner, ParseTuple(true, true));
          HEARTH_RETURN_IF_ERROR(ExpectOp(")"));
          return inner;
        }
        if (token.text == "[") return ParseList();
        if (token.text == "{") return ParseDict();
        break;
      default:
        break;
    }
    return Expected("an expression");
  }

  Result<ExprPtr> ParseList() {
    auto node = MakeExpr(ExprKind::kList, Cur().line);
    Advance();
    while (!IsOp("]")) {
      HEARTH_ASSIGN_OR_RETURN(auto item, ParseExpression(true));
      node->items.push_back(std::move(item));
      if (!SkipOp(",")) break;
    }
    HEARTH_RETURN_IF_ERROR(ExpectOp("]"));
    return node;
  }

  Result<ExprPtr> ParseDict() {
    auto node = MakeExpr(ExprKind::kDict, Cur().line);
    Advance();
    while (!IsOp("}")) {
      HEARTH_ASSIGN_OR_RETURN(auto key, ParseExpression(true));
      HEARTH_RETURN_IF_ERROR(ExpectOp(":"));
      HEARTH_ASSIGN_OR_RETURN(auto value, ParseExpression(true));
      node->keys.push_back(std::move(key));
      node->items.push_back(std::move(value));
      if (!SkipOp(",")) break;
    }
    HEARTH_RETURN_IF_ERROR(ExpectOp("}"));
    return node;
  }

  Result<ExprPtr> ParsePostfix(ExprPtr node) {
    while (true) {
      const int line = Cur().line;
      if (IsOp(".")) {
        Advance();
        if (Cur().kind == TokenKind::kInt) {
          auto index = MakeExpr(ExprKind::kLiteral, line);
          index->value = Value::Int(Cur().int_value);
          Advance();
          auto item = MakeExpr(ExprKind::kGetItem, line);
          item->items.push_back(std::move(node));
          item->items.push_back(std::move(index));
          node = std::move(item);
          continue;
        }
        auto attr = MakeExpr(ExprKind::kGetAttr, line);
        HEARTH_ASSIGN_OR_RETURN(attr->name, ExpectName());
        attr->items.push_back(std::move(node));
        node = std::move(attr);
      } else if (IsOp("[")) {
        Advance();
        HEARTH_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node), line));
      } else if (IsOp("(")) {
        auto call = MakeExpr(ExprKind::kCall, line);
        call->items.push_back(std::move(node));
        HEARTH_RETURN_IF_ERROR(ParseCallArgs(*call));
        node = std::move(call);
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> ParseSubscript(ExprPtr target, int line) {
    std::vector<ExprPtr> parts(3);
    bool is_slice = false;
    if (!IsOp(":")) {
      HEARTH_ASSIGN_OR_RETURN(parts[0], ParseExpression(true));
    }
    if (SkipOp(":")) {
      is_slice = true;
      if (!IsOp("]") && !IsOp(":")) {
        HEARTH_ASSIGN_OR_RETURN(parts[1], ParseExpression(true));
      }
      if (SkipOp(":") && !IsOp("]")) {
        HEARTH_ASSIGN_OR_RETURN(parts[2], ParseExpression(true));
      }
    }
    if (IsOp(",")) return ErrorAt(Cur(), "unsupported construct: tuple subscript");
    HEARTH_RETURN_IF_ERROR(ExpectOp("]"));
    auto node = MakeExpr(is_slice ? ExprKind::kSlice : ExprKind::kGetItem, line);
    node->items.push_back(std::move(target));
    if (!is_slice) {
      node->items.push_back(std::move(parts[0]));
    } else {
      for (auto& part : parts) node->items.push_back(std::move(part));
    }
    return node;
  }

  Status ParseCallArgs(Expr& call) {
    HEARTH_RETURN_IF_ERROR(ExpectOp("("));
    while (!IsOp(")")) {
      if (IsOp("*") || IsOp("**")) {
        return UnsupportedError("template line {}: unsupported construct: *args/**kwargs in a call",
                                Cur().line);
      }
      if (Cur().kind == TokenKind::kName && Peek().kind == TokenKind::kOp && Peek().text == "=") {
        std::string key = Cur().text;
        Advance();
        Advance();
        HEARTH_ASSIGN_OR_RETURN(auto value, ParseExpression(true));
        call.kwargs.emplace_back(std::move(key), std::move(value));
      } else {
        if (!call.kwargs.empty()) {
          return ErrorAt(Cur(), "positional argument follows keyword argument");
        }
        HEARTH_ASSIGN_OR_RETURN(auto value, ParseExpression(true));
        call.args.push_back(std::move(value));
      }
      if (!SkipOp(",")) break;
    }
    return ExpectOp(")");
  }

  Result<std::string> ParseDottedName() {
    HEARTH_ASSIGN_OR_RETURN(std::string name, ExpectName());
    while (IsOp(".") && Peek().kind == TokenKind::kName) {
      Advance();
      name += "." + Cur().text;
      Advance();
    }
    return name;
  }

  // One filter after "|" (the "|" already consumed).
  Result<ExprPtr> ParseFilter(ExprPtr operand) {
    auto node = MakeExpr(ExprKind::kFilter, Cur().line);
    HEARTH_ASSIGN_OR_RETURN(node->name, ParseDottedName());
    node->items.push_back(std::move(operand));
    if (IsOp("(")) HEARTH_RETURN_IF_ERROR(ParseCallArgs(*node));
    return node;
  }

  Result<ExprPtr> ParseFilterExpr(ExprPtr node) {
    while (true) {
      if (IsOp("|")) {
        Advance();
        HEARTH_ASSIGN_OR_RETURN(node, ParseFilter(std::move(node)));
      } else if (IsName("is")) {
        Advance();
        HEARTH_ASSIGN_OR_RETURN(node, ParseTest(std::move(node)));
      } else if (IsOp("(")) {
        auto call = MakeExpr(ExprKind::kCall, Cur().line);
        call->items.push_back(std::move(node));
        HEARTH_RETURN_IF_ERROR(ParseCallArgs(*call));
        node = std::move(call);
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> ParseTest(ExprPtr operand) {
    auto node = MakeExpr(ExprKind::kTest, Cur().line);
    node->negated = SkipName("not");
    HEARTH_ASSIGN_OR_RETURN(node->name, ParseDottedName());
    node->items.push_back(std::move(operand));
    if (IsOp("(")) {
      HEARTH_RETURN_IF_ERROR(ParseCallArgs(*node));
    } else if ((Cur().kind == TokenKind::kName || Cur().kind == TokenKind::kString ||
                Cur().kind == TokenKind::kInt || Cur().kind == TokenKind::kFloat || IsOp("[") ||
                IsOp("{")) &&
               !IsName("else") && !IsName("or") && !IsName("and")) {
      if (IsName("is")) return ErrorAt(Cur(), "you cannot chain multiple tests with 'is'");
      HEARTH_ASSIGN_OR_RETURN(auto arg, ParsePrimary());
      HEARTH_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
      node->args.push_back(std::move(arg));
    }
    return node;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int max_depth_;
};

}  // namespace

Result<Body> ParseTemplate(std::string_view source, int max_depth) {
  HEARTH_ASSIGN_OR_RETURN(auto tokens, Lex(source));
  Parser parser(std::move(tokens), max_depth);
  return parser.ParseAll();
}

}  // namespace hearth::chat
