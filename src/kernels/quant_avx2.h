// Internal to src/kernels: AVX2 entries shared with the AVX-512 table (which
// reuses them for types it has no wider code for). Only call after
// IsaAvailable(Isa::kAvx2).
#pragma once

#include <cstdint>

namespace hearth::kernels::avx2 {

float VecDotF32(int64_t n, const void* w, const void* a);
float VecDotF16(int64_t n, const void* w, const void* a);
float VecDotBf16(int64_t n, const void* w, const void* a);

// K-quants (quant_k_avx2.cpp); a is Q8_K.
float VecDotQ2_K(int64_t n, const void* w, const void* a);
float VecDotQ3_K(int64_t n, const void* w, const void* a);
float VecDotQ4_K(int64_t n, const void* w, const void* a);
float VecDotQ5_K(int64_t n, const void* w, const void* a);
float VecDotQ6_K(int64_t n, const void* w, const void* a);

}  // namespace hearth::kernels::avx2
