#!/usr/bin/env python3
"""Time to first token and peak RSS: hearth vs llama.cpp, alternating (run by hand).

Each measurement is one whole process, from its start to its exit, under /usr/bin/time -v:
- hearth:    `hearth run MODEL --raw -p PROMPT -n 1 --temp 0 -c 32 -t T` (load, a 16-token
  prompt as plain text, without the chat template, one token; a 32-token context, as
  llama-bench sizes its context to the test)
- llama.cpp: `llama-bench -m MODEL -p 0 -n 0 -pg 16,1 -r 1 --no-warmup -t T` (load, a 16-token
  prompt and one generated token, no warm-up): the same work, without tokenization/sampling.
Both map the model file (mmap), so peak RSS counts the weights each touches.
Prints the median wall time and the largest peak RSS over --runs alternating runs.

Usage: bench/ttft_rss.py MODEL.gguf [--runs 5] [-t 2] [--hearth PATH]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path.home() / ".cache" / "hearth"
LLAMA_BIN = CACHE / "llama.cpp-0.3.36" / "build" / "bin"
REPO = Path(__file__).resolve().parent.parent
# 16 tokens under SmolLM2's vocabulary (the script prints the count it gets).
PROMPT = "The quick brown fox jumps over the lazy dog while the farmer watches from the barn"


def measure(cmd, env=None):
    start = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-v"] + cmd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return wall, rss_kib / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-t", type=int, default=2)
    parser.add_argument("--hearth", default=str(REPO / "build" / "release" / "hearth"))
    parser.add_argument("--llama-bin", type=Path, default=LLAMA_BIN,
                        help="llama.cpp's bin directory (e.g. build-noamx/bin)")
    args = parser.parse_args()
    n_prompt = len(subprocess.run([args.hearth, "tokenize", args.model, PROMPT], check=True,
                                  capture_output=True, text=True).stdout.split())
    engines = {
        # -c 32: a context just big enough, as llama-bench sizes its own to the test.
        "hearth": ([args.hearth, "run", args.model, "--raw", "-p", PROMPT, "-n", "1", "--temp", "0",
                    "-c", "32", "-t", str(args.t)], None),
        "llama.cpp": ([str(args.llama_bin / "llama-bench"), "-m", args.model, "-p", "0", "-n", "0",
                       "-pg", "16,1", "-r", "1", "--no-warmup", "-t", str(args.t)],
                      dict(os.environ, LD_LIBRARY_PATH=str(args.llama_bin))),
    }
    samples = {name: [] for name in engines}
    loads = []
    for i in range(args.runs):
        names = list(engines) if i % 2 == 0 else list(reversed(engines))
        for name in names:
            loads.append(os.getloadavg()[0])
            samples[name].append(measure(*engines[name]))
    print(f"{Path(args.model).name}: hearth prompt {n_prompt} tokens; {args.runs} runs each, "
          f"-t {args.t}; load average {min(loads):.1f}-{max(loads):.1f}")
    print("| engine | start to first token, median s | peak RSS MiB |")
    print("|---|---:|---:|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(v[0] for v in values):.3f} | "
              f"{max(v[1] for v in values):.1f} |")


if __name__ == "__main__":
    main()
