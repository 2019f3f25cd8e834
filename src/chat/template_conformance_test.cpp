// Conformance: every chat template in shared/data/chat-templates, rendered
// for every conversation in tests/chat/conversations.json, must equal
// byte for byte what jinja2 (set up as transformers sets it up) rendered
// into tests/chat/golden/ (tests/chat/make_template_goldens.py), or fail
// where jinja2 raised.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "chat/template.h"
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

nlohmann::ordered_json ContextFor(const nlohmann::ordered_json& settings,
                                  const nlohmann::ordered_json& conversation) {
  return {
      {"messages", conversation.at("messages")},
      {"tools", conversation.contains("tools") ? conversation.at("tools") : nullptr},
      {"add_generation_prompt", conversation.at("add_generation_prompt")},
      {"bos_token", settings.at("bos_token")},
      {"eos_token", settings.at("eos_token")},
      {"now", settings.at("now")},
  };
}

// First differing byte, for a readable failure.
std::string DescribeMismatch(const std::string& expected, const std::string& actual) {
  size_t i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
  const size_t from = i > 40 ? i - 40 : 0;
  return "first difference at byte " + std::to_string(i) + "\n  expected: ..." +
         nlohmann::ordered_json(expected.substr(from, 100)).dump() + "\n  actual:   ..." +
         nlohmann::ordered_json(actual.substr(from, 100)).dump();
}

TEST(ChatTemplateConformance, AllTemplatesMatchJinja2) {
  const fs::path chat_dir = fs::path(testing::SourceDir()) / "tests" / "chat";
  const fs::path template_dir = fs::path(testing::SharedDir()) / "data" / "chat-templates";
  const nlohmann::ordered_json settings =
      nlohmann::ordered_json::parse(ReadFile(chat_dir / "conversations.json"));
  std::vector<fs::path> goldens;
  for (const auto& entry : fs::directory_iterator(chat_dir / "golden")) {
    if (entry.path().extension() == ".json") goldens.push_back(entry.path());
  }
  std::sort(goldens.begin(), goldens.end());
  ASSERT_EQ(goldens.size(), 65u) << "expected one golden per template in " << chat_dir / "golden";

  int templates_passed = 0;
  int cases_passed = 0;
  int cases_total = 0;
  for (const fs::path& golden_path : goldens) {
    const nlohmann::ordered_json golden = nlohmann::ordered_json::parse(ReadFile(golden_path));
    const std::string name = golden.at("template");
    const fs::path template_path = template_dir / name;
    ASSERT_TRUE(fs::exists(template_path)) << template_path;
    auto tmpl = ChatTemplate::Parse(ReadFile(template_path));
    bool template_ok = true;
    for (const nlohmann::ordered_json& conversation : settings.at("conversations")) {
      const std::string case_name = conversation.at("name");
      const nlohmann::ordered_json& expected = golden.at("cases").at(case_name);
      ++cases_total;
      bool ok = false;
      if (!tmpl.ok()) {
        ADD_FAILURE() << name << ": parse failed: " << tmpl.status().ToString();
      } else {
        auto rendered = (*tmpl)->Render(ContextFor(settings, conversation));
        if (expected.contains("error")) {
          ok = !rendered.ok();
          EXPECT_TRUE(ok) << name << " / " << case_name << ": jinja2 raised "
                          << expected.at("error") << " but Hearth rendered";
        } else if (!rendered.ok()) {
          ADD_FAILURE() << name << " / " << case_name << ": " << rendered.status().ToString();
        } else {
          const std::string want = expected.at("output");
          ok = *rendered == want;
          EXPECT_TRUE(ok) << name << " / " << case_name << ": "
                          << DescribeMismatch(want, *rendered);
        }
      }
      cases_passed += ok;
      template_ok = template_ok && ok;
    }
    templates_passed += template_ok;
  }
  std::printf("chat templates: %d/%zu templates fully conformant, %d/%d renders match jinja2\n",
              templates_passed, goldens.size(), cases_passed, cases_total);
}

}  // namespace
}  // namespace hearth::chat
