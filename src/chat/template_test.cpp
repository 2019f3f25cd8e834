// Engine behaviour, one feature per case: tests/chat/snippets.json rendered
// by jinja2 (tests/chat/make_template_goldens.py) into snippet_goldens.json
// must render identically here. Plus the sandbox limits and parser errors,
// which have no jinja2 counterpart to compare with.
#include "chat/template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/test_paths.h"

namespace hearth::chat {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<std::string> RenderWith(std::string_view source, nlohmann::ordered_json context,
                               const TemplateLimits& limits = {}) {
  HEARTH_ASSIGN_OR_RETURN(auto tmpl, ChatTemplate::Parse(source, limits));
  if (context.is_null()) context = nlohmann::ordered_json::object();  // `{}` braces to null
  return tmpl->Render(context);
}

TEST(ChatTemplateSnippets, MatchJinja2) {
  const fs::path dir = fs::path(testing::SourceDir()) / "tests" / "chat";
  const auto snippets = nlohmann::ordered_json::parse(ReadFile(dir / "snippets.json"));
  const auto goldens = nlohmann::ordered_json::parse(ReadFile(dir / "snippet_goldens.json"));
  ASSERT_GE(snippets.size(), 70u);
  for (const auto& snippet : snippets) {
    const std::string name = snippet.at("name");
    const auto& expected = goldens.at("results").at(name);
    nlohmann::ordered_json context = snippet.at("context");
    context["now"] = "2026-01-15T12:34:56";
    auto rendered = RenderWith(snippet.at("template").get<std::string>(), context);
    if (expected.contains("error")) {
      EXPECT_FALSE(rendered.ok()) << name << ": jinja2 raised " << expected.at("error")
                                  << ", Hearth rendered " << *rendered;
    } else if (!rendered.ok()) {
      ADD_FAILURE() << name << ": " << rendered.status().ToString();
    } else {
      EXPECT_EQ(*rendered, expected.at("output").get<std::string>()) << name;
    }
  }
}

TEST(ChatTemplateApi, RendersContextVariables) {
  auto out = RenderWith(
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}"
      "{% endfor %}{% if add_generation_prompt %}>{% endif %}",
      {{"bos_token", "<s>"},
       {"messages", {{{"role", "user"}, {"content", "hi"}}}},
       {"add_generation_prompt", true}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "<s>[user]hi>");
}

TEST(ChatTemplateApi, RejectsNonObjectContextAndBadTime) {
  auto tmpl = ChatTemplate::Parse("x");
  ASSERT_TRUE(tmpl.ok());
  EXPECT_FALSE((*tmpl)->Render(nlohmann::ordered_json::array()).ok());
  EXPECT_FALSE((*tmpl)->Render({{"now", "yesterday"}}).ok());
  EXPECT_FALSE((*tmpl)->Render({{"now", "2026-02-30"}}).ok());
  EXPECT_TRUE((*tmpl)->Render({{"now", "2026-02-28"}}).ok());
}

// --- sandbox -----------------------------------------------------------------

void ExpectFailsWith(const Result<std::string>& result, const std::string& fragment) {
  ASSERT_FALSE(result.ok()) << "rendered: " << *result;
  EXPECT_NE(result.status().message().find(fragment), std::string::npos)
      << result.status().ToString();
}

TEST(ChatTemplateSandbox, SelfRecursiveMacroHitsDepthLimit) {
  ExpectFailsWith(RenderWith("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", {}),
                  "recursion limit");
}

TEST(ChatTemplateSandbox, MutualRecursionThroughCallerHitsDepthLimit) {
  ExpectFailsWith(
      RenderWith("{% macro a() %}{% call a() %}x{% endcall %}{% endmacro %}{{ a() }}", {}),
      "recursion limit");
}

TEST(ChatTemplateSandbox, HugeRangeIsRefused) {
  ExpectFailsWith(RenderWith("{% for i in range(10**12) %}x{% endfor %}", {}), "Range too big");
}

TEST(ChatTemplateSandbox, NestedLoopsHitTheIterationBudget) {
  TemplateLimits limits;
  limits.max_loop_iterations = 10000;
  ExpectFailsWith(RenderWith("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}"
                             "{% endfor %}",
                             {}, limits),
                  "loop iteration limit");
}

TEST(ChatTemplateSandbox, OutputSizeIsBounded) {
  TemplateLimits limits;
  limits.max_output_bytes = 1 << 16;
  ExpectFailsWith(RenderWith("{{ 'x' * 1000000 }}", {}, limits), "size limit");
  ExpectFailsWith(RenderWith("{% for i in range(100000) %}0123456789{% endfor %}", {}, limits),
                  "size limit");
  // Doubling a string in a loop is caught before it grows past the limit.
  ExpectFailsWith(RenderWith("{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
                             "{% set ns.s = ns.s + ns.s %}{% endfor %}",
                             {}, limits),
                  "size limit");
}

TEST(ChatTemplateSandbox, AttributeWalkingReachesNothing) {
  // Underscore attributes are unsafe: printing one gives "", using it fails.
  auto printed = RenderWith("[{{ messages.__class__ }}][{{ ''.__globals__ }}]",
                            {{"messages", nlohmann::ordered_json::array()}});
  ASSERT_TRUE(printed.ok()) << printed.status().ToString();
  EXPECT_EQ(*printed, "[][]");
  ExpectFailsWith(RenderWith("{{ ''.__class__.__mro__[1].__subclasses__() }}", {}),
                  "SecurityError");
  ExpectFailsWith(RenderWith("{{ raise_exception.__globals__['os'] }}", {}), "SecurityError");
  ExpectFailsWith(RenderWith("{{ messages.append(1) }}", {{"messages", {1}}}), "SecurityError");
  ExpectFailsWith(RenderWith("{{ self.__init__ }}{{ cycler.__init__.__globals__ }}", {}),
                  "UndefinedError");
}

TEST(ChatTemplateSandbox, DeepNestingIsAParseError) {
  const std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  ExpectFailsWith(RenderWith(deep, {}), "nests deeper");
  std::string blocks;
  for (int i = 0; i < 3000; ++i) blocks += "{% if true %}";
  ExpectFailsWith(RenderWith(blocks, {}), "nests deeper");
}

TEST(ChatTemplateSandbox, SourceSizeIsBounded) {
  TemplateLimits limits;
  limits.max_source_bytes = 16;
  EXPECT_FALSE(ChatTemplate::Parse(std::string(17, 'x'), limits).ok());
}

// --- parser errors ---------------------------------------------------------------

void ExpectParseError(std::string_view source, const std::string& fragment) {
  auto result = ChatTemplate::Parse(source);
  ASSERT_FALSE(result.ok()) << "parsed: " << source;
  EXPECT_NE(result.status().message().find(fragment), std::string::npos)
      << result.status().ToString();
}

TEST(ChatTemplateParser, ErrorsNameLineColumnAndExpectation) {
  ExpectParseError("line one\n{% if x %}\nbody", "line 3");
  ExpectParseError("{% if x %}\nbody", "expected 'elif' or 'else' or 'endif'");
  ExpectParseError("a\n  {{ 1 + }}", "template line 2, column 10: expected an expression");
  ExpectParseError("{{ x", "expected '}}'");
  ExpectParseError("{% for x y %}{% endfor %}", "expected 'in' in for loop");
  ExpectParseError("{{ 'unterminated }}", "unterminated string");
  ExpectParseError("{% endif %}", "unexpected 'endif'");
  ExpectParseError("{% frobnicate %}", "unknown tag 'frobnicate'");
  ExpectParseError("{{ (1, 2 }}", "unexpected '}'");
  ExpectParseError("{{ (1, 2) ]}}", "unexpected ']'");
  ExpectParseError("{{ f(1 }}", "unexpected '}'");
  ExpectParseError("{% set = 1 %}", "expected an assignment target name");
  ExpectParseError("{{ a ? b }}", "unexpected character '?'");
  ExpectParseError("{# open comment", "unterminated comment");
  ExpectParseError("{{ x is }}", "expected a name");
}

TEST(ChatTemplateParser, UnsupportedConstructsAreNamed) {
  auto result = ChatTemplate::Parse("ok\n{% include 'other.jinja' %}");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(result.status().message().find("line 2"), std::string::npos);
  EXPECT_NE(result.status().message().find("include"), std::string::npos);
  ExpectParseError("{% extends 'base' %}", "unsupported construct '{% extends %}'");
  ExpectParseError("{{ f(*args) }}", "*args");
}

}  // namespace
}  // namespace hearth::chat
