#!/usr/bin/env bash
# The README's first command: install dependencies, build Hearth (release), fetch the default
# model, then start the main job. With a terminal on stdin it asks for a prompt; without one it
# answers a single prompt (stdin's text, or a built-in one when stdin is empty) and exits.
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

read_prompt() {
  local prompt=""
  if [[ -t 0 ]]; then
    read -r -p "Prompt (Enter for a sample): " prompt || true
  else
    prompt="$(cat)"
  fi
  echo "${prompt:-${DEFAULT_PROMPT}}"
}

# The main job. When `hearth chat` lands, replace the `run` line with:
#   exec "${HEARTH}" chat "${MODEL}"
start_main_job() {
  exec "${HEARTH}" run "${MODEL}" -p "$(read_prompt)" -n 64
}

log "ready: ${HEARTH} with ${MODEL}"
start_main_job
