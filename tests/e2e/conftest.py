"""Shared fixtures for Hearth's end-to-end tests: they drive the real `hearth` binary.

Locations (environment overrides first):
  binary       HEARTH_BIN, else build/release/hearth
  shared data  HEARTH_SHARED, else ../shared beside the repository
  test models  HEARTH_TEST_MODELS, else ~/.cache/hearth/models (scripts/fetch_models.py)
A missing binary, shared dir or model is a test FAILURE naming the command that provides it,
never a skip.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
FETCH_HINT = "python3 scripts/fetch_models.py --test-models"


def hearth_path() -> Path:
    return Path(os.environ.get("HEARTH_BIN") or REPO / "build" / "release" / "hearth")


def shared_dir() -> Path:
    return Path(os.environ.get("HEARTH_SHARED") or REPO.parent / "shared")


def test_models_dir() -> Path:
    return Path(os.environ.get("HEARTH_TEST_MODELS")
                or Path.home() / ".cache" / "hearth" / "models")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


class Hearth:
    """Runs the hearth binary and captures its output as text."""

    def __init__(self, path: Path):
        self.path = path

    def __call__(self, *args, timeout: float = 300, env: dict | None = None) -> Result:
        """Runs `hearth ARGS...`; `env` adds to (or overrides) the inherited environment."""
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run([str(self.path), *map(str, args)], capture_output=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, env=full_env,
                              check=False)
        return Result(proc.returncode, proc.stdout.decode("utf-8", errors="replace"),
                      proc.stderr.decode("utf-8", errors="replace"))


@pytest.fixture(scope="session")
def hearth() -> Hearth:
    path = hearth_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not found: build it with `cmake --preset release && "
                    f"cmake --build build/release --target hearth` (or set HEARTH_BIN)")
    return Hearth(path)


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if not (path / "data").is_dir():
        pytest.fail(f"shared test data not found at {path}: set HEARTH_SHARED")
    return path


def load_manifest(model_id: str) -> dict:
    path = GOLDEN / model_id / "manifest.json"
    if not path.is_file():
        pytest.fail(f"{path} missing: made by scripts/golden/make_goldens.py (see "
                    "tests/golden/README.md)")
    return json.loads(path.read_text(encoding="utf-8"))


def golden_model_ids() -> list[str]:
    return sorted(p.parent.name for p in GOLDEN.glob("*/manifest.json"))


def model_path(manifest: dict) -> Path:
    """The model file a golden manifest was made from; fails the test when it is missing."""
    model = manifest["model"]
    base = {"repo": REPO, "shared": shared_dir(), "test-models": test_models_dir()}
    path = base[model["location"]] / model["path"]
    if not path.is_file():
        hint = {"repo": "it is committed under tests/models/",
                "shared": "set HEARTH_SHARED to the shared data folder",
                "test-models": f"fetch it with `{FETCH_HINT}`"}[model["location"]]
        pytest.fail(f"model {manifest['model_id']} missing at {path}: {hint}")
    return path
