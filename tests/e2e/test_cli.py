"""The hearth program's command line: help, version, and clean one-line errors."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from conftest import REPO

SUBCOMMANDS = ["show", "tokenize", "run", "chat", "perplexity"]


def test_help_lists_every_subcommand(hearth):
    result = hearth("--help")
    assert result.returncode == 0, result.stderr
    for name in SUBCOMMANDS:
        assert name in result.stdout, f"'{name}' missing from hearth --help:\n{result.stdout}"


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_subcommand_help_exits_zero(hearth, name):
    result = hearth(name, "--help")
    assert result.returncode == 0, result.stderr
    assert name in result.stdout and "--help" in result.stdout, result.stdout


def test_version(hearth):
    result = hearth("--version")
    assert result.returncode == 0, result.stderr
    assert "hearth" in result.stdout


def test_unknown_subcommand_fails(hearth):
    result = hearth("no-such-command")
    assert result.returncode != 0


def test_show_describes_a_model(hearth, shared):
    result = hearth("show", shared / "data/tinystories-260k/stories260K.gguf")
    assert result.returncode == 0, result.stderr
    assert "llama" in result.stdout


def test_show_json_is_valid(hearth, shared):
    result = hearth("show", shared / "data/tinystories-260k/stories260K.gguf", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert "llama" in json.dumps(info)


# --- malformed GGUF files: `hearth show` must fail with one clear line, never crash ----------

def _header(magic: bytes = b"GGUF", version: int = 3, n_tensors: int = 0, n_kv: int = 0) -> bytes:
    return magic + struct.pack("<IQQ", version, n_tensors, n_kv)


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


MALFORMED = {
    "empty": b"",
    "bad_magic": _header(magic=b"GGML"),
    "truncated_header": _header()[:10],
    "unsupported_version": _header(version=99),
    "absurd_tensor_count": _header(n_tensors=1 << 62),
    "kv_count_past_end": _header(n_kv=5),
    # One key whose string length runs far past the end of the file.
    "key_length_past_end": _header(n_kv=1) + struct.pack("<Q", 1 << 40) + b"abc",
    # general.alignment of type UINT32 = 0 (alignment must be a nonzero power of two).
    "zero_alignment": _header(n_kv=1) + _string("general.alignment") + struct.pack("<II", 4, 0),
    # An unknown value type (99).
    "unknown_value_type": _header(n_kv=1) + _string("x") + struct.pack("<I", 99),
}


def corpus_cases() -> list:
    """Files of the GGUF corpus (tests/gguf_corpus/expected.json) the reader must reject at
    open: (file, expected message substring). Entries that open fine or fail only a typed
    lookup (`accessor`) are not `show` errors and are left out."""
    manifest = REPO / "tests" / "gguf_corpus" / "expected.json"
    if not manifest.is_file():
        return []
    return [pytest.param(e["file"], e["message"], id=e["file"])
            for e in json.loads(manifest.read_text())
            if e["code"] != "ok" and "accessor" not in e]


def _assert_one_line_error(result, what: str) -> None:
    assert result.returncode > 0, f"{what}: exit {result.returncode} (a signal is a crash)"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"{what}: expected one error line, got:\n{result.stderr}"
    assert lines[0].startswith("hearth:"), lines[0]


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_show_rejects_malformed_file(hearth, tmp_path, name):
    path = tmp_path / f"{name}.gguf"
    path.write_bytes(MALFORMED[name])
    _assert_one_line_error(hearth("show", path), name)


# Defined only when the corpus exists, so an absent corpus never shows up as a skip.
if corpus_cases():
    @pytest.mark.parametrize("name,message", corpus_cases())
    def test_show_rejects_corpus_file(hearth, name, message):
        result = hearth("show", REPO / "tests" / "gguf_corpus" / name)
        _assert_one_line_error(result, name)
        assert message in result.stderr, result.stderr


def test_show_missing_file(hearth, tmp_path):
    _assert_one_line_error(hearth("show", tmp_path / "absent.gguf"), "missing file")
