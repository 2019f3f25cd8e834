// Internal to src/kernels: the AMX tile configuration shared by the *_amx.cpp files (compiled
// with -mamx-tile -mamx-int8 and the AVX-512 flags; reached only after AmxAvailable()).
//
// AMX has 8 tile registers of up to 16 rows x 64 bytes. TDPBSSD C += A . B multiplies
//   A: M rows (tokens) x K int8 (K bytes a row),
//   B: K/4 rows x N groups of 4 int8 (N*4 bytes a row: row k/4 holds, for each column n, the
//      values k .. k+3 of column n: the "VNNI" layout, exactly one packed row group's chunk),
//   C: M rows x N int32,
// summing exactly in int32. The kernels use K = 32 (one legacy block or one K-quant
// sub-block per product, so each block's integer dot product is its own C tile) and N = 16
// (two row groups of kPackRows rows side by side), M = 16 tokens.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace hearth::kernels::amx {

// The 64-byte operand of LDTILECFG (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};  // bytes per row of tile i
  uint8_t rows[16] = {};    // rows of tile i
};
static_assert(sizeof(TileConfig) == 64);

// Tile i gets `rows` rows of `colsb` bytes.
inline void SetTile(TileConfig& c, int i, int rows, int colsb) {
  c.rows[i] = static_cast<uint8_t>(rows);
  c.colsb[i] = static_cast<uint16_t>(colsb);
}

// The tiles of one kernel call: LDTILECFG on entry, TILERELEASE on exit. Configuring on every
// call (tens of cycles, against a call's milliseconds) instead of once per thread keeps a
// kernel independent of whatever configuration another piece of code in the thread left
// behind; releasing returns the tile state to its initial, empty form, which the OS then need
// not save on context switches.
//
// LDTILECFG is written out here, not taken from _tile_loadconfig(): GCC 12's intrinsic gives
// the asm an 8-byte memory operand (*(const void**)config), so GCC may drop the stores of the
// tile shapes into a configuration built on the stack, and the first tile load then faults
// (SIGILL). This is what killed llama.cpp's AMX kernels built with GCC 12 on this project's
// machine (docs/PERFORMANCE.md). The operand here is the whole 64-byte object.
class TileScope {
 public:
  explicit TileScope(const TileConfig& config) { __asm__ volatile("ldtilecfg %0" ::"m"(config)); }
  ~TileScope() { _tile_release(); }
  TileScope(const TileScope&) = delete;
  TileScope& operator=(const TileScope&) = delete;
};

}  // namespace hearth::kernels::amx
