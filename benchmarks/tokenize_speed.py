"""Tokenising speed: w2v's raw-text tokenizer against plain whitespace splitting and gensim.

    python -m benchmarks.tokenize_speed [--corpora A,B] [--repeat 5] [--no-train]

For each corpus (by default ../shared/corpora/text8_prefix, lower-case letters and spaces, and
ham_raw.txt, raw e-mail), on one core, in this process, interleaved run by run, medians of wall
time and of CPU time (the second moves less when other programs share the machine):

- ``bytes.split``: whitespace splitting alone, the floor;
- ``corpus.iter_tokens``: what ``w2v train`` reads a corpus with today (word2vec.c's rule);
- ``tokenize.iter_tokens``: the raw-text tokens for training (default options);
- ``tokenize_stream``: the ``w2v tokenize`` filter, into memory (no file writing);
- ``... --punct keep``, ``... --numbers zero``: the options that add passes;
- gensim ``simple_preprocess``, line by line on the decoded text (it takes a str, as gensim's
  corpus readers give it).

Then, unless --no-train, one ``w2v train`` (defaults: skip-gram, 5 epochs, all cores) of the
tokenised corpus, whole command: the raw megabytes it gets through per second is the rate a
tokenizer in front of training has to beat not to be the slow part.
"""

import argparse
import gzip
import io
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from w2vcli import corpus, tokenize

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
BIN = Path(sys.executable).parent
DEFAULT_CORPORA = [SHARED / "corpora" / "text8_prefix", SHARED / "corpora" / "ham_raw.txt"]


def methods(data: bytes) -> dict:
    def tokens_of(blocks):
        return sum(len(b) for b in blocks)

    def tokenizer(**options):
        opts = tokenize.TokenizeOptions(**options)
        return lambda: tokens_of(tokenize.iter_tokens(io.BytesIO(data), opts))

    def gensim_simple_preprocess():
        from gensim.utils import simple_preprocess

        return sum(len(simple_preprocess(line)) for line in data.decode("utf-8", "replace").splitlines())

    return {
        "bytes.split": lambda: len(data.split()),
        "corpus.iter_tokens (w2v train today)": lambda: tokens_of(corpus.iter_tokens(io.BytesIO(data))),
        "tokenize.iter_tokens (for training)": tokenizer(),
        "tokenize_stream (w2v tokenize)": lambda: tokenize.tokenize_stream(io.BytesIO(data), io.BytesIO()).tokens,
        "tokenize.iter_tokens --punct keep": tokenizer(punct="keep"),
        "tokenize.iter_tokens --numbers zero": tokenizer(numbers="zero"),
        "gensim simple_preprocess": gensim_simple_preprocess,
    }


def machine():
    cpu = "unknown CPU"
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores, {cpu}, {system}"


def training_rate(path: Path, megabytes: float) -> tuple[float, float]:
    """Seconds of one default `w2v train` on the tokenised corpus, and raw MB it gets through per second."""
    with tempfile.TemporaryDirectory() as tmp:
        tokens = os.path.join(tmp, "tokens.txt")
        subprocess.run([BIN / "w2v", "tokenize", path, "-o", tokens, "-q"], check=True)
        start = time.perf_counter()
        subprocess.run([BIN / "w2v", "train", tokens, "-o", os.path.join(tmp, "v.bin"), "-q"], check=True)
        seconds = time.perf_counter() - start
    return seconds, megabytes / seconds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpora", default=",".join(map(str, DEFAULT_CORPORA)), help="comma list of files")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--no-train", action="store_true", help="skip timing w2v train on each corpus")
    args = p.parse_args(argv)
    print(f"Machine: {machine()}")
    arguments = " ".join(argv if argv is not None else sys.argv[1:])
    print(f"Command: python -m benchmarks.tokenize_speed {arguments}".rstrip())
    tokenize._patterns()  # the Unicode tables, built once per process (~0.3 s)
    rows = []
    for path in map(Path, args.corpora.split(",")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            data = f.read()
        megabytes = len(data) / 1e6
        runs = {name: [] for name in methods(data)}
        cpu = {name: [] for name in methods(data)}
        counts = {}
        for _ in range(args.repeat):  # interleaved: a busy moment of the machine hits every method alike
            for name, fn in methods(data).items():
                start, start_cpu = time.perf_counter(), time.process_time()
                counts[name] = fn()
                runs[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
        for name, times in runs.items():
            median, median_cpu = statistics.median(times), statistics.median(cpu[name])
            rows.append((path.name, megabytes, name, f"{counts[name]:,}", median, megabytes / median,
                         f"{megabytes / median_cpu:.1f}", ", ".join(f"{t:.3f}" for t in times)))
        if not args.no_train:
            seconds, rate = training_rate(path, megabytes)
            rows.append((path.name, megabytes, "w2v train on its tokens (whole command, all cores)", "", seconds,
                         rate, "", f"{seconds:.2f}"))
    print()
    print("| corpus | MB | method | tokens | median s | MB/s | MB/s of CPU time | runs (s) |")
    print("|---|---:|---|---:|---:|---:|---:|---|")
    for name, megabytes, method, count, median, rate, cpu_rate, times in rows:
        print(f"| {name} | {megabytes:.1f} | {method} | {count} | {median:.3f} | {rate:.1f} | {cpu_rate} | {times} |")


if __name__ == "__main__":
    main()
