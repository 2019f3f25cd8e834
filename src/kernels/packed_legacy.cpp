// Packing and unpacking of the legacy types' row groups (layout: packed_legacy.h). Scalar
// code: it runs once per weight at load, and for GetRow on a packed embedding table.
#include "kernels/packed_legacy.h"

#include <cstring>

#include "kernels/packed.h"

namespace hearth::kernels::internal {
namespace {

// Where the fields sit in one GGUF block of a legacy type (-1: no such field).
struct BlockFields {
  int block_bytes;
  int d;
  int m;
  int qh;
  int qs;
  int qs_bytes;
};

constexpr BlockFields kQ4_0{18, 0, -1, -1, 2, 16};
constexpr BlockFields kQ4_1{20, 0, 2, -1, 4, 16};
constexpr BlockFields kQ5_0{22, 0, -1, 2, 6, 16};
constexpr BlockFields kQ5_1{24, 0, 2, 4, 8, 16};
constexpr BlockFields kQ8_0{34, 0, -1, -1, 2, 32};

constexpr int kRows = static_cast<int>(kPackRows);

const BlockFields* FieldsOf(TensorType type) {
  switch (type) {
    case TensorType::kQ4_0:
      return &kQ4_0;
    case TensorType::kQ4_1:
      return &kQ4_1;
    case TensorType::kQ5_0:
      return &kQ5_0;
    case TensorType::kQ5_1:
      return &kQ5_1;
    case TensorType::kQ8_0:
      return &kQ8_0;
    default:
      return nullptr;
  }
}

LegacySections SectionsOf(const BlockFields& f, int64_t n_blocks) {
  const auto nb = static_cast<uint64_t>(n_blocks);
  LegacySections s;
  s.qs = 0;
  s.qh = s.qs + nb * kRows * static_cast<uint64_t>(f.qs_bytes);
  s.d = s.qh + (f.qh >= 0 ? nb * kRows * 4 : 0);
  s.m = s.d + nb * kRows * 2;
  return s;
}

// Fifth bits of the 32 values (bit v = value v) <-> the chunk order of packed_legacy.h
// (bit i of byte j = value 4i + j).
uint32_t FifthBitsToChunkOrder(uint32_t bits) {
  uint32_t out = 0;
  for (int v = 0; v < 32; ++v) out |= ((bits >> v) & 1u) << ((v % 4) * 8 + v / 4);
  return out;
}

uint32_t ChunkOrderToFifthBits(uint32_t chunked) {
  uint32_t out = 0;
  for (int v = 0; v < 32; ++v) out |= ((chunked >> ((v % 4) * 8 + v / 4)) & 1u) << v;
  return out;
}

// Copies one block of row r between its GGUF form and its places in the group.
template <const BlockFields& F, bool kPack>
void MoveBlock(uint8_t* block, uint8_t* group, const LegacySections& s, int64_t b, int r) {
  const auto ub = static_cast<uint64_t>(b);
  auto move = [](uint8_t* gguf, uint8_t* packed, size_t n) {
    if constexpr (kPack) {
      std::memcpy(packed, gguf, n);
    } else {
      std::memcpy(gguf, packed, n);
    }
  };
  uint8_t* qs = group + s.qs + ub * kRows * F.qs_bytes;
  for (int k = 0; k < F.qs_bytes / 4; ++k) move(block + F.qs + 4 * k, qs + 32 * k + 4 * r, 4);
  move(block + F.d, group + s.d + ub * kRows * 2 + 2 * r, 2);
  if constexpr (F.m >= 0) move(block + F.m, group + s.m + ub * kRows * 2 + 2 * r, 2);
  if constexpr (F.qh >= 0) {
    uint8_t* qh = group + s.qh + ub * kRows * 4 + 4 * r;
    uint32_t bits;
    if constexpr (kPack) {
      std::memcpy(&bits, block + F.qh, 4);
      bits = FifthBitsToChunkOrder(bits);
      std::memcpy(qh, &bits, 4);
    } else {
      std::memcpy(&bits, qh, 4);
      bits = ChunkOrderToFifthBits(bits);
      std::memcpy(block + F.qh, &bits, 4);
    }
  }
}

template <const BlockFields& F>
void PackGroup(const uint8_t* src, uint64_t row_bytes, uint8_t* dst) {
  const auto n_blocks = static_cast<int64_t>(row_bytes / F.block_bytes);
  const LegacySections s = SectionsOf(F, n_blocks);
  for (int r = 0; r < kRows; ++r) {
    for (int64_t b = 0; b < n_blocks; ++b) {
      // MoveBlock only reads the GGUF block when packing.
      auto* block = const_cast<uint8_t*>(src + r * row_bytes + b * F.block_bytes);
      MoveBlock<F, true>(block, dst, s, b, r);
    }
  }
}

template <const BlockFields& F>
void UnpackGroupRow(const uint8_t* group, uint64_t row_bytes, int r, uint8_t* dst) {
  const auto n_blocks = static_cast<int64_t>(row_bytes / F.block_bytes);
  const LegacySections s = SectionsOf(F, n_blocks);
  for (int64_t b = 0; b < n_blocks; ++b) {
    // MoveBlock only reads the group when unpacking.
    MoveBlock<F, false>(dst + b * F.block_bytes, const_cast<uint8_t*>(group), s, b, r);
  }
}

}  // namespace

bool IsPackedLegacyType(TensorType type) { return FieldsOf(type) != nullptr; }

LegacySections LegacySectionsOf(TensorType type, int64_t n_blocks) {
  return SectionsOf(*FieldsOf(type), n_blocks);
}

PackGroupFn LegacyPackGroup(TensorType type) {
  switch (type) {
    case TensorType::kQ4_0:
      return PackGroup<kQ4_0>;
    case TensorType::kQ4_1:
      return PackGroup<kQ4_1>;
    case TensorType::kQ5_0:
      return PackGroup<kQ5_0>;
    case TensorType::kQ5_1:
      return PackGroup<kQ5_1>;
    case TensorType::kQ8_0:
      return PackGroup<kQ8_0>;
    default:
      return nullptr;
  }
}

UnpackGroupRowFn LegacyUnpackGroupRow(TensorType type) {
  switch (type) {
    case TensorType::kQ4_0:
      return UnpackGroupRow<kQ4_0>;
    case TensorType::kQ4_1:
      return UnpackGroupRow<kQ4_1>;
    case TensorType::kQ5_0:
      return UnpackGroupRow<kQ5_0>;
    case TensorType::kQ5_1:
      return UnpackGroupRow<kQ5_1>;
    case TensorType::kQ8_0:
      return UnpackGroupRow<kQ8_0>;
    default:
      return nullptr;
  }
}

}  // namespace hearth::kernels::internal
