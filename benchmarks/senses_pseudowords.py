"""Senses on real text, scored on pseudo-words (Schütze 1992; Gale, Church and Yarowsky 1992).

    python -m benchmarks.senses_pseudowords                       # both corpora, seeds 1 2 3, both routes
    python -m benchmarks.senses_pseudowords --dev                 # the draws the thresholds were chosen on
    python -m benchmarks.senses_pseudowords --corpus ../shared/corpora/text8_prefix --seeds 1 --routes tag

For each corpus: vectors trained on the original text (one thread, so the draws are the same
on every run) choose 20 pairs of unrelated words of matched frequency (at least 100
occurrences each, cosine below 0.2), one word merged from three, and 20 single words of the
pseudo-words' frequencies as controls (w2vcli/pseudowords.py). The corpus is rewritten with
each pair merged into one token (banana_door), and for each seed both routes run on it:

- tag: ``w2v train`` on the rewritten corpus, then ``w2v senses --tag`` over the pseudo-words
  and controls (each word's sense count chosen automatically), which rewrites every occurrence
  as word#k;
- mssg: ``w2v train --senses-words FILE`` (multi-sense skip-gram, non-parametric: a sense is
  added when no centre is close enough), and every occurrence given the sense of its nearest
  centre, as training chose them.

Scores: detection (a pseudo-word found to have 2 or more senses), controls kept whole (1
sense), purity of every occurrence's sense against the original words (a pseudo-word left
whole scores its commoner word's share), and the count found for the three-way word. The
report draws leave out every word of the --dev draws (seeds 1000 and 1001), which the
thresholds were chosen on. Mean and range over the seeds; times are the median seed's.
"""

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import w2vcli
from w2vcli import pseudowords
from w2vcli.corpus import iter_tokens
from w2vcli.senses import tag_corpus
from w2vcli.vocab import Vocab

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "corpora"
CORPORA = [SHARED / "text8_prefix", SHARED / "mobydick_ham.txt"]
DEV_SEEDS = (1000, 1001)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def base_plan(corpus: Path, work: Path, args) -> tuple[list[bytes], np.ndarray, w2vcli.Vectors]:
    """Vectors of the original corpus (one thread: the same every run) and its vocabulary."""
    vectors, vocab = work / f"{corpus.name}.base.bin", work / f"{corpus.name}.vocab"
    if not vectors.exists():
        log(f"{corpus.name}: training the original corpus's vectors (one thread)")
        w2vcli.train(str(corpus), output=str(vectors), save_vocab=str(vocab), epochs=args.epochs, threads=1, seed=1)
    v = Vocab.read(str(vocab), 5)
    return v.words, v.counts, w2vcli.load(str(vectors))


def draw(words, counts, vectors, seed: int, exclude: set[bytes], args) -> pseudowords.Plan:
    return pseudowords.choose(words, counts, vectors, pairs=args.pairs, controls=args.controls, triples=1, seed=seed,
                              exclude=exclude)


def tagged_purity(tagged: Path, plan: pseudowords.Plan, truth: pseudowords.Truth) -> dict[bytes, float]:
    """Each pseudo-word's purity: the tags of its occurrences, in corpus order, against the truth."""
    found = {pw.token: [] for pw in plan.pseudowords}
    with open(tagged, "rb") as f:
        for block in iter_tokens(f):
            for w in block:
                base, _, k = w.partition(b"#")
                if base in found:
                    found[base].append(int(k) if k else 0)
    return {t: pseudowords.purity(np.array(found[t]), truth.parts[t]) for t in found}


def run_tag(rewritten: Path, plan, truth, seed: int, work: Path, args) -> dict:
    started = time.perf_counter()
    vectors = w2vcli.train(str(rewritten), epochs=args.epochs, threads=args.threads, seed=seed)
    trained = time.perf_counter() - started
    words = [pw.token.decode() for pw in plan.pseudowords] + [c.decode() for c in plan.controls]
    counts = {}
    tagged = work / f"{rewritten.stem}.tagged.txt"
    with open(tagged, "wb") as f:
        tag_corpus(vectors, str(rewritten), words, f, contexts=args.contexts, seed=seed,
                   report=lambda r: counts.__setitem__(r.word.encode(), (len(r.senses), getattr(r, "scores", {}))))
    return dict(counts={w: c for w, (c, _) in counts.items()}, scores={w: s for w, (_, s) in counts.items()},
                purity=tagged_purity(tagged, plan, truth), train_s=trained,
                senses_s=time.perf_counter() - started - trained)


def run_mssg(rewritten: Path, plan, truth, seed: int, work: Path, args) -> dict:
    from w2vcli.multisense import tag_occurrences

    words = [pw.token for pw in plan.pseudowords] + list(plan.controls)
    listed = work / f"{rewritten.stem}.words.txt"
    listed.write_bytes(b"".join(w + b"\n" for w in words))
    started = time.perf_counter()
    vectors = w2vcli.train(str(rewritten), epochs=args.epochs, threads=args.threads, seed=seed,
                           senses_words=str(listed), max_senses=args.max_senses, new_sense=args.new_sense)
    trained = time.perf_counter() - started
    model = vectors.senses
    counts = {w: model.count(w) for w in words}
    labels = tag_occurrences(vectors, str(rewritten), [pw.token for pw in plan.pseudowords])
    purity = {t: pseudowords.purity(labels[t], truth.parts[t]) for t in labels}
    return dict(counts=counts, scores={}, purity=purity, train_s=trained,
                senses_s=time.perf_counter() - started - trained)


def score(plan: pseudowords.Plan, result: dict) -> dict:
    pairs = [pw for pw in plan.pseudowords if len(pw.parts) == 2]
    triples = [pw for pw in plan.pseudowords if len(pw.parts) == 3]
    return dict(
        detected=np.mean([result["counts"][pw.token] >= 2 for pw in pairs]),
        purity=np.mean([result["purity"][pw.token] for pw in pairs]),
        whole=np.mean([result["counts"][c] == 1 for c in plan.controls]),
        three=[result["counts"][pw.token] for pw in triples],
        three_purity=[result["purity"][pw.token] for pw in triples],
        train_s=result["train_s"], senses_s=result["senses_s"])


def spread(values) -> str:
    values = list(values)
    return f"{np.mean(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", type=Path, help="corpora (default: text8_prefix, mobydick_ham)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--dev", action="store_true", help="the draws the thresholds were chosen on (seeds 1000 1001)")
    parser.add_argument("--routes", default="tag,mssg")
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--controls", type=int, default=20)
    parser.add_argument("--contexts", type=int, default=1000, help="occurrences clustered per word (w2v senses)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-senses", type=int, default=5)
    parser.add_argument("--new-sense", type=float, default=None, help="MSSG's threshold (default: its own)")
    parser.add_argument("--work", type=Path, default=None, help="keep the rewritten corpora and vectors here")
    parser.add_argument("--verbose", action="store_true", help="a line per word")
    args = parser.parse_args(argv)
    corpora = args.corpus or CORPORA
    for c in corpora:
        if not c.exists():
            raise SystemExit(f"{c} not found: the benchmark needs ../shared/corpora")
    seeds = list(DEV_SEEDS) if args.dev else args.seeds
    routes = args.routes.split(",")
    work = args.work or Path(tempfile.mkdtemp(prefix="w2v-senses-"))
    work.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.senses_pseudowords " + shlex.join(argv if argv is not None else sys.argv[1:])
    rows = []
    for corpus in corpora:
        words, counts, base = base_plan(corpus, work, args)
        dev_words = set() if args.dev else \
            {w for s in DEV_SEEDS for w in draw(words, counts, base, s, set(), args).words}
        results = {r: [] for r in routes}
        for seed in seeds:
            plan = draw(words, counts, base, seed, dev_words, args)
            log(f"{corpus.name} seed {seed}: " + "; ".join(pseudowords.describe(pw) for pw in plan.pseudowords[:3])
                + f"; ... controls {b', '.join(plan.controls[:5]).decode()} ...")
            rewritten = work / f"{corpus.name}.s{seed}.txt"
            with open(rewritten, "wb") as f:
                truth = pseudowords.rewrite(str(corpus), plan, f)
            for route in routes:
                result = (run_tag if route == "tag" else run_mssg)(rewritten, plan, truth, seed, work, args)
                s = score(plan, result)
                results[route].append(s)
                log(f"  {route}: detected {s['detected']:.2f}, purity {s['purity']:.3f}, controls whole "
                    f"{s['whole']:.2f}, three-way -> {s['three']}, train {s['train_s']:.1f} s, "
                    f"senses {s['senses_s']:.1f} s")
                if args.verbose:
                    for pw in plan.pseudowords:
                        log(f"    {pseudowords.describe(pw)}: {result['counts'][pw.token]} senses, purity "
                            f"{result['purity'][pw.token]:.3f} {result['scores'].get(pw.token, '')}")
                    for c in plan.controls:
                        log(f"    control {c.decode()}: {result['counts'][c]} {result['scores'].get(c, '')}")
        for route in routes:
            r = results[route]
            median = sorted(r, key=lambda x: x["train_s"] + x["senses_s"])[len(r) // 2]
            threes = [k for x in r for k in x["three"]]
            rows.append(f"| {corpus.name} | {route} | {spread(x['detected'] for x in r)} "
                        f"| {spread(x['purity'] for x in r)} "
                        f"| {spread(x['whole'] for x in r)} | {sum(k == 3 for k in threes)} of {len(threes)} "
                        f"({', '.join(map(str, threes))}) | {median['train_s']:.0f} + {median['senses_s']:.0f} |")
    print(f"\n{command}\n")
    print(f"seeds {' '.join(map(str, seeds))}; {args.pairs} pairs, {args.controls} controls and one three-way "
          f"word per seed; {args.epochs} epochs, {args.threads} threads, --contexts {args.contexts}\n")
    print("| corpus | route | pseudo-words split (mean, range) | purity | controls whole | three-way: 3 senses "
          "| seconds: train + senses |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if os.environ.get("W2V_KEEP") is None and args.work is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
