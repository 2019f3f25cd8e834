#include "core/profile.h"

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hearth::profile {
namespace {

constexpr std::array<const char*, static_cast<size_t>(Op::kCount)> kNames = {
    "forward",    "embed",         "norm",   "matmul.qkv", "matmul.wo",
    "matmul.ffn", "matmul.logits", "rope",   "kv_store",   "attention",
    "activation", "add",           "sample", "pool.run",   "pool.wait",
};

struct Totals {
  std::array<std::atomic<int64_t>, static_cast<size_t>(Op::kCount)> ns{};
  std::array<std::atomic<int64_t>, static_cast<size_t>(Op::kCount)> calls{};
};

Totals& GetTotals() {
  static Totals totals;
  return totals;
}

void PrintTotals() {
  Totals& t = GetTotals();
  std::fprintf(stderr, "hearth profile: %-14s %10s %12s %10s\n", "op", "calls", "total ms",
               "us/call");
  for (size_t i = 0; i < kNames.size(); ++i) {
    const int64_t calls = t.calls[i].load();
    if (calls == 0) continue;
    const double ms = static_cast<double>(t.ns[i].load()) * 1e-6;
    std::fprintf(stderr, "hearth profile: %-14s %10lld %12.3f %10.3f\n", kNames[i],
                 static_cast<long long>(calls), ms, ms * 1e3 / static_cast<double>(calls));
  }
}

bool ReadEnvironment() {
  const char* value = std::getenv("HEARTH_PROFILE");
  const bool on = value != nullptr && std::strcmp(value, "1") == 0;
  if (on) {
    GetTotals();  // constructed before atexit registration, so still alive when it runs
    std::atexit(PrintTotals);
  }
  return on;
}

}  // namespace

bool Enabled() {
  static const bool enabled = ReadEnvironment();
  return enabled;
}

void Record(Op op, int64_t ns) {
  Totals& t = GetTotals();
  t.ns[static_cast<size_t>(op)].fetch_add(ns, std::memory_order_relaxed);
  t.calls[static_cast<size_t>(op)].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace hearth::profile
