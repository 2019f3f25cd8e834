"""Starts a live `hearth serve` for the server's end-to-end tests (test_server*.py).

The server listens on a free port (`--port 0`); its stderr is collected in a background thread
(so it never blocks on a full pipe) and searched for the "listening on http://..." line.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import FETCH_HINT, hearth_path, test_models_dir

DEFAULT_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = DEFAULT_MODEL.removesuffix(".gguf")


def default_model_path() -> Path:
    path = test_models_dir() / DEFAULT_MODEL
    if not path.is_file():
        pytest.fail(f"the default model is missing at {path}: fetch it with `{FETCH_HINT}`")
    return path


class HearthServer:
    """A running `hearth serve ARGS`; stop() ends it and returns its stderr."""

    def __init__(self, *args: str, startup_timeout: float = 120):
        binary = hearth_path()
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} not found: build it with `cmake --build build/release "
                        "--target hearth` (or set HEARTH_BIN)")
        self.proc = subprocess.Popen([str(binary), "serve", "--port", "0", *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + startup_timeout
        self.url = ""
        while time.monotonic() < deadline and not self.url:
            for line in list(self.lines):
                match = re.search(r"listening on (http://\S+:\d+)", line)
                if match:
                    self.url = match.group(1)
            if self.proc.poll() is not None:
                pytest.fail("hearth serve exited at startup:\n" + "".join(self.lines))
            time.sleep(0.05)
        if not self.url:
            self.stop()
            pytest.fail("hearth serve did not print its URL:\n" + "".join(self.lines))
        self.port = int(self.url.rsplit(":", 1)[1])

    def _read_stderr(self) -> None:
        for raw in self.proc.stderr:
            self.lines.append(raw.decode("utf-8", errors="replace"))

    def log(self) -> str:
        return "".join(self.lines)

    def healthy(self, headers: dict | None = None) -> bool:
        request = urllib.request.Request(self.url + "/health", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.log()
