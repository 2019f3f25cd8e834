// The engine on the real TinyStories 260K model, against llama.cpp.
//
// Expected values were produced by llama.cpp 0.3.36 (the reference build of
// scripts/golden/build_llama_cpp.sh) on /work/shared's stories260K.gguf:
//   greedy: llama-cpp-python create_completion(temperature=0, repeat_penalty=1)
//   perplexity: llama-perplexity -c 64 -b 64 on kStory (written to a file
//   ending in one newline, which -f drops).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/generator.h"
#include "engine/loaded_model.h"
#include "engine/perplexity.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

constexpr const char* kStory =
    "Once upon a time, there was a little dog named Max. Max loved to run in the big green "
    "park near his house. Every morning, he would wake up, eat his food, and wait by the "
    "door for his friend Sam. Sam was a kind boy who liked to throw the red ball for Max. "
    "One day, the ball went into the pond. Max jumped into the water and swam to get it. Sam "
    "laughed and clapped his hands. \"Good job, Max!\" he said. Max was wet and happy. They "
    "walked home together, and Sam's mom gave them a warm towel and a big cookie. That "
    "night, Max slept in his soft bed and dreamed about the park, the pond, and his best "
    "friend Sam. The next day, the sun was bright and the birds were singing. Lily, Sam's "
    "sister, wanted to play too. She brought her blue kite to the park. The wind was strong, "
    "and the kite flew high in the sky. Max barked at the kite and ran in circles. Lily and "
    "Sam laughed so much that they fell on the grass. They learned that playing together is "
    "more fun than playing alone.";

std::shared_ptr<LoadedModel> LoadStories() {
  const std::string path = testing::SharedDir() + "/data/tinystories-260k/stories260K.gguf";
  auto loaded = LoadModel(path, ModelOptions{1});
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.ok() ? *loaded : nullptr;
}

TEST(StoriesModelTest, GreedyRunMatchesLlamaCpp) {
  auto loaded = LoadStories();
  ASSERT_NE(loaded, nullptr);
  auto generator = Generator::Create(loaded, GeneratorOptions{128, 512});
  ASSERT_TRUE(generator.ok()) << generator.status().ToString();
  GenerationRequest request;
  request.prompt = "Once upon a time";
  request.max_tokens = 64;
  request.sampling.temperature = 0.0f;
  std::string text;
  auto stats = (*generator)->Generate(request, [&](std::string_view piece, const SampledToken*) {
    text += piece;
    return true;
  });
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->generated_tokens, 64);
  EXPECT_EQ(text,
            ", there was a little girl named Lily. She loved to play outside in the park. One day, "
            "she saw a big, red ball. She wanted to play with it, but it was too high.\nLily's mom "
            "said");
}

TEST(StoriesModelTest, PerplexityMatchesLlamaCpp) {
  auto loaded = LoadStories();
  ASSERT_NE(loaded, nullptr);
  auto result =
      ComputePerplexity(*loaded->model, *loaded->tokenizer, kStory, PerplexityOptions{64, 64, -1});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->n_tokens, 451);
  EXPECT_EQ(result->n_chunks, 7);
  EXPECT_EQ(result->n_scored, 7 * 31);
  EXPECT_NEAR(result->ppl, 4.4314, 4.4314 * 1e-3);
  EXPECT_NEAR(result->ppl_error, 0.53499, 0.53499 * 1e-2);
}

}  // namespace
}  // namespace hearth
