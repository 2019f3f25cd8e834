// hearth chat [MODEL]: a conversation in the terminal (the logic is in
// engine/chat_session.h; this file is the terminal side only).
//
// With a terminal on stdin: a prompt (">>> "), multi-line input (see
// cli/line_reader.h), streamed answers and /commands; Ctrl-C stops an answer,
// Ctrl-C twice at an empty prompt quits. Without one (a pipe, a file): each
// line is one message and each answer is printed on stdout followed by a
// newline; nothing else goes to stdout.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/generation_flags.h"
#include "cli/line_reader.h"
#include "engine/chat_session.h"

namespace hearth::cli {

namespace {

using Json = nlohmann::ordered_json;

struct ChatOptions {
  GenerationFlags flags;
  std::string system_prompt;
};

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");

void OnInterrupt(int) { g_interrupted.store(true); }

// SIGINT without SA_RESTART: a read() at the prompt returns EINTR.
void InstallInterruptHandler() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
}

constexpr const char* kHelp =
    "Type a message and press Enter. End a line with \\ to go on to the next line, or put \"\"\" "
    "on a line of its own to start and to end a block of several lines.\n"
    "Commands:\n"
    "  /help          this help\n"
    "  /reset         start a new conversation (the system prompt stays)\n"
    "  /system TEXT   set the system prompt and start a new conversation (/system alone shows "
    "it)\n"
    "  /save FILE     save the conversation as JSON ({\"messages\": [...]})\n"
    "  /load FILE     load a conversation saved with /save\n"
    "  /stats         tokens in the context, tokens evaluated and reused, speeds\n"
    "  /probs         each token of the last answer with its probability and the top "
    "alternatives\n"
    "  /exit          quit (also Ctrl-D, or Ctrl-C twice at an empty prompt)\n"
    "Ctrl-C stops an answer.\n";

std::string Quoted(const std::string& text) {
  return Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<Json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("{}: cannot open", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  Json json = Json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return InvalidArgumentError("{}: not valid JSON", path);
  return json;
}

Status WriteJsonFile(const std::string& path, const Json& json) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("{}: cannot write", path);
  out << json.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  out.close();
  if (!out) return IoError("{}: write failed", path);
  return Status::Ok();
}

void PrintNotice(const std::string& notice) {
  std::fflush(stdout);
  std::fprintf(stderr, "[hearth] %s\n", notice.c_str());
}

// The interactive conversation: prompt, commands, streamed answers.
class Terminal {
 public:
  Terminal(ChatSession& session, std::string model_name)
      : session_(session), model_name_(std::move(model_name)) {}

  int Run();

 private:
  void Answer(const std::string& message);
  // Returns false for /exit.
  bool Command(const std::string& line);
  void PrintStats() const;
  void PrintProbs() const;

  ChatSession& session_;
  std::string model_name_;
};

int Terminal::Run() {
  std::printf("hearth chat: %s, context %d tokens%s\n", model_name_.c_str(), session_.n_ctx(),
              session_.format().has_model_template()
                  ? ""
                  : " (the model has no chat template: using the ChatML-like fallback)");
  std::printf("/help lists the commands. Ctrl-C stops an answer; Ctrl-C twice quits.\n");
  LineReader reader(STDIN_FILENO, g_interrupted);
  bool interrupted_last = false;  // the last thing the user did was Ctrl-C
  while (true) {
    std::string message;
    const ReadResult result = reader.ReadMessage(">>> ", "... ", message);
    if (result == ReadResult::kEnd) break;
    if (result == ReadResult::kInterrupted) {
      std::printf("\n");
      if (interrupted_last) break;
      std::printf("(Ctrl-C again, /exit or Ctrl-D to quit)\n");
      interrupted_last = true;
      continue;
    }
    interrupted_last = false;
    if (message.empty()) continue;
    if (message[0] == '/') {
      if (!Command(message)) break;
      continue;
    }
    Answer(message);
    interrupted_last = g_interrupted.exchange(false);
  }
  std::printf("\n");
  return 0;
}

// Answer text goes to stdout as it comes; Ctrl-C (g_interrupted) stops it.
TurnCallbacks StreamToStdout() {
  TurnCallbacks callbacks;
  callbacks.on_text = [](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return !g_interrupted.load();
  };
  callbacks.on_notice = PrintNotice;
  return callbacks;
}

void Terminal::Answer(const std::string& message) {
  g_interrupted.store(false);
  auto turn = session_.Send(message, StreamToStdout());
  std::printf("\n");
  if (!turn.ok()) {
    ReportStatus(turn.status());
    return;
  }
  if (turn->stop_reason == StopReason::kCancelled) PrintNotice("answer stopped");
}

bool Terminal::Command(const std::string& line) {
  const size_t space = line.find(' ');
  const std::string name = line.substr(0, space);
  const std::string argument = space == std::string::npos ? "" : line.substr(space + 1);
  if (name == "/exit" || name == "/quit") return false;
  if (name == "/help") {
    std::fputs(kHelp, stdout);
  } else if (name == "/reset") {
    session_.Reset();
    std::printf("New conversation.\n");
  } else if (name == "/system") {
    if (argument.empty()) {
      const Json& messages = session_.messages();
      const bool has = !messages.empty() && messages[0]["role"] == "system";
      std::printf("System prompt: %s\n",
                  has ? Quoted(messages[0]["content"]).c_str() : "(none; the template's default)");
    } else {
      session_.SetSystemPrompt(argument);
      std::printf("System prompt set; new conversation.\n");
    }
  } else if (name == "/save" || name == "/load") {
    if (argument.empty()) {
      std::printf("%s needs a FILE\n", name.c_str());
    } else if (name == "/save") {
      Status status = WriteJsonFile(argument, session_.ToJson());
      if (status.ok())
        std::printf("Saved %zu messages to %s\n", session_.messages().size(), argument.c_str());
      ReportStatus(status);
    } else {
      auto json = ReadJsonFile(argument);
      Status status = json.ok() ? session_.LoadJson(*json) : json.status();
      if (status.ok())
        std::printf("Loaded %zu messages from %s\n", session_.messages().size(), argument.c_str());
      ReportStatus(status.WithContext(argument));
    }
  } else if (name == "/stats") {
    PrintStats();
  } else if (name == "/probs") {
    PrintProbs();
  } else {
    std::printf("Unknown command %s; /help lists the commands.\n", name.c_str());
  }
  return true;
}

void Terminal::PrintStats() const {
  std::printf("context: %d of %d tokens in use\n", session_.tokens_in_context(), session_.n_ctx());
  const TurnStats& turn = session_.last_turn();
  if (turn.prompt_tokens == 0) {
    std::printf("no answer yet\n");
    return;
  }
  auto rate = [](int32_t tokens, double seconds) { return seconds > 0 ? tokens / seconds : 0.0; };
  std::printf("last turn: prompt %d tokens: %d evaluated, %d reused from the cache\n",
              turn.prompt_tokens, turn.prompt_evaluated, turn.prompt_reused);
  std::printf("last turn: answer %d tokens (stopped: %s)\n", turn.generated_tokens,
              StopReasonName(turn.stop_reason));
  std::printf("speed: prompt %.1f tok/s (%.3f s), generation %.1f tok/s (%.3f s)\n",
              rate(turn.prompt_evaluated, turn.prompt_seconds), turn.prompt_seconds,
              rate(turn.generated_tokens, turn.generation_seconds), turn.generation_seconds);
}

void Terminal::PrintProbs() const {
  const auto& answer = session_.last_answer();
  if (answer.empty()) {
    std::printf("no answer yet\n");
    return;
  }
  std::printf("%-24s %-8s %s\n", "token", "prob", "top alternatives");
  for (const AnswerToken& token : answer) {
    std::string alternatives;
    for (const auto& [piece, prob] : token.top) {
      alternatives +=
          fmt::format("{}{} {:.4f}", alternatives.empty() ? "" : "  ", Quoted(piece), prob);
    }
    std::printf("%-24s %-8.4f %s\n", Quoted(token.piece).c_str(), token.prob, alternatives.c_str());
  }
}

// Pipe mode: one message per line, one answer (and a newline) per message on stdout.
int RunPipe(ChatSession& session) {
  int exit_code = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto turn = session.Send(line, StreamToStdout());
    std::printf("\n");
    std::fflush(stdout);
    if (!turn.ok()) exit_code = ReportStatus(turn.status());
    if (g_interrupted.load()) break;
  }
  return exit_code;
}

Result<int> Chat(ChatOptions& options) {
  HEARTH_RETURN_IF_ERROR(PrepareGenerationFlags(options.flags));
  HEARTH_ASSIGN_OR_RETURN(ModelForGeneration loaded, LoadModelForGeneration(options.flags));
  ChatSessionOptions session_options;
  session_options.generator = GeneratorOptions{loaded.n_ctx, options.flags.n_batch};
  session_options.sampling = options.flags.sampling;
  session_options.max_tokens = options.flags.max_tokens;
  session_options.system_prompt = options.system_prompt;
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<ChatSession> session,
                          ChatSession::Create(loaded.model, session_options));
  InstallInterruptHandler();
  const bool terminal = isatty(STDIN_FILENO) != 0;
  if (terminal && options.flags.verbose && options.flags.sampling.temperature > 0) {
    std::fprintf(stderr, "seed: %llu\n",
                 static_cast<unsigned long long>(options.flags.sampling.seed));
  }
  const std::string name = std::filesystem::path(loaded.path).filename().string();
  const int code = terminal ? Terminal(*session, name).Run() : RunPipe(*session);
  std::signal(SIGINT, SIG_DFL);
  return code;
}

}  // namespace

void RegisterChatCommand(CLI::App& app, ExitCode& exit_code) {
  auto options = std::make_shared<ChatOptions>();
  options->flags.max_tokens = -1;  // an answer ends at the model's end of turn
  auto* cmd = app.add_subcommand("chat", "Chat with a model in the terminal");
  cmd->footer(
      DefaultModelHelp() +
      "\nIn a terminal: type /help for the commands; end a line with \\ to continue it, or "
      "enclose several lines between two lines holding only \"\"\".\nFrom a pipe: each line is "
      "one message; each answer is printed on stdout, followed by a newline.");
  cmd->add_option("model", options->flags.model_path, "GGUF model file");
  cmd->add_option("--system", options->system_prompt, "System prompt");
  AddGenerationFlags(cmd, options->flags);
  cmd->callback([options, &exit_code] {
    auto code = Chat(*options);
    exit_code.value = code.ok() ? *code : ReportStatus(code.status());
  });
}

}  // namespace hearth::cli
