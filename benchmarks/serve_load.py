"""Load test for ``w2v serve`` on loopback: the nearest-query latency of an idle server, then
CLIENTS concurrent clients asking mixed queries for SECONDS while a slow client holds a
half-sent request open the whole time. Standard library only: threads and http.client.

    python -m benchmarks.serve_load --model /tmp/w2v-serve-1m.bin --make 1000000x300 [--clients 200 --seconds 30]

--make writes MODEL first if it is missing: random vectors (fine for speed: every query scans
every row whatever the values), words w0, w1, ... Without --url the benchmark starts
``w2v serve -m MODEL --port 0`` as a separate process (so the clients' Python threads and
the server's do not share one interpreter lock) and stops it at the end. Each client keeps
one connection (HTTP/1.1 keep-alive) and sends its next query when the last is answered.
The mix (weights): nearest of a word 35, of two words less one 10, analogy 15, similarity
10, prefix search 20, map of 30 neighbours 5, an unknown word 5 (answered 404 with close
spellings: counted as a success). An error is anything else: another status, a timeout, a
dropped connection. Latency is measured by the client (send to last byte); the server's own
time comes from its Server-Timing header.
"""

import argparse
import http.client
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

MAX_CLIENTS, MAX_SECONDS = 1000, 600
MIX = [("nearest", 35), ("nearest2", 10), ("analogy", 15), ("similarity", 10), ("words", 20), ("map", 5),
       ("unknown", 5)]


def target(kind: str, rng: random.Random, rows: int) -> str:
    w = lambda: f"w{rng.randrange(rows)}"  # noqa: E731
    return {
        "nearest": lambda: f"/api/nearest?word={w()}&n=10",
        "nearest2": lambda: f"/api/nearest?word={w()}&word={w()}&neg={w()}&n=10",
        "analogy": lambda: f"/api/analogy?a={w()}&b={w()}&c={w()}&n=10",
        "similarity": lambda: f"/api/similarity?a={w()}&b={w()}",
        "words": lambda: f"/api/words?prefix=w{rng.randrange(1, 1000)}&limit=10",
        "map": lambda: f"/api/map?word={w()}&n=30",
        "unknown": lambda: f"/api/nearest?word=w{rng.randrange(rows)}x",
    }[kind]()


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def server_time(response) -> float | None:
    timing = response.getheader("Server-Timing") or ""
    return float(timing.split("dur=")[1]) if "dur=" in timing else None


class Client(threading.Thread):
    def __init__(self, host, port, rows, deadline, seed, results):
        super().__init__(daemon=True)
        self.host, self.port, self.rows, self.deadline = host, port, rows, deadline
        self.rng = random.Random(seed)
        self.results = results  # kind -> list of (latency s, ok, server ms)

    def run(self):
        kinds, weights = zip(*MIX)
        conn = None
        while time.perf_counter() < self.deadline:
            kind = self.rng.choices(kinds, weights)[0]
            path = target(kind, self.rng, self.rows)
            start = time.perf_counter()
            ok, at_server = False, None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                at_server = server_time(response)
                ok = response.status == (404 if kind == "unknown" else 200)
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
            self.results[kind].append((time.perf_counter() - start, ok, at_server))
        if conn is not None:
            conn.close()


def slow_client(host, port, stop: threading.Event, report: dict):
    """Sends a request one byte every 5 s (under the server's 30 s idle limit), never finishing it."""
    data = b"GET /api/nearest?word=w1&n=10 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 1000
    start = time.perf_counter()
    with socket.create_connection((host, port)) as s:
        for byte in data:
            if stop.wait(5):
                break
            try:
                s.sendall(bytes([byte]))
            except OSError as e:
                report["dropped"] = f"after {time.perf_counter() - start:.0f} s: {e}"
                return
        report["held_s"] = time.perf_counter() - start


def inprocess(model: str, rows: int, queries: int = 25) -> None:
    """Vectors.nearest (BLAS matrix-vector product, argpartition) against search.Searcher on the
    same memory-mapped cache, in this process, one query at a time, interleaved."""
    from w2vcli import cache
    from w2vcli.search import Searcher

    vectors = cache.load(model)
    searcher = Searcher(vectors)
    times = {"Vectors.nearest": [], "Searcher.nearest": []}
    for i in range(queries + 3):
        word = f"w{i * 39_989 % rows}"
        for name, call in (("Vectors.nearest", lambda: vectors.nearest(word, 10)),
                           ("Searcher.nearest", lambda: searcher.nearest([word], 10))):
            start = time.perf_counter()
            call()
            if i >= 3:
                times[name].append(time.perf_counter() - start)
    print(f"in-process, {queries} nearest queries (n=10) each, interleaved: " + "; ".join(
        f"{name} p50 {percentile(t, .5) * 1000:.1f} ms (min {min(t) * 1000:.1f}, max {max(t) * 1000:.1f})"
        for name, t in times.items()), flush=True)


def start_server(model: str):
    command = [str(Path(sys.executable).parent / "w2v"), "serve", "-m", model, "--port", "0"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    url = process.stdout.readline().decode().strip()
    if not url:
        process.kill()
        sys.exit("serve_load: the server did not start")
    return process, url, " ".join(command), time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--make", metavar="ROWSxDIM", help="write MODEL with random vectors first, if missing")
    p.add_argument("--url", help="an already-running server on loopback (default: start one)")
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mix", help="other weights, e.g. unknown=0,words=40")
    p.add_argument("--no-inprocess", action="store_true", help="skip the in-process Vectors vs Searcher timing")
    args = p.parse_args(argv)
    if args.mix:
        weights = dict(MIX) | {k: int(v) for k, v in (kv.split("=") for kv in args.mix.split(","))}
        MIX[:] = [(k, weights[k]) for k, _ in MIX]
    if not (1 <= args.clients <= MAX_CLIENTS and 0 < args.seconds <= MAX_SECONDS):
        sys.exit(f"serve_load: at most {MAX_CLIENTS} clients and {MAX_SECONDS} s")
    if args.make and not os.path.exists(args.model):
        from benchmarks.query_speed import make_file

        rows, dim = map(int, args.make.lower().split("x"))
        print(f"writing {rows:,} x {dim} random vectors to {args.model}", flush=True)
        make_file(args.model, rows, dim)
    with open(args.model, "rb") as f:
        rows = int(f.readline().split()[0])

    print(f"Command: python -m benchmarks.serve_load --model {args.model} --clients {args.clients} "
          f"--seconds {args.seconds:g}" + (f" --make {args.make}" if args.make else "")
          + (f" --mix {args.mix}" if args.mix else ""), flush=True)
    if not args.no_inprocess:
        inprocess(args.model, rows)
    process, command, started = None, None, None
    url = args.url
    if url is None:
        process, url, command, started = start_server(args.model)
    host, port = urlsplit(url).hostname, urlsplit(url).port
    if not ip_address(socket.gethostbyname(host)).is_loopback:
        sys.exit("serve_load: loopback only")
    try:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        idle_client, idle_server = [], []
        for i in range(40):  # the idle server, one query at a time
            start = time.perf_counter()
            conn.request("GET", f"/api/nearest?word=w{i * 24_989 % rows}&n=10")
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            if i >= 5:  # after the first few: pages of the matrix in memory, kernel loaded
                idle_client.append(time.perf_counter() - start)
                idle_server.append(server_time(response))
        conn.close()

        results = defaultdict(list)
        stop, slow = threading.Event(), {}
        slow_thread = threading.Thread(target=slow_client, args=(host, port, stop, slow), daemon=True)
        slow_thread.start()
        deadline = time.perf_counter() + args.seconds
        clients = [Client(host, port, rows, deadline, args.seed * 100_003 + i, results) for i in range(args.clients)]
        began = time.perf_counter()
        for c in clients:
            c.start()
        for c in clients:
            c.join(args.seconds + 180)
        elapsed = time.perf_counter() - began
        stop.set()
        slow_thread.join(10)
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)

    if command:
        print(f"Server: {command.replace(str(Path(sys.executable).parent) + '/', '')} "
              f"(listening {started:.1f} s after it started: load through the cache, int8 codes, prefix index)")
    print(f"\nidle server, nearest (n=10), {len(idle_client)} queries one at a time: "
          f"p50 {percentile(idle_client, .5) * 1000:.1f} ms at the client, "
          f"{percentile(idle_server, .5):.1f} ms at the server (p99 {percentile(idle_server, .99):.1f} ms)\n")
    every = [r for kind in results for r in results[kind]]
    print(f"| queries ({args.clients} clients, {elapsed:.1f} s) | answered | errors | p50 ms | p99 ms | server p50 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, weight in MIX:
        rs = results[kind]
        if not weight:
            continue
        lat = [r[0] * 1000 for r in rs]
        srv = [r[2] for r in rs if r[2] is not None]
        print(f"| {kind} | {sum(r[1] for r in rs):,} | {sum(not r[1] for r in rs)} | {percentile(lat, .5):.0f} | "
              f"{percentile(lat, .99):.0f} | {percentile(srv, .5):.1f} |")
    lat = [r[0] * 1000 for r in every]
    print(f"| all | {sum(r[1] for r in every):,} | {sum(not r[1] for r in every)} | {percentile(lat, .5):.0f} | "
          f"{percentile(lat, .99):.0f} | |")
    print(f"\nthroughput {len(every) / elapsed:.1f} requests/s; errors {sum(not r[1] for r in every)}; "
          f"slow client: " + (f"held its half-sent request open {slow['held_s']:.0f} s" if "held_s" in slow
                              else f"dropped {slow.get('dropped', '?')}"))


if __name__ == "__main__":
    main()
