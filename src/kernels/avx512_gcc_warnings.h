// Internal to src/kernels: include first in a file that uses AVX-512 intrinsics (the
// *_avx512.cpp and *_amx.cpp files). GCC 12 reports -Wuninitialized inside its own AVX-512
// intrinsics (they start from _mm512_undefined_*() on purpose); the warning is a known false
// positive, silenced for the including file. Clang neither needs this nor knows
// -Wmaybe-uninitialized (an unknown warning group is an error under -Werror).
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
