// LoadVocab and Tokenizer::FromGguf: the GGUF side of the tokenizer.
#include <cctype>
#include <string>

#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace hearth {
namespace {

constexpr std::string_view kPrefix = "tokenizer.ggml.";

std::string Key(std::string_view name) { return std::string(kPrefix) + std::string(name); }

// Reads an optional token id; absent keeps *id. Out-of-range values are errors
// naming the key (ValidateVocab would catch them too, but less precisely).
Status ReadTokenId(const GgufFile& file, std::string_view name, size_t n_tokens, TokenId* id) {
  const std::string key = Key(name);
  if (file.Find(key) == nullptr) return Status::Ok();
  HEARTH_ASSIGN_OR_RETURN(const int64_t value, file.GetInt(key));
  // Converters write -1 (or its uint32 form) for "this vocabulary has none".
  if (value == -1 || value == 0xFFFFFFFFll) {
    *id = -1;
    return Status::Ok();
  }
  if (value < 0 || static_cast<uint64_t>(value) >= n_tokens) {
    return OutOfRangeError("{}: {} is {}, outside the vocabulary of {} tokens", file.path(), key,
                           value, n_tokens);
  }
  *id = static_cast<TokenId>(value);
  return Status::Ok();
}

Status ReadBool(const GgufFile& file, std::string_view name, bool* flag) {
  HEARTH_ASSIGN_OR_RETURN(*flag, file.GetBoolOr(Key(name), *flag));
  return Status::Ok();
}

// Defaults per tokenizer model, as llama.cpp applies them before reading the
// metadata (ids that do not fit a small vocabulary are left unset).
void ApplyModelDefaults(Vocab* vocab) {
  const TokenId n = static_cast<TokenId>(vocab->tokens.size());
  const auto fit = [n](TokenId id) { return id < n ? id : -1; };
  switch (vocab->model) {
    case VocabModel::kSentencePiece:
      vocab->bos = fit(1);
      vocab->eos = fit(2);
      vocab->unk = fit(0);
      vocab->add_bos = true;
      vocab->add_space_prefix = true;
      break;
    case VocabModel::kByteLevelBpe:
      vocab->bos = fit(11);
      vocab->eos = fit(11);
      for (std::string_view name : {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1",
                                    "pixtral", "midm-2.0", "tekken", "chameleon"}) {
        if (vocab->pre == name) vocab->add_bos = true;
      }
      break;
    case VocabModel::kWordPiece:
      vocab->bos = fit(101);  // [CLS]
      vocab->eos = fit(102);  // [SEP]
      vocab->sep = fit(102);
      vocab->unk = fit(100);
      vocab->add_bos = true;
      vocab->add_eos = true;  // BERT ends a sequence with [SEP]
      break;
  }
}

Status ReadTokens(const GgufFile& file, Vocab* vocab) {
  HEARTH_ASSIGN_OR_RETURN(const GgufValue* tokens,
                          file.GetArray(Key("tokens"), GgufValueType::kString));
  vocab->tokens.assign(tokens->strings.begin(), tokens->strings.end());
  const size_t n = vocab->tokens.size();

  if (file.Find(Key("scores")) != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(const GgufValue* scores,
                            file.GetArray(Key("scores"), GgufValueType::kFloat32));
    if (scores->count != n) {
      return CorruptError("{}: {} has {} entries for {} tokens", file.path(), Key("scores"),
                          scores->count, n);
    }
    vocab->scores.resize(n);
    for (size_t i = 0; i < n; ++i) vocab->scores[i] = static_cast<float>(scores->FloatAt(i));
  }
  if (file.Find(Key("token_type")) != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(const GgufValue* types,
                            file.GetArray(Key("token_type"), GgufValueType::kInt32, true));
    if (types->count != n) {
      return CorruptError("{}: {} has {} entries for {} tokens", file.path(), Key("token_type"),
                          types->count, n);
    }
    vocab->types.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = types->IntAt(i);
      if (t < 0 || t > static_cast<int64_t>(TokenType::kByte)) {
        return CorruptError("{}: {}: token {} has unknown type {}", file.path(), Key("token_type"),
                            i, t);
      }
      vocab->types[i] = static_cast<TokenType>(t);
    }
  }
  if (vocab->model == VocabModel::kByteLevelBpe) {
    HEARTH_ASSIGN_OR_RETURN(const GgufValue* merges,
                            file.GetArray(Key("merges"), GgufValueType::kString));
    vocab->merges.assign(merges->strings.begin(), merges->strings.end());
  }
  return Status::Ok();
}

bool ContainsLowercase(std::string_view haystack, std::string_view needle) {
  std::string lower(haystack);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(needle) != std::string::npos;
}

// HF's Phi-3 tokenizer strips the whitespace after its added tokens (rstrip),
// which GGUF does not record; llama.cpp restores it by model name, and so do
// we, or chat prompts would tokenize differently. This is the one place a
// model name decides tokenizer behaviour.
Status ApplyNamedTokenAttributes(const GgufFile& file, Vocab* vocab) {
  HEARTH_ASSIGN_OR_RETURN(const std::string_view name, file.GetStringOr("general.name", ""));
  if (!ContainsLowercase(name, "phi-3") && !ContainsLowercase(name, "phi3")) return Status::Ok();
  const auto type = [&](size_t id) {
    return vocab->types.empty() ? TokenType::kNormal : vocab->types[id];
  };
  for (size_t id = 0; id < vocab->tokens.size(); ++id) {
    const std::string& text = vocab->tokens[id];
    const TokenType t = type(id);
    const bool special =
        t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
    const bool exempt = text == "<unk>" || text == "<s>" || text == "<|endoftext|>";
    if ((special || text == "</s>") && !exempt) {
      vocab->rstrip_tokens.push_back(static_cast<TokenId>(id));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Vocab> LoadVocab(const GgufFile& file) {
  Vocab vocab;
  HEARTH_ASSIGN_OR_RETURN(const std::string_view model, file.GetString(Key("model")));
  if (model == "llama") {
    vocab.model = VocabModel::kSentencePiece;
  } else if (model == "gpt2") {
    vocab.model = VocabModel::kByteLevelBpe;
  } else if (model == "bert") {
    vocab.model = VocabModel::kWordPiece;
  } else {
    return UnsupportedError("{}: {} '{}' is not supported (llama, gpt2 and bert are)", file.path(),
                            Key("model"), model);
  }
  HEARTH_ASSIGN_OR_RETURN(const std::string_view pre, file.GetStringOr(Key("pre"), "default"));
  vocab.pre = std::string(pre);
  HEARTH_RETURN_IF_ERROR(ReadTokens(file, &vocab));
  ApplyModelDefaults(&vocab);

  const size_t n = vocab.tokens.size();
  const std::pair<std::string_view, TokenId*> ids[] = {
      {"bos_token_id", &vocab.bos},         {"eos_token_id", &vocab.eos},
      {"unknown_token_id", &vocab.unk},     {"eot_token_id", &vocab.eot},
      {"eom_token_id", &vocab.eom},         {"seperator_token_id", &vocab.sep},
      {"padding_token_id", &vocab.pad},     {"fim_pad_token_id", &vocab.fim_pad},
      {"fim_rep_token_id", &vocab.fim_rep}, {"fim_sep_token_id", &vocab.fim_sep},
  };
  for (const auto& [name, id] : ids) HEARTH_RETURN_IF_ERROR(ReadTokenId(file, name, n, id));
  if (vocab.model == VocabModel::kWordPiece) {
    // BERT's sequence starts with [CLS] and ends with [SEP].
    HEARTH_RETURN_IF_ERROR(ReadTokenId(file, "cls_token_id", n, &vocab.bos));
    if (vocab.sep >= 0) vocab.eos = vocab.sep;
  }
  HEARTH_RETURN_IF_ERROR(ReadBool(file, "add_bos_token", &vocab.add_bos));
  HEARTH_RETURN_IF_ERROR(ReadBool(file, "add_eos_token", &vocab.add_eos));
  HEARTH_RETURN_IF_ERROR(ReadBool(file, "add_space_prefix", &vocab.add_space_prefix));
  HEARTH_RETURN_IF_ERROR(ReadBool(file, "normalizer.lowercase", &vocab.lowercase));
  vocab.strip_accents = vocab.lowercase;
  HEARTH_RETURN_IF_ERROR(ReadBool(file, "normalizer.strip_accents", &vocab.strip_accents));
  HEARTH_RETURN_IF_ERROR(ApplyNamedTokenAttributes(file, &vocab));
  return vocab;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& file) {
  HEARTH_ASSIGN_OR_RETURN(Vocab vocab, LoadVocab(file));
  auto tokenizer = CreateTokenizer(std::move(vocab));
  if (!tokenizer.ok()) return tokenizer.status().WithContext(file.path());
  return tokenizer;
}

}  // namespace hearth
