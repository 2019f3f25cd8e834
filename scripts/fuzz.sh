#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*_fuzz.cpp, clang + ASan/UBSan) and runs each for
# SECONDS (default 60), seeded from the repository's own inputs. By hand, not in CI:
#   ./scripts/fuzz.sh [SECONDS] [TARGET...]
# Crashes are written to build/fuzz/crashes/<target>/ and make the script fail.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "${ROOT}"
SECONDS_EACH="${1:-60}"
shift || true

cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j"$(nproc)"

# Seed corpora: the inputs the unit tests already use.
declare -A SEEDS=(
  [gguf_fuzz]="tests/gguf_corpus tests/models"
  [template_fuzz]="tests/chat"
  [tokenizer_fuzz]="tests/golden"
)

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for source in fuzz/*_fuzz.cpp; do targets+=("$(basename "${source}" .cpp)"); done
fi

failed=0
for target in "${targets[@]}"; do
  corpus="build/fuzz/corpus/${target}"
  crashes="build/fuzz/crashes/${target}"
  mkdir -p "${corpus}" "${crashes}"
  seeds=()
  for dir in ${SEEDS[${target}]:-}; do [[ -d "${dir}" ]] && seeds+=("${dir}"); done
  dict=()
  base="${target%_fuzz}"
  [[ -f "fuzz/${base}.dict" ]] && dict=("-dict=fuzz/${base}.dict")
  [[ -f "fuzz/${target}.dict" ]] && dict=("-dict=fuzz/${target}.dict")
  echo "[fuzz] ${target}: ${SECONDS_EACH}s"
  if ! "build/fuzz/${target}" -max_total_time="${SECONDS_EACH}" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="${crashes}/" "${dict[@]}" "${corpus}" "${seeds[@]}" \
      2>"build/fuzz/${target}.log"; then
    echo "[fuzz] ${target}: FAILED (see build/fuzz/${target}.log and ${crashes}/)"
    failed=1
  else
    grep -E "^#[0-9]+.*DONE" "build/fuzz/${target}.log" | tail -1 || true
  fi
done
exit "${failed}"
