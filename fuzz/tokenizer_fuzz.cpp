// libFuzzer target: encodes arbitrary bytes with the gpt-2 (byte-level BPE),
// llama-spm (SentencePiece) and bert-bge (WordPiece) vocabularies from
// shared/data/vocab, then decodes.
// Besides not crashing, both tokenizers must round-trip: byte-level BPE gives
// the input back with malformed UTF-8 repaired as llama.cpp does; SentencePiece
// gives valid UTF-8 input back after its space prefix (byte fallback covers
// every byte), except that a literal U+2581 comes back as a space (it is
// SentencePiece's space marker).
// Needs HEARTH_SHARED (or HEARTH_SOURCE_DIR) to find the vocabularies.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/gguf.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace {

struct Loaded {
  std::unique_ptr<hearth::GgufFile> file;
  std::unique_ptr<hearth::Tokenizer> tokenizer;
};

Loaded Load(const char* name) {
  const std::string path =
      hearth::testing::SharedDir() + "/data/vocab/ggml-vocab-" + name + ".gguf";
  auto file = hearth::GgufFile::Open(path);
  if (!file.ok()) {
    std::fprintf(stderr, "tokenizer_fuzz: %s (set HEARTH_SHARED)\n",
                 file.status().ToString().c_str());
    std::abort();
  }
  auto tokenizer = hearth::Tokenizer::FromGguf(**file);
  if (!tokenizer.ok()) {
    std::fprintf(stderr, "tokenizer_fuzz: %s\n", tokenizer.status().ToString().c_str());
    std::abort();
  }
  return {std::move(file).value(), std::move(tokenizer).value()};
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "tokenizer_fuzz: %s\n", what);
    std::abort();
  }
}

std::string Stream(const hearth::Tokenizer& tokenizer, const std::vector<hearth::TokenId>& ids) {
  hearth::StreamingDecoder decoder(tokenizer, true);
  std::string out;
  for (hearth::TokenId id : ids) out += decoder.Push(id);
  return out + decoder.Flush();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Loaded gpt2 = Load("gpt-2");
  static const Loaded spm = Load("llama-spm");
  static const Loaded bert = Load("bert-bge");  // WordPiece normalization: no round trip
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool parse_special = size > 0 && (data[0] & 1);

  const auto bpe_ids = gpt2.tokenizer->Encode(text, parse_special, parse_special);
  const std::string bpe_text = gpt2.tokenizer->Decode(bpe_ids, true);
  if (!parse_special) {
    Check(bpe_text == hearth::unicode::RepairUtf8LikeLlamaCpp(text), "gpt-2 round trip");
  }
  Stream(*gpt2.tokenizer, bpe_ids);

  const auto spm_ids = spm.tokenizer->Encode(text, parse_special, parse_special);
  const std::string spm_text = spm.tokenizer->Decode(spm_ids, true);
  // SentencePiece splits malformed UTF-8 by lead-byte lengths (as llama.cpp
  // does), which can swallow part of a U+2581: round trip only valid text.
  if (!parse_special && hearth::unicode::SanitizeUtf8(text) == text) {
    std::string want = text.empty() ? text : " " + text;
    for (size_t pos = want.find("\xE2\x96\x81"); pos != std::string::npos;
         pos = want.find("\xE2\x96\x81", pos + 1)) {
      want.replace(pos, 3, " ");
    }
    Check(spm_text == want, "llama-spm round trip");
  }
  const std::string streamed = Stream(*spm.tokenizer, spm_ids);
  Stream(*bert.tokenizer, bert.tokenizer->Encode(text, parse_special, parse_special));
  Check(streamed == hearth::unicode::SanitizeUtf8(streamed), "streamed text is valid UTF-8");
  return 0;
}
