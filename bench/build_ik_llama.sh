#!/usr/bin/env bash
# Builds ik_llama.cpp's llama-bench for bench/compare.py (run by hand, never in CI).
#
# Source: the ik_llama.cpp tree vendored in the ik-llama-cpp-python sdist (pinned below),
# fetched from PyPI with pip. Output, all under ~/.cache/hearth/ik_llama.cpp-<version>/:
#   sdist/       the unpacked sdist (vendor/ik_llama.cpp is the engine)
#   build/bin/   llama-bench and the shared libraries it loads
# Native CPU flags, as for the llama.cpp reference (scripts/golden/build_llama_cpp.sh).
#
# Usage: bench/build_ik_llama.sh [-jN]   (default -j2, runs under `nice -n 10`)
set -euo pipefail

IK_VERSION="0.1.5"
JOBS="${1:--j2}"
CACHE="${HOME}/.cache/hearth"
ROOT="${CACHE}/ik_llama.cpp-${IK_VERSION}"
SDIST="${ROOT}/sdist"
BUILD="${ROOT}/build"

mkdir -p "${CACHE}/pip" "${ROOT}"
tarball="${CACHE}/pip/ik_llama_cpp_python-${IK_VERSION}.tar.gz"
if [[ ! -f "${tarball}" ]]; then
  python3 -m pip download --no-deps --no-binary :all: \
    "ik-llama-cpp-python==${IK_VERSION}" -d "${CACHE}/pip"
fi
if [[ ! -f "${SDIST}/vendor/ik_llama.cpp/CMakeLists.txt" ]]; then
  rm -rf "${SDIST}"
  tmp="$(mktemp -d "${ROOT}/unpack.XXXXXX")"
  tar xzf "${tarball}" -C "${tmp}"
  mv "${tmp}/ik_llama_cpp_python-${IK_VERSION}" "${SDIST}"
  rmdir "${tmp}"
fi

# The sdist leaves out common/cmake/build-info-gen-cpp.cmake, which the build runs to write
# common/build-info.cpp (no git here anyway): supply a stand-in that fills the template.
gen="${SDIST}/vendor/ik_llama.cpp/common/cmake/build-info-gen-cpp.cmake"
if [[ ! -f "${gen}" ]]; then
  mkdir -p "$(dirname "${gen}")"
  cat > "${gen}" <<EOF
set(BUILD_NUMBER 0)
set(BUILD_COMMIT "ik-llama-cpp-python-${IK_VERSION}")
set(BUILD_COMPILER "\${CMAKE_C_COMPILER_ID} \${CMAKE_C_COMPILER_VERSION}")
set(BUILD_TARGET "x86_64-linux")
configure_file(common/build-info.cpp.in common/build-info.cpp @ONLY)
EOF
fi

# llama-bench lives under examples/; only that target (and its libraries) is built.
cmake -S "${SDIST}/vendor/ik_llama.cpp" -B "${BUILD}" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_SERVER=OFF \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
time nice -n 10 cmake --build "${BUILD}" "${JOBS}" --target llama-bench

bench_bin="$(find "${BUILD}" -name llama-bench -type f -perm -u+x | head -n 1)"
if [[ "${bench_bin}" != "${BUILD}/bin/llama-bench" ]]; then
  mkdir -p "${BUILD}/bin"
  cp -a "${bench_bin}" "${BUILD}/bin/llama-bench"
  find "${BUILD}" -name 'lib*.so*' -not -path "${BUILD}/bin/*" -exec cp -a {} "${BUILD}/bin/" \;
fi
LD_LIBRARY_PATH="${BUILD}/bin" "${BUILD}/bin/llama-bench" --help >/dev/null
echo "ik_llama.cpp llama-bench ready: ${BUILD}/bin/llama-bench"
