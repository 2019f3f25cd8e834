#!/usr/bin/env python3
"""Hearth vs llama.cpp (and ik_llama.cpp when built) on the same GGUF files.

For each model, runs `llama-bench -o json` and `hearth bench -o json` alternately
(engine order A, B, A, B ... for --rounds rounds, so slow drifts in machine load hit
both) with the same -p/-n/-r/-t, then prints one markdown table: pp and tg tok/s of
each engine (mean over rounds of each run's avg_ts) and hearth / other ratios.

The llama.cpp build is the cached one made by scripts/golden/build_llama_cpp.sh
(never rebuilt here); ik_llama.cpp's is made by bench/build_ik_llama.sh.

Usage:
  bench/compare.py MODEL.gguf [MODEL.gguf ...] [-t 2] [-p 512] [-n 128] [-r 5] [--rounds 2]
  bench/compare.py --json out.json ...   # also write every raw result
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CACHE = Path.home() / ".cache" / "hearth"
REPO = Path(__file__).resolve().parent.parent
LLAMA_BIN = CACHE / "llama.cpp-0.3.36" / "build" / "bin"
IK_VERSION = "0.1.5"
IK_BIN = CACHE / f"ik_llama.cpp-{IK_VERSION}" / "build" / "bin"


def find_hearth(explicit):
    if explicit:
        return Path(explicit)
    for candidate in (REPO / "build" / "release" / "hearth", REPO / "build" / "hearth"):
        if candidate.exists():
            return candidate
    sys.exit("hearth binary not found; build it (cmake --build build/release --target hearth) "
             "or pass --hearth")


def run_json(cmd, env=None):
    """Runs cmd, returns its stdout parsed as JSON (llama-bench and hearth print an array)."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
                           f"{proc.stderr[-2000:]}")
    out = proc.stdout
    start = out.find("[")  # llama-bench may print log lines before the JSON
    return json.loads(out[start:])


def llama_bench_cmd(bin_dir, model, args):
    return ([str(bin_dir / "llama-bench"), "-m", str(model), "-p", str(args.p), "-n",
             str(args.n), "-r", str(args.r), "-t", str(args.t), "-o", "json"],
            dict(os.environ, LD_LIBRARY_PATH=str(bin_dir)))


def hearth_cmd(hearth, model, args):
    return ([str(hearth), "bench", str(model), "-p", str(args.p), "-n", str(args.n), "-r",
             str(args.r), "-t", str(args.t), "-o", "json"], None)


def split_tests(results):
    """{'pp': avg_ts, 'tg': avg_ts} from one JSON array."""
    out = {}
    for test in results:
        key = "pp" if test["n_prompt"] > 0 and test["n_gen"] == 0 else "tg"
        out[key] = test["avg_ts"]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("-t", type=int, default=2, help="threads (both engines)")
    parser.add_argument("-p", type=int, default=512)
    parser.add_argument("-n", type=int, default=128)
    parser.add_argument("-r", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating rounds per engine and model")
    parser.add_argument("--hearth", help="path of the hearth binary")
    parser.add_argument("--json", help="write all raw results here")
    parser.add_argument("--baseline", help="another hearth binary (e.g. an older build), run as "
                        "the engine 'hearth-base' for before/after ratios")
    parser.add_argument("--llama-bin", type=Path, default=LLAMA_BIN,
                        help="llama.cpp's bin directory (default: the reference build; "
                        "scripts/golden/build_llama_cpp.sh --no-amx makes build-noamx/bin)")
    parser.add_argument("--extra-llama-bin", type=Path,
                        help="another llama.cpp bin directory, run as the engine 'llama.cpp-2'")
    parser.add_argument("--keep-going", action="store_true",
                        help="record a failed run (e.g. a crash) as missing instead of stopping")
    args = parser.parse_args()

    hearth = find_hearth(args.hearth)
    engines = {"hearth": lambda m: hearth_cmd(hearth, m, args)}
    if args.baseline:
        engines["hearth-base"] = lambda m: hearth_cmd(Path(args.baseline), m, args)
    if (args.llama_bin / "llama-bench").exists():
        engines["llama.cpp"] = lambda m: llama_bench_cmd(args.llama_bin, m, args)
    else:
        sys.exit(f"{args.llama_bin / 'llama-bench'} missing: run scripts/golden/build_llama_cpp.sh")
    if args.extra_llama_bin:
        engines["llama.cpp-2"] = lambda m: llama_bench_cmd(args.extra_llama_bin, m, args)
    if (IK_BIN / "llama-bench").exists():
        engines["ik_llama.cpp"] = lambda m: llama_bench_cmd(IK_BIN, m, args)

    raw = []
    rows = []
    loads = []  # 1-minute load average before each run: the machine may be shared
    for model in args.models:
        samples = {name: {"pp": [], "tg": []} for name in engines}
        for round_index in range(args.rounds):
            names = list(engines)
            if round_index % 2 == 1:
                names.reverse()  # alternate who goes first
            for name in names:
                cmd, env = engines[name](model)
                load = os.getloadavg()[0]
                loads.append(load)
                print(f"# load {load:.2f} {name}: {' '.join(cmd)}", file=sys.stderr, flush=True)
                try:
                    results = run_json(cmd, env)
                except RuntimeError as error:
                    if not args.keep_going:
                        raise
                    print(f"# {name} failed: {str(error).splitlines()[0]}", file=sys.stderr)
                    results = []
                raw.append({"engine": name, "model": str(model), "round": round_index,
                            "load1": load, "results": results})
                for key, value in split_tests(results).items():
                    samples[name][key].append(value)
        mean = {name: {k: statistics.mean(v) if v else float("nan") for k, v in s.items()}
                for name, s in samples.items()}
        rows.append((Path(model).name, mean))

    others = [name for name in engines if name != "hearth"]
    header = ["model"]
    for name in engines:
        header += [f"{name} pp{args.p}", f"{name} tg{args.n}"]
    for name in others:
        header += [f"pp hearth/{name}", f"tg hearth/{name}"]
    print(f"threads {args.t}, {args.r} repetitions x {args.rounds} alternating rounds (tok/s); "
          f"1-minute load average before the runs: min {min(loads):.1f}, "
          f"mean {statistics.mean(loads):.1f}, max {max(loads):.1f}")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
    for model, mean in rows:
        cells = [model]
        for name in engines:
            cells += [f"{mean[name]['pp']:.1f}", f"{mean[name]['tg']:.1f}"]
        for name in others:
            cells += [f"{mean['hearth']['pp'] / mean[name]['pp']:.2f}",
                      f"{mean['hearth']['tg'] / mean[name]['tg']:.2f}"]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
