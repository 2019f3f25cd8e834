#!/usr/bin/env python3
"""Writes the malformed-GGUF corpus and its manifest (expected.json).

Standard library only and deterministic: running it twice produces identical
bytes. Each case is a tiny GGUF image that breaks exactly one rule the reader
enforces; expected.json records the Status code and a message substring the
reader must produce (checked by src/core/gguf_corpus_test.cpp).

Usage: python3 tests/gguf_corpus/make_corpus.py   (rewrites files in place)
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# GGUF metadata value types.
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
# Tensor types (ggml numbering).
T_F32, T_Q4_0 = 0, 2


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def gstr(s, declared_len=None):
    data = s.encode() if isinstance(s, str) else s
    return u64(len(data) if declared_len is None else declared_len) + data


def kv(key, vtype, payload):
    """One metadata entry: key, type tag, already-encoded value payload."""
    return gstr(key) + u32(vtype) + payload


def kv_u32(key, v):
    return kv(key, U32, u32(v))


def kv_str(key, s):
    return kv(key, STR, gstr(s))


def arr(elem_type, count, elems=b""):
    return u32(elem_type) + u64(count) + elems


def tensor(name, dims, ttype, offset):
    return gstr(name) + u32(len(dims)) + b"".join(u64(d) for d in dims) + u32(ttype) + u64(offset)


def header(n_tensors, n_kv, version=3, magic=b"GGUF"):
    return magic + u32(version) + u64(n_tensors) + u64(n_kv)


def image(kvs=(), tensors=(), data=b"", alignment=32, version=3):
    """A GGUF image: header, metadata, tensor table, padding, then data."""
    body = header(len(tensors), len(kvs), version) + b"".join(kvs) + b"".join(tensors)
    pad = (-len(body)) % alignment
    return body + b"\0" * pad + data


def f32s(*values):
    return b"".join(struct.pack("<f", v) for v in values)


ARCH = kv_str("general.architecture", "llama")
ONE_TENSOR = [tensor("w", [4], T_F32, 0)]
FOUR_FLOATS = f32s(1, 2, 3, 4)


def nested_arrays(depth):
    """`depth` arrays nested inside each other, the innermost empty uint8."""
    payload = arr(U8, 0)
    for _ in range(depth - 1):
        payload = arr(ARR, 1, payload)
    return payload


# (file name, bytes, expectation). An expectation has "code" and "message"
# (substring), and optionally "accessor" for files that open but must fail a
# typed lookup; code "ok" means the reader must accept the file.
CASES = [
    ("empty.gguf", b"", {"code": "corrupt", "message": "header: magic: truncated"}),
    ("magic_only.gguf", b"GGUF",
     {"code": "corrupt", "message": "header: version: truncated"}),
    ("bad_magic.gguf", b"GGML" + image()[4:],
     {"code": "corrupt", "message": "header: magic: not a GGUF file"}),
    ("version_1.gguf", image(version=1),
     {"code": "unsupported", "message": "GGUF version 1 is not supported"}),
    ("version_99.gguf", image(version=99),
     {"code": "unsupported", "message": "GGUF version 99 is not supported"}),
    ("big_endian.gguf", b"GGUF" + struct.pack(">I", 3) + u64(0) + u64(0),
     {"code": "unsupported", "message": "big-endian GGUF files are not supported"}),
    ("kv_count_2e63.gguf", header(0, 1 << 63) + ARCH,
     {"code": "corrupt",
      "message": "header: kv_count: 9223372036854775808 metadata entries exceeds the limit"}),
    ("tensor_count_2e63.gguf", header((1 << 63) - 1, 0),
     {"code": "corrupt",
      "message": "header: tensor_count: 9223372036854775807 tensors exceeds the limit"}),
    ("kv_count_past_eof.gguf", header(0, 1000) + ARCH,
     {"code": "corrupt", "message": "header: kv_count: truncated: 1000 metadata entries cannot fit"}),
    ("array_len_2e63.gguf", header(0, 1) + kv("tokenizer.ggml.tokens", ARR, arr(STR, 1 << 63)),
     {"code": "corrupt",
      "message": "metadata key 'tokenizer.ggml.tokens': array of 9223372036854775808 elements "
                 "exceeds the limit of 268435456"}),
    ("array_len_2e32.gguf", header(0, 1) + kv("tokenizer.ggml.tokens", ARR, arr(STR, 1 << 32)),
     {"code": "corrupt",
      "message": "metadata key 'tokenizer.ggml.tokens': array of 4294967296 elements exceeds "
                 "the limit of 268435456"}),
    ("array_len_past_eof.gguf",
     header(0, 1) + kv("tokenizer.ggml.scores", ARR, arr(F32, 1000, f32s(0.5))),
     {"code": "corrupt",
      "message": "metadata key 'tokenizer.ggml.scores': truncated: array of 1000 elements cannot fit"}),
    ("string_len_huge.gguf", header(0, 1) + kv("general.name", STR, gstr("tiny", 1 << 40)),
     {"code": "corrupt",
      "message": "metadata key 'general.name': string of 1099511627776 bytes exceeds the limit"}),
    ("string_len_past_eof.gguf", header(0, 1) + kv("general.name", STR, gstr("tiny", 1000000)),
     {"code": "corrupt", "message": "metadata key 'general.name': truncated: needs 1000000 bytes"}),
    ("key_len_huge.gguf", header(0, 1) + gstr("k", (1 << 64) - 1) + u32(U8) + b"\0",
     {"code": "corrupt",
      "message": "metadata entry #0: key: string of 18446744073709551615 bytes exceeds the limit"}),
    ("duplicate_key.gguf", image([ARCH, ARCH]),
     {"code": "corrupt", "message": "metadata key 'general.architecture': duplicate key"}),
    ("unknown_value_type.gguf", image([kv("general.x", 13, u32(0))]),
     {"code": "corrupt", "message": "metadata key 'general.x': unknown value type 13"}),
    ("unknown_array_elem_type.gguf", image([kv("general.x", ARR, arr(99, 0))]),
     {"code": "corrupt", "message": "metadata key 'general.x': array of unknown element type 99"}),
    ("bool_value_2.gguf", image([kv("tokenizer.ggml.add_bos_token", BOOL, b"\x02")]),
     {"code": "corrupt",
      "message": "metadata key 'tokenizer.ggml.add_bos_token': bool value 2 is neither 0 nor 1"}),
    ("nested_too_deep.gguf", image([kv("general.deep", ARR, nested_arrays(9))]),
     {"code": "corrupt",
      "message": "metadata key 'general.deep': arrays nested 9 deep exceed the limit of 8"}),
    ("nested_at_limit.gguf", image([kv("general.deep", ARR, nested_arrays(8))]),
     {"code": "ok"}),
    ("alignment_0.gguf", image([kv_u32("general.alignment", 0)]),
     {"code": "corrupt", "message": "metadata key 'general.alignment': 0 is not a power of two"}),
    ("alignment_3.gguf", image([kv_u32("general.alignment", 3)]),
     {"code": "corrupt", "message": "metadata key 'general.alignment': 3 is not a power of two"}),
    ("alignment_2e31.gguf", image([kv_u32("general.alignment", 1 << 31)]),
     {"code": "corrupt",
      "message": "metadata key 'general.alignment': 2147483648 exceeds the limit of 1048576"}),
    ("alignment_2e40_uint64.gguf", image([kv("general.alignment", U64, u64(1 << 40))]),
     {"code": "corrupt", "message": "metadata key 'general.alignment': expected uint32, got uint64"}),
    ("alignment_string.gguf", image([kv_str("general.alignment", "32")]),
     {"code": "corrupt", "message": "metadata key 'general.alignment': expected uint32, got string"}),
    ("unknown_tensor_type.gguf", image([ARCH], [tensor("w", [4], 39, 0)], FOUR_FLOATS),
     {"code": "unsupported", "message": "tensor 'w': unknown tensor type 39"}),
    ("tensor_elems_overflow.gguf",
     image([ARCH], [tensor("w", [1 << 32, 1 << 32], T_F32, 0)], FOUR_FLOATS),
     {"code": "corrupt", "message": "tensor 'w': shape [4294967296, 4294967296, 1, 1] has too many elements"}),
    ("tensor_bytes_overflow.gguf",
     image([ARCH], [tensor("w", [1 << 31, 1 << 31], T_F32, 0)], FOUR_FLOATS),
     {"code": "corrupt", "message": "tensor 'w': byte size overflows 64 bits"}),
    ("tensor_dim_zero.gguf", image([ARCH], [tensor("w", [4, 0], T_F32, 0)], FOUR_FLOATS),
     {"code": "corrupt", "message": "tensor 'w': dimension 1 has invalid size 0"}),
    ("tensor_dim_negative.gguf", image([ARCH], [tensor("w", [1 << 63], T_F32, 0)], FOUR_FLOATS),
     {"code": "corrupt", "message": "tensor 'w': dimension 0 has invalid size 9223372036854775808"}),
    ("tensor_5_dims.gguf", image([ARCH], [tensor("w", [1, 1, 1, 1, 4], T_F32, 0)], FOUR_FLOATS),
     {"code": "corrupt", "message": "tensor 'w': 5 dimensions exceed the limit of 4"}),
    ("tensor_name_too_long.gguf", image([ARCH], [tensor("w" * 65, [4], T_F32, 0)], FOUR_FLOATS),
     {"code": "corrupt", "message": "tensor #0: name: string of 65 bytes exceeds the limit of 64"}),
    ("tensor_not_whole_blocks.gguf",
     image([ARCH], [tensor("q", [33, 2], T_Q4_0, 0)], b"\0" * 64),
     {"code": "corrupt",
      "message": "tensor 'q': row of 33 elements is not a multiple of the Q4_0 block size 32"}),
    ("tensor_past_eof.gguf", image([ARCH], [tensor("w", [64], T_F32, 0)], FOUR_FLOATS),
     {"code": "corrupt",
      "message": "tensor 'w': data (256 bytes at data offset 0) runs past the end of the file"}),
    ("tensor_offset_huge.gguf",
     image([ARCH], [tensor("w", [4], T_F32, (1 << 64) - 32)], FOUR_FLOATS),
     {"code": "corrupt", "message": "tensor 'w': data (16 bytes at data offset 18446744073709551584) runs past the end"}),
    ("tensor_misaligned.gguf", image([ARCH], [tensor("w", [4], T_F32, 16)], FOUR_FLOATS * 3),
     {"code": "corrupt",
      "message": "tensor 'w': data offset 16 is not a multiple of the alignment 32"}),
    ("tensors_overlap.gguf",
     image([ARCH], [tensor("a", [16], T_F32, 0), tensor("b", [4], T_F32, 32)], FOUR_FLOATS * 4),
     {"code": "corrupt", "message": "tensor 'b': data at offset 32 overlaps tensor 'a'"}),
    ("duplicate_tensor.gguf",
     image([ARCH], [tensor("w", [4], T_F32, 0), tensor("w", [4], T_F32, 32)], FOUR_FLOATS * 3),
     {"code": "corrupt", "message": "tensor 'w': duplicate tensor name"}),
    ("tensor_table_truncated.gguf", header(1, 0) + gstr("w") + u32(1) + u64(4),
     {"code": "corrupt", "message": "tensor 'w': truncated"}),
    ("scores_int32.gguf",
     image([ARCH, kv("tokenizer.ggml.scores", ARR, arr(I32, 2, u32(1) + u32(2)))]),
     {"code": "corrupt",
      "accessor": {"array": "tokenizer.ggml.scores", "elem_type": "float32"},
      "message": "metadata key 'tokenizer.ggml.scores': expected array of float32, got array of int32"}),
    ("context_length_negative.gguf", image([ARCH, kv("llama.context_length", I32, struct.pack("<i", -1))]),
     {"code": "corrupt", "accessor": {"uint": "llama.context_length"},
      "message": "metadata key 'llama.context_length': value -1 is negative"}),
    # The reader accepts any token string; the tokenizer rejects a byte token
    # whose escape is not two hex digits (see README.md).
    ("vocab_bad_byte_escape.gguf",
     image([ARCH, kv_str("tokenizer.ggml.model", "llama"),
            kv("tokenizer.ggml.tokens", ARR,
               arr(STR, 3, gstr("<unk>") + gstr("<0xZZ>") + gstr("<0x0A>")))]),
     {"code": "ok"}),
    ("valid_minimal.gguf",
     image([ARCH, kv_u32("general.alignment", 64)], ONE_TENSOR, FOUR_FLOATS, alignment=64),
     {"code": "ok"}),
]

# Inputs found by fuzz/gguf_fuzz.cpp that once misbehaved, kept as regression
# cases: (file name "fuzz_*.gguf", bytes as hex, expectation).
FUZZ_CASES = [
    # A tensor with 0 dimensions (a scalar): the reader accepted it but
    # GgufWriter refused to re-encode it (fixed: the writer takes 0 to 4 dims).
    ("fuzz_scalar_tensor_rewrite.gguf",
     "474755460300000001000000000000000100000000000000140000000000000067656e6572616c2e6172636869"
     "746563747572650800000000000000000000000000000000000000000000000000000000000000000000000000"
     "00000005000000000000006c6c616d610100000000000000770100000040000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000803f0000004000004040000080"
     "40",
     {"code": "ok"}),
]


def main():
    manifest = []
    cases = CASES + [(name, bytes.fromhex(hexdata), exp) for name, hexdata, exp in FUZZ_CASES]
    for name, data, expectation in cases:
        assert len(data) <= 512, f"{name} is {len(data)} bytes; corpus files stay tiny"
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        manifest.append({"file": name, **expectation})
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
