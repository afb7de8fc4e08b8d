"""Vector quality side by side: word2vec.c, gensim, fastText (no subwords) and w2v's models,
same corpus, same budget (dim 100, negative 5, sample 1e-3, 5 epochs, min-count 5, 2 threads),
several seeds each, runs interleaved seed by seed (C, gensim, fastText, w2v, ...).

    python -m benchmarks.quality --corpus ../shared/corpora/text8_prefix --seeds 1,2,3 [--windows 5,10]

Columns: analogy accuracy (questions-words, top 30k words, compute-accuracy's protocol),
WordSim353 and SimLex-999 (Spearman), as mean ± sd over the seeds, and the median wall
seconds of the whole command (start to written file). word2vec.c is built from the `word2vec`
package's source with its thread seeds taken from $CSEED (benchmarks.train_speed.seeded_c_tool);
fastText is built from its PyPI source (0.9.3), run with -minn 0 -maxn 0 (whole words only).
Peers also run at the learning rate of w2v's recommended command (0.075), where it differs
from theirs, so that the lead is counted against the better of the two; skip-gram peers too,
since --joint-skipgram trains skip-gram's pairs at that rate (and at 0.05, fastText's rate,
beside w2v's skip-gram rows at 0.05).
"""

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from benchmarks.train_speed import seeded_c_tool
from w2vcli import cache
from w2vcli.evaluate import analogies, word_pairs

BIN = Path(sys.executable).parent
EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
FASTTEXT_VERSION = "0.9.3"
RECOMMENDED = ["--model", "cbow", "--position-weights"]  # README's CBOW command: + --joint-skipgram --add-context
OUR_ALPHA = 0.075  # the learning rate of the recommended command (hogwild.RETUNED_ALPHA)
SG_ALPHA = 0.05  # fastText's skip-gram rate, which w2v's --add-context rows use: peers at it too
COMMON = dict(dim=100, negative=5, sample=1e-3, epochs=5, min_count=5, threads=2)

GENSIM = """
import sys
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
corpus, out, sg, alpha, window, seed, threads, plus = sys.argv[1:]
model = Word2Vec(LineSentence(corpus), sg=int(sg), vector_size=100, window=int(window), negative=5, hs=0,
                 sample=1e-3, min_count=5, epochs=5, alpha=float(alpha), min_alpha=float(alpha) * 1e-4,
                 workers=int(threads), seed=int(seed))
if plus == "1":  # each word's unit input vector plus its unit output vector, as w2v's --add-context
    import numpy as np
    unit = lambda m: m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    model.wv.vectors = (unit(model.wv.vectors) + unit(model.syn1neg)).astype(np.float32)
model.wv.save_word2vec_format(out, binary=True)
"""


def rows(window: int) -> dict[str, tuple[str, list]]:
    """label -> (tool, arguments): every row of the table at one window."""
    w = str(window)
    table = {
        "word2vec.c SG": ("c", ["-cbow", "0", "-alpha", "0.025", "-window", w]),
        "word2vec.c CBOW": ("c", ["-cbow", "1", "-alpha", "0.05", "-window", w]),
        f"word2vec.c CBOW, alpha {OUR_ALPHA}": ("c", ["-cbow", "1", "-alpha", str(OUR_ALPHA), "-window", w]),
        f"word2vec.c SG, alpha {SG_ALPHA}": ("c", ["-cbow", "0", "-alpha", str(SG_ALPHA), "-window", w]),
        f"word2vec.c SG, alpha {OUR_ALPHA}": ("c", ["-cbow", "0", "-alpha", str(OUR_ALPHA), "-window", w]),
        "gensim SG": ("gensim", ["1", "0.025", w]),
        f"gensim SG, alpha {SG_ALPHA}": ("gensim", ["1", str(SG_ALPHA), w]),
        f"gensim SG, alpha {OUR_ALPHA}": ("gensim", ["1", str(OUR_ALPHA), w]),
        f"gensim SG, alpha {SG_ALPHA}, W + C computed from its model": ("gensim", ["1", str(SG_ALPHA), w, "1"]),
        "gensim CBOW": ("gensim", ["0", "0.05", w]),
        f"gensim CBOW, alpha {OUR_ALPHA}": ("gensim", ["0", str(OUR_ALPHA), w]),
        "fastText SG": ("fasttext", ["skipgram", "-ws", w]),
        f"fastText SG, alpha {OUR_ALPHA}": ("fasttext", ["skipgram", "-ws", w, "-lr", str(OUR_ALPHA)]),
        "fastText CBOW": ("fasttext", ["cbow", "-ws", w]),
        f"fastText CBOW, alpha {OUR_ALPHA}": ("fasttext", ["cbow", "-ws", w, "-lr", str(OUR_ALPHA)]),
        "w2v SG": ("w2v", ["--window", w]),
        f"w2v SG --alpha {SG_ALPHA}": ("w2v", ["--alpha", str(SG_ALPHA), "--window", w]),
        f"w2v SG --alpha {SG_ALPHA} --add-context": ("w2v", ["--alpha", str(SG_ALPHA), "--add-context", "--window", w]),
        "w2v CBOW": ("w2v", ["--model", "cbow", "--window", w]),
        "w2v CBOW --corrected-cbow": ("w2v", ["--model", "cbow", "--corrected-cbow", "--window", w]),
        "w2v CBOW --position-weights": ("w2v", [*RECOMMENDED, "--window", w]),
        "w2v CBOW --corrected-cbow --position-weights": ("w2v", [*RECOMMENDED, "--corrected-cbow", "--window", w]),
        "w2v CBOW --position-weights --joint-skipgram": ("w2v", [*RECOMMENDED, "--joint-skipgram", "--window", w]),
        "w2v CBOW --position-weights --joint-skipgram --add-context": (
            "w2v", [*RECOMMENDED, "--joint-skipgram", "--add-context", "--window", w]),
    }
    return table


def fasttext_tool(tmp: str) -> Path:
    """fastText's command-line tool, compiled from its PyPI source distribution."""
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "-d", tmp,
                    f"fasttext=={FASTTEXT_VERSION}"], check=True)
    archive = next(Path(tmp).glob("fasttext-*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    src = next(Path(tmp).glob("fasttext-*/src"))
    binary = Path(tmp) / "fasttext"
    subprocess.run(["g++", "-std=c++17", "-O3", "-march=native", "-funroll-loops", "-pthread",
                    *map(str, sorted(src.glob("*.cc"))), "-o", str(binary)], check=True)
    return binary


def command(tool: str, args: list, corpus: str, out: str, seed: int, tools: dict) -> tuple[list, str]:
    """(the command line, the vector file it writes)."""
    if tool == "w2v":
        return [str(BIN / "w2v"), "train", corpus, "-o", out, "--seed", str(seed), "--threads",
                str(COMMON["threads"]), "-q", *args], out
    if tool == "c":
        return ["env", f"CSEED={seed}", str(tools["c"]), "-train", corpus, "-output", out, "-binary", "1",
                "-size", "100", "-negative", "5", "-hs", "0", "-sample", "1e-3", "-min-count", "5", "-iter", "5",
                "-threads", str(COMMON["threads"]), "-debug", "0", *args], out
    if tool == "gensim":
        sg, alpha, window, *plus = args
        return [sys.executable, "-c", GENSIM, corpus, out, sg, alpha, window, str(seed), str(COMMON["threads"]),
                plus[0] if plus else "0"], out
    model, *rest = args
    stem = out[: -len(".bin")]
    return [str(tools["fasttext"]), model, "-input", corpus, "-output", stem, "-dim", "100", "-neg", "5",
            "-minCount", "5", "-epoch", "5", "-t", "1e-3", "-minn", "0", "-maxn", "0", "-wordNgrams", "1",
            "-thread", str(COMMON["threads"]), "-seed", str(seed), "-verbose", "0", *rest], stem + ".vec"


def scores(path: str) -> tuple[float, float, float]:
    vectors = cache.parse(path)
    return (analogies(vectors, str(EVAL / "questions-words.txt"), 30_000).overall.accuracy * 100,
            word_pairs(vectors, str(EVAL / "wordsim353.tsv")).spearman,
            word_pairs(vectors, str(EVAL / "simlex999.txt")).spearman)


def mean_sd(values, digits):
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", required=True)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--windows", default="5,10")
    p.add_argument("--only", default="", help="a regular expression: run the rows whose label matches")
    p.add_argument("--w2v", action="append", default=[], metavar="LABEL=ARGS",
                   help="an extra w2v row, e.g. 'PDW 0.05=--model cbow --position-weights --alpha 0.05' "
                        "(--window is added); repeatable")
    p.add_argument("--prefix-words", type=int, default=None,
                   help="train on the corpus's first N words only (for the gain as a function of corpus size)")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    windows = [int(w) for w in args.windows.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        tools = {"c": seeded_c_tool(tmp), "fasttext": fasttext_tool(tmp)}
        corpus = args.corpus
        if args.prefix_words:
            corpus = os.path.join(tmp, "prefix.txt")
            with open(args.corpus, "rb") as f, open(corpus, "wb") as out:
                left = args.prefix_words
                for line in f:  # whole lines (sentences) while they fit, then part of one
                    words = line.split()[:left]
                    out.write(b" ".join(words) + b"\n")
                    left -= len(words)
                    if left <= 0:
                        break
        extra = [tuple(item.split("=", 1)) for item in args.w2v]
        plan = [(w, label, spec) for w in windows for label, spec in rows(w).items() if re.search(args.only, label)]
        plan += [(w, label, ("w2v", [*shlex.split(extra_args), "--window", str(w)])) for w in windows
                 for label, extra_args in extra]
        results = {(w, label): [] for w, label, _ in plan}
        started = time.time()
        for seed in seeds:  # seed by seed, every row: the machine's load falls on all rows alike
            for w, label, (tool, tool_args) in plan:
                out = os.path.join(tmp, "vectors.bin")
                cmd, written = command(tool, tool_args, corpus, out, seed, tools)
                t = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                wall = time.perf_counter() - t
                results[w, label].append((wall, *scores(written)))
                print(f"[{time.time() - started:6.0f} s] window {w} seed {seed} {label}: {results[w, label][-1]}",
                      file=sys.stderr, flush=True)
    print(f"Corpus: {args.corpus}" + (f", its first {args.prefix_words:,} words" if args.prefix_words else "")
          + f"; seeds {args.seeds}; dim 100, negative 5, sample 1e-3, 5 epochs, min-count 5, "
          f"{COMMON['threads']} threads.")
    print("Command: python -m benchmarks.quality " + shlex.join(argv if argv is not None else sys.argv[1:]) + "\n")
    print("| window | row | analogy % | WordSim353 | SimLex-999 | wall s (median) |")
    print("|---:|---|---:|---:|---:|---:|")
    for (w, label), runs in results.items():
        wall, analogy, ws, sl = zip(*runs)
        print(f"| {w} | {label} | {mean_sd(analogy, 2)} | {mean_sd(ws, 3)} | {mean_sd(sl, 3)} | "
              f"{statistics.median(wall):.1f} |")


if __name__ == "__main__":
    main()
