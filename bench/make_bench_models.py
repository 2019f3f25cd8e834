#!/usr/bin/env python3
"""Makes the benchmark models of bench/compare.py under ~/.cache/hearth/models (run by hand).

- SmolLM2-135M-Instruct Q8_0 / Q4_0 / Q4_K_M: the default model (Q4_1) re-quantized by
  `hearth quantize`.
- rand-llama-1b Q4_0 / Q4_K_M: a random-weight llama with TinyLlama-1.1B's shape (22 layers,
  n_embd 2048, n_ff 5632, 32 heads / 4 KV heads), written as F16 by the `gguf` package and
  quantized by `hearth quantize`. Its vocabulary is stories260K's 512 tokens, so the weights
  are almost all in the blocks: generation is bound by memory bandwidth.

Nothing here is committed: the files are large and reproducible from this script.

Usage: bench/make_bench_models.py [--hearth build/release/hearth] [--shared /work/shared]
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFWriter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts" / "golden"))
from make_random_models import copy_tokenizer  # noqa: E402

MODELS = Path.home() / ".cache" / "hearth" / "models"
SMOLLM2 = MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"
SEED = 20261124


def write_rand_1b(vocab_file: Path, path: Path) -> None:
    n_layer, n_embd, n_ff, n_head, n_head_kv = 22, 2048, 5632, 32, 4
    head_dim = n_embd // n_head
    n_kv = n_head_kv * head_dim
    rng = np.random.default_rng(SEED)

    def normal(shape, std):
        return (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float16)

    def gain(n):
        return (1.0 + rng.standard_normal(n, dtype=np.float32) * 0.1).astype(np.float32)

    writer = GGUFWriter(path, "llama")
    writer.add_name("rand-llama-1b")
    writer.add_file_type(1)  # MOSTLY_F16
    writer.add_context_length(2048)
    writer.add_embedding_length(n_embd)
    writer.add_feed_forward_length(n_ff)
    writer.add_block_count(n_layer)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    n_vocab = copy_tokenizer(writer, vocab_file)
    writer.add_vocab_size(n_vocab)
    proj = 1.0 / np.sqrt(n_embd)
    writer.add_tensor("token_embd.weight", normal((n_vocab, n_embd), 0.1))
    for layer in range(n_layer):
        p = f"blk.{layer}."
        writer.add_tensor(p + "attn_norm.weight", gain(n_embd))
        writer.add_tensor(p + "attn_q.weight", normal((n_embd, n_embd), proj))
        writer.add_tensor(p + "attn_k.weight", normal((n_kv, n_embd), proj))
        writer.add_tensor(p + "attn_v.weight", normal((n_kv, n_embd), proj))
        writer.add_tensor(p + "attn_output.weight", normal((n_embd, n_embd), proj))
        writer.add_tensor(p + "ffn_norm.weight", gain(n_embd))
        writer.add_tensor(p + "ffn_gate.weight", normal((n_ff, n_embd), proj))
        writer.add_tensor(p + "ffn_up.weight", normal((n_ff, n_embd), proj))
        writer.add_tensor(p + "ffn_down.weight", normal((n_embd, n_ff), 1.0 / np.sqrt(n_ff)))
    writer.add_tensor("output_norm.weight", gain(n_embd))
    writer.add_tensor("output.weight", normal((n_vocab, n_embd), 0.1))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def quantize(hearth: Path, source: Path, target: Path, qtype: str) -> None:
    if target.exists():
        return
    tmp = target.with_suffix(".tmp")
    subprocess.run([str(hearth), "quantize", str(source), str(tmp), qtype], check=True)
    tmp.rename(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", type=Path, default=REPO / "build" / "release" / "hearth")
    parser.add_argument("--shared", type=Path,
                        default=Path(os.environ.get("HEARTH_SHARED", REPO.parent / "shared")))
    args = parser.parse_args()
    MODELS.mkdir(parents=True, exist_ok=True)
    for qtype in ("Q8_0", "Q4_0", "Q4_K_M"):
        quantize(args.hearth, SMOLLM2, MODELS / f"SmolLM2-135M-Instruct.{qtype}.gguf", qtype)
    f16 = MODELS / "rand-llama-1b.F16.gguf"
    if not f16.exists():
        tmp = f16.with_suffix(".tmp")
        write_rand_1b(args.shared / "data" / "tinystories-260k" / "stories260K.gguf", tmp)
        tmp.rename(f16)
    for qtype in ("Q4_0", "Q4_K_M"):
        quantize(args.hearth, f16, MODELS / f"rand-llama-1b.{qtype}.gguf", qtype)
    for path in sorted(MODELS.glob("*.gguf")):
        print(f"{path.stat().st_size / 2**20:9.1f} MiB  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
