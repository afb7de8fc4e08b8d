"""Query commands: nearest, analogy, similarity, eval, info."""

import os

import click
import numpy as np

from ..errors import UsageError
from ..evaluate import analogies, word_pairs
from ..formats import VectorReader
from ..words import decode_word, json_text, shown
from .common import (
    Command,
    _load,
    _print_results,
    _run_stdin,
    out,
    out_json,
    query_options,
)


@click.command(cls=Command)
@click.argument("words", nargs=-1)
@query_options
@click.option("-n", "count", type=click.IntRange(1), default=10, show_default=True, help="Neighbours to print.")
@click.pass_context
def nearest(ctx, words, model, as_json, no_cache, count):
    """Words closest to WORDS by cosine similarity (to their mean, for several words,
    like word2vec.c's distance). Without WORDS, one query per stdin line, answered in
    batches; a line with an unknown word is reported on stderr, the others go on, and
    the exit code is 1.

    \b
      w2v nearest bank -m vecs.bin
      w2v nearest king queen -m vecs.bin -n 5 --json
      printf 'bank\\nriver\\n' | w2v nearest -m vecs.bin | sort -t$'\\t' -k3 -gr
    """
    vectors = _load(model, no_cache)
    if words:
        _print_results(list(words), vectors.nearest(list(words), count), as_json, with_query=False)
        return
    ctx.exit(_run_stdin(vectors, None, lambda queries: vectors.nearest_many(queries, count), as_json))


@click.command(cls=Command)
@click.argument("words", nargs=-1)
@query_options
@click.option("-n", "count", type=click.IntRange(1), default=10, show_default=True, help="Answers to print.")
@click.option("--method", type=click.Choice(["add", "mul"]), default="add", show_default=True,
              help="3CosAdd (b - a + c) or 3CosMul (Levy and Goldberg, 2014).")
@click.pass_context
def analogy(ctx, words, model, as_json, no_cache, count, method):
    """A is to B as C is to what? Without words, one 'A B C' per stdin line.

    \b
      w2v analogy man king woman -m vecs.bin          # king - man + woman
      w2v analogy paris france rome -m vecs.bin --method mul -n 3
    """
    vectors = _load(model, no_cache)

    def answer(queries):
        return [vectors.analogy(*q, n=count, method=method) for q in queries]

    if words:
        if len(words) != 3:
            raise UsageError(f"analogy takes 3 words (A B C), got {len(words)}")
        _print_results(list(words), answer([words])[0], as_json, with_query=False)
        return
    ctx.exit(_run_stdin(vectors, 3, answer, as_json))


@click.command(cls=Command)
@click.argument("words", nargs=-1)
@query_options
@click.pass_context
def similarity(ctx, words, model, as_json, no_cache):
    """Cosine similarity of two words. Without words, one pair per stdin line.

    \b
      w2v similarity bank river -m vecs.bin
      cut -f1,2 wordsim353.tsv | w2v similarity -m vecs.bin
    """
    vectors = _load(model, no_cache)

    def show(pair, score, with_query=True):
        if as_json:
            out_json({"query": [json_text(w) for w in pair], "score": round(score, 6)})
        else:
            out(("\t".join(map(shown, pair)) + "\t" if with_query else "") + f"{score:.6f}\n")

    if words:
        if len(words) != 2:
            raise UsageError(f"similarity takes 2 words, got {len(words)}")
        show(words, vectors.similarity(*words), with_query=False)
        return
    ctx.exit(_run_stdin(vectors, 2, lambda pairs: [vectors.similarity(*p) for p in pairs], as_json, show))


def _bundled(name: str) -> str:
    return os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", name)


@click.command("eval", cls=Command)
@query_options
@click.option("--analogies", "analogy_file", type=click.Path(dir_okay=False),
              help="questions-words style file [default: the bundled Google analogy set].")
@click.option("--pairs", "pair_files", multiple=True, type=click.Path(dir_okay=False),
              help="'word1 word2 score' file, e.g. WordSim353 or SimLex-999; repeatable [default: bundled WordSim353].")
@click.option("--restrict", type=click.IntRange(0), default=30_000, show_default=True,
              help="Analogies: search only the N most frequent words, as compute-accuracy (0 = all).")
def eval_cmd(model, as_json, no_cache, analogy_file, pair_files, restrict):
    """Analogy accuracy per section and overall (word2vec.c's compute-accuracy protocol:
    top-N vocabulary, case folded, questions with unknown words skipped and counted) and
    Spearman correlation for word-pair files (pairs with unknown words skipped and counted).

    \b
      w2v eval -m vecs.bin
      w2v eval -m vecs.bin --analogies questions-words.txt --pairs simlex999.txt --restrict 0 --json
    """
    if not analogy_file and not pair_files:
        analogy_file, pair_files = _bundled("questions-words.txt"), (_bundled("wordsim353.tsv"),)
    vectors = _load(model, no_cache)
    report = {"analogies": None, "pairs": []}
    if analogy_file:
        result = analogies(vectors, analogy_file, restrict)
        rows = [(s.name, s) for s in result.sections]
        rows += [("semantic", result.semantic), ("syntactic", result.syntactic), ("total", result.overall)]
        report["analogies"] = [{"section": name, "accuracy": round(s.accuracy, 6), "correct": s.correct,
                                "seen": s.seen, "questions": s.total} for name, s in rows]
    for path in pair_files:
        r = word_pairs(vectors, path)
        rho = None if np.isnan(r.spearman) else round(r.spearman, 6)
        report["pairs"].append({"file": os.path.basename(path), "spearman": rho,
                                "pairs": r.pairs, "oov": r.oov})
    if as_json:
        out_json(report)
        return
    lines = [f"analogy\t{shown(a['section'])}\t{a['accuracy'] * 100:.2f}\t{a['correct']}/{a['seen']}\t(of {a['questions']})"
             for a in report["analogies"] or []]
    for p in report["pairs"]:
        rho = "n/a" if p["spearman"] is None else f"{p['spearman']:.4f}"
        lines.append(f"pairs\t{shown(p['file'])}\t{rho}\t{p['pairs']} pairs\t({p['oov']} oov)")
    out("".join(line + "\n" for line in lines))


@click.command(cls=Command)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of TSV.")
def info(path, as_json):
    """Words, dimensions, format and vector lengths of a vector file (read a block at a time:
    any size, in little memory).

    \b
      w2v info vecs.bin
      w2v info GoogleNews-vectors-negative300.bin.gz --json
    """
    rows, seen, duplicates, first = 0, set(), 0, []
    low, high, total = np.inf, 0.0, 0.0
    with VectorReader(path) as reader:
        for words, block in reader.blocks():
            norms = np.sqrt(np.einsum("ij,ij->i", block, block, dtype=np.float64))
            low, high, total = min(low, norms.min()), max(high, norms.max()), total + norms.sum()
            rows += len(words)
            first += words[: 5 - len(first)]
            before = len(seen)
            seen.update(words)
            duplicates += len(words) - (len(seen) - before)
        facts = {
            "path": path, "words": rows, "dims": reader.dim, "format": "binary" if reader.binary else "text",
            "compressed": reader.compressed, "bytes": os.path.getsize(path) if os.path.isfile(path) else None,
            "duplicate_words": duplicates, "norm_min": round(float(low if rows else 0), 6),
            "norm_mean": round(total / rows if rows else 0.0, 6), "norm_max": round(float(high), 6),
            "first_words": [decode_word(w) for w in first],
        }
    if as_json:
        out_json({**facts, "path": json_text(path), "first_words": [json_text(w) for w in facts["first_words"]]})
    else:
        out("".join(f"{key}\t{' '.join(map(shown, value)) if isinstance(value, list) else shown(str(value))}\n"
                    for key, value in facts.items()))
