// Model loading and Forward contracts, on the TinyStories 260K llama model.
#include "model/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/gguf_writer.h"
#include "testing/test_paths.h"

namespace hearth {
namespace {

std::string StoriesPath() {
  return testing::SharedDir() + "/data/tinystories-260k/stories260K.gguf";
}

std::shared_ptr<const GgufFile> OpenStories() {
  auto file = GgufFile::Open(StoriesPath());
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return nullptr;
  return std::shared_ptr<const GgufFile>(std::move(file).value());
}

std::unique_ptr<Model> LoadStories(int n_threads = 2) {
  auto file = OpenStories();
  if (!file) return nullptr;
  auto model = Model::Load(file, {n_threads});
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

const std::vector<int32_t> kPrompt = {1, 403, 407, 261, 378, 153, 300, 267, 395, 48, 99, 13};

TEST(ModelTest, ReadsStoriesSpecFromMetadata) {
  auto model = LoadStories();
  ASSERT_NE(model, nullptr);
  const ModelSpec& s = model->spec();
  EXPECT_EQ(s.architecture, "llama");
  EXPECT_EQ(s.n_vocab, 512);
  EXPECT_EQ(s.n_embd, 64);
  EXPECT_EQ(s.n_layer, 5);
  EXPECT_EQ(s.n_head, 8);
  EXPECT_EQ(s.n_head_kv, 4);
  EXPECT_EQ(s.head_dim, 8);
  EXPECT_EQ(s.n_ff, 172);
  EXPECT_EQ(s.n_ctx_train, 128);
  EXPECT_FLOAT_EQ(s.rms_eps, 1e-5f);
  EXPECT_FLOAT_EQ(s.rope_freq_base, 10000.0f);
  // token_embd + output (64*512 each), 5 layers of q,k,v,o,gate,up,down + 2 norms, output_norm.
  const uint64_t per_layer = 64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 172 + 2 * 64;
  EXPECT_EQ(s.n_params, 2 * 64 * 512 + 5 * per_layer + 64);
}

TEST(ModelTest, LogitsAreFiniteAndDeterministic) {
  auto model = LoadStories();
  ASSERT_NE(model, nullptr);
  auto cache = model->NewCache(0);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  EXPECT_EQ((*cache)->capacity(), 128);
  std::vector<float> a, b;
  ASSERT_TRUE(model->Forward(kPrompt, **cache, false, a).ok());
  ASSERT_EQ(a.size(), 512u);
  for (float l : a) ASSERT_TRUE(std::isfinite(l));
  EXPECT_EQ((*cache)->size(), static_cast<int32_t>(kPrompt.size()));
  (*cache)->Truncate(0);
  ASSERT_TRUE(model->Forward(kPrompt, **cache, false, b).ok());
  EXPECT_EQ(a, b);
}

TEST(ModelTest, BatchMatchesTokenByToken) {
  auto model = LoadStories();
  ASSERT_NE(model, nullptr);
  auto batch_cache = model->NewCache(64);
  auto step_cache = model->NewCache(64);
  ASSERT_TRUE(batch_cache.ok() && step_cache.ok());
  std::vector<float> all;
  ASSERT_TRUE(model->Forward(kPrompt, **batch_cache, true, all).ok());
  ASSERT_EQ(all.size(), kPrompt.size() * 512);
  std::vector<float> step;
  for (size_t t = 0; t < kPrompt.size(); ++t) {
    ASSERT_TRUE(model->Forward({&kPrompt[t], 1}, **step_cache, false, step).ok());
    ASSERT_EQ(step.size(), 512u);
    for (int i = 0; i < 512; ++i) {
      // Like llama.cpp, a batch and a single token sum attention dot products
      // in different orders (GEMM vs GEMV), and f32 weights are dotted in
      // different orders too: logits of size ~10 agree to ~1e-4, and 1e-3
      // still catches any real difference (a wrong position or cache row).
      ASSERT_NEAR(all[t * 512 + i], step[i], 1e-3) << "token " << t << " logit " << i;
    }
  }
  // A continuation after a batch equals one after single steps.
  std::vector<float> after_batch, after_steps;
  const int32_t next = 42;
  ASSERT_TRUE(model->Forward({&next, 1}, **batch_cache, false, after_batch).ok());
  ASSERT_TRUE(model->Forward({&next, 1}, **step_cache, false, after_steps).ok());
  for (int i = 0; i < 512; ++i) ASSERT_NEAR(after_batch[i], after_steps[i], 1e-3) << i;
}

TEST(ModelTest, ForwardPastTheContextIsOutOfRangeAndLeavesTheCache) {
  auto model = LoadStories();
  ASSERT_NE(model, nullptr);
  auto cache = model->NewCache(0);
  ASSERT_TRUE(cache.ok());
  std::vector<int32_t> tokens(128, 300);
  std::vector<float> logits;
  ASSERT_TRUE(model->Forward(tokens, **cache, false, logits).ok());
  EXPECT_EQ((*cache)->size(), 128);
  const int32_t one = 5;
  Status status = model->Forward({&one, 1}, **cache, false, logits);
  EXPECT_EQ(status.code(), StatusCode::kOutOfRange);
  EXPECT_NE(status.message().find("position 129 is beyond the context length 128"),
            std::string::npos)
      << status.message();
  EXPECT_EQ((*cache)->size(), 128);
  // A batch that would cross the end is refused whole.
  (*cache)->Truncate(120);
  status = model->Forward(std::vector<int32_t>(9, 7), **cache, false, logits);
  EXPECT_EQ(status.code(), StatusCode::kOutOfRange);
  EXPECT_EQ((*cache)->size(), 120);
  EXPECT_TRUE(model->Forward(std::vector<int32_t>(8, 7), **cache, false, logits).ok());
  EXPECT_EQ(model->NewCache(129).status().code(), StatusCode::kOutOfRange);
}

TEST(ModelTest, BadTokenIdsAreInvalidArgument) {
  auto model = LoadStories();
  ASSERT_NE(model, nullptr);
  auto cache = model->NewCache(16);
  ASSERT_TRUE(cache.ok());
  std::vector<float> logits;
  for (int32_t bad : {-1, 512, 1 << 30}) {
    const std::vector<int32_t> tokens = {1, bad};
    Status status = model->Forward(tokens, **cache, false, logits);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find(std::to_string(bad)), std::string::npos) << status.message();
    EXPECT_EQ((*cache)->size(), 0);
  }
  EXPECT_EQ(model->Forward({}, **cache, false, logits).code(), StatusCode::kInvalidArgument);
}

TEST(ModelTest, RejectsACacheFromAnotherModel) {
  auto a = LoadStories();
  auto b = LoadStories();
  ASSERT_TRUE(a && b);
  auto cache = a->NewCache(8);
  ASSERT_TRUE(cache.ok());
  std::vector<float> logits;
  const int32_t token = 1;
  EXPECT_EQ(b->Forward({&token, 1}, **cache, false, logits).code(), StatusCode::kInvalidArgument);
}

// Rewrites stories260K with `edit` applied to its tensor list / metadata.
struct Rewrite {
  std::string drop_tensor;                               // omit this tensor
  std::string reshape_tensor;                            // give this 2-D tensor swapped dimensions
  std::string architecture;                              // replace general.architecture
  std::map<std::string, GgufEncodedValue> replace_keys;  // replace these metadata values
};

Result<std::unique_ptr<Model>> LoadRewritten(const Rewrite& edit, std::vector<uint8_t>& bytes) {
  auto source = OpenStories();
  if (!source) return InternalError("cannot open stories260K");
  GgufWriter writer;
  for (const auto& [key, value] : source->metadata()) {
    if (key == "general.architecture" && !edit.architecture.empty()) {
      writer.AddString(key, edit.architecture);
    } else if (edit.replace_keys.count(key)) {
      writer.Add(key, edit.replace_keys.at(key));
    } else {
      writer.Add(key, EncodeValue(value));
    }
  }
  for (const GgufTensorInfo& t : source->tensors()) {
    if (t.name == edit.drop_tensor) continue;
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    if (t.name == edit.reshape_tensor) std::swap(ne[0], ne[1]);
    writer.AddTensor(t.name, t.type, ne, std::vector<uint8_t>(t.data, t.data + t.nbytes));
  }
  HEARTH_ASSIGN_OR_RETURN(bytes, writer.WriteToBuffer());
  HEARTH_ASSIGN_OR_RETURN(auto file,
                          GgufFile::FromBytes("edited.gguf", bytes.data(), bytes.size()));
  return Model::Load(std::shared_ptr<const GgufFile>(std::move(file)));
}

TEST(ModelTest, MissingTensorIsNamed) {
  std::vector<uint8_t> bytes;
  Rewrite edit;
  edit.drop_tensor = "blk.3.ffn_up.weight";
  auto model = LoadRewritten(edit, bytes);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kNotFound);
  EXPECT_NE(model.status().message().find("blk.3.ffn_up.weight"), std::string::npos)
      << model.status().ToString();
}

TEST(ModelTest, WrongShapeIsNamedWithBothShapes) {
  std::vector<uint8_t> bytes;
  Rewrite edit;
  edit.reshape_tensor = "blk.1.attn_k.weight";
  auto model = LoadRewritten(edit, bytes);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kCorrupt);
  const std::string message = model.status().message();
  EXPECT_NE(message.find("blk.1.attn_k.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("[32, 64]"), std::string::npos) << message;
  EXPECT_NE(message.find("[64, 32]"), std::string::npos) << message;
}

TEST(ModelTest, UnknownArchitectureListsTheSupportedOnes) {
  std::vector<uint8_t> bytes;
  Rewrite edit;
  edit.architecture = "mamba";
  auto model = LoadRewritten(edit, bytes);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("'mamba'"), std::string::npos);
  EXPECT_NE(model.status().message().find("llama, qwen2, gemma3"), std::string::npos)
      << model.status().message();
}

TEST(ModelTest, MissingMetadataKeyIsNamed) {
  // An architecture whose keys are absent: "qwen2.block_count" must be named.
  std::vector<uint8_t> bytes;
  Rewrite edit;
  edit.architecture = "qwen2";
  auto model = LoadRewritten(edit, bytes);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("qwen2.block_count"), std::string::npos)
      << model.status().ToString();
}

// Metadata that contradicts itself or has the wrong type fails at load, naming the key.
TEST(ModelTest, InconsistentMetadataIsNamed) {
  struct Case {
    std::string key;
    GgufEncodedValue value;
    StatusCode code;
  };
  const Case cases[] = {
      {"llama.attention.head_count_kv", EncodeUint32(3), StatusCode::kCorrupt},  // 8 % 3 != 0
      {"llama.rope.dimension_count", EncodeUint32(9), StatusCode::kCorrupt},     // odd
      {"llama.embedding_length", EncodeString("64"), StatusCode::kCorrupt},      // wrong type
      {"llama.block_count", EncodeUint32(0), StatusCode::kCorrupt},
  };
  for (const Case& c : cases) {
    Rewrite edit;
    edit.replace_keys.emplace(c.key, c.value);
    std::vector<uint8_t> bytes;
    auto model = LoadRewritten(edit, bytes);
    ASSERT_FALSE(model.ok()) << c.key;
    EXPECT_EQ(model.status().code(), c.code) << model.status().ToString();
    EXPECT_NE(model.status().message().find(c.key), std::string::npos) << model.status().ToString();
  }
}

}  // namespace
}  // namespace hearth
