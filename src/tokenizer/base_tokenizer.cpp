#include "tokenizer/base_tokenizer.h"

#include <algorithm>
#include <array>

namespace hearth {
namespace {

// Texts of the end-of-turn tokens of common chat vocabularies (llama.cpp's
// list), and of fill-in-the-middle padding / repository / file-separator
// tokens. A token with one of these texts ends generation and is treated as a
// control token even where the vocabulary types it otherwise, as llama.cpp
// does: not matched in text without parse_special, rendered only on request.
constexpr std::array<std::string_view, 33> kEndOfGenerationTexts = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
    "<\xEF\xBD\x9C"
    "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",  // DeepSeek
    "[e~[",
    // FIM pad, repository and file separator.
    "<|fim_pad|>",
    "<fim-pad>",
    "<fim_pad>",
    "<PAD>",
    "[PAD]",
    "<|fim_repo|>",
    "<|repo_name|>",
    "<fim-repo>",
    "<REPO>",
    "<reponame>",
    "<|file_sep|>",
};

// Fill-in-the-middle prefix / suffix / middle texts: control, but generation
// goes on after them.
constexpr std::array<std::string_view, 24> kFimControlTexts = {
    "<|fim_prefix|>",
    "<fim-prefix>",
    "<fim_prefix>",
    "<PRE>",
    "\xE2\x96\x81<PRE>",
    "<|code_prefix|>",
    "<|prefix|>",
    "<|fim_suffix|>",
    "<fim-suffix>",
    "<fim_suffix>",
    "<SUF>",
    "\xE2\x96\x81<SUF>",
    "<|code_suffix|>",
    "<|suffix|>",
    "<|fim_middle|>",
    "<fim-middle>",
    "<fim_middle>",
    "<MID>",
    "\xE2\x96\x81<MID>",
    "<|code_middle|>",
    "<|middle|>",
    "<\xEF\xBD\x9C"
    "fim\xE2\x96\x81"
    "begin\xEF\xBD\x9C>",  // DeepSeek
    "<\xEF\xBD\x9C"
    "fim\xE2\x96\x81hole\xEF\xBD\x9C>",
    "<\xEF\xBD\x9C"
    "fim\xE2\x96\x81"
    "end\xEF\xBD\x9C>",
};

// C isspace() in the "C" locale, what llama.cpp strips around special tokens.
bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

Status ValidateVocab(const Vocab& vocab) {
  const size_t n = vocab.tokens.size();
  if (n == 0) return CorruptError("tokenizer.ggml.tokens: the vocabulary is empty");
  if (n > static_cast<size_t>(INT32_MAX)) {
    return CorruptError("tokenizer.ggml.tokens: {} tokens is more than token ids can hold", n);
  }
  if (!vocab.scores.empty() && vocab.scores.size() != n) {
    return CorruptError("tokenizer.ggml.scores has {} entries for {} tokens", vocab.scores.size(),
                        n);
  }
  if (!vocab.types.empty() && vocab.types.size() != n) {
    return CorruptError("tokenizer.ggml.token_type has {} entries for {} tokens",
                        vocab.types.size(), n);
  }
  for (size_t id = 0; id < vocab.types.size(); ++id) {
    const int32_t t = static_cast<int32_t>(vocab.types[id]);
    if (t < 0 || t > static_cast<int32_t>(TokenType::kByte)) {
      return CorruptError("tokenizer.ggml.token_type: token {} has unknown type {}", id, t);
    }
  }
  // Byte tokens must be <0xHH>. In SentencePiece vocabularies a token shaped
  // <0x??> is a byte token whatever its type (or with no types at all), so a
  // malformed escape there is an error too rather than a silent normal token.
  for (size_t id = 0; id < n; ++id) {
    const std::string& text = vocab.tokens[id];
    const bool typed_byte = !vocab.types.empty() && vocab.types[id] == TokenType::kByte;
    const bool byte_shaped = vocab.model == VocabModel::kSentencePiece && text.size() == 6 &&
                             text.compare(0, 3, "<0x") == 0 && text[5] == '>';
    if (!typed_byte && !byte_shaped) continue;
    if (text.size() != 6 || text.compare(0, 3, "<0x") != 0 || !IsHexDigit(text[3]) ||
        !IsHexDigit(text[4]) || text[5] != '>') {
      return CorruptError("tokenizer.ggml.tokens: byte token {} is '{}', not of the form <0xXX>",
                          id, text);
    }
  }
  const std::pair<const char*, TokenId> specials[] = {
      {"bos", vocab.bos},        {"eos", vocab.eos},         {"unknown", vocab.unk},
      {"eot", vocab.eot},        {"eom", vocab.eom},         {"seperator", vocab.sep},
      {"padding", vocab.pad},    {"fim_pad", vocab.fim_pad}, {"fim_rep", vocab.fim_rep},
      {"fim_sep", vocab.fim_sep}};
  for (const auto& [name, id] : specials) {
    if (id < -1 || id >= static_cast<TokenId>(n)) {
      return OutOfRangeError("tokenizer.ggml.{}_token_id is {}, outside the {} tokens", name, id,
                             n);
    }
  }
  for (const auto* list : {&vocab.rstrip_tokens, &vocab.lstrip_tokens}) {
    for (TokenId id : *list) {
      if (id < 0 || id >= static_cast<TokenId>(n)) {
        return OutOfRangeError("strip token id {} is outside the {} tokens", id, n);
      }
    }
  }
  return Status::Ok();
}

BaseTokenizer::BaseTokenizer(Vocab vocab) : vocab_(std::move(vocab)) {
  const TokenId n = static_cast<TokenId>(vocab_.tokens.size());
  token_to_id_ = TokenIndex(vocab_.tokens);

  for (TokenId id :
       {vocab_.eos, vocab_.eot, vocab_.eom, vocab_.fim_pad, vocab_.fim_rep, vocab_.fim_sep}) {
    if (id >= 0) eog_ids_.insert(id);
  }
  rstrip_.insert(vocab_.rstrip_tokens.begin(), vocab_.rstrip_tokens.end());
  lstrip_.insert(vocab_.lstrip_tokens.begin(), vocab_.lstrip_tokens.end());
  const auto force_control = [this](TokenId id) {
    if (type(id) == TokenType::kControl) return;
    if (vocab_.types.empty()) vocab_.types.assign(vocab_.tokens.size(), TokenType::kNormal);
    vocab_.types[id] = TokenType::kControl;
  };
  for (std::string_view text : kEndOfGenerationTexts) {
    const TokenId id = Find(text);
    if (id < 0) continue;
    eog_ids_.insert(id);
    force_control(id);
  }
  for (std::string_view text : kFimControlTexts) {
    const TokenId id = Find(text);
    if (id >= 0) force_control(id);
  }

  for (TokenId id = 0; id < n; ++id) {
    const TokenType t = type(id);
    const bool special =
        t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
    if (special && !vocab_.tokens[id].empty()) special_tokens_.push_back(id);
  }
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(), [this](TokenId a, TokenId b) {
    return vocab_.tokens[a].size() > vocab_.tokens[b].size();
  });
}

TokenType BaseTokenizer::type(TokenId id) const {
  return vocab_.types.empty() ? TokenType::kNormal : vocab_.types[id];
}

TokenId BaseTokenizer::Find(std::string_view text) const { return token_to_id_.Find(text); }

std::vector<BaseTokenizer::Fragment> BaseTokenizer::SplitOnSpecialTokens(std::string_view text,
                                                                         bool parse_special) const {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({-1, 0, text.size()});
  // Longest special token first, each one splitting every remaining text run
  // (llama.cpp's order). Control and unknown tokens only count with parse_special;
  // user-defined tokens always do.
  std::vector<Fragment> next;
  for (TokenId id : special_tokens_) {
    const TokenType t = type(id);
    if (!parse_special && t != TokenType::kUserDefined) continue;
    const std::string& special = vocab_.tokens[id];
    next.clear();
    bool changed = false;
    for (const Fragment& fragment : fragments) {
      if (fragment.token >= 0 || fragment.length < special.size()) {
        next.push_back(fragment);
        continue;
      }
      const std::string_view run = text.substr(fragment.offset, fragment.length);
      const bool lstrip = lstrip_.count(id) != 0, rstrip = rstrip_.count(id) != 0;
      size_t start = 0;
      for (size_t hit = run.find(special); hit != std::string_view::npos;
           hit = run.find(special, start)) {
        size_t left_end = hit;
        while (lstrip && left_end > start && IsAsciiSpace(run[left_end - 1])) --left_end;
        if (left_end > start) next.push_back({-1, fragment.offset + start, left_end - start});
        next.push_back({id, fragment.offset + hit, special.size()});
        start = hit + special.size();
        while (rstrip && start < run.size() && IsAsciiSpace(run[start])) ++start;
        changed = true;
      }
      if (start < run.size()) next.push_back({-1, fragment.offset + start, run.size() - start});
    }
    if (changed) fragments.swap(next);
  }
  return fragments;
}

std::vector<TokenId> BaseTokenizer::Encode(std::string_view text, bool add_special,
                                           bool parse_special) const {
  std::vector<TokenId> out;
  if (add_special && add_bos()) out.push_back(vocab_.bos);
  bool at_start = true;
  for (const Fragment& fragment : SplitOnSpecialTokens(text, parse_special)) {
    if (fragment.token >= 0) {
      out.push_back(fragment.token);
      at_start = true;  // text after a special token starts afresh (space prefix)
    } else {
      EncodeText(text.substr(fragment.offset, fragment.length), at_start, &out);
      at_start = false;
    }
  }
  if (add_special && add_eos()) out.push_back(vocab_.eos);
  return out;
}

std::string BaseTokenizer::TokenToPiece(TokenId id, bool render_special) const {
  if (id < 0 || id >= vocab_size()) return {};
  const std::string& text = vocab_.tokens[id];
  switch (type(id)) {
    case TokenType::kControl:
    case TokenType::kUnknown:
      return render_special ? text : std::string();
    case TokenType::kUserDefined:
      return text;
    case TokenType::kByte: {
      // Validated as <0xXX>.
      return std::string(1, static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16)));
    }
    case TokenType::kUnused:
      return {};
    case TokenType::kNormal:
    case TokenType::kUndefined:
      break;
  }
  return NormalPiece(id);
}

}  // namespace hearth
