#!/usr/bin/env python3
"""Records llama.cpp's outputs for Hearth's end-to-end goldens (run by hand, never in CI).

Run with the reference venv that scripts/golden/build_llama_cpp.sh makes:
  ~/.cache/hearth/ref-venv/bin/python scripts/golden/make_goldens.py [--only MODEL_ID ...]

For each model and each prompt of tests/golden/prompts.json, through llama-cpp-python's
low-level API (n_ctx 512, n_batch 512, flash attention off, f16 KV cache, 2 threads, logits for
every prompt token): the prompt ids (BOS added as llama.cpp adds it), the last prompt token's
full logits (raw little-endian float32 file), their top-5, the argmax after every prompt
position, and a 64-token greedy continuation (argmax each step, no sampler, not stopped at EOS:
the first end-of-generation index is recorded). Then perplexity over tests/golden/perplexity.txt
by running the built llama-perplexity (through llama_tool.py) and parsing its final estimate.

Output: tests/golden/<model-id>/manifest.json (+ logits-<prompt>.f32); schema in
tests/golden/README.md.
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

# llama.cpp's reference numerics: its per-type vec_dot kernels. Its optional speed paths
# (weights repacked at load, and the "tiled" batch matmul) sum in another order and so give
# slightly different logits for Q4_0 and the K-quants; they are switched off here, and
# Hearth is held to the reference kernels. Must be set before llama.cpp reads it.
os.environ["GGML_CPU_TILED_MM"] = "0"

import llama_cpp as lc  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
LLAMA_BIN = Path.home() / ".cache/hearth" / f"llama.cpp-{LLAMA_CPP_PYTHON_VERSION}/build/bin"
N_CTX = 512
N_BATCH = 512
N_THREADS = 2
N_GREEDY = 64
PPL_N_CTX = 128
RANDOM_QUANTS = ["F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"]


@dataclasses.dataclass(frozen=True)
class ModelRef:
    """Where a model lives. location: "repo" (path from the repo root), "shared" (path inside
    HEARTH_SHARED) or "test-models" (file name inside HEARTH_TEST_MODELS)."""

    model_id: str
    location: str
    path: str

    def resolve(self, shared: Path, test_models: Path) -> Path:
        base = {"repo": REPO, "shared": shared, "test-models": test_models}[self.location]
        return base / self.path


def all_models() -> list[ModelRef]:
    models = [ModelRef(f"rand-{arch}-{q}", "repo", f"tests/models/rand-{arch}-{q}.gguf")
              for arch in ("llama", "qwen2") for q in RANDOM_QUANTS]
    models.append(ModelRef("stories260K", "shared", "data/tinystories-260k/stories260K.gguf"))
    models.append(ModelRef("SmolLM2-135M-Instruct-Q4_1", "test-models",
                           "SmolLM2-135M-Instruct.Q4_1.gguf"))
    models.append(ModelRef("gemma-3-270m-Q4_K_M", "test-models", "gemma-3-270m-q4_k_m.gguf"))
    return models


# --- llama-cpp-python low-level helpers ----------------------------------------------------------

class Runner:
    """One model and context: evaluates a prompt and continues it greedily."""

    def __init__(self, path: Path):
        model_params = lc.llama_model_default_params()
        model_params.use_extra_bufts = False  # no weight repacking (see GGML_CPU_TILED_MM above)
        self.model = lc.llama_model_load_from_file(str(path).encode(), model_params)
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load {path}")
        self.vocab = lc.llama_model_get_vocab(self.model)
        self.n_vocab = lc.llama_vocab_n_tokens(self.vocab)
        params = lc.llama_context_default_params()
        params.n_ctx = N_CTX
        params.n_batch = N_BATCH
        params.n_ubatch = N_BATCH
        params.n_threads = N_THREADS
        params.n_threads_batch = N_THREADS
        params.flash_attn_type = lc.LLAMA_FLASH_ATTN_TYPE_DISABLED
        params.type_k = lc.GGML_TYPE_F16
        params.type_v = lc.GGML_TYPE_F16
        self.ctx = lc.llama_init_from_model(self.model, params)
        if not self.ctx:
            raise RuntimeError(f"llama.cpp could not create a context for {path}")
        self.batch = lc.llama_batch_init(N_BATCH, 0, 1)

    def close(self) -> None:
        lc.llama_batch_free(self.batch)
        lc.llama_free(self.ctx)
        lc.llama_model_free(self.model)

    def tokenize(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        buf = (lc.llama_token * (len(data) + 16))()
        n = lc.llama_tokenize(self.vocab, data, len(data), buf, len(buf), True, False)
        if n < 0:
            raise RuntimeError("tokenize buffer too small")
        return list(buf[:n])

    def piece(self, token: int) -> bytes:
        buf = ctypes.create_string_buffer(256)
        n = lc.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, False)
        return buf.raw[:n]

    def decode(self, tokens: list[int], start_pos: int, all_logits: bool) -> np.ndarray:
        """Evaluates tokens at positions start_pos...; returns logits [n_out, n_vocab]."""
        b = self.batch
        b.n_tokens = len(tokens)
        for i, tok in enumerate(tokens):
            b.token[i] = tok
            b.pos[i] = start_pos + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = 0
            b.logits[i] = 1 if (all_logits or i == len(tokens) - 1) else 0
        if lc.llama_decode(self.ctx, b) != 0:
            raise RuntimeError("llama_decode failed")
        rows = range(len(tokens)) if all_logits else [len(tokens) - 1]
        out = np.empty((len(rows), self.n_vocab), dtype=np.float32)
        for r, i in enumerate(rows):
            ptr = lc.llama_get_logits_ith(self.ctx, i)
            out[r] = np.ctypeslib.as_array(ptr, shape=(self.n_vocab,))
        return out

    def reset(self) -> None:
        lc.llama_memory_clear(lc.llama_get_memory(self.ctx), True)

    def is_eog(self, token: int) -> bool:
        return bool(lc.llama_vocab_is_eog(self.vocab, token))


def top5(logits: np.ndarray) -> list[dict]:
    # Stable sort on -logit: ties keep the lower id first, like an argmax scan.
    order = np.argsort(-logits, kind="stable")[:5]
    return [{"id": int(i), "logit": float(logits[i])} for i in order]


def record_prompt(runner: Runner, prompt: dict, out_dir: Path) -> dict:
    runner.reset()
    ids = runner.tokenize(prompt["text"])
    logits = runner.decode(ids, 0, all_logits=True)  # [n_prompt, n_vocab]
    last = logits[-1]
    logits_file = f"logits-{prompt['name']}.f32"
    last.astype("<f4").tofile(out_dir / logits_file)
    greedy: list[int] = []
    gaps: list[float] = []  # top-1 minus top-2 logit at each step: small = fragile argmax
    current = last
    for step in range(N_GREEDY):
        token = int(np.argmax(current))
        greedy.append(token)
        gaps.append(float(np.partition(current, -2)[-1] - np.partition(current, -2)[-2]))
        current = runner.decode([token], len(ids) + step, all_logits=False)[0]
    eog = next((i for i, t in enumerate(greedy) if runner.is_eog(t)), None)
    pieces = [runner.piece(t) for t in greedy]
    return {
        "name": prompt["name"],
        "text": prompt["text"],
        "prompt_ids": ids,
        "prompt_argmax": [int(i) for i in np.argmax(logits, axis=1)],
        "logits_file": logits_file,
        "n_vocab": runner.n_vocab,
        "top5": top5(last),
        "greedy_ids": greedy,
        "greedy_first_eog": eog,
        "greedy_top2_gap": [round(g, 5) for g in gaps],
        "greedy_pieces_hex": [p.hex() for p in pieces],
        "greedy_text": b"".join(pieces).decode("utf-8", errors="replace"),
    }


def perplexity_by_api(runner: Runner, text: str, n_ctx: int, bos_id: int, add_bos: bool) -> float:
    """The algorithm tests/golden/README.md describes, redone through the API: a cross-check
    that the documented procedure is what llama-perplexity computes."""
    if text.endswith("\n"):
        text = text[:-1]
    tokens = runner.tokenize(text)
    first = n_ctx // 2
    nll, count = 0.0, 0
    for chunk in range(len(tokens) // n_ctx):
        ids = tokens[chunk * n_ctx:(chunk + 1) * n_ctx]
        if add_bos:
            ids = [bos_id] + ids[1:]
        runner.reset()
        logits = runner.decode(ids, 0, all_logits=True).astype(np.float64)  # [n_ctx, n_vocab]
        for pos in range(first, n_ctx - 1):
            row = logits[pos]
            top = row.max()
            nll -= row[ids[pos + 1]] - top - np.log(np.exp(row - top).sum())
            count += 1
    return float(np.exp(nll / count))


# --- perplexity through the llama-perplexity tool ------------------------------------------------

def run_perplexity(model_path: Path, text_file: Path) -> dict:
    # Same as the llama-perplexity binary, run through llama_tool.py so its last log lines
    # (the final estimate) are not lost at exit.
    cmd = ["llama-perplexity", "-m", str(model_path), "-f", str(text_file),
           "-c", str(PPL_N_CTX), "-b", str(PPL_N_CTX), "-t", str(N_THREADS), "-fa", "off",
           "--no-warmup", "--no-repack"]
    wrapper = [sys.executable, str(Path(__file__).with_name("llama_tool.py")), "perplexity"]
    result = subprocess.run(wrapper + cmd[1:], capture_output=True, text=True, check=False,
                            env={**os.environ, "LLAMA_BIN": str(LLAMA_BIN)})
    output = result.stdout + result.stderr
    final = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", output)
    if result.returncode != 0 or not final:
        sys.stderr.write(output[-4000:])
        raise RuntimeError(f"llama-perplexity failed on {model_path}")
    chunks = re.search(r"calculating perplexity over (\d+) chunks", output)
    running = [float(v) for v in re.findall(r"\[\d+\]([0-9.]+)", output)]
    return {
        "text_file": text_file.name,
        "n_ctx": PPL_N_CTX,
        "n_batch": PPL_N_CTX,
        "chunks": int(chunks.group(1)) if chunks else len(running),
        "ppl": float(final.group(1)),
        "ppl_stderr": float(final.group(2)),
        "running_ppl": running,
        "command": "llama-perplexity -m MODEL " + " ".join(cmd[3:]).replace(str(text_file),
                                                                          text_file.name),
    }


def llama_cpp_version() -> str:
    result = subprocess.run([str(LLAMA_BIN / "llama-perplexity"), "--version"],
                            capture_output=True, text=True, check=False)
    lines = (result.stdout + result.stderr).strip().splitlines()
    return " ".join(line.strip() for line in lines if "version" in line or "built" in line)


def vocab_info(path: Path) -> dict:
    model = lc.llama_model_load_from_file(str(path).encode(), lc.llama_model_default_params())
    try:
        vocab = lc.llama_model_get_vocab(model)
        return {"n_vocab": lc.llama_vocab_n_tokens(vocab),
                "add_bos": bool(lc.llama_vocab_get_add_bos(vocab)),
                "bos_id": int(lc.llama_vocab_bos(vocab)),
                "eos_id": int(lc.llama_vocab_eos(vocab))}
    finally:
        lc.llama_model_free(model)


def make_golden(ref: ModelRef, shared: Path, test_models: Path, prompts: list[dict],
                version: str) -> None:
    path = ref.resolve(shared, test_models)
    if not path.is_file():
        raise FileNotFoundError(f"{ref.model_id}: {path} missing "
                                "(python3 scripts/fetch_models.py --test-models)")
    out_dir = GOLDEN / ref.model_id
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = vocab_info(path)
    runner = Runner(path)
    try:
        records = [record_prompt(runner, p, out_dir) for p in prompts]
        ppl_api = perplexity_by_api(runner, (GOLDEN / "perplexity.txt").read_text(), PPL_N_CTX,
                                    vocab["bos_id"], vocab["add_bos"])
    finally:
        runner.close()
    perplexity = run_perplexity(path, GOLDEN / "perplexity.txt")
    perplexity["ppl_recomputed_by_api"] = ppl_api
    if abs(ppl_api - perplexity["ppl"]) > 1e-3 * perplexity["ppl"]:
        print(f"WARNING {ref.model_id}: API perplexity {ppl_api} != llama-perplexity "
              f"{perplexity['ppl']}", file=sys.stderr)
    manifest = {
        "model_id": ref.model_id,
        "model": {"location": ref.location, "path": ref.path},
        "reference": {"llama_cpp_python": LLAMA_CPP_PYTHON_VERSION, "llama_cpp": version},
        "settings": {"n_ctx": N_CTX, "n_batch": N_BATCH, "n_ubatch": N_BATCH,
                     "n_threads": N_THREADS, "flash_attn": False, "kv_cache_type": "f16",
                     "add_special": True, "parse_special": False, "n_greedy": N_GREEDY,
                     "sampling": "argmax (lowest id on ties), not stopped at EOS"},
        "vocab": vocab,
        "prompts": records,
        "perplexity": perplexity,
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    print(f"{ref.model_id}: {len(records)} prompts, ppl {manifest['perplexity']['ppl']}",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="model ids to (re)make")
    parser.add_argument("--shared", type=Path,
                        default=Path(os.environ.get("HEARTH_SHARED", REPO.parent / "shared")))
    parser.add_argument("--test-models", type=Path, default=Path(
        os.environ.get("HEARTH_TEST_MODELS", Path.home() / ".cache/hearth/models")))
    args = parser.parse_args()
    prompts = json.loads((GOLDEN / "prompts.json").read_text())["prompts"]
    lc.llama_backend_init()
    version = llama_cpp_version()
    for ref in all_models():
        if args.only and ref.model_id not in args.only:
            continue
        make_golden(ref, args.shared, args.test_models, prompts, version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
