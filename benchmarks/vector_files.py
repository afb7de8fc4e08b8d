"""Pretrained vector files as people download them: time and peak memory, w2v beside gensim.

    python -m benchmarks.vector_files [--dir /tmp/w2v-vector-files] [--repeat 3] [--gensim-repeat 3] [--scale 1.0]

Makes (once, kept in --dir) the files of issue 13 with random vectors and word-like keys:
a GloVe-style text file of 1M x 300 without a header (2.9 GB), a GoogleNews-size binary file
of 3M x 300 (3.6 GB) and its gzip. Each measurement is a fresh process under
``/usr/bin/time -v`` (wall seconds, peak RSS); w2v's and gensim's runs alternate, and the
table shows medians of --repeat (gensim's of --gensim-repeat: writing 3M rows as text takes it
about 10 minutes a run). The target is peak RSS at most 1.25 x (the float32 matrix
plus the words), shown as the last column. --scale shrinks the files (0.1: 100k x 300 and
300k x 300) for a quick look.
"""

import argparse
import gzip
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

BIN = Path(sys.executable).parent
W2V = str(BIN / "w2v")
GENSIM = """
import sys
from gensim.models import KeyedVectors
path, binary, header, word, out = sys.argv[1:]
kv = KeyedVectors.load_word2vec_format(path, binary=binary == "1", no_header=header == "0")
if out != "-":
    kv.save_word2vec_format(out, binary=False)
else:
    print(kv.most_similar(word, topn=10)[0])
"""


def words(n: int, rng) -> list[bytes]:
    """Word-like keys: 3 to 14 letters, phrases with '_' now and then, made unique by a number."""
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", np.uint8)
    lengths = rng.integers(3, 15, n)
    chars = letters[rng.integers(0, 26, int(lengths.sum()))].tobytes()
    out, at = [], 0
    for i, length in enumerate(lengths.tolist()):
        out.append(chars[at : at + length] + (b"_%d" % i if i % 7 == 0 else b"%d" % i))
        at += length
    return out


def make_files(directory: Path, scale: float) -> dict[str, tuple[Path, int, int, bool, bool]]:
    """name -> (path, rows, dim, binary, header)."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    text_rows, bin_rows, dim = int(1_000_000 * scale), int(3_000_000 * scale), 300
    files = {"GloVe-style text, no header": (directory / f"glove-{text_rows}.txt", text_rows, dim, False, False),
             "GoogleNews-size binary": (directory / f"news-{bin_rows}.bin", bin_rows, dim, True, True),
             "GoogleNews-size binary, gzip": (directory / f"news-{bin_rows}.bin.gz", bin_rows, dim, True, True)}
    glove, news, packed = (f[0] for f in files.values())
    if not glove.exists():
        keys = words(text_rows, rng)
        with open(glove.with_suffix(".part"), "wb") as f:
            for start in range(0, text_rows, 20000):
                block = rng.standard_normal((min(20000, text_rows - start), dim)).astype(np.float32) * 0.4
                text = np.char.mod("%.5f", block)  # GloVe writes 5-6 decimals
                f.write(b"".join(k + b" " + " ".join(row).encode() + b"\n"
                                 for k, row in zip(keys[start : start + len(block)], text.tolist())))
        os.replace(glove.with_suffix(".part"), glove)
    if not news.exists():
        keys = words(bin_rows, rng)
        with open(news.with_suffix(".part"), "wb") as f:
            f.write(b"%d %d\n" % (bin_rows, dim))
            for start in range(0, bin_rows, 50000):
                block = rng.standard_normal((min(50000, bin_rows - start), dim)).astype("<f4") * 0.1
                f.write(b"".join(k + b" " + row.tobytes() for k, row in zip(keys[start : start + len(block)], block)))
        os.replace(news.with_suffix(".part"), news)
    if not packed.exists():
        with open(news, "rb") as src, gzip.open(packed.with_suffix(".part"), "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst, 16 << 20)
        os.replace(packed.with_suffix(".part"), packed)
    return files


def measure(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in GB) of one process, from GNU time."""
    r = subprocess.run(["/usr/bin/time", "-v", *map(str, command)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, command))}\n{r.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", r.stderr)
    seconds = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) * 1024 / 1e9
    return seconds, rss


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", default="/tmp/w2v-vector-files")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--gensim-repeat", type=int, help="runs of gensim's commands (default: --repeat)")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--skip-gensim", action="store_true")
    args = p.parse_args(argv)
    gensim_repeat = args.repeat if args.gensim_repeat is None else min(args.gensim_repeat, args.repeat)
    files = make_files(Path(args.dir), args.scale)
    out = Path(args.dir) / "converted.txt"
    rows_out = []
    for name, (path, rows, dim, binary, header) in files.items():
        word = subprocess.run([W2V, "info", path, "--json"], capture_output=True, text=True, check=True)
        first = re.search(r'"first_words": \["([^"]+)"', word.stdout).group(1)
        budget = 1.25 * (rows * dim * 4 + rows * 60) / 1e9  # the matrix and ~60 bytes a word
        runs = {
            "w2v info": [W2V, "info", path],
            "w2v nearest, no cache (parse + query)": [W2V, "nearest", first, "-m", path, "--no-cache"],
            "w2v nearest, first run (parse, build cache, query)": None,  # cache removed before each run
            "w2v nearest, cache warm": [W2V, "nearest", first, "-m", path],
            "w2v convert to text": [W2V, "convert", path, out],
        }
        if not args.skip_gensim:
            runs["gensim load + most_similar"] = [sys.executable, "-c", GENSIM, path, int(binary), int(header), first, "-"]
            runs["gensim load + save as text"] = [sys.executable, "-c", GENSIM, path, int(binary), int(header), first,
                                                  out]
        results = {k: [] for k in runs}
        for repeat in range(args.repeat):
            for label, command in runs.items():  # w2v's and gensim's runs alternate within each repeat
                if label.startswith("gensim") and repeat >= gensim_repeat:
                    continue
                if command is None:
                    shutil.rmtree(str(path) + ".w2vcache", ignore_errors=True)
                    command = [W2V, "nearest", first, "-m", path]
                results[label].append(measure(command))
        for label, values in results.items():
            wall = statistics.median(v[0] for v in values)
            rss = statistics.median(v[1] for v in values)
            rows_out.append((name, label, wall, rss, budget))
        out.unlink(missing_ok=True)
    print(f"Files: {', '.join(f'{n} {f[1]:,} x {f[2]} ({os.path.getsize(f[0]) / 1e9:.2f} GB)' for n, f in files.items())}")
    print(f"Command: python -m benchmarks.vector_files --repeat {args.repeat} --gensim-repeat {gensim_repeat} "
          f"--scale {args.scale}; medians of {args.repeat} runs of w2v's commands and {gensim_repeat} of gensim's, "
          "alternating; peak RSS from /usr/bin/time -v\n")
    print("| file | measurement | wall s | peak RSS GB | target RSS GB (1.25 x matrix + words) |")
    print("|---|---|---:|---:|---:|")
    for name, label, wall, rss, budget in rows_out:
        mark = "" if label.startswith("gensim") else (" (met)" if rss <= budget else " (MISSED)")
        print(f"| {name} | {label} | {wall:.1f} | {rss:.2f}{mark} | {budget:.2f} |")


if __name__ == "__main__":
    main()
