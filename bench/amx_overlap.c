// What bounds the AMX legacy GEMM (src/kernels/packed_legacy_amx.cpp) on this core: the tile
// products of 16 tokens x 16 rows x one 32-value block, the C tile store, and the AVX-512 f32
// epilogue each block needs (its own scales: convert, scale, FMA for 16 x 16 outputs), timed
// alone and together from L1/L2-resident data. Run by hand on a CPU with AMX-INT8 (Linux):
//   gcc -O2 -march=native bench/amx_overlap.c -o /tmp/amx_overlap && /tmp/amx_overlap
// Prints TSC cycles per product (8192 int8 multiply-adds) and MACs per TSC cycle.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

enum { kSteps = 2000000 };

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} __attribute__((aligned(64))) TileConfig;

static int32_t c_tiles[4][256] __attribute__((aligned(64)));
static float token_scales[64 * 16] __attribute__((aligned(64)));
static uint16_t row_scales[16] __attribute__((aligned(64)));
static int8_t a_tiles[256 * 512] __attribute__((aligned(64)));  // 128 KB: streamed from L2
static int8_t b_tiles[256 * 512] __attribute__((aligned(64)));

// One block's epilogue for 16 tokens: acc[t] += float(c[t]) * (d_w * d_a[t]).
#define EPILOGUE(c)                                                                 \
  do {                                                                              \
    const __m512 dw = _mm512_cvtph_ps(_mm256_load_si256((const __m256i*)row_scales)); \
    const float* da = token_scales + (i & 63) * 16;                                 \
    _Pragma("GCC unroll 16") for (int t = 0; t < 16; ++t) {                         \
      const __m512 isum = _mm512_cvtepi32_ps(_mm512_load_si512((c) + 16 * t));      \
      acc[t] = _mm512_fmadd_ps(isum, _mm512_mul_ps(dw, _mm512_set1_ps(da[t])), acc[t]); \
    }                                                                               \
  } while (0)

// The same number of FMAs and conversions with no loads.
#define EPILOGUE_NO_LOADS()                                                         \
  do {                                                                              \
    _Pragma("GCC unroll 16") for (int t = 0; t < 16; ++t) {                         \
      const __m512 isum = _mm512_cvtepi32_ps(_mm512_castps_si512(acc[(t + 1) & 15])); \
      acc[t] = _mm512_fmadd_ps(isum, scale, acc[t]);                                \
      acc[t] = _mm512_fmadd_ps(acc[t], scale, acc[t]);                              \
    }                                                                               \
  } while (0)

// Product j steps ahead: A (16 tokens x 32 bytes) times B (8 x 64 bytes) into C tile tc.
#define PRODUCT(ta, tb, tc, j)                              \
  do {                                                      \
    _tile_loadd(ta, a_tiles + ((i + (j)) & 255) * 512, 32); \
    _tile_loadd(tb, b_tiles + ((i + (j)) & 255) * 512, 64); \
    _tile_zero(tc);                                         \
    _tile_dpbssd(tc, ta, tb);                               \
  } while (0)

enum Mode { kProducts, kProductsStores, kEpilogue, kEpilogueNoLoads, kProductsEpilogueNoLoads,
            kProductsStoresEpilogue, kModes };
static const char* const kNames[kModes] = {
    "tile products only",
    "tile products + C stores",
    "epilogue only (from L1)",
    "epilogue, no loads",
    "tile products + epilogue without loads",
    "tile products + C stores + epilogue (the kernel's pipeline)",
};

__attribute__((noinline)) static void Run(enum Mode mode, __m512* out) {
  TileConfig config;
  memset(&config, 0, sizeof config);
  config.palette = 1;
  for (int t = 0; t < 2; ++t) config.rows[t] = 16, config.colsb[t] = 32;  // A
  for (int t = 2; t < 4; ++t) config.rows[t] = 8, config.colsb[t] = 64;   // B
  for (int t = 4; t < 8; ++t) config.rows[t] = 16, config.colsb[t] = 64;  // C
  __asm__ volatile("ldtilecfg %0" ::"m"(config));
  __m512 acc[16];
  for (int t = 0; t < 16; ++t) acc[t] = _mm512_setzero_ps();
  const __m512 scale = _mm512_set1_ps(0.5f);
  const int products = mode != kEpilogue && mode != kEpilogueNoLoads;
  const int stores = mode == kProductsStores || mode == kProductsStoresEpilogue;
  long i = 0;
  if (products) {
    PRODUCT(0, 2, 4, 0);
    PRODUCT(1, 3, 5, 1);
    PRODUCT(0, 2, 6, 2);
  }
  for (i = 0; i < kSteps; i += 4) {
    // Step k issues product i + k + 3, stores product i + k, runs product i + k - 1's epilogue.
    if (products) PRODUCT(1, 3, 7, 3);
    if (stores) _tile_stored(4, c_tiles[0], 64);
    if (mode == kEpilogue || mode == kProductsStoresEpilogue) EPILOGUE(c_tiles[3]);
    if (mode == kEpilogueNoLoads || mode == kProductsEpilogueNoLoads) EPILOGUE_NO_LOADS();
    if (products) PRODUCT(0, 2, 4, 4);
    if (stores) _tile_stored(5, c_tiles[1], 64);
    if (mode == kEpilogue || mode == kProductsStoresEpilogue) EPILOGUE(c_tiles[0]);
    if (mode == kEpilogueNoLoads || mode == kProductsEpilogueNoLoads) EPILOGUE_NO_LOADS();
    if (products) PRODUCT(1, 3, 5, 5);
    if (stores) _tile_stored(6, c_tiles[2], 64);
    if (mode == kEpilogue || mode == kProductsStoresEpilogue) EPILOGUE(c_tiles[1]);
    if (mode == kEpilogueNoLoads || mode == kProductsEpilogueNoLoads) EPILOGUE_NO_LOADS();
    if (products) PRODUCT(0, 2, 6, 6);
    if (stores) _tile_stored(7, c_tiles[3], 64);
    if (mode == kEpilogue || mode == kProductsStoresEpilogue) EPILOGUE(c_tiles[2]);
    if (mode == kEpilogueNoLoads || mode == kProductsEpilogueNoLoads) EPILOGUE_NO_LOADS();
  }
  _tile_release();
  for (int t = 0; t < 16; ++t) out[t] = acc[t];
}

int main(void) {
  // Linux grants the tile data state on request (ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA).
  if (syscall(SYS_arch_prctl, 0x1023, 18) != 0) {
    fprintf(stderr, "AMX tile state not granted by the OS\n");
    return 1;
  }
  __m512 sink[16];
  for (int round = 0; round < 2; ++round) {
    for (int mode = 0; mode < kModes; ++mode) {
      const uint64_t start = __rdtsc();
      Run((enum Mode)mode, sink);
      const double cycles = (double)(__rdtsc() - start) / kSteps;
      printf("%-60s %6.1f TSC cycles/product  %5.0f MAC/cycle\n", kNames[mode], cycles,
             8192.0 / cycles);
    }
  }
  volatile float keep = sink[0][0];
  (void)keep;
  return 0;
}
