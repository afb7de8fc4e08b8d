"""How well can a pseudo-word's occurrences be told apart from their contexts at all? The
ceiling under the purity target of benchmarks/senses_pseudowords.py.

    python -m benchmarks.senses_ceiling                      # both corpora, the --dev draws (1000 1001)
    python -m benchmarks.senses_ceiling --corpus ../shared/corpora/text8_prefix --seeds 1000

For each draw (the same builder and seeds as senses_pseudowords.py), the rewritten corpus is
trained (5 epochs, 2 threads, the seed, output vectors kept) and, for every two-word
pseudo-word, up to 1,000 occurrences are sampled with their original words known. Purity of:

- k-means, told K = 2: spherical 2-means on the features `w2v senses` clusters (senses.py's
  ContextSpace: left and right means and the two words next to it);
- hard EM: from that split, a sense vector fitted per sense against the trained output vectors
  (skip-gram's likelihood, output vectors frozen), each occurrence moved to the sense whose
  vector predicts its context words best, five rounds;
- told the answer, +-5 and +-15 words: the same sense vectors fitted on the true words and each
  occurrence given the likelier one, scored on the occurrences they were fitted on (an
  optimistic ceiling: a classifier that knows the truth and is tested on its own training set).
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

import w2vcli
from benchmarks.senses_pseudowords import CORPORA, DEV_SEEDS, base_plan, log
from w2vcli import pseudowords
from w2vcli.senses import ContextSpace, collect, spherical_kmeans
from w2vcli.vectors import encode_word

WIDE = 15  # the wider window told the answer
NEGATIVES = 5
FIT_STEPS = 60


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0, -z)


def fit_sense(outputs: np.ndarray, contexts: list[np.ndarray], noise: np.ndarray, start: np.ndarray) -> np.ndarray:
    """A sense vector that predicts these occurrences' context words (rows of ``outputs``) against
    NEGATIVES noise words each: full-batch gradient ascent on skip-gram's objective, outputs frozen."""
    s = start.copy()
    if not contexts:
        return s
    positive = outputs[np.concatenate(contexts)]
    negative = outputs[np.resize(noise, len(positive) * NEGATIVES)]
    for _ in range(FIT_STEPS):
        gradient = (1 - 1 / (1 + np.exp(-positive @ s))) @ positive - (1 / (1 + np.exp(-negative @ s))) @ negative
        s += 0.5 * gradient / len(positive)
    return s


def likeliest(outputs: np.ndarray, contexts: list[np.ndarray], senses: np.ndarray, prior: np.ndarray) -> np.ndarray:
    scores = np.array([log_sigmoid(outputs[c] @ senses.T).sum(axis=0) for c in contexts]) + prior
    return np.argmax(scores, axis=1)


def senses_of(outputs, contexts, labels, noise, start) -> np.ndarray:
    return np.stack([fit_sense(outputs, [contexts[i] for i in np.flatnonzero(labels == k)], noise, start)
                     for k in range(2)])


def pair_purities(token: bytes, occurrences, truth, space: ContextSpace, inputs, outputs, noise, seed) -> dict:
    labels = truth.of(token, np.array([o.position for o in occurrences]))
    _, features, _ = space.embed(occurrences, drop=token)
    x = features - features.mean(axis=0)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    split, _ = spherical_kmeans(x, 2, seed)
    index = space.index
    start = np.asarray(inputs.vectors[inputs.id(token.decode())], np.float64)

    def contexts(window):
        return [np.array([index[w] for w in o.left[-window:] + o.right[:window] if w in index and w != token], int)
                for o in occurrences]

    near, wide = contexts(5), contexts(WIDE)
    found = {"k-means, K=2": pseudowords.purity(split, labels)}
    em = split
    for _ in range(5):
        prior = np.log(np.maximum(np.bincount(em, minlength=2), 1) / len(em))
        em = likeliest(outputs, near, senses_of(outputs, near, em, noise, start), prior)
    found["hard EM"] = pseudowords.purity(em, labels)
    for name, ctx in (("told, +-5", near), (f"told, +-{WIDE}", wide)):
        prior = np.log(np.bincount(labels, minlength=2) / len(labels))
        found[name] = pseudowords.purity(likeliest(outputs, ctx, senses_of(outputs, ctx, labels, noise, start), prior),
                                         labels)
    return found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.senses_ceiling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", type=Path, help="a corpus (repeatable; default: text8_prefix "
                        "and mobydick_ham from ../shared/corpora)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEV_SEEDS),
                        help="the draws (default: the --dev draws of senses_pseudowords, 1000 1001)")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs on each rewritten corpus")
    parser.add_argument("--threads", type=int, default=2, help="training threads")
    parser.add_argument("--pairs", type=int, default=20, help="two-word pseudo-words per draw")
    parser.add_argument("--controls", type=int, default=20, help="control words per draw (drawn as in "
                        "senses_pseudowords, so the pairs are the same; not scored here)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="w2v-ceiling-") as tmp:
        work = Path(tmp)
        for corpus in args.corpus or CORPORA:
            if not corpus.exists():
                raise SystemExit(f"{corpus} not found: the benchmark needs ../shared/corpora")
            words, counts, base = base_plan(corpus, work, args)
            found: dict[str, list[float]] = {}
            for seed in args.seeds:
                before = len(found.get("hard EM", []))
                plan = pseudowords.choose(words, counts, base, pairs=args.pairs, controls=args.controls, triples=1,
                                          seed=seed)
                rewritten = work / f"{corpus.name}.s{seed}.txt"
                with open(rewritten, "wb") as f:
                    truth = pseudowords.rewrite(str(corpus), plan, f)
                inputs = w2vcli.train(str(rewritten), epochs=args.epochs, threads=args.threads, seed=seed)
                outputs = np.asarray(inputs.context.vectors, np.float64)
                frequency = {w: c for w, c in zip(words, counts)}
                weights = np.array([frequency.get(encode_word(w), 1) for w in inputs.context.words], np.float64) ** 0.75
                noise = np.random.default_rng(seed).choice(len(weights), size=200_000, p=weights / weights.sum())
                space = ContextSpace(inputs)
                for pw in plan.pseudowords:
                    if len(pw.parts) != 2:
                        continue
                    occurrences, _, _ = collect(str(rewritten), pw.token, WIDE, 1000, seed)
                    for name, value in pair_purities(pw.token, occurrences, truth, space, inputs, outputs, noise,
                                                     seed).items():
                        found.setdefault(name, []).append(value)
                log(f"{corpus.name} seed {seed}: "
                    + ", ".join(f"{k} {np.mean(v[before:]):.3f}" for k, v in found.items()))
            rows.append(f"| {corpus.name} | {len(found['hard EM'])} | "
                        + " | ".join(f"{np.mean(v):.3f}" for v in found.values()) + " |")
            names = list(found)
    print(f"\nseeds {' '.join(map(str, args.seeds))}; {args.pairs} pairs per seed; up to 1,000 occurrences each; "
          f"{args.epochs} epochs, {args.threads} threads\n")
    print("| corpus | pairs | " + " | ".join(names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
