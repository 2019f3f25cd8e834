// Optional per-operation timing of the forward pass, for finding where the
// time outside the matrix multiplications goes.
//
// Off unless the environment has HEARTH_PROFILE=1 when the process first asks;
// then every ProfileScope adds its wall time to its kind's total and the
// totals go to stderr at exit (one line per kind: calls, total ms, us/call).
// Disabled, a scope costs one predictable branch. Totals are process-wide
// atomics, so scopes on any thread may run concurrently; nested scopes each
// count their own time (a parent's total includes its children's).
#pragma once

#include <chrono>
#include <cstdint>

namespace hearth::profile {

enum class Op {
  kForward,       // one Forward / ForwardBatch call, end to end
  kEmbed,         // token embedding lookup
  kNorm,          // RMSNorm (layers and the output norm)
  kMatMulQkv,     // the q/k/v projections (with activation quantization)
  kMatMulWo,      // the attention output projection
  kMatMulFfn,     // gate/up/down projections
  kMatMulLogits,  // the output projection to the vocabulary
  kRope,          // RoPE on q and k (and q/k norm, biases, scale when present)
  kKvStore,       // writing K and V to the fp16 cache
  kAttention,     // softmax(q k) v over the cache
  kActivation,    // SwiGLU / GeGLU
  kAdd,           // residual adds
  kSample,        // the scheduler's sampling of all sequences of one step
  kPoolRun,       // ThreadPool::Run calls (dispatch + work + barrier)
  kPoolWait,      // the caller's wait for the other threads after its own share
  kCount,
};

bool Enabled();

// Adds `ns` nanoseconds and one call to op's totals.
void Record(Op op, int64_t ns);

class Scope {
 public:
  explicit Scope(Op op) : op_(op), on_(Enabled()) {
    if (on_) start_ = std::chrono::steady_clock::now();
  }
  ~Scope() {
    if (on_) {
      Record(op_, std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now() - start_)
                      .count());
    }
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Op op_;
  bool on_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace hearth::profile
