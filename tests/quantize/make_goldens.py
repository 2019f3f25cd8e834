#!/usr/bin/env python3
"""Records llama-quantize's output on the committed random test models (run by hand).

For each model in tests/models/rand-{llama,qwen2}-F16.gguf and each file type, runs
llama.cpp's llama-quantize (no importance matrix) and writes, per tensor, the type it chose
and the SHA-256 of its bytes to tests/quantize/goldens.json, plus general.file_type.
quantize_golden_test.cpp quantizes the same inputs with Hearth and compares.

Usage: make_goldens.py [--llama-bin DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

from gguf import GGUFReader

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BIN = Path.home() / ".cache/hearth/llama.cpp-0.3.36/build/bin"
MODELS = ["rand-llama-F16", "rand-qwen2-F16"]
FTYPES = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K",
          "F16", "F32"]


def describe(path: Path) -> dict:
    reader = GGUFReader(path)
    field = reader.fields["general.file_type"]
    tensors = {}
    for t in reader.tensors:
        tensors[t.name] = {"type": t.tensor_type.name,
                           "sha256": hashlib.sha256(bytes(t.data.tobytes())).hexdigest()}
    return {"file_type": int(field.parts[field.data[0]][0]), "tensors": tensors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llama-bin", type=Path, default=DEFAULT_BIN)
    args = parser.parse_args()
    env = dict(os.environ, LD_LIBRARY_PATH=str(args.llama_bin))
    goldens = {}
    with tempfile.TemporaryDirectory() as tmp:
        for model in MODELS:
            src = REPO / "tests/models" / f"{model}.gguf"
            for ftype in FTYPES:
                out = Path(tmp) / f"{model}-{ftype}.gguf"
                subprocess.run([str(args.llama_bin / "llama-quantize"), str(src), str(out), ftype, "1"],
                               env=env, check=True, capture_output=True)
                goldens[f"{model}/{ftype}"] = describe(out)
    dest = REPO / "tests/quantize/goldens.json"
    dest.write_text(json.dumps(goldens, indent=1, sort_keys=True) + "\n")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
