// Reference tool (not built by CMake): prints llama.cpp's token ids for each
// hex-encoded input line, one line of space-separated ids per input. Used to
// produce llamacpp_vectors.tsv against llama.cpp 0.3.36 (llama-cpp-python's
// vendored copy):
//   g++ -std=c++17 llamacpp_reference.cc -I$LLAMA/include -I$LLAMA/ggml/include \
//       -L$BUILD/bin -lllama -lggml -lggml-base -Wl,-rpath,$BUILD/bin -o ref
//   ref MODEL.gguf INPUTS.hex MODE      # MODE = parse_special + 2 * add_special
//   ref MODEL.gguf --pieces 0   # every token's piece, special off/on (hex)
//   ref MODEL.gguf --eog 0      # ids llama_vocab_is_eog accepts
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "llama.h"

static std::string FromHex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
  llama_backend_init();
  llama_model_params params = llama_model_default_params();
  params.vocab_only = true;
  llama_model* model = llama_model_load_from_file(argv[1], params);
  if (model == nullptr) return 1;
  const llama_vocab* vocab = llama_model_get_vocab(model);
  const std::string mode = argv[2];
  const int n_vocab = llama_vocab_n_tokens(vocab);
  if (mode == "--eog") {
    for (int id = 0; id < n_vocab; ++id) {
      if (llama_vocab_is_eog(vocab, id)) std::printf("%d\n", id);
    }
    return 0;
  }
  if (mode == "--pieces") {
    for (int id = 0; id < n_vocab; ++id) {
      for (int special = 0; special < 2; ++special) {
        char buf[512];
        const int n = llama_token_to_piece(vocab, id, buf, sizeof(buf), 0, special);
        std::printf("%d %d ", id, special);
        for (int i = 0; i < n; ++i) std::printf("%02x", static_cast<unsigned char>(buf[i]));
        std::printf("\n");
      }
    }
    return 0;
  }
  const int flags = std::atoi(argv[3]);
  const bool parse_special = (flags & 1) != 0;
  const bool add_special = (flags & 2) != 0;
  std::ifstream in(mode);
  for (std::string line; std::getline(in, line);) {
    const std::string text = FromHex(line);
    std::vector<llama_token> ids(text.size() * 4 + 16);
    const int n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), ids.data(),
                                 static_cast<int32_t>(ids.size()), add_special, parse_special);
    for (int i = 0; i < n; ++i) std::printf(i ? " %d" : "%d", ids[i]);
    std::printf("\n");
  }
  return 0;
}
