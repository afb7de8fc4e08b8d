"""Vector-file loading and query speed: w2v vs gensim on a synthetic 1,000,000 x 300 binary file.

    python -m benchmarks.query_speed [--rows 1000000 --dim 300 --repeat 3]

Writes the file to a temp directory (1.2 GB at the default size), then measures, interleaved
and repeated: parsing the binary file (w2v's bulk Numba parser vs gensim's
load_word2vec_format), `w2v nearest WORD` wall time as a whole process from a warm cache,
and 1,000 stdin queries through `w2v nearest` vs gensim's most_similar (timed on 50 queries,
scaled to 1,000: each is a full pass over the matrix).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from w2vcli import cache
from w2vcli.formats import write_vectors

BIN = Path(sys.executable).parent


def make_file(path, rows, dim, seed=0):
    rng = np.random.default_rng(seed)
    words = [b"w%d" % i for i in range(rows)]
    matrix = rng.standard_normal((rows, dim), dtype=np.float32)
    write_vectors(path, words, matrix, binary=True)


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    from gensim.models import KeyedVectors

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.bin")
        make_file(path, args.rows, args.dim)
        cache.parse(path)  # compile the parser once (Numba's disk cache keeps it afterwards)
        queries = "".join(f"w{i * 997 % args.rows}\n" for i in range(args.queries)).encode()
        gensim_queries = min(args.queries, 50)  # one full pass over the matrix each: a sample is enough
        t = {"w2v load (parse the binary file)": [], "gensim load_word2vec_format": [],
             "w2v nearest WORD (warm cache, whole process)": [],
             f"w2v nearest, {args.queries} stdin queries (whole process)": [],
             f"gensim most_similar, per query x {args.queries} (after load)": []}
        subprocess.run([BIN / "w2v", "nearest", "w1", "-m", path], check=True, capture_output=True)  # build cache
        for _ in range(args.repeat):
            t["w2v load (parse the binary file)"].append(timed(lambda: cache.parse(path)))
            kv = None

            def gensim_load():
                nonlocal kv
                kv = KeyedVectors.load_word2vec_format(path, binary=True)

            t["gensim load_word2vec_format"].append(timed(gensim_load))
            t["w2v nearest WORD (warm cache, whole process)"].append(timed(lambda: subprocess.run(
                [BIN / "w2v", "nearest", "w12345", "-m", path], check=True, capture_output=True)))
            t[f"w2v nearest, {args.queries} stdin queries (whole process)"].append(timed(lambda: subprocess.run(
                [BIN / "w2v", "nearest", "-m", path], input=queries, check=True, capture_output=True)))
            kv.fill_norms()
            words = queries.decode().split()[:gensim_queries]
            loaded = kv
            per_query = timed(lambda: [loaded.most_similar(w, topn=10) for w in words]) / len(words)
            t[f"gensim most_similar, per query x {args.queries} (after load)"].append(per_query * args.queries)
            kv = loaded = None
        assert isinstance(cache.load(path).vectors, np.memmap)  # the timed queries came from the cache
    print(f"File: {args.rows:,} x {args.dim} binary ({args.rows * (args.dim * 4 + 8) / 1e9:.1f} GB); "
          f"medians of {args.repeat} interleaved runs.")
    print(f"Command: python -m benchmarks.query_speed --rows {args.rows} --dim {args.dim} "
          f"--queries {args.queries} --repeat {args.repeat}\n")
    print("| measurement | seconds (median) | runs |")
    print("|---|---:|---|")
    for name, values in t.items():
        print(f"| {name} | {statistics.median(values):.2f} | {', '.join(f'{v:.2f}' for v in values)} |")
    ratio = statistics.median(t["gensim load_word2vec_format"]) / statistics.median(t["w2v load (parse the binary file)"])
    print(f"\nw2v parses the binary file {ratio:.1f}x faster than gensim.")


if __name__ == "__main__":
    main()
