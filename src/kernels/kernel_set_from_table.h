// Internal to src/kernels: a KernelSet (kernels.h) whose entries dispatch on the
// tensor type through a per-type table function. dispatch.cpp builds the
// product's sets with it; the test binary builds the emulated AVX-512 set
// (avx512_emulated.h) the same way.
#pragma once

#include <cstdint>
#include <limits>

#include "kernels/kernel_registry.h"
#include "kernels/kernels.h"

namespace hearth::kernels::internal {

template <TypeKernels (*Lookup)(TensorType)>
void DequantizeRowWith(TensorType type, const void* src, float* dst, int64_t n) {
  const auto fn = Lookup(type).dequantize;
  if (fn != nullptr) {
    fn(src, dst, n);
  } else {  // unsupported type: make the misuse visible instead of leaving garbage
    for (int64_t i = 0; i < n; ++i) dst[i] = std::numeric_limits<float>::quiet_NaN();
  }
}

template <TypeKernels (*Lookup)(TensorType)>
void QuantizeRowWith(TensorType type, const float* src, void* dst, int64_t n) {
  const auto fn = Lookup(type).quantize;
  if (fn != nullptr) fn(src, dst, n);
}

template <TypeKernels (*Lookup)(TensorType)>
float VecDotWith(TensorType weight_type, int64_t n, const void* w, const void* a) {
  const auto fn = Lookup(weight_type).vec_dot;
  return fn != nullptr ? fn(n, w, a) : std::numeric_limits<float>::quiet_NaN();
}

// The KernelSet of `kIsa` whose entries come from Lookup(type).
template <Isa kIsa, TypeKernels (*Lookup)(TensorType)>
constexpr KernelSet KernelSetFrom() {
  return KernelSet{kIsa, &DequantizeRowWith<Lookup>, &QuantizeRowWith<Lookup>, &VecDotWith<Lookup>};
}

}  // namespace hearth::kernels::internal
