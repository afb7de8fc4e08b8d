"""Side-by-side training benchmark: w2v vs the original word2vec.c vs gensim, same corpus,
same hyperparameters, same threads, runs interleaved (ours, C, gensim, ours, C, ...).

    python -m benchmarks.train_speed --corpus ../shared/corpora/text8_prefix --repeat 3

Needs the bench extras (``pip install -e '.[bench]'``: gensim, and the `word2vec` package,
which builds word2vec.c). Prints one markdown table of medians: wall seconds (start to
written file), words/s (epochs x corpus tokens / wall), peak RSS, analogy accuracy
(questions-words, top 30k words, compute-accuracy protocol), WordSim353 Spearman, and
our throughput ratio to each peer.
"""

import argparse
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from w2vcli.evaluate import analogies, word_pairs
from w2vcli.vectors import Vectors

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
BIN = Path(sys.executable).parent
SEEDED_C = None  # built on demand by seeded_c_tool()

CONFIGS = {
    "sg-ns": dict(model="skipgram", dim=100, negative=5, hs=0),
    "cbow-ns": dict(model="cbow", dim=100, negative=5, hs=0),
    "sg-hs": dict(model="skipgram", dim=100, negative=0, hs=1),
    "cbow-hs": dict(model="cbow", dim=100, negative=0, hs=1),
    "sg-ns-300": dict(model="skipgram", dim=300, negative=15, hs=0),
}
COMMON = dict(window=5, sample=1e-3, min_count=5, epochs=5)

GENSIM_SCRIPT = """
import sys
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
mode, corpus, out, sg, dim, window, negative, hs, sample, min_count, epochs, alpha, threads, seed = sys.argv[1:]
kw = dict(sg=int(sg), vector_size=int(dim), window=int(window), negative=int(negative), hs=int(hs),
          sample=float(sample), min_count=int(min_count), epochs=int(epochs), alpha=float(alpha),
          min_alpha=float(alpha) * 1e-4, workers=int(threads), seed=int(seed))
if mode == "file":
    model = Word2Vec(corpus_file=corpus, **kw)
else:
    model = Word2Vec(LineSentence(corpus), **kw)
model.wv.save_word2vec_format(out, binary=True)
"""


SEED_LINE = "unsigned long long next_random = (long long)id;"


def seeded_c_tool(tmp):
    """word2vec.c with one line changed so that its thread seeds take $CSEED into account.

    word2vec.c seeds thread i with i, so every run follows the same random stream and its
    scores are one draw, not a distribution. To compare with w2v over seeds, this builds the
    C source shipped in the `word2vec` package with that line alone changed, and the
    package's own compiler flags. Nothing of it is kept.
    """
    import word2vec

    source = Path(word2vec.__file__).parent / "includes" / "word2vec.c"
    text = source.read_text()
    if SEED_LINE not in text:
        raise SystemExit(f"cannot find the seed line in {source}")
    patched = Path(tmp) / "word2vec_seeded.c"
    patched.write_text(text.replace(SEED_LINE, "unsigned long long next_random = (long long)id"
                                    ' + 7919ULL * (unsigned long long)atoll(getenv("CSEED") ? getenv("CSEED") : "0");'))
    binary = Path(tmp) / "word2vec_seeded"
    subprocess.run(["gcc", str(patched), "-o", str(binary), "-lm", "-pthread", "-O3", "-march=native",
                    "-funroll-loops", "-Wno-unused-result"], check=True)
    return binary


def alpha_of(cfg):
    return 0.05 if cfg["model"] == "cbow" else 0.025


def command(tool, cfg, corpus, out, threads, seed):
    """The command line for one run; w2v and gensim take ``seed``, word2vec.c has no seed option."""
    c = {**COMMON, **cfg}
    if tool == "w2v-1thread":  # for thread scaling: the same run on one thread
        tool, threads = "w2v", 1
    if tool == "w2v":
        return [str(BIN / "w2v"), "train", corpus, "-o", out, "--model", c["model"], "--dim", c["dim"],
                "--window", c["window"], "--negative", c["negative"], "--hs" if c["hs"] else "--no-hs",
                "--sample", c["sample"], "--min-count", c["min_count"], "--epochs", c["epochs"],
                "--alpha", alpha_of(c), "--threads", threads, "--seed", seed]
    if tool.startswith("word2vec.c"):
        exe = SEEDED_C if tool == "word2vec.c-seeded" else BIN / "word2vec"
        return ["env", f"CSEED={seed}", str(exe), "-train", corpus, "-output", out, "-cbow", int(c["model"] == "cbow"),
                "-size", c["dim"], "-window", c["window"], "-negative", c["negative"], "-hs", c["hs"],
                "-sample", c["sample"], "-min-count", c["min_count"], "-iter", c["epochs"],
                "-alpha", alpha_of(c), "-threads", threads, "-binary", 1, "-debug", 0]
    mode = "file" if tool == "gensim-file" else "iter"
    if mode == "file":
        corpus = lines_copy(corpus, out + ".lines")
    return [sys.executable, "-c", GENSIM_SCRIPT, mode, corpus, out, int(c["model"] == "skipgram"), c["dim"],
            c["window"], c["negative"], c["hs"], c["sample"], c["min_count"], c["epochs"], alpha_of(c), threads, seed]


def lines_copy(corpus, path, words_per_line=10_000):
    """gensim's corpus_file mode reads at most 10,000 words of a line and drops the rest, which
    on one-line corpora such as text8 trains on almost nothing: give it the same words cut into
    10,000-word lines (what its LineSentence iterator does on the fly)."""
    if not os.path.exists(path):
        with open(corpus, "rb") as f:
            words = f.read().split()
        with open(path, "wb") as f:
            for i in range(0, len(words), words_per_line):
                f.write(b" ".join(words[i : i + words_per_line]) + b"\n")
    return path


TIME = "/usr/bin/time"  # GNU time: reports the peak RSS of the tool alone (see run)


def run(cmd):
    """Run a command; (wall seconds, peak RSS MiB, stderr) measured for that child alone.

    A child forked from this process starts with this process's memory in its peak RSS
    (~380 MB once evaluation has loaded vectors), so the peak comes from GNU time, which is
    small when it forks the tool; without it, from wait4, a floor rather than the figure.
    """
    cmd = [str(x) for x in cmd]
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        timed = [TIME, "-f", "%M", "-o", rss.name, *cmd] if os.path.exists(TIME) else cmd
        start = time.perf_counter()
        proc = subprocess.Popen(timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        reported = rss.read().split()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {shlex.join(cmd)}\n{stderr.decode(errors='replace')[-2000:]}")
    peak_kb = int(reported[-1]) if reported and reported[-1].isdigit() else usage.ru_maxrss
    return wall, peak_kb / 1024, stderr.decode(errors="replace")


def quality(path, eval_dir):
    vectors = Vectors.load(path)
    acc = analogies(vectors, str(eval_dir / "questions-words.txt"), restrict=30_000).overall.accuracy * 100
    ws = word_pairs(vectors, str(eval_dir / "wordsim353.tsv")).spearman
    return acc, ws


def count_tokens(corpus):
    n = 0
    with open(corpus, "rb") as f:
        while block := f.read(1 << 24):
            n += len(block.split())
    return n


def machine():
    cpu = "unknown CPU"
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default=str(SHARED / "corpora" / "text8_prefix"))
    p.add_argument("--eval-dir", default=str(SHARED / "eval"))
    p.add_argument("--configs", default=",".join(CONFIGS), help=f"comma list of {','.join(CONFIGS)}")
    p.add_argument("--tools", default="w2v,w2v-1thread,word2vec.c,gensim,gensim-file",
                   help="w2v, w2v-1thread, word2vec.c, word2vec.c-seeded (see seeded_c_tool), gensim, gensim-file")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--markdown", help="also write the table to this file")
    args = p.parse_args(argv)
    if not os.path.exists(args.corpus):
        raise SystemExit(f"corpus {args.corpus} not found (the benchmark needs ../shared/corpora or --corpus)")
    configs = args.configs.split(",")
    tools = args.tools.split(",")
    tokens = count_tokens(args.corpus)
    results = {}  # (config, tool) -> list of (wall, rss, acc, ws, startup)
    global SEEDED_C
    cores_before = compute_scaling()
    with tempfile.TemporaryDirectory() as tmp:
        if "word2vec.c-seeded" in tools:
            SEEDED_C = seeded_c_tool(tmp)
        compile_s = warm_numba_cache(configs, args.corpus, tmp) if "w2v" in tools or "w2v-1thread" in tools else None
        for rep in range(args.repeat):
            for name in configs:
                if "w2v-1thread" in tools:  # what the machine's cores give right now, next to the scaling runs
                    results.setdefault((name, "machine"), []).append(compute_scaling())
                    results.setdefault((name, "machine-rows"), []).append(row_scaling())
                for tool in tools:
                    out = os.path.join(tmp, f"{name}-{tool}.bin")
                    cmd = command(tool, CONFIGS[name], args.corpus, out, args.threads, seed=rep + 1)
                    wall, rss, stderr = run(cmd)
                    acc, ws = quality(out, Path(args.eval_dir))
                    m = re.search(r"trained [\d,]+ words in ([\d.]+) s", stderr)
                    trained = float(m.group(1)) if m else None
                    startup = wall - trained if m else None
                    results.setdefault((name, tool), []).append((wall, rss, acc, ws, startup, trained))
                    print(f"[{rep + 1}/{args.repeat}] {name:10s} {tool:12s} {wall:7.1f} s  {rss:7.0f} MiB  "
                          f"analogy {acc:5.2f}%  ws353 {ws:.3f}", file=sys.stderr, flush=True)
    table = render(results, configs, tools, tokens, args, (cores_before, compute_scaling()), compile_s)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table)


def warm_numba_cache(configs, corpus, tmp):
    """Train each config once on the corpus's first 200 kB, so that the timed runs load the
    kernels from Numba's on-disk cache as every run after the first does; returns the
    seconds of the first of these runs (with the compile, if the cache was empty)."""
    tiny = os.path.join(tmp, "warm.txt")
    with open(corpus, "rb") as f, open(tiny, "wb") as out:
        out.write(f.read(200_000))
    walls = [run(command("w2v", CONFIGS[name], tiny, tiny + ".bin", 2, seed=1))[0] for name in configs]
    return walls[0]


def compute_scaling(n=40_000_000):
    """How much faster two threads do a fixed amount of pure arithmetic than one, right now: 2.0
    when both cores are ours, less when another tenant of the host is using one. Measured
    before and after the runs, and before each config's pair of w2v runs (2 threads, 1 thread):
    no program scales better than this at the same moment."""
    import threading

    import numpy as np
    from numba import njit

    @njit(nogil=True, fastmath=True)
    def spin(a, n):
        for _ in range(n):
            for c in range(a.shape[0]):
                a[c] = a[c] * np.float32(0.999) + np.float32(0.001)
        return a[0]

    def timed(threads):
        arrays = [np.ones(128, np.float32) for _ in range(threads)]
        pool = [threading.Thread(target=spin, args=(a, n // threads)) for a in arrays]
        start = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return time.perf_counter() - start  # the same work split over `threads`

    spin(np.ones(128, np.float32), 1)
    return statistics.median(timed(1) / timed(2) for _ in range(3))


def row_scaling(rows=80_000, width=112, n=16_000_000):
    """As compute_scaling, for random updates of 448-byte rows of one 36 MB matrix that the
    threads share (w2v's access pattern without its arithmetic): drops below 2.0 when the
    host's memory system is busy, even when the arithmetic check does not."""
    import threading

    import numpy as np
    from numba import njit

    @njit(nogil=True, fastmath=True)
    def touch(m, seed, n):
        state = np.uint64(seed)
        for _ in range(n):
            state = state * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
            r = m[np.int64(state >> np.uint64(33)) % m.shape[0]]
            for c in range(r.shape[0]):
                r[c] = r[c] * np.float32(0.999) + np.float32(0.001)

    def timed(threads):
        shared = np.ones((rows, width), np.float32)
        pool = [threading.Thread(target=touch, args=(shared, i + 1, n // threads)) for i in range(threads)]
        start = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return time.perf_counter() - start

    touch(np.ones((2, width), np.float32), 1, 1)
    return statistics.median(timed(1) / timed(2) for _ in range(3))


TARGETS = {  # issue "Speed": w2v's throughput over each peer's, at least
    ("sg-ns", "word2vec.c"): 5.0, ("sg-ns", "gensim"): 2.5, ("sg-ns", "gensim-file"): 2.5,
    ("sg-ns-300", "word2vec.c"): 4.0, ("cbow-ns", "word2vec.c"): 3.0,
    ("sg-hs", "word2vec.c"): 2.0, ("cbow-hs", "word2vec.c"): 2.0,
}
SCALING_TARGET = 1.8


def render(results, configs, tools, tokens, args, cores, compile_s=None):
    epochs = COMMON["epochs"]
    lines = [
        f"Machine: {machine()}; two threads of pure arithmetic ran {cores[0]:.2f}x one thread before the runs, "
        f"{cores[1]:.2f}x after (2.00 = both cores free)",
        f"Corpus: {args.corpus} ({tokens:,} tokens), {epochs} epochs, window 5, sample 1e-3, min-count 5, "
        f"{args.threads} threads; medians of {args.repeat} interleaved runs (w2v, gensim and "
        f"word2vec.c-seeded with seeds 1..{args.repeat}; word2vec.c has no seed option).",
        (f"Numba's cache was filled before the timed runs (the first w2v run took {compile_s:.1f} s on a "
         "200 kB corpus); start-up below is that of every later run." if compile_s is not None else ""),
        f"Command: python -m benchmarks.train_speed --corpus {args.corpus} --configs {args.configs} "
        f"--tools {args.tools} --threads {args.threads} --repeat {args.repeat}",
        "",
        "| config | tool | wall s | words/s | peak RSS MiB | analogy % (top 30k) | WS353 rho | start-up s | training s "
        "| w2v speed-up |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in configs:
        ours = statistics.median(r[0] for r in results.get((name, "w2v"), [(float("nan"),)]))
        for tool in tools:
            rows = results[(name, tool)]
            wall = _median_wall(results, name, tool)
            startups = [r[4] for r in rows if r[4] is not None]
            startup = f"{statistics.median(startups):.1f}" if startups else ""
            trains = [r[5] for r in rows if r[5] is not None]
            trained = f"{statistics.median(trains):.1f}" if trains else ""
            ratio = "" if tool == "w2v" else f"{wall / ours:.2f}x"
            lines.append(
                f"| {name} | {tool} | {wall:.1f} | {epochs * tokens / wall / 1e3:,.0f}k | "
                f"{statistics.median(r[1] for r in rows):,.0f} | {statistics.median(r[2] for r in rows):.2f} | "
                f"{statistics.median(r[3] for r in rows):.3f} | {startup} | {trained} | {ratio} |"
            )
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    for (name, tool), target in TARGETS.items():
        if (name, "w2v") in results and (name, tool) in results:
            ratio = _median_wall(results, name, tool) / _median_wall(results, name, "w2v")
            lines.append(f"| {name}: w2v >= {target}x {tool} | {ratio:.2f}x | {'yes' if ratio >= target else 'no'} |")
    for name in configs:
        if (name, "w2v-1thread") in results and (name, "w2v") in results:
            pairs = list(zip(results[(name, "w2v-1thread")], results[(name, "w2v")]))  # same repeat: run back to back
            train = statistics.median(one[5] / two[5] for one, two in pairs)
            whole = statistics.median(one[0] / two[0] for one, two in pairs)
            arith, rows = results[(name, "machine")], results[(name, "machine-rows")]
            lines.append(f"| {name}: {args.threads} threads >= {SCALING_TARGET}x one thread (training; whole command; "
                         f"at the same moments, pure arithmetic and random row updates: median, lowest) "
                         f"| {train:.2f}x; {whole:.2f}x; {statistics.median(arith):.2f}x, {min(arith):.2f}x; "
                         f"{statistics.median(rows):.2f}x, {min(rows):.2f}x | {'yes' if train >= SCALING_TARGET else 'no'} |")
        if (name, "word2vec.c") in results and (name, "w2v") in results:
            ours, theirs = _median_wall(results, name, "w2v"), _median_wall(results, name, "word2vec.c")
            lines.append(f"| {name}: whole command below word2vec.c's | {ours:.1f} s vs {theirs:.1f} s "
                         f"| {'yes' if ours < theirs else 'no'} |")
    return "\n".join(lines) + "\n"


def _median_wall(results, name, tool):
    return statistics.median(r[0] for r in results[(name, tool)])


if __name__ == "__main__":
    main()
