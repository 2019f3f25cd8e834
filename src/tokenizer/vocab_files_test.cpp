// Every ggml-vocab-*.gguf in shared/data/vocab against its .inp/.out vectors
// (the same files llama.cpp's test-tokenizer-0 uses; the ids come from the HF
// tokenizers). Each input is encoded without BOS/EOS and with parse_special
// off, exactly as test-tokenizer-0 does, and decoding is checked to give the
// input back where the tokenizer is lossless.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "core/gguf.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"

namespace hearth {
namespace {

// Loading must take well under a second of CPU time (measured as this
// thread's CPU time, so other processes on a busy machine do not count);
// sanitizer builds run ~10x slower.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kMaxLoadSeconds = 10.0;
#else
constexpr double kMaxLoadSeconds = 1.0;
#endif

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct VocabCase {
  std::vector<std::string> inputs;
  std::vector<std::vector<TokenId>> expected;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// .inp: the inputs separated by "\n__ggml_vocab_test__\n" (the file also ends
// with one, so it yields no trailing empty input). .out: one line of
// space-separated ids per input.
VocabCase ReadCase(const std::string& base) {
  VocabCase c;
  const std::string raw = ReadAll(base + ".inp");
  const std::string sep = "\n__ggml_vocab_test__\n";
  for (size_t pos = 0; pos < raw.size();) {
    const size_t next = raw.find(sep, pos);
    if (next == std::string::npos) {
      c.inputs.push_back(raw.substr(pos));
      break;
    }
    c.inputs.push_back(raw.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::ifstream out(base + ".out");
  for (std::string line; std::getline(out, line);) {
    std::istringstream ids(line);
    std::vector<TokenId> row;
    for (TokenId id; ids >> id;) row.push_back(id);
    c.expected.push_back(row);
  }
  return c;
}

std::string Ids(const std::vector<TokenId>& ids) {
  std::string s;
  for (TokenId id : ids) s.append(" ").append(std::to_string(id));
  return s;
}

struct VocabParam {
  const char* name;
  // Decoding gives the input back (after the SentencePiece space prefix is
  // accounted for). BERT lowercases, strips accents and drops whitespace.
  bool lossless;
  bool space_prefix;
};

class VocabFileTest : public ::testing::TestWithParam<VocabParam> {};

TEST_P(VocabFileTest, EncodesLikeReferenceAndRoundTrips) {
  const VocabParam& param = GetParam();
  const std::string base =
      hearth::testing::SharedDir() + "/data/vocab/ggml-vocab-" + param.name + ".gguf";
  auto file = GgufFile::Open(base);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const double start = ThreadCpuSeconds();
  auto tokenizer = Tokenizer::FromGguf(**file);
  const double load_s = ThreadCpuSeconds() - start;
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  EXPECT_LT(load_s, kMaxLoadSeconds) << "loading the vocabulary is too slow";

  const VocabCase c = ReadCase(base);
  ASSERT_EQ(c.inputs.size(), 46u) << "the .inp file holds 46 inputs";
  ASSERT_EQ(c.inputs.size(), c.expected.size()) << ".inp and .out disagree on the count";
  int matched = 0;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const std::string& input = c.inputs[i];
    const std::vector<TokenId> ids = (*tokenizer)->Encode(input, false, false);
    EXPECT_EQ(Ids(ids), Ids(c.expected[i])) << "input #" << i << ": '" << input << "'";
    if (ids == c.expected[i]) ++matched;
    if (param.lossless) {
      std::string want = param.space_prefix && !input.empty() ? std::string(1, ' ') : std::string();
      want.append(input);
      EXPECT_EQ((*tokenizer)->Decode(ids, false), want) << "input #" << i;
    }
  }
  RecordProperty("matched", matched);
  std::printf("[ vocab    ] %s: %d/%zu vectors match, load %.3f s CPU\n", param.name, matched,
              c.inputs.size(), load_s);
}

INSTANTIATE_TEST_SUITE_P(
    AllVocabs, VocabFileTest,
    ::testing::Values(VocabParam{"bert-bge", false, false},
                      VocabParam{"deepseek-coder", true, false},
                      VocabParam{"deepseek-llm", true, false}, VocabParam{"falcon", true, false},
                      VocabParam{"gpt-2", true, false}, VocabParam{"llama-spm", true, true},
                      VocabParam{"mpt", true, false}, VocabParam{"phi-3", true, true},
                      VocabParam{"refact", true, false}, VocabParam{"starcoder", true, false}),
    [](const ::testing::TestParamInfo<VocabParam>& info) {
      std::string name = info.param.name;
      for (char& ch : name) {
        if (ch == '-') ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace hearth
