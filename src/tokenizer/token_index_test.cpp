#include "tokenizer/token_index.h"

#include <gtest/gtest.h>

#include <unordered_map>

namespace hearth {
namespace {

TEST(TokenIndexTest, FindsEveryTokenAndRejectsOthers) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 5000; ++i)
    tokens.push_back(std::string(1, 't').append(std::to_string(i * 7)));
  tokens.push_back("");
  tokens.push_back("dup");
  tokens.push_back("dup");  // repeated text: the later id wins
  const TokenIndex index(tokens);
  std::unordered_map<std::string, int32_t> reference;
  for (size_t id = 0; id < tokens.size(); ++id) reference[tokens[id]] = static_cast<int32_t>(id);
  for (const auto& [text, id] : reference) EXPECT_EQ(index.Find(text), id) << text;
  EXPECT_EQ(index.Find("dup"), static_cast<int32_t>(tokens.size() - 1));
  EXPECT_EQ(index.Find("t1"), -1);  // 1 is not a multiple of 7
  EXPECT_EQ(index.Find("t35x"), -1);
  EXPECT_EQ(TokenIndex().Find("t0"), -1);
}

}  // namespace
}  // namespace hearth
