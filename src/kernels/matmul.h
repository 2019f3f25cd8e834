// MatMul: the linear layer y = W x for a batch of tokens, the hot spot of every model.
#pragma once

#include <cstdint>
#include <span>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace hearth::kernels {

// w: [n_out, n_in] (ggml ne = {n_in, n_out}), any supported weight type.
// x: [n_tokens, n_in] row-major floats. y: [n_tokens, n_out] row-major floats.
// Activations are quantized once per call to ActivationTypeFor(w.type), then
// rows of W are split among the pool's threads. w may be packed (kernels/packed.h): its
// row groups then go to the ISA's packed GEMM, or, on an ISA without one, each row is
// unpacked and multiplied by vec_dot (slow but correct).
void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            const KernelSet& kernels = BestKernels());

// One product of MatMulMany: y = w x, y: [n_tokens, w.rows()].
struct LinearOutput {
  const TensorView* w = nullptr;
  float* y = nullptr;
};

// Several linear layers on the same input x ([n_tokens, n_in], every w has n_in columns):
// each y equals MatMul(*w, x, ...)'s bit for bit, but activations are quantized once per
// activation type and the rows of all the matrices are shared among the threads in one
// parallel operation (one dispatch and one wait instead of one per matrix: Q/K/V, gate/up).
void MatMulMany(std::span<const LinearOutput> products, const float* x, int64_t n_tokens,
                ThreadPool& pool, const KernelSet& kernels = BestKernels());

// Row `row` of an embedding table (any supported type, row-major or packed) as floats:
// dst[0..ne[0]).
void GetRow(const TensorView& table, int64_t row, float* dst,
            const KernelSet& kernels = BestKernels());

}  // namespace hearth::kernels
