"""`hearth template render` against jinja2 itself, live (not only the committed goldens).

Every template in shared/data/chat-templates is rendered for every conversation in
tests/chat/conversations.json twice: by the `jinja2` package from PyPI (pinned in
tests/requirements.txt), set up as Hugging Face transformers sets it up (the same environment
tests/chat/make_template_goldens.py uses), and by the hearth binary. The outputs must be
byte-identical; where jinja2 raises, hearth must exit non-zero with one line on stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from conftest import REPO, hearth_path, shared_dir

sys.path.insert(0, str(REPO / "tests" / "chat"))
import make_template_goldens as reference  # noqa: E402

SETTINGS = json.loads((REPO / "tests" / "chat" / "conversations.json").read_text("utf-8"))
TEMPLATE_DIR = shared_dir() / "data" / "chat-templates"


def template_names() -> list[str]:
    if not TEMPLATE_DIR.is_dir():
        return []
    return sorted(p.name for p in TEMPLATE_DIR.iterdir() if p.suffix == ".jinja")


def test_templates_present():
    """The parametrized test below would silently run nothing without the shared templates."""
    assert len(template_names()) == 65, f"expected 65 templates in {TEMPLATE_DIR} (HEARTH_SHARED)"


def render_with_hearth(template: Path, conversation: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    messages = tmp_path / "messages.json"
    messages.write_text(json.dumps(conversation["messages"], ensure_ascii=False), "utf-8")
    args = [str(hearth_path()), "template", "render", str(template), "--messages", str(messages),
            "--bos-token", SETTINGS["bos_token"], "--eos-token", SETTINGS["eos_token"],
            "--now", SETTINGS["now"]]
    if conversation.get("tools") is not None:
        tools = tmp_path / "tools.json"
        tools.write_text(json.dumps(conversation["tools"], ensure_ascii=False), "utf-8")
        args += ["--tools", str(tools)]
    if conversation["add_generation_prompt"]:
        args.append("--add-generation-prompt")
    return subprocess.run(args, capture_output=True, timeout=30, stdin=subprocess.DEVNULL,
                          check=False)


@pytest.mark.parametrize("name", template_names())
def test_hearth_renders_like_jinja2(name, tmp_path):
    env = reference.make_environment(datetime.strptime(SETTINGS["now"], "%Y-%m-%dT%H:%M:%S"))
    source = (TEMPLATE_DIR / name).read_text("utf-8")
    for conversation in SETTINGS["conversations"]:
        expected = reference.render_case(env, source, SETTINGS, conversation)
        result = render_with_hearth(TEMPLATE_DIR / name, conversation, tmp_path)
        case = f"{name} / {conversation['name']}"
        if "error" in expected:
            assert result.returncode != 0, f"{case}: jinja2 raised {expected['error']!r}, hearth did not"
            assert len(result.stderr.decode("utf-8", "replace").strip().splitlines()) == 1, case
        else:
            assert result.returncode == 0, f"{case}: {result.stderr.decode('utf-8', 'replace')}"
            assert result.stdout.decode("utf-8") == expected["output"], case
