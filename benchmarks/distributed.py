"""Training on a Dask cluster against one process: quality, overhead, synchronisation bytes.

    python -m benchmarks.distributed tune     # sync interval and merge rule, skip-gram, local:4, one seed
    python -m benchmarks.distributed quality  # sg and cbow, single vs local:2 vs local:4, 3 seeds, 8 shards
    python -m benchmarks.distributed overhead # local:2 x 1 thread vs --threads 2, text8_prefix x5, interleaved

The corpus is ../shared/corpora/text8_prefix (one line of 2.1M words) cut at word boundaries
into 8 shard files; every mode trains on those same files (single-process w2v reads them in
order). Scores: analogy accuracy (questions-words, top 30k words, as compute-accuracy) and
WordSim353 Spearman, from w2vcli.evaluate. Every command run is printed before its figures.
"""

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from w2vcli.evaluate import analogies, word_pairs
from w2vcli.vectors import Vectors

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "text8_prefix"
DATA = ROOT / "w2vcli" / "data"
W2V = Path(sys.executable).parent / "w2v"


def make_shards(corpus: Path, folder: Path, n: int = 8, copies: int = 1) -> str:
    """``copies`` of the corpus, cut at word boundaries into n files: a glob of them."""
    folder.mkdir(parents=True, exist_ok=True)
    pattern = folder / "shard-*.txt"
    if len(list(folder.glob("shard-*.txt"))) == n:
        return str(pattern)
    words = corpus.read_bytes().split() * copies
    for i in range(n):
        part = words[len(words) * i // n : len(words) * (i + 1) // n]
        (folder / f"shard-{i}.txt").write_bytes(b" ".join(part) + b"\n")
    return str(pattern)


def run(args: list) -> tuple[float, str]:
    cmd = [str(a) for a in args]
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, proc.stderr


def scores(path: str) -> tuple[float, float]:
    vectors = Vectors.load(path)
    return (100 * analogies(vectors, str(DATA / "questions-words.txt")).overall.accuracy,
            word_pairs(vectors, str(DATA / "wordsim353.tsv")).spearman)


def sync_figures(stderr: str) -> str:
    found = re.search(r"dask: (\d+) synchronisations, ([\d.]+) MB up and ([\d.]+) MB down each .*?, ([\d.]+) MB an epoch",
                      stderr)
    return "" if not found else (f"{found[1]} syncs, {found[2]} MB up + {found[3]} MB down per sync, "
                                 f"{found[4]} MB per epoch")


def train_cmd(shards: str, out: str, mode: str, model: str, seed: int, extra=()) -> list:
    cmd = [W2V, "train", shards, "-o", out, "--model", model, "--dim", 100, "--epochs", 5, "--seed", seed]
    if mode == "single":
        return cmd + ["--threads", 2, *extra]
    return cmd + ["--dask", mode, "--threads", 1, *extra]


def mean_sd(xs: list[float], digits: int) -> str:
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.{digits}f} ± {sd:.{digits}f}"


def tune(work: Path, seeds: list[int]) -> None:
    shards = make_shards(CORPUS, work / "shards8")
    print("| mode | sync every | merge | analogy % | WS353 | syncs and bytes | wall s |\n|---|---|---|---|---|---|---|")
    rows = [("single", None, None), ("local:4", 250_000, "sum"), ("local:4", 250_000, "mean"),
            ("local:4", 250_000, "adaptive"), ("local:4", 1_000_000, "adaptive")]
    rows += [(mode, s, "average") for mode in ("local:4", "local:2") for s in (250_000, 1_000_000, 4_000_000)]
    for mode, sync, merge in rows:
        for seed in seeds:
            out = str(work / "tune.bin")
            extra = [] if sync is None else ["--sync-every", sync]
            env_merge = {} if merge is None else {"W2V_DASK_MERGE": merge}
            os.environ.update(env_merge)
            try:
                wall, err = run(train_cmd(shards, out, mode, "skipgram", seed, extra))
            except SystemExit as e:
                print(f"| {mode} | {sync or '-'} | {merge or '-'} | {str(e).splitlines()[-1][:80]} | | | |", flush=True)
                continue
            finally:
                os.environ.pop("W2V_DASK_MERGE", None)
            acc, ws = scores(out)
            print(f"| {mode} | {sync or '-'} | {merge or '-'} | {acc:.2f} | {ws:.3f} | {sync_figures(err)} | {wall:.1f} |",
                  flush=True)


def quality(work: Path, seeds: list[int], models: list[str], modes: list[str]) -> None:
    shards = make_shards(CORPUS, work / "shards8")
    results = {}
    for model in models:
        for seed in seeds:
            for mode in modes:  # interleaved, so the machine's load falls on every mode alike
                out = str(work / "q.bin")
                wall, err = run(train_cmd(shards, out, mode, model, seed))
                acc, ws = scores(out)
                results.setdefault((model, mode), []).append((acc, ws, wall))
                print(f"  {model} {mode} seed {seed}: analogy {acc:.2f}% WS353 {ws:.3f} wall {wall:.1f}s "
                      f"{sync_figures(err)}", flush=True)
    print("\n| model | mode | analogy % (mean ± sd) | WS353 (mean ± sd) | wall s (median) |\n|---|---|---|---|---|")
    for (model, mode), rs in results.items():
        print(f"| {model} | {mode} | {mean_sd([r[0] for r in rs], 2)} | {mean_sd([r[1] for r in rs], 3)} | "
              f"{statistics.median(r[2] for r in rs):.1f} |")


def overhead(work: Path, repeats: int) -> None:
    shards = make_shards(CORPUS, work / "shards8x5", copies=5)
    walls = {"single": [], "local:2": []}
    for i in range(repeats):
        for mode in ("local:2", "single"):  # interleaved
            out = str(work / "o.bin")
            wall, err = run(train_cmd(shards, out, mode, "skipgram", 1))
            walls[mode].append(wall)
            words = re.search(r"trained ([\d,]+) words in ([\d.]+) s", err)
            rounds = re.search(r"dask: time per round: .*", err)
            print(f"  {mode} run {i + 1}: wall {wall:.1f}s, training {words[2]}s for {words[1]} words "
                  f"{sync_figures(err)}" + (f"\n    {rounds[0]}" if rounds else ""), flush=True)
    a, b = statistics.median(walls["local:2"]), statistics.median(walls["single"])
    print(f"\nmedian wall: local:2 x 1 thread {a:.1f}s, single --threads 2 {b:.1f}s: ratio {a / b:.2f}")


def touched_rows(counts, tokens: float, negative: int = 5, sample: float = 1e-3) -> tuple[float, float]:
    """Expected rows of syn0 and syn1neg that skip-gram changes in ``tokens`` tokens: a word's
    input row when it is kept (subsampling) as a context, its output row when it is a kept
    centre or drawn as one of the window's ``negative`` negatives (unigram^0.75)."""
    import numpy as np

    p = counts / counts.sum()
    keep = np.minimum(1.0, (np.sqrt(p / sample) + 1) * sample / p)
    kept = float((p * keep).sum())
    q = counts ** 0.75
    q /= q.sum()
    syn0 = float((-np.expm1(-tokens * p * keep)).sum())
    syn1neg = float((-np.expm1(-tokens * (p * keep + negative * kept * q))).sum())
    return syn0, syn1neg


def scaling(args) -> None:
    """The wall time of one epoch over a large corpus on N nodes, from measured rates."""
    import numpy as np

    vocab, dim, corpus = args.vocab, args.dim, args.tokens
    counts = 1.0 / np.arange(1, vocab + 1) ** args.zipf
    counts *= corpus / counts.sum()
    row = 4 * dim + 4  # float32 values and an int32 id
    node_rate = args.per_core * args.cores * args.efficiency
    link = args.gbit * 1e9 / 8
    model_bytes = 2 * vocab * dim * 4
    print(f"assumptions: {corpus:.0e} tokens, one epoch, vocabulary {vocab:,} (Zipf exponent {args.zipf}), "
          f"dim {dim}, skip-gram, negative 5, sample 1e-3; a node: {args.cores} cores x {args.per_core:,.0f} "
          f"words/s x {args.efficiency} = {node_rate / 1e6:.2f}M words/s; {args.gbit} Gbit/s links, the driver's "
          f"one of them; worker delta scan {args.scan_gbs} GB/s over its {model_bytes / 1e9:.1f} GB of matrices "
          f"(x2: the model and its base); driver merge {args.merge_gbs} GB/s; {args.latency * 1e3:.0f} ms of Dask "
          f"round trips a round")
    rounds = (f"{args.node_round_seconds:.0f} s of compute per node per round" if args.node_round_seconds
              else f"{args.syncs_per_epoch} synchronisations an epoch")
    print(f"\ntopology: {args.topology}, {rounds}")
    print("\n| nodes | tokens/node/round | sync every (cluster) | up/node | down/node | driver bytes/round | "
          "compute s | scan s | network s | merge s | round s | compute share | epoch hours | speed-up vs 1 node |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    one = None
    for nodes in [1] + args.nodes:
        if args.node_round_seconds:  # rounds of a fixed length
            per_node = args.node_round_seconds * node_rate
            sync = per_node * nodes
        else:  # w2v's default: 16 synchronisations an epoch
            sync = corpus / args.syncs_per_epoch
            per_node = sync / nodes
        rows0, rows1 = touched_rows(counts, per_node)
        union0, union1 = touched_rows(counts, sync)
        up, down = (rows0 + rows1) * row, (union0 + union1) * row
        if nodes == 1:
            up = down = 0.0
        compute = per_node / node_rate
        scan = 2 * model_bytes / (args.scan_gbs * 1e9)
        if args.topology == "star":  # as built: every node to the driver and back
            network = max(nodes * up, nodes * down) / link  # the driver sends and receives at once
            merge = nodes * up / (args.merge_gbs * 1e9)
        else:  # not built: a ring all-reduce of the changed rows, each node reducing 1/N of them
            network = 2 * (nodes - 1) / nodes * max(up, down) / link
            merge = up / (args.merge_gbs * 1e9)
        round_s = compute + scan + network + merge + args.latency
        hours = corpus / sync * round_s / 3600
        one = one or hours
        print(f"| {nodes} | {per_node / 1e6:.0f}M | {sync / 1e6:,.0f}M | {up / 1e9:.2f} GB | {down / 1e9:.2f} GB | "
              f"{nodes * (up + down) / 1e9:.0f} GB | {compute:.1f} | {scan:.1f} | {network:.1f} | {merge:.1f} | "
              f"{round_s:.1f} | {compute / round_s:.0%} | {hours:.1f} | {one / hours:.1f}x |")


def zipf_corpus(path: Path, tokens: int = 20_000_000, vocabulary: int = 2_000_000, seed: int = 0) -> Path:
    """A synthetic corpus whose words follow Zipf's law (exponent 1) over ``vocabulary`` ranks,
    in 1000-word lines: a model as large as a web crawl's, for the per-core rate."""
    import numpy as np

    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(1.0 / np.arange(1, vocabulary + 1))
    cdf /= cdf[-1]
    with open(path, "wb") as f:
        for start in range(0, tokens, 1_000_000):
            ranks = np.searchsorted(cdf, rng.random(min(1_000_000, tokens - start)))
            words = np.char.add("w", ranks.astype("U7")).reshape(-1, 1000)
            f.write(("\n".join(" ".join(line) for line in words) + "\n").encode())
    return path


def rates(work: Path, rows: int = 500_000, dim: int = 300) -> None:
    """The model's measured inputs: one thread's words/s at dim 300 (a w2v run on the corpus),
    the worker's delta scan and the driver's merge (w2vcli.distributed's own code) in GB/s."""
    import numpy as np

    from w2vcli import distributed as d

    out = str(work / "rate.bin")
    _, err = run([W2V, "train", CORPUS, "-o", out, "--dim", dim, "--epochs", 1, "--threads", 1])
    print("  " + re.search(r"corpus: [\d,]+ tokens, .*", err)[0] + "\n  " + re.search(r"trained .*?words/s\)", err)[0])
    big = zipf_corpus(work / "zipf-20M.txt")
    _, err = run([W2V, "train", big, "-o", out, "--dim", dim, "--epochs", 1, "--threads", 1, "--min-count", 1])
    print("  " + re.search(r"corpus: [\d,]+ tokens, .*", err)[0] + "\n  " + re.search(r"trained .*?words/s\)", err)[0])
    rng = np.random.default_rng(0)
    base = rng.standard_normal((rows, dim), dtype=np.float32)
    replica = d._Replica.__new__(d._Replica)
    replica.config = d.TrainConfig(dim=dim)
    replica.padded = {name: np.zeros((1, dim), np.float32) for name in d.MATRICES}
    replica.base = {name: np.zeros((1, dim), np.float32) for name in d.MATRICES}
    replica.padded["syn0"], replica.base["syn0"] = base.copy(), base
    changed = rng.choice(rows, rows // 2, replace=False)
    replica.padded["syn0"][changed] += 0.01
    start = time.perf_counter()
    deltas = replica.deltas()
    scan = time.perf_counter() - start
    print(f"  delta scan of {rows:,} x {dim} (model and base: {2 * base.nbytes / 1e9:.2f} GB), half the rows "
          f"changed: {scan:.2f} s, {2 * base.nbytes / scan / 1e9:.1f} GB/s")
    driver = d._Driver.__new__(d._Driver)
    driver.model = {name: np.zeros((rows if name == "syn0" else 1, dim), np.float32) for name in d.MATRICES}
    driver.merge, driver.changed, driver.version = "average", [], {}
    results = [d._RoundResult([k], deltas, 0, 0.0, 0, 0.0) for k in range(4)]
    start = time.perf_counter()
    driver._merge(results, 4.0)
    merge = time.perf_counter() - start
    moved = 4 * sum(ids.nbytes + values.nbytes for ids, values in deltas.values())
    print(f"  merge of 4 workers' deltas ({moved / 1e9:.2f} GB): {merge:.2f} s, {moved / merge / 1e9:.2f} GB/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["tune", "quality", "overhead", "rates", "scaling"])
    parser.add_argument("--work", default=str(ROOT / "bench-out" / "distributed"))
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--models", default="skipgram,cbow")
    parser.add_argument("--modes", default="single,local:2,local:4")
    parser.add_argument("--repeats", type=int, default=3)
    scale = parser.add_argument_group("scaling (the model on paper; measured rates go in here)")
    scale.add_argument("--per-core", type=float, default=100_000, help="measured words/s of one thread at this dim")
    scale.add_argument("--scan-gbs", type=float, default=5.0, help="measured GB/s of the worker's delta scan")
    scale.add_argument("--merge-gbs", type=float, default=1.0, help="measured GB/s of the driver's merge")
    scale.add_argument("--latency", type=float, default=0.05, help="seconds of Dask round trips per round")
    scale.add_argument("--cores", type=int, default=16)
    scale.add_argument("--efficiency", type=float, default=0.85, help="threads' scaling on one node")
    scale.add_argument("--gbit", type=float, default=10.0)
    scale.add_argument("--tokens", type=float, default=100e9)
    scale.add_argument("--vocab", type=int, default=2_000_000)
    scale.add_argument("--dim", type=int, default=300)
    scale.add_argument("--zipf", type=float, default=1.0)
    scale.add_argument("--nodes", default="8,32,128")
    scale.add_argument("--syncs-per-epoch", type=int, default=16, help="as w2v's default")
    scale.add_argument("--node-round-seconds", type=float, default=0.0, help="instead: compute per node per round")
    scale.add_argument("--topology", choices=["star", "ring"], default="star",
                       help="star: the driver merges (as built); ring: an all-reduce among the nodes (not built)")
    args = parser.parse_args()
    args.nodes = [int(n) for n in args.nodes.split(",")]
    if args.what == "scaling":
        return scaling(args)
    if not CORPUS.exists():
        raise SystemExit(f"needs {CORPUS}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores (shared with other jobs)", flush=True)
    if args.what == "tune":
        tune(work, seeds)
    elif args.what == "quality":
        quality(work, seeds, args.models.split(","), args.modes.split(","))
    elif args.what == "rates":
        rates(work)
    else:
        overhead(work, args.repeats)


if __name__ == "__main__":
    main()
