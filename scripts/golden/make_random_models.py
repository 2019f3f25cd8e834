#!/usr/bin/env python3
"""Makes the small random-weight test models in tests/models/ (run by hand, never in CI).

Two architectures, each written as F32 by the `gguf` package and then converted by llama.cpp's
own llama-quantize into F16, Q8_0, Q4_0, Q4_K (= Q4_K_M mix) and Q6_K. The quantized files are
committed, and the goldens (make_goldens.py) are computed by llama.cpp from those same files,
so the quantizer's rounding never enters the Hearth-vs-llama.cpp comparison.

  rand-llama  llama: untied output, 8 heads / 4 KV heads, RoPE NORM
  rand-qwen2  qwen2: q/k/v biases, tied embeddings (no output.weight), RoPE NEOX, base 1e6

Both use the 512-token SentencePiece vocabulary of shared/data/tinystories-260k/stories260K.gguf
(all its tokenizer.ggml.* keys are copied). Weights are N(0, std) from a fixed numpy seed; every
dimension that is a row length (ne0) is a multiple of 256 so the K-quants apply.

Usage: make_random_models.py [--shared DIR] [--llama-bin DIR] [--out tests/models]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGUFWriter

REPO = Path(__file__).resolve().parents[2]
LLAMA_CPP_VERSION = "0.3.36"  # llama-cpp-python sdist whose vendored llama.cpp we build
DEFAULT_LLAMA_BIN = Path.home() / ".cache/hearth" / f"llama.cpp-{LLAMA_CPP_VERSION}/build/bin"
QUANT_TYPES = ["F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"]
SEED = 20261123


@dataclasses.dataclass(frozen=True)
class Spec:
    model_id: str
    arch: str
    n_layer: int
    n_embd: int = 256
    n_ff: int = 512
    n_head: int = 8
    n_head_kv: int = 4
    n_ctx_train: int = 512
    rope_base: float = 10000.0
    qkv_bias: bool = False
    tied_output: bool = False


SPECS = [
    Spec("rand-llama", "llama", n_layer=2),
    Spec("rand-qwen2", "qwen2", n_layer=2, rope_base=1000000.0, qkv_bias=True, tied_output=True),
]


def copy_tokenizer(writer: GGUFWriter, vocab_file: Path) -> int:
    """Copies every tokenizer.ggml.* key of `vocab_file`; returns the vocabulary size."""
    reader = GGUFReader(vocab_file)
    n_vocab = 0
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer.ggml."):
            continue
        value = field.contents()
        if field.types[0] == GGUFValueType.ARRAY:
            writer.add_key_value(key, value, GGUFValueType.ARRAY, sub_type=field.types[-1])
            if key == "tokenizer.ggml.tokens":
                n_vocab = len(value)
        else:
            writer.add_key_value(key, value, field.types[0])
    if n_vocab == 0:
        raise SystemExit(f"{vocab_file}: no tokenizer.ggml.tokens")
    return n_vocab


def normal(rng: np.random.Generator, shape: tuple[int, ...], std: float) -> np.ndarray:
    return (rng.standard_normal(shape) * std).astype(np.float32)


def norm_weight(rng: np.random.Generator, n: int) -> np.ndarray:
    # Around 1 like a trained RMSNorm gain, but not exactly 1 so a missing multiply shows.
    return (1.0 + rng.standard_normal(n) * 0.1).astype(np.float32)


def add_tensors(writer: GGUFWriter, spec: Spec, n_vocab: int, rng: np.random.Generator) -> None:
    """numpy shapes are [rows, row_length]: the reverse of ggml's ne."""
    head_dim = spec.n_embd // spec.n_head
    n_kv = spec.n_head_kv * head_dim
    proj_std = 1.0 / np.sqrt(spec.n_embd)  # unit-variance outputs for unit-RMS inputs
    writer.add_tensor("token_embd.weight", normal(rng, (n_vocab, spec.n_embd), 0.1))
    for layer in range(spec.n_layer):
        p = f"blk.{layer}."
        writer.add_tensor(p + "attn_norm.weight", norm_weight(rng, spec.n_embd))
        writer.add_tensor(p + "attn_q.weight", normal(rng, (spec.n_embd, spec.n_embd), proj_std))
        writer.add_tensor(p + "attn_k.weight", normal(rng, (n_kv, spec.n_embd), proj_std))
        writer.add_tensor(p + "attn_v.weight", normal(rng, (n_kv, spec.n_embd), proj_std))
        if spec.qkv_bias:
            writer.add_tensor(p + "attn_q.bias", normal(rng, (spec.n_embd,), 0.1))
            writer.add_tensor(p + "attn_k.bias", normal(rng, (n_kv,), 0.1))
            writer.add_tensor(p + "attn_v.bias", normal(rng, (n_kv,), 0.1))
        writer.add_tensor(p + "attn_output.weight",
                          normal(rng, (spec.n_embd, spec.n_embd), proj_std))
        writer.add_tensor(p + "ffn_norm.weight", norm_weight(rng, spec.n_embd))
        writer.add_tensor(p + "ffn_gate.weight", normal(rng, (spec.n_ff, spec.n_embd), proj_std))
        writer.add_tensor(p + "ffn_up.weight", normal(rng, (spec.n_ff, spec.n_embd), proj_std))
        writer.add_tensor(p + "ffn_down.weight",
                          normal(rng, (spec.n_embd, spec.n_ff), 1.0 / np.sqrt(spec.n_ff)))
    writer.add_tensor("output_norm.weight", norm_weight(rng, spec.n_embd))
    if not spec.tied_output:
        writer.add_tensor("output.weight", normal(rng, (n_vocab, spec.n_embd), 0.1))


def write_f32(spec: Spec, vocab_file: Path, path: Path, seed: int) -> None:
    writer = GGUFWriter(path, spec.arch)
    writer.add_name(spec.model_id)
    writer.add_file_type(0)  # ALL_F32
    writer.add_context_length(spec.n_ctx_train)
    writer.add_embedding_length(spec.n_embd)
    writer.add_feed_forward_length(spec.n_ff)
    writer.add_block_count(spec.n_layer)
    writer.add_head_count(spec.n_head)
    writer.add_head_count_kv(spec.n_head_kv)
    writer.add_rope_dimension_count(spec.n_embd // spec.n_head)
    writer.add_rope_freq_base(spec.rope_base)
    writer.add_layer_norm_rms_eps(1e-5)
    n_vocab = copy_tokenizer(writer, vocab_file)
    writer.add_vocab_size(n_vocab)
    add_tensors(writer, spec, n_vocab, np.random.default_rng(seed))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def quantize(llama_bin: Path, source: Path, target: Path, qtype: str) -> None:
    cmd = [str(llama_bin / "llama-quantize"), str(source), str(target), qtype, "1"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"llama-quantize {qtype} failed for {source}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path,
                        default=Path(os.environ.get("HEARTH_SHARED", REPO.parent / "shared")))
    parser.add_argument("--llama-bin", type=Path, default=DEFAULT_LLAMA_BIN)
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "models")
    args = parser.parse_args()
    vocab_file = args.shared / "data/tinystories-260k/stories260K.gguf"
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for index, spec in enumerate(SPECS):
            f32 = Path(tmp) / f"{spec.model_id}-F32.gguf"
            write_f32(spec, vocab_file, f32, SEED + index)
            for qtype in QUANT_TYPES:
                target = args.out / f"{spec.model_id}-{qtype}.gguf"
                quantize(args.llama_bin, f32, target, qtype)
                print(f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}: "
                      f"{target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
