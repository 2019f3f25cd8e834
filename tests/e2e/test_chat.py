"""`hearth chat` end to end on the default model (SmolLM2-135M-Instruct), driven through a
pseudo-terminal with pexpect as a person would use it, and through a pipe as scripts do.

Greedy sampling (--temp 0) keeps the answers repeatable; small -n keeps the file fast.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pexpect
import pytest

import conftest

PROMPT = ">>> "
DEFAULT_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
STATS_PROMPT = re.compile(r"last turn: prompt (\d+) tokens: (\d+) evaluated, (\d+) reused")


@pytest.fixture(scope="module")
def model() -> Path:
    path = conftest.test_models_dir() / DEFAULT_MODEL
    if not path.is_file():
        pytest.fail(f"default model missing at {path}: fetch it with "
                    "`python3 scripts/fetch_models.py`")
    return path


class Chat:
    """One `hearth chat` process in a pseudo-terminal."""

    def __init__(self, hearth, model: Path, *args: str):
        self.child = pexpect.spawn(
            str(hearth.path), ["chat", str(model), "--temp", "0", *map(str, args)],
            encoding="utf-8", codec_errors="replace", timeout=60, dimensions=(50, 250),
            env={**os.environ, "TERM": "dumb"})
        self.child.expect_exact(PROMPT)

    def say(self, text: str) -> str:
        """Sends a line and returns what came back before the next prompt (echo removed)."""
        self.child.sendline(text)
        self.child.expect_exact(PROMPT)
        out = self.child.before.replace("\r\n", "\n")
        first_line = text.split("\n")[0]
        return out[len(first_line) + 1:] if out.startswith(first_line) else out

    def stats(self) -> tuple[int, int, int]:
        """(prompt tokens, evaluated, reused) of the last turn, from /stats."""
        out = self.say("/stats")
        match = STATS_PROMPT.search(out)
        assert match, f"/stats printed:\n{out}"
        return tuple(int(g) for g in match.groups())

    def save(self, path: Path) -> dict:
        out = self.say(f"/save {path}")
        assert "Saved" in out, out
        return json.loads(path.read_text(encoding="utf-8"))

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendline("/exit")
            self.child.expect(pexpect.EOF, timeout=10)
        self.child.close()


@pytest.fixture
def chat(hearth, model):
    chats = []

    def start(*args) -> Chat:
        chats.append(Chat(hearth, model, *args))
        return chats[-1]

    yield start
    for c in chats:
        c.close()


def test_two_turns_reuse_the_cache(chat):
    c = chat("-n", 12, "-c", 1024)
    first = c.say("What is the capital of France?")
    assert first.strip(), "no answer"
    prompt1, evaluated1, reused1 = c.stats()
    assert (evaluated1, reused1) == (prompt1, 0)  # a fresh cache evaluates everything
    second = c.say("And of Germany?")
    assert second.strip(), "no answer"
    prompt2, evaluated2, reused2 = c.stats()
    # Turn 2 evaluates only its new tokens: the first prompt and answer come from the cache.
    assert reused2 > prompt1, (prompt1, prompt2, evaluated2, reused2)
    assert evaluated2 == prompt2 - reused2
    assert evaluated2 < 20, f"turn 2 evaluated {evaluated2} of {prompt2} tokens"


def test_reset_starts_a_new_conversation(chat, tmp_path):
    c = chat("-n", 6)
    c.say("Hello")
    c.say("Tell me a joke")
    assert len(c.save(tmp_path / "before.json")["messages"]) == 4
    assert "New conversation" in c.say("/reset")
    c.say("Hi again")
    messages = c.save(tmp_path / "after.json")["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"] == "Hi again"


def test_ctrl_c_stops_an_answer_and_the_chat_goes_on(chat):
    # Greedy SmolLM2 answers this with 3000 tokens and no end-of-generation token (checked
    # with `hearth run --temp 0 -n 3000`), so the answer is still running when Ctrl-C comes;
    # a prompt the model answers briefly made this test race the end of the answer.
    c = chat("-n", 3000)
    c.child.sendline("Write a very long story about a dragon, at least 2000 words.")
    c.child.expect_exact("2000 words.\r\n")  # the terminal's echo of the line
    c.child.expect(r"\w+\W+\w+\W+\w+")  # the answer is streaming
    c.child.send("\x03")
    c.child.expect_exact("answer stopped", timeout=20)
    c.child.expect_exact(PROMPT, timeout=20)
    out = c.say("/stats")
    assert "stopped: cancelled" in out, out
    generated = int(re.search(r"answer (\d+) tokens", out).group(1))
    assert 0 < generated < 3000
    # The next turn works.
    c.child.sendline("Now say only: done")
    c.child.expect_exact("done\r\n")
    c.child.expect(r"\w")
    c.child.send("\x03")  # stop this one too, quickly
    c.child.expect_exact(PROMPT, timeout=20)
    assert "answer" in c.say("/stats")


def test_ctrl_c_twice_at_an_empty_prompt_exits(chat):
    c = chat("-n", 4)
    c.child.send("\x03")
    c.child.expect_exact("Ctrl-C again")
    c.child.expect_exact(PROMPT)
    c.child.send("\x03")
    c.child.expect(pexpect.EOF, timeout=10)
    c.child.close()
    assert c.child.exitstatus == 0


def test_probs_lists_each_token_with_alternatives(chat):
    c = chat("-n", 8)
    c.say("Name a colour.")
    generated = int(re.search(r"answer (\d+) tokens", c.say("/stats")).group(1))
    out = c.say("/probs")
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].split() == ["token", "prob", "top", "alternatives"], out
    rows = lines[1:]
    assert len(rows) == generated, out
    row = re.compile(r'^("(?:[^"\\]|\\.)*")\s+(\d\.\d{4})\s+(.*)$')
    for line in rows:
        match = row.match(line)
        assert match, line
        token, prob = json.loads(match.group(1)), float(match.group(2))
        assert 0 < prob <= 1
        alternatives = re.findall(r'("(?:[^"\\]|\\.)*") (\d\.\d{4})', match.group(3))
        assert len(alternatives) == 5, line
        # Greedy: the token chosen is the most likely one.
        assert json.loads(alternatives[0][0]) == token and float(alternatives[0][1]) == prob


def test_small_context_drops_oldest_turns_and_keeps_the_system_prompt(chat, tmp_path):
    system = "You are a helpful pirate."
    c = chat("-n", 16, "-c", 256, "--system", system)
    topic = ("the sea, ships, sails, harbours, islands, storms, maps, compasses, lighthouses, "
             "whales, anchors, ropes, knots, tides, reefs, gulls, captains, cannons, treasure "
             "chests, parrots, cabin boys, rum barrels, cutlasses, telescopes, flags, currents, "
             "waves and the stars that sailors follow at night")
    questions = [f"Question {i}: tell me one true thing about {topic}." for i in range(3)]
    outputs = [c.say(question) for question in questions]
    assert all("hearth:" not in out for out in outputs), outputs  # no error
    assert "dropped the" not in outputs[0]
    assert any("dropped the" in out for out in outputs), "no notice that old turns were dropped"
    messages = c.save(tmp_path / "conversation.json")["messages"]
    assert messages[0] == {"role": "system", "content": system}
    assert len(messages) < 1 + 2 * len(questions)
    assert messages[-2]["content"] == questions[-1]
    prompt, evaluated, reused = c.stats()
    assert prompt + 16 <= 256


def test_save_load_round_trip_and_multi_line_input(chat, tmp_path):
    c = chat("-n", 4)
    c.child.sendline("first line\\")
    c.child.expect_exact("... ")
    c.say("second line")
    c.child.sendline('"""')
    c.child.expect_exact("... ")
    c.child.sendline("block one")
    c.child.expect_exact("... ")
    c.child.sendline("block two")
    c.child.expect_exact("... ")
    c.say('"""')
    saved = c.save(tmp_path / "one.json")
    users = [m["content"] for m in saved["messages"] if m["role"] == "user"]
    assert users == ["first line\nsecond line", "block one\nblock two"]
    c.say("/reset")
    out = c.say(f"/load {tmp_path / 'one.json'}")
    assert "Loaded 4 messages" in out, out
    assert c.save(tmp_path / "two.json") == saved
    c.say("One more")  # the loaded conversation goes on
    assert len(c.save(tmp_path / "three.json")["messages"]) == 6
    out = c.say(f"/load {tmp_path / 'absent.json'}")
    assert "hearth:" in out and "absent.json" in out, out


def test_pipe_mode_answers_each_line_on_stdout(hearth, model):
    def pipe(text: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(hearth.path), "chat", str(model), "--temp", "0", "-n", "12"],
                              input=text.encode(), capture_output=True, timeout=120, check=False)

    one = pipe("What is 2 + 2?\n")
    assert one.returncode == 0, one.stderr
    answer = one.stdout.decode()
    assert answer.endswith("\n") and answer.strip(), answer
    assert ">>>" not in answer and "hearth chat" not in answer
    # A one-message chat is exactly what `hearth run` answers (both greedy, same template).
    run = hearth("run", model, "-p", "What is 2 + 2?", "--temp", "0", "-n", 12)
    assert run.returncode == 0, run.stderr
    assert answer == run.stdout + "\n"
    # Two lines: two answers, the second continuing the conversation.
    two = pipe("What is 2 + 2?\nAnd 3 + 3?\n")
    assert two.returncode == 0, two.stderr
    assert two.stdout.decode().startswith(answer)
    assert len(two.stdout.decode()) > len(answer)
