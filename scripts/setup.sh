#!/usr/bin/env bash
# The README's first command: install dependencies, build Hearth (release), fetch the default
# model, then start the main job: `hearth chat`. With a terminal on stdin that is an interactive
# chat; without one it answers a single prompt (stdin's text, or a built-in one when stdin is
# empty) and exits.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
# Let ccache hit across checkouts (CI clones to a new path each time).
export CCACHE_BASEDIR="${ROOT}" CCACHE_NOHASHDIR=1
log() { echo "[setup] $*" >&2; }

bash scripts/install-deps.sh
log "building the release preset"
cmake --preset release >/dev/null
cmake --build build/release -j2 --target hearth
python3 scripts/fetch_models.py

HEARTH="${ROOT}/build/release/hearth"
MODEL="${XDG_DATA_HOME:-${HOME}/.local/share}/hearth/models/SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_PROMPT="Write one sentence about why running a language model locally protects privacy."

# The main job: `hearth chat`. With a terminal on stdin it is the interactive chat; without
# one, stdin's text (or a built-in prompt when stdin is empty) is sent as one message through
# a pipe, and the chat answers it and exits.
start_main_job() {
  if [[ -t 0 ]]; then
    exec "${HEARTH}" chat "${MODEL}"
  fi
  local prompt
  prompt="$(cat | tr '\n' ' ')"
  [[ -n "${prompt// /}" ]] || prompt="${DEFAULT_PROMPT}"
  printf '%s\n' "${prompt}" | "${HEARTH}" chat "${MODEL}" -n 256
}

log "ready: ${HEARTH} with ${MODEL}"
start_main_job
