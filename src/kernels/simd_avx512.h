// Internal to src/kernels: the AVX-512 intrinsics for *_avx512.cpp files, real
// or emulated.
//
// Each *_avx512.cpp file is compiled twice:
//  - into libhearth with -mavx512f/bw/vl/dq/vnni: the real instructions from
//    <immintrin.h>, in namespace hearth::kernels::avx512, reached only after
//    IsaAvailable(Isa::kAvx512);
//  - into the test binary only, with HEARTH_EMULATE_AVX512 defined and AVX2 flags
//    (CMakeLists.txt, target hearth_avx512_emulated): every _mm512_* and
//    AVX-512VL/VNNI intrinsic becomes SIMDe's portable implementation (built on
//    AVX2), in namespace hearth::kernels::avx512_emulated, so the same kernel
//    source runs and is tested against the scalar reference on CPUs without
//    AVX-512 (quant_isa_test.cpp, quant_avx512_test.cpp).
// One source, two compilations: kernels use HEARTH_AVX512_NS for their namespace
// and HEARTH_AVX512_TYPE_KERNELS / HEARTH_AVX512_PACKED_GEMV / HEARTH_AVX512_DOT_F16_TILE /
// HEARTH_AVX512_SOFTMAX_GROUPS for the names of what they export.
#pragma once

#include <immintrin.h>

#if defined(HEARTH_EMULATE_AVX512)

// SIMDe's native aliases #define the Intel names (_mm512_add_ps, ...) to its own
// functions when the compiler does not target the instruction set; they must
// come after <immintrin.h>, whose declarations they would otherwise rename.
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include <simde/x86/f16c.h>

// (CMake gives this compilation AVX2 flags only; should the build's own flags
// enable AVX-512, e.g. -march=native on such a CPU, SIMDe maps to the real
// instructions instead, and this copy then tests the hardware like the other.)

#define HEARTH_AVX512_NS avx512_emulated
#define HEARTH_AVX512_TYPE_KERNELS EmulatedAvx512TypeKernels
#define HEARTH_AVX512_PACKED_GEMV EmulatedAvx512PackedGemv
#define HEARTH_AVX512_DOT_F16_TILE EmulatedDotF16TileAvx512
#define HEARTH_AVX512_SOFTMAX_GROUPS EmulatedSoftmaxGroupsAvx512

namespace hearth::kernels::avx512_emulated {

// Intrinsics SIMDe 0.7.4 (Debian bookworm) lacks, written from Intel's
// definitions with the same operation order as GCC's <immintrin.h>.

// 16 half floats to 16 floats (AVX512F vcvtph2ps), exact like F16C.
static inline simde__m512 Cvtph16(simde__m256i h) {
  const simde__m256 lo = simde_mm256_cvtph_ps(simde_mm256_castsi256_si128(h));
  const simde__m256 hi = simde_mm256_cvtph_ps(simde_mm256_extracti128_si256(h, 1));
  return simde_mm512_insertf32x8(simde_mm512_castps256_ps512(lo), hi, 1);
}

// Sum of 16 lanes: halves folded 512 -> 256 -> 128, then lanes (2,3)+(0,1), then 1+0.
static inline float ReduceAdd16(simde__m512 v) {
  const simde__m256 high =
      simde_mm256_castpd_ps(simde_mm512_extractf64x4_pd(simde_mm512_castps_pd(v), 1));
  const simde__m256 s8 = simde_mm256_add_ps(high, simde_mm512_castps512_ps256(v));
  const simde__m128 s4 =
      simde_mm_add_ps(simde_mm256_extractf128_ps(s8, 1), simde_mm256_castps256_ps128(s8));
  const simde__m128 s2 = simde_mm_add_ps(s4, simde_mm_movehl_ps(s4, s4));
  return simde_mm_cvtss_f32(s2) + simde_mm_cvtss_f32(simde_mm_shuffle_ps(s2, s2, 1));
}

// 16 int32 to 16 floats (AVX512F vcvtdq2ps), exact below 2^24 and rounded like the real one.
static inline simde__m512 CvtEpi32Ps(simde__m512i v) {
  const simde__m256 lo = simde_mm256_cvtepi32_ps(simde_mm512_castsi512_si256(v));
  const simde__m256 hi = simde_mm256_cvtepi32_ps(simde_mm512_extracti64x4_epi64(v, 1));
  return simde_mm512_insertf32x8(simde_mm512_castps256_ps512(lo), hi, 1);
}

}  // namespace hearth::kernels::avx512_emulated

// A newer SIMDe that has them defines these names itself: then its versions are used.
#if !defined(_mm512_cvtph_ps)
#define _mm512_cvtph_ps(h) ::hearth::kernels::avx512_emulated::Cvtph16(h)
#endif
#if !defined(_mm512_cvtepi32_ps)
#define _mm512_cvtepi32_ps(v) ::hearth::kernels::avx512_emulated::CvtEpi32Ps(v)
#endif
#if !defined(_mm512_reduce_add_ps)
#define _mm512_reduce_add_ps(v) ::hearth::kernels::avx512_emulated::ReduceAdd16(v)
#endif

#else  // the real instructions

#define HEARTH_AVX512_NS avx512
#define HEARTH_AVX512_TYPE_KERNELS Avx512TypeKernels
#define HEARTH_AVX512_PACKED_GEMV Avx512PackedGemv
#define HEARTH_AVX512_DOT_F16_TILE DotF16TileAvx512
#define HEARTH_AVX512_SOFTMAX_GROUPS SoftmaxGroupsAvx512

#endif
