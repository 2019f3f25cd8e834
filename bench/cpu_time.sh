#!/usr/bin/env bash
# CPU seconds (perf stat task-clock) of hearth bench and llama-bench doing the same work on one
# thread, alternating: a measure of kernel efficiency that a loaded, shared machine distorts far
# less than tokens/second (which then mostly measure the process's share of the CPU). Each run
# includes loading the model and the one warm-up pass both tools make.
# Usage: bench/cpu_time.sh HEARTH_BIN MODEL.gguf [rounds]
set -euo pipefail
HEARTH="$1"
MODEL="$2"
ROUNDS="${3:-2}"
LLAMA_BIN="${HOME}/.cache/hearth/llama.cpp-0.3.36/build/bin"
cpu() {  # prints the task-clock seconds of the command
  perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ {printf "%.2f", $1 / 1000}'
}
for test in "-p 512 -n 0" "-p 0 -n 128"; do
  for round in $(seq "${ROUNDS}"); do
    # shellcheck disable=SC2086
    h=$(cpu "${HEARTH}" bench "${MODEL}" ${test} -r 1 -t 1)
    # shellcheck disable=SC2086
    l=$(LD_LIBRARY_PATH="${LLAMA_BIN}" cpu "${LLAMA_BIN}/llama-bench" -m "${MODEL}" ${test} -r 1 -t 1)
    echo "$(basename "${MODEL}") [${test}] round ${round}: hearth ${h} s, llama.cpp ${l} s, load $(cut -d' ' -f1 /proc/loadavg)"
  done
done
