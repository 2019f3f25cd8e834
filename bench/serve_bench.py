#!/usr/bin/env python3
"""Serving benchmark (not a test): aggregate generation throughput and time to first token of
`hearth serve` and llama.cpp's `llama-server` on the same model, threads and slots, for 1, 4
and 8 concurrent streaming clients.

Each client sends `--requests` streaming /v1/completions requests one after another, each with
its own prompt (so no server can reuse another client's prefix), greedy, `--max-tokens` long.
Reported per server and concurrency:
  aggregate tok/s   completion tokens of all clients / wall time of the whole round
  TTFT              median and worst time from sending a request to its first text chunk
Completion tokens come from the stream's usage chunk (stream_options.include_usage) or, if a
server sends none, from the number of text chunks.

    python3 bench/serve_bench.py --threads 2 \
        --llama-server ~/.cache/hearth/llama.cpp-0.3.36/build/bin/llama-server
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = Path.home() / ".cache/hearth/models/SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_LLAMA_SERVER = Path.home() / ".cache/hearth/llama.cpp-0.3.36/build/bin/llama-server"
TOPICS = ["a lighthouse", "a dragon", "the sea", "a robot", "a garden", "the moon", "a train",
          "a library", "a storm", "a violin", "a desert", "a clock"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


def one_request(port: int, prompt: str, max_tokens: int) -> tuple[float, int]:
    """Returns (time to first text chunk, completion tokens) of one streamed completion."""
    body = json.dumps({"model": "bench", "prompt": prompt, "max_tokens": max_tokens,
                       "temperature": 0, "stream": True,
                       "stream_options": {"include_usage": True}})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.request("POST", "/v1/completions", body=body,
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {response.read()[:200]!r}")
    ttft = None
    chunks = 0
    usage_tokens = None
    for raw in response:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        event = json.loads(line[6:])
        if event.get("usage"):
            usage_tokens = event["usage"].get("completion_tokens")
        for choice in event.get("choices") or []:
            if choice.get("text"):
                chunks += 1
                if ttft is None:
                    ttft = time.perf_counter() - start
    conn.close()
    return (ttft if ttft is not None else time.perf_counter() - start,
            usage_tokens if usage_tokens is not None else chunks)


def run_round(port: int, clients: int, requests: int, max_tokens: int) -> dict:
    ttfts: list[float] = []
    tokens = [0] * clients
    errors: list[BaseException] = []

    def client(index: int) -> None:
        try:
            for r in range(requests):
                topic = TOPICS[(index * requests + r) % len(TOPICS)]
                prompt = f"Client {index}, request {r}. Here is a long story about {topic}:"
                ttft, count = one_request(port, prompt, max_tokens)
                ttfts.append(ttft)
                tokens[index] += count
        except BaseException as error:  # noqa: BLE001 - reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    return {"clients": clients, "tokens": sum(tokens), "seconds": wall,
            "tok_per_s": sum(tokens) / wall, "ttft_median": statistics.median(ttfts),
            "ttft_max": max(ttfts)}


def start_hearth(args, port: int) -> subprocess.Popen:
    return subprocess.Popen([args.hearth, "serve", "--model", args.model, "--port", str(port),
                             "--threads", str(args.threads), "--slots", str(args.slots),
                             "--ctx-size", str(args.ctx)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_llama_server(args, port: int) -> subprocess.Popen:
    # llama-server splits -c over its -np slots: give each slot the same context as hearth's.
    return subprocess.Popen([args.llama_server, "-m", args.model, "--host", "127.0.0.1",
                             "--port", str(port), "-t", str(args.threads), "-np", str(args.slots),
                             "-c", str(args.ctx * args.slots), "--no-webui"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_server(name: str, start, args) -> list[dict]:
    port = free_port()
    proc = start(args, port)
    try:
        wait_healthy(port, proc)
        one_request(port, "Warm-up:", 8)
        results = []
        for clients in args.clients:
            result = run_round(port, clients, args.requests, args.max_tokens)
            result["server"] = name
            results.append(result)
            print(f"{name:>12}  clients {clients}:  {result['tok_per_s']:7.1f} tok/s  "
                  f"TTFT median {result['ttft_median'] * 1000:6.0f} ms, "
                  f"max {result['ttft_max'] * 1000:6.0f} ms  "
                  f"({result['tokens']} tokens in {result['seconds']:.1f} s)", flush=True)
        return results
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", default=str(REPO / "build/release/hearth"))
    parser.add_argument("--llama-server", default=str(DEFAULT_LLAMA_SERVER))
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--ctx", type=int, default=1024, help="context per slot")
    parser.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 4, 8])
    parser.add_argument("--requests", type=int, default=2, help="requests per client")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--only", choices=["hearth", "llama-server"])
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    results = []
    if args.only != "llama-server":
        results += bench_server("hearth", start_hearth, args)
    if args.only != "hearth":
        if not os.access(args.llama_server, os.X_OK):
            raise SystemExit(f"{args.llama_server} not found: build it with "
                             "scripts/golden/build_llama_cpp.sh")
        results += bench_server("llama-server", start_llama_server, args)
    by = {(r["server"], r["clients"]): r for r in results}
    for clients in args.clients:
        h, l = by.get(("hearth", clients)), by.get(("llama-server", clients))
        if h and l:
            print(f"clients {clients}: hearth/llama-server throughput "
                  f"{h['tok_per_s'] / l['tok_per_s']:.2f}x, TTFT median "
                  f"{h['ttft_median'] / l['ttft_median']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
