"""Memory at scale: train on a synthetic corpus far larger than the model, report peak RSS.

    python -m benchmarks.big_corpus [--tokens 1000000000] [--dim 10] [--dir /tmp]

Writes a Zipfian corpus (word ids from numpy's zipf(1.2), folded into 2,000,000 possible
words; one line, as text8) of --tokens words to --dir, then runs `w2v train` on it for one
epoch as a child process and reports its wall time, its peak resident memory (wait4's
ru_maxrss) and what the model alone needs: vocabulary x dim x 2 matrices x 4 bytes.
The corpus file is deleted afterwards. Needs about 6 bytes of disk per token, twice.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BIN = Path(sys.executable).parent
POSSIBLE_WORDS = 2_000_000


def write_corpus(path: str, tokens: int, seed: int = 0, block: int = 10_000_000) -> None:
    rng = np.random.default_rng(seed)
    words = np.array([b"w%d" % i for i in range(POSSIBLE_WORDS)], dtype=object)
    with open(path, "wb") as f:
        for start in range(0, tokens, block):
            ids = rng.zipf(1.2, min(block, tokens - start)) % POSSIBLE_WORDS
            f.write(b" ".join(words[ids].tolist()) + b" ")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokens", type=int, default=1_000_000_000)
    p.add_argument("--dim", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dir", default=tempfile.gettempdir())
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        corpus, out = os.path.join(tmp, "zipf.txt"), os.path.join(tmp, "v.bin")
        start = time.perf_counter()
        write_corpus(corpus, args.tokens)
        print(f"wrote {args.tokens:,} tokens ({os.path.getsize(corpus) / 1e9:.1f} GB) in "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
        cmd = [str(BIN / "w2v"), "train", corpus, "-o", out, "--epochs", "1", "--dim", str(args.dim),
               "--threads", str(args.threads)]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, env={**os.environ, "TMPDIR": tmp})
        stderr = proc.stderr.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(stderr[-2000:])
        vocab = int(re.search(r"vocabulary: ([\d,]+) words", stderr).group(1).replace(",", ""))
        model = vocab * args.dim * 2 * 4
        peak = usage.ru_maxrss * 1024
        summary = [line for line in stderr.splitlines() if line.startswith(("corpus:", "trained"))]
    print(f"Command: python -m benchmarks.big_corpus --tokens {args.tokens} --dim {args.dim} --threads {args.threads}")
    print(f"w2v: {' '.join(cmd[1:2])} <{args.tokens:,}-token corpus> --epochs 1 --dim {args.dim}")
    for line in summary:
        print(f"  {line}")
    print(f"wall {wall:.0f} s; peak RSS {peak / 2**20:,.0f} MiB; model (V x dim x 2 x 4 B) "
          f"{model / 2**20:,.1f} MiB for {vocab:,} words; the rest is the bounded buffers "
          f"(up to 64M ids = 256 MiB, a 16 MiB text block and its tokens, the vocabulary's dict).")


if __name__ == "__main__":
    main()
