// Hearth against llama.cpp: for every model with a manifest under
// tests/golden/<model>/ (made by scripts/golden/make_goldens.py), the last
// prompt token's logits, their top 5 and a 64-token greedy continuation must
// match what llama.cpp computed (CPU, flash attention off, f16 KV cache).
//
// Prompts are given as llama.cpp's token ids, so tokenizer differences cannot
// interfere. A manifest whose model file is missing FAILS, naming the command
// that fetches it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "model/model.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Maximum |logit difference| allowed, as a fraction of the largest |logit|.
// Hearth reproduces ggml's activation quantization, fp16 KV cache, FMA contractions and
// vector expf, and computes every weight block's integer dot product exactly as ggml's
// vec_dot does; what differs is the f32 summation order over blocks of the packed kernels
// (kernels/packed.h: one accumulator per output instead of ggml's 8 lanes). A summation
// order change is ~1e-6 relative per dot product, but once it moves an activation across a
// Q8 rounding boundary the next layers amplify it, on these small models to several
// percent. llama.cpp is no more stable than that against its own code paths:
// scripts/golden/measure_reference_spread.py measured (max over the 5 prompts of the
// last-token max |diff| / max |logit|, against the goldens' one-batch reference):
//   llama.cpp itself, same weights, the prompt one token at a time (its GEMV path):
//     SmolLM2-135M Q4_1 0.039, Q4_0 0.052, Q8_0 0.038, Q4_K_M 0.043; gemma-3-270m 0.039;
//     rand-llama Q4_0 0.011, Q8_0 0.009; rand-qwen2 Q4_0 0.015, Q8_0 0.
//   Hearth with packed kernels (this test): SmolLM2-135M Q4_1 0.055 (code prompt; the others
//     0.025-0.030); gemma-3-270m 0.044; rand-llama Q4_0 0.014, Q8_0 0.012; rand-qwen2 Q4_0
//     0.018, Q8_0 0.013.
// The two spreads are of the same size (the amplification, not the kernels, sets it). 8% is
// the largest measured spread with a 1.5x margin, and still fails any real numeric error
// (O(1)); bit-exact kernels (K-quants, F16) still show 0 or ~1e-4.
constexpr double kRelativeLogitTolerance = 0.08;

// How closely one run must agree with llama.cpp.
struct Agreement {
  double relative_logit;  // max |logit diff| / max |logit|
  // Where two candidates' logits are closer than this band (in logits), either engine may
  // rank them either way: the top-5 comparison allows reorderings within it, and a greedy
  // continuation that diverges at a step where both engines' top-2 are within it stops there
  // (and says how far it got). Any divergence at a step with a clear winner fails.
  double (*noise_band)(double max_abs_logit);
  // The strict form: the same top-5 ids in the same order as llama.cpp's.
  bool exact_top5_order;
};

// Packed kernels (the default): the band is the tolerance itself, since llama.cpp's own
// paths differ by that much.
constexpr Agreement kPackedAgreement = {
    kRelativeLogitTolerance, [](double max_abs) { return kRelativeLogitTolerance * max_abs; },
    false};

// Row-major kernels (ModelOptions::pack_weights = false) follow ggml's vec_dot summation
// order, so there the logits are bit-identical to llama.cpp's on most models (measured 0 for
// rand-{llama,qwen2}-Q8_0, SmolLM2-135M Q4_1, gemma-3 Q8_0) and ~1e-4 where a kernel's order
// differs (F32/F16): held to 1% and near-ties of 0.01 logits, as before packing existed. This
// keeps everything but the packed matmuls (quantization, RoPE, attention, norms, cache) held
// to the reference at full strictness.
constexpr Agreement kRowMajorAgreement = {0.01, [](double) { return 0.01; }, true};

std::string FetchCommand() { return "python3 scripts/fetch_models.py --test-models"; }

std::vector<fs::path> Manifests() {
  std::vector<fs::path> manifests;
  const fs::path root = fs::path(testing::SourceDir()) / "tests" / "golden";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const fs::path manifest = entry.path() / "manifest.json";
    if (entry.is_directory() && fs::exists(manifest)) manifests.push_back(manifest);
  }
  std::sort(manifests.begin(), manifests.end());
  return manifests;
}

fs::path ModelPath(const json& model) {
  const std::string location = model.at("location");
  const std::string path = model.at("path");
  if (location == "shared") return fs::path(testing::SharedDir()) / path;
  if (location == "repo") return fs::path(testing::SourceDir()) / path;
  return fs::path(testing::ModelsDir()) / path;
}

std::vector<float> ReadFloats(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

// The lowest id among the largest logits, as the goldens' greedy sampler does.
int32_t Argmax(const std::vector<float>& logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

std::vector<int32_t> TopK(const std::vector<float>& logits, int k) {
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  ids.resize(k);
  return ids;
}

class GoldenTest : public ::testing::TestWithParam<fs::path> {};

void CheckPrompt(Model& model, const json& prompt, const fs::path& dir, const std::string& id,
                 const Agreement& agreement) {
  const std::string name = prompt.at("name");
  SCOPED_TRACE(id + " / " + name);
  const std::vector<int32_t> ids = prompt.at("prompt_ids").get<std::vector<int32_t>>();
  const std::vector<int32_t> greedy = prompt.at("greedy_ids").get<std::vector<int32_t>>();
  // llama.cpp ran every model with n_ctx 512; Hearth refuses positions past
  // the model's trained context, so such a prompt is only checked as far as
  // it fits (and says so).
  const int32_t n_ctx = model.spec().n_ctx_train;
  if (static_cast<int64_t>(ids.size()) > n_ctx) {
    std::printf(
        "[ golden   ] %s / %s: NOT CHECKED: %zu prompt tokens exceed the context length %d\n",
        id.c_str(), name.c_str(), ids.size(), n_ctx);
    return;
  }
  const size_t n_greedy = std::min(greedy.size(), static_cast<size_t>(n_ctx) - ids.size());
  auto cache = model.NewCache(static_cast<int32_t>(ids.size() + n_greedy));
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();

  std::vector<float> logits;
  ASSERT_TRUE(model.Forward(ids, **cache, false, logits).ok());
  const std::vector<float> expected = ReadFloats(dir / prompt.at("logits_file").get<std::string>());
  ASSERT_EQ(logits.size(), expected.size()) << "logits file size";
  double max_diff = 0, max_abs = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(double(logits[i]) - expected[i]));
    max_abs = std::max(max_abs, std::fabs(double(expected[i])));
  }
  std::printf("[ golden   ] %s / %s: max |logit diff| %.3g (max |logit| %.3g)\n", id.c_str(),
              name.c_str(), max_diff, max_abs);
  EXPECT_LE(max_diff, agreement.relative_logit * max_abs);

  const double band = agreement.noise_band(max_abs);
  // The top 5 of each engine must be among the other's top 5 up to the noise band: every
  // id of ours has a reference logit within the band of llama.cpp's 5th, and vice versa.
  const std::vector<int32_t> ours_top5 = TopK(logits, 5);
  std::vector<int32_t> expected_top5;
  for (const json& entry : prompt.at("top5")) expected_top5.push_back(entry.at("id"));
  if (agreement.exact_top5_order) {
    EXPECT_EQ(ours_top5, expected_top5) << "top-5 ids of the last prompt token, in order";
  }
  for (int32_t id_ours : ours_top5) {
    EXPECT_GE(expected[id_ours], expected[expected_top5.back()] - band)
        << "token " << id_ours << " of Hearth's top 5 is not in llama.cpp's";
  }
  for (int32_t id_ref : expected_top5) {
    EXPECT_GE(logits[id_ref], logits[ours_top5.back()] - band)
        << "token " << id_ref << " of llama.cpp's top 5 is not in Hearth's";
  }
  EXPECT_LE(expected[expected_top5.front()] - expected[ours_top5.front()], band)
      << "top-1: Hearth " << ours_top5.front() << ", llama.cpp " << expected_top5.front();

  const std::vector<double> reference_gaps =
      prompt.at("greedy_top2_gap").get<std::vector<double>>();
  std::vector<int32_t> ours;
  for (size_t i = 0; i < n_greedy; ++i) {
    const int32_t next = Argmax(logits);
    if (next != greedy[i]) {
      const double our_gap = std::fabs(double(logits[next]) - logits[greedy[i]]);
      if (i < reference_gaps.size() && reference_gaps[i] < band && our_gap < band) {
        std::printf(
            "[ golden   ] %s / %s: greedy identical for %zu tokens, then a near-tie "
            "(llama.cpp gap %.2g, Hearth gap %.2g): comparison stops\n",
            id.c_str(), name.c_str(), i, reference_gaps[i], our_gap);
        return;
      }
    }
    ours.push_back(next);
    if (i + 1 < n_greedy) {
      ASSERT_TRUE(model.Forward({&next, 1}, **cache, false, logits).ok());
    }
  }
  if (n_greedy < greedy.size()) {
    std::printf("[ golden   ] %s / %s: greedy checked for %zu of %zu tokens (context length %d)\n",
                id.c_str(), name.c_str(), n_greedy, greedy.size(), n_ctx);
  }
  EXPECT_EQ(ours, std::vector<int32_t>(greedy.begin(), greedy.begin() + n_greedy))
      << "greedy continuation of " << n_greedy << " tokens";
}

void CheckModel(const fs::path& manifest_path, bool pack_weights, const Agreement& agreement) {
  std::ifstream in(manifest_path);
  const json manifest = json::parse(in);
  const std::string id = manifest.at("model_id");
  const fs::path model_path = ModelPath(manifest.at("model"));
  const bool downloaded = manifest.at("model").at("location") == "test-models";
  ASSERT_TRUE(fs::exists(model_path))
      << id << ": model file " << model_path << " is missing"
      << (downloaded ? "; fetch it with `" + FetchCommand() + "`" : std::string());
  auto file = GgufFile::Open(model_path.string());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ModelOptions options;
  options.n_threads = 2;
  options.pack_weights = pack_weights;
  auto model = Model::Load(std::shared_ptr<const GgufFile>(std::move(file).value()), options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  for (const json& prompt : manifest.at("prompts")) {
    CheckPrompt(**model, prompt, manifest_path.parent_path(), id, agreement);
  }
}

TEST_P(GoldenTest, MatchesLlamaCpp) { CheckModel(GetParam(), true, kPackedAgreement); }

TEST_P(GoldenTest, RowMajorKernelsMatchLlamaCppTightly) {
  CheckModel(GetParam(), false, kRowMajorAgreement);
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenTest, ::testing::ValuesIn(Manifests()),
                         [](const ::testing::TestParamInfo<fs::path>& info) {
                           std::string name = info.param.parent_path().filename().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);

// Without goldens nothing above runs: say so instead of passing quietly.
TEST(GoldenPresenceTest, GoldensExist) {
  if (Manifests().empty()) {
    GTEST_SKIP() << "no llama.cpp goldens under " << testing::SourceDir()
                 << "/tests/golden/*/manifest.json (scripts/golden/make_goldens.py makes them)";
  }
}

}  // namespace
}  // namespace hearth
