#include "engine/loaded_model.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "testing/test_paths.h"

namespace hearth {
namespace {

// Sets (or unsets, with nullopt) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DefaultModelPathTest, HearthModelWins) {
  ScopedEnv model("HEARTH_MODEL", "/models/x.gguf");
  ScopedEnv xdg("XDG_DATA_HOME", "/data");
  EXPECT_EQ(DefaultModelPath(), "/models/x.gguf");
}

TEST(DefaultModelPathTest, XdgDataHomeThenHome) {
  ScopedEnv model("HEARTH_MODEL", std::nullopt);
  ScopedEnv home("HOME", "/home/u");
  {
    ScopedEnv xdg("XDG_DATA_HOME", "/data");
    EXPECT_EQ(DefaultModelPath(), "/data/hearth/models/SmolLM2-135M-Instruct.Q4_1.gguf");
  }
  ScopedEnv xdg("XDG_DATA_HOME", std::nullopt);
  EXPECT_EQ(DefaultModelPath(),
            "/home/u/.local/share/hearth/models/SmolLM2-135M-Instruct.Q4_1.gguf");
}

TEST(ResolveModelPathTest, ExplicitPathIsKept) {
  EXPECT_EQ(*ResolveModelPath("/a/b.gguf"), "/a/b.gguf");
}

TEST(ResolveModelPathTest, MissingDefaultSaysHowToFetchIt) {
  ScopedEnv model("HEARTH_MODEL", std::nullopt);
  ScopedEnv xdg("XDG_DATA_HOME", "/nonexistent-hearth-test");
  auto path = ResolveModelPath("");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kNotFound);
  EXPECT_NE(path.status().message().find("/nonexistent-hearth-test/hearth/models/"),
            std::string::npos);
  EXPECT_NE(path.status().message().find("fetch_models.py"), std::string::npos);
}

TEST(ResolveModelPathTest, ExistingDefaultIsFound) {
  const auto dir = std::filesystem::temp_directory_path() / "hearth_loaded_model_test";
  std::filesystem::create_directories(dir / "hearth" / "models");
  const auto file = dir / "hearth" / "models" / kDefaultModelFileName;
  std::ofstream(file) << "x";
  ScopedEnv model("HEARTH_MODEL", std::nullopt);
  ScopedEnv xdg("XDG_DATA_HOME", dir.string());
  auto path = ResolveModelPath("");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, file.string());
}

TEST(LoadModelTest, MissingFileIsAnErrorNamingIt) {
  auto loaded = LoadModel("/nonexistent/model.gguf");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("/nonexistent/model.gguf"), std::string::npos);
}

TEST(LoadModelTest, LoadsTinyStories) {
  const std::string path = testing::SharedDir() + "/data/tinystories-260k/stories260K.gguf";
  auto loaded = LoadModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->model->spec().n_vocab, 512);
  EXPECT_EQ((*loaded)->tokenizer->vocab_size(), 512);
  EXPECT_NE((*loaded)->file, nullptr);
}

}  // namespace
}  // namespace hearth
