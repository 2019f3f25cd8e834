#!/usr/bin/env python3
"""How far llama.cpp's logits move between its OWN code paths (run by hand, never in CI).

Hearth's golden test (src/model/golden_test.cpp) holds Hearth's logits to llama.cpp's
reference numerics (make_goldens.py: one batch, weight repacking and the tiled matmul off)
within kRelativeLogitTolerance of max |logit|. This script measures the spread of llama.cpp
itself on the same models and prompts, for the same kind of change Hearth's packed kernels
make (another f32 summation order of the same integer block dot products):

  reference        one batch, no repack, GGML_CPU_TILED_MM=0   (= the goldens)
  token_by_token   the prompt one token at a time (the GEMV path), otherwise as reference
  default          llama.cpp's defaults: weights repacked at load, tiled matmul on, one batch
  default_by_token llama.cpp's defaults, one token at a time

For every (model, variant, prompt) it prints max |logit - reference logit| / max |reference
logit| of the last prompt token, the statistic golden_test.cpp checks, and the max over
prompts per model and variant.

  ~/.cache/hearth/ref-venv/bin/python scripts/golden/measure_reference_spread.py

Each variant runs in its own process (llama.cpp reads GGML_CPU_TILED_MM once per process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MODELS = Path(os.environ.get("HEARTH_TEST_MODELS", Path.home() / ".cache/hearth/models"))
SMOL = "SmolLM2-135M-Instruct"
DEFAULT_MODELS = [
    MODELS / f"{SMOL}.Q4_1.gguf", MODELS / f"{SMOL}.Q4_0.gguf", MODELS / f"{SMOL}.Q8_0.gguf",
    MODELS / f"{SMOL}.Q4_K_M.gguf", MODELS / "gemma-3-270m-q4_k_m.gguf",
    REPO / "tests/models/rand-llama-Q4_0.gguf", REPO / "tests/models/rand-llama-Q8_0.gguf",
    REPO / "tests/models/rand-qwen2-Q4_0.gguf", REPO / "tests/models/rand-qwen2-Q8_0.gguf",
]
# variant -> (GGML_CPU_TILED_MM, weight repacking at load, one token at a time)
VARIANTS = {
    "reference": ("0", False, False),
    "token_by_token": ("0", False, True),
    "default": ("1", True, False),
    "default_by_token": ("1", True, True),
}


def run_variant(model: Path, variant: str, out: Path) -> None:
    """Child process: the last-token logits of every golden prompt under one variant."""
    tiled, repack, by_token = VARIANTS[variant]
    sys.path.insert(0, str(HERE))
    import make_goldens as mg  # noqa: E402  (sets GGML_CPU_TILED_MM=0 on import)
    os.environ["GGML_CPU_TILED_MM"] = tiled  # read at the first matmul, after this

    class VariantRunner(mg.Runner):
        def __init__(self, path: Path):
            default_params = mg.lc.llama_model_default_params

            def params():
                p = default_params()
                p.use_extra_bufts = repack
                return p

            mg.lc.llama_model_default_params = params
            try:
                super().__init__(path)
            finally:
                mg.lc.llama_model_default_params = default_params

    runner = VariantRunner(model)
    prompts = json.loads((REPO / "tests/golden/prompts.json").read_text())["prompts"]
    result = {}
    for prompt in prompts:
        runner.reset()
        ids = runner.tokenize(prompt["text"])
        if by_token:
            for i, token in enumerate(ids):
                logits = runner.decode([token], i, all_logits=False)[0]
        else:
            logits = runner.decode(ids, 0, all_logits=False)[0]
        result[prompt["name"]] = logits
    runner.close()
    np.savez(out, **result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                        help="variants to compare with the reference (default: all)")
    parser.add_argument("--child", nargs=3, metavar=("MODEL", "VARIANT", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_variant(Path(args.child[0]), args.child[1], Path(args.child[2]))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            logits = {}
            variants = ["reference"] + [v for v in args.variants if v != "reference"]
            for variant in variants:
                out = Path(tmp) / f"{model.stem}-{variant}.npz"
                subprocess.run([sys.executable, __file__, "--child", str(model), variant,
                                str(out)], check=True, stderr=subprocess.DEVNULL)
                logits[variant] = np.load(out)
            ref = logits["reference"]
            for variant in variants:
                if variant == "reference":
                    continue
                rel = {name: float(np.max(np.abs(logits[variant][name] - ref[name]))
                                   / np.max(np.abs(ref[name]))) for name in ref.files}
                detail = " ".join(f"{k}={v:.4f}" for k, v in rel.items())
                print(f"{model.name:34s} {variant:17s} max {max(rel.values()):.4f}  ({detail})",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
