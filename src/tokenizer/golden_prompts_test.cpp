// The tokenizer against the llama.cpp goldens of the model tests
// (tests/golden/*/manifest.json, made by scripts/golden/make_goldens.py with
// llama.cpp 0.3.36): each prompt text must encode to the recorded prompt ids
// (add_special on, parse_special off, as recorded), each greedy token must
// render to llama.cpp's piece (special tokens not rendered), and the first
// end-of-generation token in the greedy run must be the one llama.cpp saw.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/gguf.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string ModelPath(const json& model) {
  const std::string location = model.at("location");
  const std::string path = model.at("path");
  if (location == "repo") return hearth::testing::SourceDir() + "/" + path;
  if (location == "shared") return hearth::testing::SharedDir() + "/" + path;
  return hearth::testing::ModelsDir() + "/" + path;  // "test-models"
}

std::string Hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex.push_back(digits[c >> 4]);
    hex.push_back(digits[c & 15]);
  }
  return hex;
}

std::vector<fs::path> Manifests() {
  std::vector<fs::path> manifests;
  const fs::path root = fs::path(hearth::testing::SourceDir()) / "tests/golden";
  if (!fs::exists(root)) return manifests;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (fs::exists(entry.path() / "manifest.json"))
      manifests.push_back(entry.path() / "manifest.json");
  }
  std::sort(manifests.begin(), manifests.end());
  return manifests;
}

TEST(GoldenPromptsTest, TokenizerMatchesLlamaCppGoldens) {
  const auto manifests = Manifests();
  ASSERT_FALSE(manifests.empty()) << "no tests/golden/*/manifest.json under SourceDir()";
  int models = 0;
  for (const fs::path& manifest_path : manifests) {
    std::ifstream in(manifest_path);
    const json manifest = json::parse(in);
    const std::string id = manifest.at("model_id");
    SCOPED_TRACE(id);
    const json& settings = manifest.at("settings");
    auto file = GgufFile::Open(ModelPath(manifest.at("model")));
    ASSERT_TRUE(file.ok()) << file.status().ToString() << " (test models: scripts/fetch_models.py)";
    auto tokenizer = Tokenizer::FromGguf(**file);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
    const Tokenizer& tok = **tokenizer;
    EXPECT_EQ(tok.vocab_size(), manifest.at("vocab").at("n_vocab").get<int>());
    EXPECT_EQ(tok.add_bos(), manifest.at("vocab").at("add_bos").get<bool>());
    for (const json& prompt : manifest.at("prompts")) {
      const std::string name = prompt.at("name");
      EXPECT_EQ(tok.Encode(prompt.at("text").get<std::string>(), settings.at("add_special"),
                           settings.at("parse_special")),
                prompt.at("prompt_ids").get<std::vector<TokenId>>())
          << name;
      const auto greedy = prompt.at("greedy_ids").get<std::vector<TokenId>>();
      const auto pieces = prompt.at("greedy_pieces_hex").get<std::vector<std::string>>();
      ASSERT_EQ(greedy.size(), pieces.size());
      for (size_t i = 0; i < greedy.size(); ++i) {
        EXPECT_EQ(Hex(tok.TokenToPiece(greedy[i], false)), pieces[i])
            << name << ": token " << greedy[i];
      }
      json first_eog = nullptr;
      for (size_t i = 0; i < greedy.size(); ++i) {
        if (tok.IsEndOfGeneration(greedy[i])) {
          first_eog = i;
          break;
        }
      }
      EXPECT_EQ(first_eog, prompt.at("greedy_first_eog")) << name;
    }
    ++models;
  }
  std::printf("[ golden   ] tokenizer checked against %d model goldens\n", models);
}

}  // namespace
}  // namespace hearth
