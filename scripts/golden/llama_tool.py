#!/usr/bin/env python3
"""Runs a llama.cpp tool (perplexity, quantize, bench) in-process and flushes its log.

Why: in the pinned llama.cpp the tools log through an asynchronous worker whose queue is never
drained at exit, so the last lines (llama-perplexity's "Final estimate: PPL = ...") can be lost.
This wrapper calls the tool's entry point from its libllama-<tool>-impl.so and then pauses
(= drains) the common log before exiting.

Usage: llama_tool.py TOOL [ARGS...]     e.g.  llama_tool.py perplexity -m M.gguf -f t.txt -c 128
The libraries are taken from $LLAMA_BIN, default ~/.cache/hearth/llama.cpp-0.3.36/build/bin.
"""

import ctypes
import os
import sys
from pathlib import Path

DEFAULT_BIN = Path.home() / ".cache/hearth/llama.cpp-0.3.36/build/bin"


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    tool = sys.argv[1]
    bin_dir = Path(os.environ.get("LLAMA_BIN", DEFAULT_BIN))
    common = ctypes.CDLL(str(bin_dir / "libllama-common.so"), mode=ctypes.RTLD_GLOBAL)
    impl = ctypes.CDLL(str(bin_dir / f"libllama-{tool}-impl.so"), mode=ctypes.RTLD_GLOBAL)
    name = f"llama_{tool}"
    entry = getattr(impl, f"_Z{len(name)}{name}iPPc")  # int llama_<tool>(int, char**)
    entry.restype = ctypes.c_int
    args = [f"llama-{tool}".encode()] + [a.encode() for a in sys.argv[2:]]
    argv = (ctypes.c_char_p * (len(args) + 1))(*args, None)
    rc = entry(len(args), argv)
    log_main = common._Z15common_log_mainv
    log_main.restype = ctypes.c_void_p
    log_pause = common._Z16common_log_pauseP10common_log
    log_pause.argtypes = [ctypes.c_void_p]
    log_pause(log_main())
    sys.stdout.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
