#include "kernels/packed.h"

#include <vector>

#include "kernels/kernel_registry.h"
#include "kernels/packed_legacy.h"

namespace hearth::kernels {

bool CanPack(Isa isa, TensorType type, int64_t n_rows, int64_t n_cols) {
  if (n_rows <= 0 || n_rows % kPackRows != 0) return false;
  const auto block = static_cast<int64_t>(TraitsOf(type).block_elems);
  if (n_cols <= 0 || n_cols % block != 0) return false;
  return internal::PackedKernelsFor(isa, type).gemm != nullptr;
}

TensorView PackWeight(const TensorView& w, void* dst, ThreadPool& pool) {
  // The pack functions are scalar: any ISA's table has the same ones.
  const internal::PackGroupFn pack = internal::PackedKernelsFor(Isa::kAvx2, w.type).pack;
  const uint64_t row_bytes = w.row_bytes();
  const uint64_t group_bytes = row_bytes * kPackRows;
  const auto* src = static_cast<const uint8_t*>(w.data);
  auto* out = static_cast<uint8_t*>(dst);
  pool.ParallelFor(w.rows() / kPackRows, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) {
      const uint64_t offset = static_cast<uint64_t>(g) * group_bytes;
      pack(src + offset, row_bytes, out + offset);
    }
  });
  TensorView packed = w;
  packed.data = dst;
  packed.layout = TensorLayout::kPacked;
  return packed;
}

void UnpackRow(const TensorView& packed, int64_t row, void* dst) {
  const internal::UnpackGroupRowFn unpack =
      internal::PackedKernelsFor(Isa::kAvx2, packed.type).unpack_row;
  const uint64_t row_bytes = packed.row_bytes();
  const int64_t group = row / kPackRows;
  const auto* data = static_cast<const uint8_t*>(packed.data);
  unpack(data + static_cast<uint64_t>(group) * row_bytes * kPackRows, row_bytes,
         static_cast<int>(row % kPackRows), static_cast<uint8_t*>(dst));
}

}  // namespace hearth::kernels

namespace hearth::kernels::internal {

PackedTypeKernels PackedKernelsFor(Isa isa, TensorType type) {
  if (isa == Isa::kScalar) return {};
  // AVX-512 runs the AVX2 kernels (a subset of its instructions), with AMX for prompts.
  const bool legacy = IsPackedLegacyType(type);
  PackedTypeKernels k = legacy ? Avx2PackedLegacy(type) : Avx2PackedKQuant(type);
  // The AVX-512 GEMVs for every packed type (Q6_K's measured 0.9x the AVX2 one in a model while
  // the pool's workers slept between operations; with them polling, 1.0x on rand-llama-1b
  // Q4_K_M and 1.07x on SmolLM2 Q4_K_M, 2 threads).
  if (isa == Isa::kAvx512 && k.gemv != nullptr) k.gemv = Avx512PackedGemv(type);
  if (isa == Isa::kAvx512 && k.gemm != nullptr && AmxAvailable()) {
    const PackedGemmFn amx = legacy ? AmxPackedLegacyGemm(type) : AmxPackedKQuantGemm(type);
    if (amx != nullptr) {
      k.gemm = amx;
      k.gemm_reads_tiles = legacy;
    }
  }
  return k;
}

}  // namespace hearth::kernels::internal
