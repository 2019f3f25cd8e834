// Run-time choice of kernels: which ISAs this CPU can run, the scalar table,
// and the KernelSet entries that dispatch on the tensor type.
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>

#include "kernels/kernel_registry.h"
#include "kernels/kernel_set_from_table.h"
#include "kernels/kernels.h"
#include "kernels/quant_scalar.h"

namespace hearth::kernels {
namespace {

using internal::TypeKernels;

// Cap from HEARTH_ISA; an unknown value is ignored (no cap) rather than fatal,
// because this runs before any caller could report an error.
Isa IsaCapFromEnvironment() {
  const char* value = std::getenv("HEARTH_ISA");
  if (value == nullptr) return Isa::kAvx512;
  const std::string_view name(value);
  if (name == "scalar") return Isa::kScalar;
  if (name == "avx2") return Isa::kAvx2;
  return Isa::kAvx512;
}

constexpr KernelSet kScalarSet =
    internal::KernelSetFrom<Isa::kScalar, internal::ScalarTypeKernels>();
constexpr KernelSet kAvx2Set = internal::KernelSetFrom<Isa::kAvx2, internal::Avx2TypeKernels>();
constexpr KernelSet kAvx512Set =
    internal::KernelSetFrom<Isa::kAvx512, internal::Avx512TypeKernels>();

}  // namespace

namespace internal {

TypeKernels ScalarTypeKernels(TensorType type) {
  using namespace scalar;  // NOLINT: a table of scalar:: entries
  switch (type) {
    case TensorType::kF32:
      return {DequantizeF32, QuantizeF32, VecDotF32};
    case TensorType::kF16:
      return {DequantizeF16, QuantizeF16, VecDotF16};
    case TensorType::kBF16:
      return {DequantizeBf16, QuantizeBf16, VecDotBf16};
    case TensorType::kQ4_0:
      return {DequantizeQ4_0, QuantizeQ4_0, VecDotQ4_0};
    case TensorType::kQ4_1:
      return {DequantizeQ4_1, QuantizeQ4_1, VecDotQ4_1};
    case TensorType::kQ5_0:
      return {DequantizeQ5_0, QuantizeQ5_0, VecDotQ5_0};
    case TensorType::kQ5_1:
      return {DequantizeQ5_1, QuantizeQ5_1, VecDotQ5_1};
    case TensorType::kQ8_0:
      return {DequantizeQ8_0, QuantizeQ8_0, VecDotQ8_0};
    case TensorType::kQ8_1:
      return {DequantizeQ8_1, QuantizeQ8_1, nullptr};
    case TensorType::kQ2_K:
      return {DequantizeQ2_K, QuantizeQ2_K, VecDotQ2_K};
    case TensorType::kQ3_K:
      return {DequantizeQ3_K, QuantizeQ3_K, VecDotQ3_K};
    case TensorType::kQ4_K:
      return {DequantizeQ4_K, QuantizeQ4_K, VecDotQ4_K};
    case TensorType::kQ5_K:
      return {DequantizeQ5_K, QuantizeQ5_K, VecDotQ5_K};
    case TensorType::kQ6_K:
      return {DequantizeQ6_K, QuantizeQ6_K, VecDotQ6_K};
    case TensorType::kQ8_K:
      return {DequantizeQ8_K, QuantizeQ8_K, nullptr};
    default:
      return {};
  }
}

TypeKernels TypeKernelsFor(Isa isa, TensorType type) {
  switch (isa) {
    case Isa::kAvx2:
      return Avx2TypeKernels(type);
    case Isa::kAvx512:
      return Avx512TypeKernels(type);
    default:
      return ScalarTypeKernels(type);
  }
}

// AVX-512 machines use the AVX2 GEMMs for prompt batches: they equal the AVX2
// vec_dot bit for bit, as the AVX-512 vec_dot does for the quantized types.
GemmFn GemmFor(Isa isa, TensorType type) { return isa == Isa::kScalar ? nullptr : Avx2Gemm(type); }

GemmFn KQuantGemmFor(Isa isa, TensorType type) {
  return isa == Isa::kScalar ? nullptr : Avx2KQuantGemm(type);
}

}  // namespace internal

std::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

#if defined(__x86_64__) || defined(__i386__)
namespace {

// CPU features read with CPUID directly (gcc's and clang's
// __builtin_cpu_supports accept different feature names: clang 14 has no
// "f16c"), plus XGETBV: the OS must have enabled the AVX / AVX-512 register state.
struct X86Features {
  bool avx2 = false;    // AVX2 + FMA + F16C, YMM state enabled
  bool avx512 = false;  // F + BW + VL + DQ + VNNI, ZMM state enabled
};

uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

X86Features DetectX86Features() {
  X86Features f;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool fma = ecx & (1u << 12), osxsave = ecx & (1u << 27), avx = ecx & (1u << 28),
             f16c = ecx & (1u << 29);
  if (!(osxsave && avx)) return f;
  const uint64_t xcr0 = ReadXcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;
  const bool zmm_state = (xcr0 & 0xE6) == 0xE6;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  const bool avx2 = ebx & (1u << 5);
  const bool avx512f = ebx & (1u << 16), avx512dq = ebx & (1u << 17), avx512bw = ebx & (1u << 30),
             avx512vl = ebx & (1u << 31), avx512vnni = ecx & (1u << 11);
  f.avx2 = ymm_state && avx2 && fma && f16c;
  f.avx512 = f.avx2 && zmm_state && avx512f && avx512dq && avx512bw && avx512vl && avx512vnni;
  return f;
}

// AMX-TILE and AMX-INT8 (CPUID 7.0 EDX bits 24 and 25) with the tile state (XCR0 bits 17-18)
// enabled by the OS, and this process granted it. Linux hands the tile data state out only on
// request (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); the grant covers every
// thread of the process, so asking once, before any tile instruction, is enough.
bool DetectAmx() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool amx_tile = edx & (1u << 24), amx_int8 = edx & (1u << 25);
  if (!amx_tile || !amx_int8) return false;
  if ((ReadXcr0() & 0x60000) != 0x60000) return false;
#if defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

}  // namespace
#endif

bool IsaAvailable(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  static const X86Features features = DetectX86Features();
  static const bool avx2 = features.avx2;
  static const bool avx512 = features.avx512;
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
      return avx2;
    case Isa::kAvx512:
      return avx512;
  }
  return false;
#else
  return isa == Isa::kScalar;
#endif
}

Isa BestIsa() {
  static const Isa best = [] {
    // The best ISA the CPU has, capped by HEARTH_ISA (scalar|avx2|avx512) if set.
    // AVX-512 (F/DQ/BW/VL/VNNI) is chosen where the CPU has it. Its kernels are tested against
    // the scalar reference and the AVX2 ones natively on such CPUs and, on every CPU, compiled a
    // second time over SIMDe's emulated intrinsics (the *_avx512_emulated tests). Its quantized
    // dot products and packed GEMVs give the AVX2 ones' bits exactly, and its prompt GEMMs are
    // the AMX ones (AmxAvailable) or the AVX2 ones, also bit for bit, so a model's logits are
    // the same under either ISA except for F32/F16 summation order.
    // HEARTH_ISA=avx2 is the way back if a CPU misbehaves; HEARTH_AMX=0 turns AMX off.
    const Isa cap = std::getenv("HEARTH_ISA") ? IsaCapFromEnvironment() : Isa::kAvx512;
    for (Isa isa : {Isa::kAvx512, Isa::kAvx2}) {
      if (isa <= cap && IsaAvailable(isa)) return isa;
    }
    return Isa::kScalar;
  }();
  return best;
}

bool IsWeightTypeSupported(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
    case TensorType::kQ8_0:
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return true;
    default:
      return false;
  }
}

TensorType ActivationTypeFor(TensorType weight_type) {
  switch (weight_type) {
    case TensorType::kQ4_0:
    case TensorType::kQ5_0:
    case TensorType::kQ8_0:
      return TensorType::kQ8_0;
    case TensorType::kQ4_1:
    case TensorType::kQ5_1:
      return TensorType::kQ8_1;
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return TensorType::kQ8_K;
    case TensorType::kF16:
      return TensorType::kF16;
    case TensorType::kBF16:
      return TensorType::kBF16;
    default:
      return TensorType::kF32;
  }
}

const KernelSet& KernelsFor(Isa isa) {
  switch (isa) {
    case Isa::kAvx2:
      return kAvx2Set;
    case Isa::kAvx512:
      return kAvx512Set;
    default:
      return kScalarSet;
  }
}

const KernelSet& BestKernels() { return KernelsFor(BestIsa()); }

namespace internal {

bool AmxAvailable() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool available = [] {
    const char* off = std::getenv("HEARTH_AMX");
    if (off != nullptr && std::string_view(off) == "0") return false;
    return BestIsa() == Isa::kAvx512 && DetectAmx();
  }();
  return available;
#else
  return false;
#endif
}

}  // namespace internal

}  // namespace hearth::kernels
