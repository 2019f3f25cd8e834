#!/usr/bin/env bash
# Builds the llama.cpp reference used to make the golden data (run by hand, never in CI).
#
# Source: the llama.cpp tree vendored in the llama-cpp-python sdist (pinned below), fetched
# from PyPI with pip. Output, all under ~/.cache/hearth/llama.cpp-<version>/:
#   sdist/                the unpacked sdist (Python package + vendor/llama.cpp)
#   build/bin/            libllama.so, libggml*.so, llama-quantize, llama-perplexity, llama-bench,
#                         llama-server (for bench/serve_bench.py)
# and a venv ~/.cache/hearth/ref-venv whose `llama_cpp` Python package is the sdist's own
# Python code loading the libllama.so built here (one build serves both the tools and the
# binding; pip-building the sdist would compile llama.cpp a second time).
#
# Usage: scripts/golden/build_llama_cpp.sh [-jN]   (default -j2, runs under `nice -n 10`)
#        scripts/golden/build_llama_cpp.sh --no-amx [-jN]
#   --no-amx: only llama-bench, in build-noamx/, with the CPU's AVX-512 features named one by one
#   instead of -march=native, so ggml's AMX kernels are left out; ggml's AVX-512 repacked GEMMs
#   stay in.
#
# One patch is applied to the vendored source (see patch_amx_tile_config below): GCC 12's
# _tile_loadconfig() tells the compiler it reads 8 bytes of the 64-byte tile configuration, so
# GCC drops the stores of the tile shapes and ggml's AMX kernels die with SIGILL on their first
# tileloadd. The patch passes the whole configuration to LDTILECFG; nothing else changes.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="0.3.36"
NO_AMX=0
if [[ "${1:-}" == "--no-amx" ]]; then
  NO_AMX=1
  shift
fi
JOBS="${1:--j2}"
CACHE="${HOME}/.cache/hearth"
ROOT="${CACHE}/llama.cpp-${LLAMA_CPP_PYTHON_VERSION}"
SDIST="${ROOT}/sdist"
BUILD="${ROOT}/build"
VENV="${CACHE}/ref-venv"

mkdir -p "${CACHE}/pip" "${ROOT}"
tarball="${CACHE}/pip/llama_cpp_python-${LLAMA_CPP_PYTHON_VERSION}.tar.gz"
if [[ ! -f "${tarball}" ]]; then
  python3 -m pip download --no-deps --no-binary :all: \
    "llama-cpp-python==${LLAMA_CPP_PYTHON_VERSION}" -d "${CACHE}/pip"
fi
if [[ ! -d "${SDIST}/vendor/llama.cpp" ]]; then
  tmp="$(mktemp -d "${ROOT}/unpack.XXXXXX")"
  tar xzf "${tarball}" -C "${tmp}"
  mv "${tmp}/llama_cpp_python-${LLAMA_CPP_PYTHON_VERSION}" "${SDIST}"
  rmdir "${tmp}"
fi

# GCC 12's amxtileintrin.h: asm volatile("ldtilecfg %X0" :: "m" (*((const void **)__config)))
# declares an 8-byte read, so the stores of rows[] and colsb[] into ggml's local tile_config_t
# are dead to GCC and are removed (seen in the built libggml-cpu.so: only palette_id and 32
# zero bytes are written before ldtilecfg). Idempotent.
patch_amx_tile_config() {
  local mmq="${SDIST}/vendor/llama.cpp/ggml/src/ggml-cpu/amx/mmq.cpp"
  if grep -q '_tile_loadconfig(&tc);' "${mmq}"; then
    sed -i 's|_tile_loadconfig(&tc);|__asm__ volatile("ldtilecfg %0" :: "m"(tc));  // hearth: GCC 12 _tile_loadconfig bug|' "${mmq}"
    echo "patched ${mmq}: ldtilecfg reads the whole tile_config_t"
  fi
}
patch_amx_tile_config

if (( NO_AMX )); then
  cmake -S "${SDIST}/vendor/llama.cpp" -B "${ROOT}/build-noamx" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=OFF \
    -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX_VNNI=ON \
    -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON \
    -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
  time nice -n 10 cmake --build "${ROOT}/build-noamx" "${JOBS}" --target llama-bench
  echo "llama.cpp without AMX ready: ${ROOT}/build-noamx/bin/llama-bench"
  exit 0
fi

# Shared libraries so the Python binding can load libllama.so; native CPU flags like the
# binding's recommended CMAKE_ARGS="-DGGML_NATIVE=ON"; no network features.
cmake -S "${SDIST}/vendor/llama.cpp" -B "${BUILD}" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
time nice -n 10 cmake --build "${BUILD}" "${JOBS}" \
  --target llama llama-quantize llama-perplexity llama-bench llama-server

# Reference venv: the sdist's Python package pointed at our libllama.so.
if [[ ! -x "${VENV}/bin/python" ]]; then
  python3 -m venv "${VENV}"
fi
"${VENV}/bin/python" -m pip install -q "numpy==1.26.4" "typing-extensions>=4.5" \
  "diskcache>=5.6.1" "jinja2>=2.11.3" "gguf==0.17.1"
site="$("${VENV}/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
rm -rf "${site}/llama_cpp"
cp -r "${SDIST}/llama_cpp" "${site}/llama_cpp"
mkdir -p "${site}/llama_cpp/lib"
cp -a "${BUILD}"/bin/lib*.so* "${site}/llama_cpp/lib/" 2>/dev/null ||
  find "${BUILD}" -name 'lib*.so*' -exec cp -a {} "${site}/llama_cpp/lib/" \;
"${VENV}/bin/python" -c 'import llama_cpp; print("llama_cpp", llama_cpp.__version__, "OK")'
echo "llama.cpp reference ready: ${BUILD}/bin"
