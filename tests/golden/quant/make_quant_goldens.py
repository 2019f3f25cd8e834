#!/usr/bin/env python3
"""Writes dequantization goldens for Hearth's kernels from the `gguf` package.

For each of the 13 weight types Hearth computes with, a small row of
random-but-valid raw blocks (random payload bytes; fp16 scale fields set to
finite values of random sign and magnitude 2^-12..2^-2) and the floats that
gguf.quants.dequantize returns for it. src/kernels/quant_golden_test.cpp
requires DequantizeRow to reproduce them bit for bit on every ISA.

Generated with gguf 0.17.1 and numpy 1.26.4 (the versions in
~/.cache/hearth/venv); the seed is fixed, so rerunning reproduces the files:

    ~/.cache/hearth/venv/bin/python tests/golden/quant/make_quant_goldens.py

File format (little-endian): b"HQG1", u32 ggml type, u32 n_values,
u32 n_raw_bytes, the raw row, then n_values float32.
"""

import pathlib
import struct

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants
from gguf.constants import GGML_QUANT_SIZES

OUT_DIR = pathlib.Path(__file__).resolve().parent
SEED = 20261123

# Byte offsets of the fp16 scale fields inside one block (ggml-common.h).
FP16_FIELDS = {
    T.Q4_0: [0], T.Q5_0: [0], T.Q8_0: [0],
    T.Q4_1: [0, 2], T.Q5_1: [0, 2], T.Q4_K: [0, 2], T.Q5_K: [0, 2],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q6_K: [208],
}
BLOCKS = {T.F32: 256, T.F16: 512, T.BF16: 512}  # plain types: values
DEFAULT_BLOCKS = 8


def random_scales(rng, count):
    sign = np.where(rng.random(count) < 0.5, -1.0, 1.0)
    return (sign * np.exp2(rng.uniform(-12.0, -2.0, count))).astype(np.float16)


def random_half_bits(rng, count, exponent_bits, mantissa_bits):
    """Random bit patterns of a 16-bit float type, excluding NaN (the
    conversion of NaN payloads is checked in float16_test.cpp instead)."""
    bits = rng.integers(0, 1 << 16, count, dtype=np.uint32).astype(np.uint16)
    exp_mask = ((1 << exponent_bits) - 1) << mantissa_bits
    mant_mask = (1 << mantissa_bits) - 1
    is_nan = ((bits & exp_mask) == exp_mask) & ((bits & mant_mask) != 0)
    bits[is_nan] &= np.uint16(~exp_mask & 0xFFFF)  # same mantissa, finite exponent
    return bits


def raw_row(rng, qtype):
    if qtype == T.F32:
        return rng.standard_normal(BLOCKS[qtype]).astype(np.float32).view(np.uint8)
    if qtype == T.F16:
        return random_half_bits(rng, BLOCKS[qtype], 5, 10).view(np.uint8)
    if qtype == T.BF16:
        return random_half_bits(rng, BLOCKS[qtype], 8, 7).view(np.uint8)
    block_elems, block_bytes = GGML_QUANT_SIZES[qtype]
    n_blocks = DEFAULT_BLOCKS
    blocks = rng.integers(0, 256, (n_blocks, block_bytes), dtype=np.uint32).astype(np.uint8)
    for offset in FP16_FIELDS[qtype]:
        blocks[:, offset:offset + 2] = random_scales(rng, n_blocks).view(np.uint8).reshape(n_blocks, 2)
    return blocks.reshape(-1)


def main():
    rng = np.random.default_rng(SEED)
    for qtype in [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0,
                  T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]:
        raw = raw_row(rng, qtype)
        values = quants.dequantize(raw.reshape(1, -1), qtype).astype(np.float32).reshape(-1)
        assert np.all(np.isfinite(values) | (qtype in (T.F16, T.BF16))), qtype.name
        header = b"HQG1" + struct.pack("<III", int(qtype), values.size, raw.size)
        path = OUT_DIR / f"{qtype.name}.bin"
        path.write_bytes(header + raw.tobytes() + values.astype("<f4").tobytes())
        print(f"{path.name}: {values.size} values, {raw.size} raw bytes")


if __name__ == "__main__":
    main()
