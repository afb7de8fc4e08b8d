"""The ``w2v`` command line: parse, call the library, print. Results go to stdout,
progress and messages to stderr, errors as one line and a non-zero exit code."""

import gc
import json
import os
import sys
import time

import click
import numpy as np

from . import __version__, cache
from .atomic import atomic_open, check_writable
from .corpus import iter_tokens, open_corpus
from .errors import W2VError
from .evaluate import analogies, word_pairs
from .formats import read_vectors, write_vectors
from .vectors import Vectors, encode_word
from .vocab import MAX_VOCAB, Vocab, encode

# Training pulls in Numba (~0.2 s to import); query commands never do, so they answer fast.


class Command(click.Command):
    """Turns our W2VError into ``w2v: error: ...`` and its exit code, in one place."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except W2VError as e:
            click.echo(f"w2v: error: {e}", err=True)
            ctx.exit(e.exit_code)
        except BrokenPipeError:  # `w2v nearest ... | head`: the reader left, that is fine
            sys.stderr.close()
            ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="w2v")
def main():
    """word2vec from the shell: train word vectors, query them, evaluate them.

    \b
      w2v train corpus.txt -o vecs.bin
      w2v nearest bank -m vecs.bin
      w2v eval -m vecs.bin --analogies questions-words.txt
    """


def _fmt_count(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return f"{n:.0f}"


def _fmt_time(seconds: float) -> str:
    if seconds == float("inf"):
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressLine:
    """A progress bar on a terminal; on a pipe or file, a line every 10% and at least once a minute."""

    def __init__(self, enabled: bool, every: float = 60.0):
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.next_tenth = 1
        self.every = every
        self.last = time.monotonic()

    def __call__(self, p) -> None:
        if not self.enabled:
            return
        bar = "#" * int(p.fraction * 30)
        text = (f"[{bar:<30}] {p.fraction * 100:5.1f}%  {_fmt_count(p.words_per_sec)} words/s  "
                f"alpha {p.alpha:.6f}  ETA {_fmt_time(p.eta)}")
        if self.tty:
            click.echo("\r" + text, err=True, nl=False)
        elif p.fraction * 10 >= self.next_tenth or time.monotonic() - self.last >= self.every:
            self.next_tenth = int(p.fraction * 10) + 1
            self.last = time.monotonic()
            click.echo(text, err=True)

    def finish(self) -> None:
        if self.enabled and self.tty:
            click.echo("", err=True)


def _encode_corpus(corpus: str, **options):
    """Count and encode a corpus file (or - for stdin) in one pass; see vocab.encode."""
    stream = open_corpus(corpus)
    try:
        return encode(iter_tokens(stream), **options)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        click.echo(message, err=True)


def _binary_output(path: str, fmt: str) -> bool:
    if fmt == "auto":
        return path.lower().endswith(".bin")
    return fmt == "binary"


@main.command(cls=Command)
@click.argument("corpus", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Where to write the word vectors.")
@click.option("--format", "fmt", type=click.Choice(["auto", "binary", "text"]), default="auto", show_default=True,
              help="word2vec file format (word2vec.c -binary); auto: binary for *.bin, text otherwise.")
@click.option("--model", type=click.Choice(["skipgram", "cbow"]), default="skipgram", show_default=True,
              help="Architecture (word2vec.c -cbow 0/1).")
@click.option("--dim", "--size", "dim", type=int, default=100, show_default=True, help="Vector dimensions.")
@click.option("--window", type=int, default=5, show_default=True, help="Max distance between centre and context word.")
@click.option("--negative", type=int, default=5, show_default=True, help="Negative samples per word; 0 = off.")
@click.option("--hs/--no-hs", default=False, show_default=True, help="Hierarchical softmax (with or without --negative).")
@click.option("--sample", type=float, default=1e-3, show_default=True, help="Subsampling threshold for frequent words; 0 = off.")
@click.option("--epochs", "--iter", "epochs", type=int, default=5, show_default=True, help="Passes over the corpus.")
@click.option("--min-count", type=int, default=5, show_default=True, help="Drop words rarer than this.")
@click.option("--alpha", type=float, default=None, help="Starting learning rate [default: 0.025 skip-gram, 0.05 CBOW].")
@click.option("--min-alpha", type=float, default=None, help="Final learning rate [default: alpha * 1e-4].")
@click.option("--threads", type=int, default=None, help="Training threads [default: all cores].")
@click.option("--max-vocab", "--max-vocab-build", "max_vocab", type=int, default=MAX_VOCAB, show_default=True,
              help="While counting, forget the rarest words whenever more than this many are held "
                   "(word2vec.c's ReduceVocab; checked after each 16 MiB block); the count forgotten is reported.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed; with --threads 1 the output is identical on every run.")
@click.option("--cbow-mean/--cbow-sum", default=True, show_default=True, help="CBOW: average or sum the context vectors.")
@click.option("--save-vocab", type=click.Path(dir_okay=False), help="Also write the vocabulary ('word count' lines).")
@click.option("--read-vocab", type=click.Path(dir_okay=False), help="Use this vocabulary instead of counting the corpus.")
@click.option("--output-context", type=click.Path(dir_okay=False),
              help="Also write the output (context) vectors of negative sampling, same format.")
@click.option("--checkpoint-every", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Save the training state every N minutes (to --checkpoint), and when stopped by a signal.")
@click.option("--checkpoint", "checkpoint_path", type=click.Path(dir_okay=False), default=None,
              help="Checkpoint file [default: OUTPUT.ckpt.npz].")
@click.option("--resume", "resume_path", type=click.Path(dir_okay=False), default=None,
              help="Go on from a checkpoint, on the same corpus; its settings replace the training options.")
@click.option("--init", "init_path", type=click.Path(dir_okay=False),
              help="Continue from these vectors: known words start from them, new words at random.")
@click.option("--classes", type=click.IntRange(1), default=None,
              help="Write K k-means word classes ('word class' lines) to --output instead of vectors (word2vec.c -classes).")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
def train_cmd(corpus, output, fmt, model, dim, window, negative, hs, sample, epochs, min_count, alpha, min_alpha,
              threads, max_vocab, seed, cbow_mean, save_vocab, read_vocab, output_context, checkpoint_every,
              checkpoint_path, resume_path, init_path, classes, quiet):
    """Learn word vectors from CORPUS (a text file, .gz/.bz2/.xz, or - for stdin).

    Words are split on spaces, tabs and newlines and kept as raw bytes (any
    encoding trains; nothing is decoded). Each newline ends a sentence, as
    does every 1000th word. Words longer than 99 bytes are cut to 99 as in
    word2vec.c. A corpus from stdin is read once and kept encoded in memory for
    all epochs. Defaults are word2vec.c's.

    \b
      w2v train text8 -o vecs.bin
      w2v train corpus.txt -o vecs.txt --model cbow --dim 200 --epochs 15
      zcat big.txt.gz | w2v train - -o vecs.bin --threads 8
    """
    from .train import TrainConfig, train

    config = TrainConfig(model=model, dim=dim, window=window, negative=negative, hs=hs, sample=sample,
                         epochs=epochs, min_count=min_count, alpha=alpha, min_alpha=min_alpha, max_vocab=max_vocab,
                         seed=seed, cbow_mean=cbow_mean)
    if threads is not None:
        config.threads = threads
    config.validate()
    if output_context and not negative:
        raise W2VError("--output-context needs negative sampling (--negative N, N > 0)", exit_code=2)
    for path in (output, save_vocab, output_context):
        if path:
            check_writable(path)
    started = time.perf_counter()
    init = None
    if init_path:
        init = read_vectors(init_path)[:2]
        if init[1].shape[1] != dim:
            raise W2VError(f"--init vectors have {init[1].shape[1]} dimensions, --dim is {dim}", exit_code=2)
    resume = None
    if resume_path:
        from . import checkpoint

        config, fixed, resume_tokens, resume = checkpoint.load(resume_path)
        _say(quiet, f"resuming from {resume_path}: {resume.done:,} of {config.epochs * resume_tokens:,} words done")
    else:
        fixed = Vocab.read(read_vocab, min_count) if read_vocab else None
    encoded = _encode_corpus(corpus, min_count=min_count, max_vocab=max_vocab, vocab=fixed)
    vocab = encoded.vocab
    if resume is not None and len(encoded.ids) != resume_tokens:
        raise W2VError(f"{corpus} is not the corpus of {resume_path}: it has {len(encoded.ids):,} known tokens, "
                       f"the checkpoint {resume_tokens:,}")
    pruned = f", {encoded.pruned:,} rare words pruned while counting" if encoded.pruned else ""
    _say(quiet, f"corpus: {encoded.tokens:,} tokens, vocabulary: {len(vocab):,} words (min-count {min_count}){pruned}")
    if save_vocab:
        vocab.save(save_vocab)
    objective = "+".join(x for x, on in (("NS", config.negative > 0), ("HS", config.hs)) if on)
    _say(quiet, f"training {config.model}+{objective}, {config.dim} dims, {config.epochs} epochs, "
                f"{config.threads} threads")
    bar = ProgressLine(not quiet)
    if init is not None:
        known = len(set(init[0]) & set(vocab.words))
        _say(quiet, f"starting {known:,} of {len(vocab):,} words from {init_path}, the rest at random")
    checkpointing = bool(checkpoint_every or resume_path)
    checkpoint_path = checkpoint_path or resume_path or output + ".ckpt.npz"

    def save_checkpoint(state):
        from . import checkpoint

        checkpoint.save(checkpoint_path, config, vocab, len(encoded.ids), state)
        _say(quiet or bar.tty, f"checkpoint: {state.done:,} words done, saved to {checkpoint_path}")

    on_checkpoint = save_checkpoint if checkpointing else None

    result, final = train(encoded, config, on_progress=bar, init=init, on_checkpoint=on_checkpoint,
                          checkpoint_every=checkpoint_every * 60 if checkpoint_every else None, resume=resume)
    bar.finish()
    if classes:
        from .classes import kmeans_classes, write_classes

        write_classes(output, result.words, kmeans_classes(result.vectors, min(classes, len(result.words))))
    else:
        write_vectors(output, result.words, result.vectors, _binary_output(output, fmt))
    if output_context:
        write_vectors(output_context, result.words, result.context, _binary_output(output_context, fmt))
    if on_checkpoint is not None and os.path.exists(checkpoint_path):
        os.remove(checkpoint_path)  # the output is complete: nothing left to resume
    this_run = f" ({final.done - final.resumed_at:,} in this run)" if final.resumed_at else ""
    _say(quiet, f"trained {final.done:,} words{this_run} in {final.seconds:.1f} s ({_fmt_count(final.words_per_sec)} words/s); "
                f"wrote {output} in {time.perf_counter() - started:.1f} s total")


train_cmd.name = "train"


def _model_path(model: str | None) -> str:
    path = model or os.environ.get("W2V_MODEL")
    if not path:
        raise W2VError("no vector file: pass -m PATH or set W2V_MODEL", exit_code=2)
    return path


def query_options(f):
    """-m/--model, --json and --no-cache, shared by the query commands."""
    f = click.option("--no-cache", is_flag=True, help=f"Parse the file; do not use or write PATH{cache.SUFFIX}/.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="One JSON object per query instead of TSV.")(f)
    f = click.option("-m", "--model", "model", type=click.Path(dir_okay=False),
                     help="Vector file, word2vec text or binary [env: W2V_MODEL].")(f)
    return f


def _load(model: str | None, no_cache: bool) -> Vectors:
    return cache.load(_model_path(model), use_cache=not no_cache)


def _stdin_queries(width: int | None):
    """(line number, words) for each non-empty stdin line; ``width`` words per line if given."""
    if sys.stdin.isatty():
        raise W2VError("give the words as arguments, or pipe queries on stdin (one per line)", exit_code=2)
    for lineno, line in enumerate(sys.stdin.buffer, 1):
        words = line.decode("utf-8", "surrogateescape").split()
        if not words:
            continue
        if width is not None and len(words) != width:
            yield lineno, words, f"expected {width} words, got {len(words)}"
        else:
            yield lineno, words, None


def _print_results(query: list[str], results, as_json: bool, with_query: bool) -> None:
    if as_json:
        click.echo(json.dumps({"query": query, "results": [{"word": w, "score": round(s, 6)} for w, s in results]},
                              ensure_ascii=False))
        return
    prefix = " ".join(query) + "\t" if with_query else ""
    click.echo("".join(f"{prefix}{w}\t{s:.6f}\n" for w, s in results), nl=False)


def _report(lineno: int, query: list[str], message: str, as_json: bool) -> None:
    click.echo(f"w2v: line {lineno}: {message}", err=True)
    if as_json:
        click.echo(json.dumps({"query": query, "error": message}, ensure_ascii=False))


def _run_stdin(vectors: Vectors, width: int | None, answer, as_json: bool, show=None, batch: int = 1024) -> int:
    """Answer stdin queries in batches (``answer``: list of queries -> list of results, each printed
    by ``show(words, result)``); bad lines are reported and skipped. Returns the exit code."""
    show = show or (lambda words, results: _print_results(words, results, as_json, with_query=True))
    failed = 0
    pending = []

    def flush():
        if pending:
            for (lineno, words), results in zip(pending, answer([w for _, w in pending])):
                show(words, results)
            pending.clear()

    for lineno, words, problem in _stdin_queries(width):
        if problem is None:
            try:
                [vectors.id(w) for w in words]
            except W2VError as e:  # the unknown word, with close spellings
                problem = str(e)
        if problem is not None:
            flush()
            _report(lineno, words, problem, as_json)
            failed += 1
            continue
        pending.append((lineno, words))
        if len(pending) >= batch:
            flush()
    flush()
    return 1 if failed else 0


@main.command(cls=Command)
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
      printf 'bank\nriver\n' | w2v nearest -m vecs.bin | sort -t$'\t' -k3 -gr
    """
    vectors = _load(model, no_cache)
    if words:
        _print_results(list(words), vectors.nearest(list(words), count), as_json, with_query=False)
        return
    ctx.exit(_run_stdin(vectors, None, lambda queries: vectors.nearest_many(queries, count), as_json))


@main.command(cls=Command)
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
            raise W2VError(f"analogy takes 3 words (A B C), got {len(words)}", exit_code=2)
        _print_results(list(words), answer([words])[0], as_json, with_query=False)
        return
    ctx.exit(_run_stdin(vectors, 3, answer, as_json))


@main.command(cls=Command)
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
            click.echo(json.dumps({"query": list(pair), "score": round(score, 6)}, ensure_ascii=False))
        else:
            click.echo(("\t".join(pair) + "\t" if with_query else "") + f"{score:.6f}")

    if words:
        if len(words) != 2:
            raise W2VError(f"similarity takes 2 words, got {len(words)}", exit_code=2)
        show(words, vectors.similarity(*words), with_query=False)
        return
    ctx.exit(_run_stdin(vectors, 2, lambda pairs: [vectors.similarity(*p) for p in pairs], as_json, show))


def _bundled(name: str) -> str:
    return os.path.join(os.path.dirname(__file__), "data", name)


@main.command("eval", cls=Command)
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
        click.echo(json.dumps(report))
        return
    for a in report["analogies"] or []:
        click.echo(f"analogy\t{a['section']}\t{a['accuracy'] * 100:.2f}\t{a['correct']}/{a['seen']}\t(of {a['questions']})")
    for p in report["pairs"]:
        rho = "n/a" if p["spearman"] is None else f"{p['spearman']:.4f}"
        click.echo(f"pairs\t{p['file']}\t{rho}\t{p['pairs']} pairs\t({p['oov']} oov)")


@main.command(cls=Command)
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["auto", "binary", "text"]), default="auto", show_default=True,
              help="Output format; auto: binary for *.bin, text otherwise.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Keep only the first N words.")
@click.option("--normalize", is_flag=True, help="Scale every vector to length 1.")
def convert(source, target, fmt, limit, normalize):
    """Rewrite a vector file as word2vec text or binary (reads text, binary and GloVe files).

    \b
      w2v convert vecs.bin vecs.txt
      w2v convert glove.6B.100d.txt glove.bin --limit 100000 --normalize
    """
    vectors = Vectors.load(source)
    words, matrix = vectors.words[:limit], (vectors.unit if normalize else vectors.matrix)[:limit]
    write_vectors(target, [encode_word(w) for w in words], matrix, _binary_output(target, fmt))


@main.command(cls=Command)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of TSV.")
def info(path, as_json):
    """Words, dimensions, format and vector lengths of a vector file.

    \b
      w2v info vecs.bin
    """
    words, matrix, binary = read_vectors(path)
    norms = np.linalg.norm(matrix, axis=1) if len(matrix) else np.zeros(1)
    facts = {
        "path": path, "words": len(words), "dims": int(matrix.shape[1]), "format": "binary" if binary else "text",
        "bytes": os.path.getsize(path), "duplicate_words": len(words) - len(set(words)),
        "norm_min": round(float(norms.min()), 6), "norm_mean": round(float(norms.mean()), 6),
        "norm_max": round(float(norms.max()), 6), "first_words": [w.decode("utf-8", "replace") for w in words[:5]],
    }
    if as_json:
        click.echo(json.dumps(facts, ensure_ascii=False))
    else:
        for key, value in facts.items():
            click.echo(f"{key}\t{' '.join(value) if isinstance(value, list) else value}")



@main.command(cls=Command)
@click.argument("corpus", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The corpus with phrases joined.")
@click.option("--threshold", type=click.FloatRange(min=0, min_open=True), default=100.0, show_default=True,
              help="Higher means fewer phrases (word2phrase.c -threshold).")
@click.option("--min-count", type=click.IntRange(1), default=5, show_default=True,
              help="Words and pairs rarer than this never join.")
@click.option("--passes", type=click.IntRange(1, 10), default=1, show_default=True,
              help="Each pass can join phrases again: 2 passes give up to 4-word phrases.")
@click.option("--joiner", default="_", show_default=True, help="What joins the words of a phrase.")
@click.option("-q", "--quiet", is_flag=True, help="No counts on stderr.")
def phrases(corpus, output, threshold, min_count, passes, joiner, quiet):
    """Join frequent word pairs into phrases (new york -> new_york), like word2phrase.c,
    whose output it reproduces byte for byte; the result trains with `w2v train`.

    \b
      w2v phrases corpus.txt -o phrased.txt --passes 2
      w2v phrases corpus.txt -o p.txt && w2v train p.txt -o vecs.bin && w2v nearest new_york -m vecs.bin
    """
    from .phrases import phrases as run_phrases

    def report(p, counts, joined):
        _say(quiet, f"pass {p}: {counts.total:,} words, {len(counts.index):,} distinct, {joined:,} pairs joined")

    check_writable(output)
    if not joiner or any(c.isspace() for c in joiner):
        raise W2VError("--joiner must be non-empty and hold no whitespace", exit_code=2)
    run_phrases(corpus, output, threshold, min_count, passes, joiner.encode(), report)


@main.command(cls=Command)
@query_options
@click.option("-k", "--classes", "k", type=click.IntRange(1), required=True, help="Number of classes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="Where to write 'word class' lines.")
def classes(model, as_json, no_cache, k, output):
    """Word classes by k-means on the vectors, as word2vec.c's -classes (10 iterations).

    \b
      w2v classes -m vecs.bin -k 500 -o classes.txt
      w2v classes -m vecs.bin -k 50 | awk '$2 == 7'
    """
    from .classes import kmeans_classes, write_classes

    vectors = Vectors.load(_model_path(model))
    result = kmeans_classes(vectors.matrix, k)
    if as_json:
        groups = {}
        for w, c in zip(vectors.words, result.tolist()):
            groups.setdefault(c, []).append(w)
        text = "".join(json.dumps({"class": c, "words": ws}, ensure_ascii=False) + "\n" for c, ws in sorted(groups.items()))
        if output == "-":
            click.echo(text, nl=False)
        else:
            with atomic_open(output) as f:
                f.write(text.encode())
    elif output == "-":
        click.echo("".join(f"{w} {c}\n" for w, c in zip(vectors.words, result.tolist())), nl=False)
    else:
        write_classes(output, [encode_word(w) for w in vectors.words], result)


@main.command("vocab", cls=Command)
@click.argument("corpus", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--min-count", type=click.IntRange(1), default=5, show_default=True, help="Drop words rarer than this.")
@click.option("--max-vocab", type=click.IntRange(2), default=MAX_VOCAB, show_default=True,
              help="Forget the rarest words while counting whenever more than this many are held.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="Where to write 'word count' lines (readable by train --read-vocab).")
@click.option("-q", "--quiet", is_flag=True, help="No totals on stderr.")
def vocab_cmd(corpus, min_count, max_vocab, output, quiet):
    """Count the words of CORPUS in word2vec.c's vocabulary format and order
    (</s> first, then by count), streaming.

    \b
      w2v vocab corpus.txt -o vocab.txt && w2v train corpus.txt -o v.bin --read-vocab vocab.txt
      w2v vocab corpus.txt --min-count 1 | head
    """
    encoded = _encode_corpus(corpus, min_count=min_count, max_vocab=max_vocab)
    vocab = encoded.vocab
    if output == "-":
        out = sys.stdout.buffer
        for word, count in zip(vocab.words, vocab.counts.tolist()):
            out.write(b"%s %d\n" % (word, count))
        out.flush()
    else:
        vocab.save(output)
    pruned = f", {encoded.pruned:,} pruned while counting" if encoded.pruned else ""
    _say(quiet, f"{encoded.tokens:,} tokens, {len(vocab):,} words with count >= {min_count} "
                f"covering {vocab.total:,} tokens{pruned}")


@main.command(cls=Command)
@query_options
@click.option("--vocab", "vocab_path", required=True, type=click.Path(dir_okay=False),
              help="The model's vocabulary: one token per line, in the model's order.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Where to write the matrix.")
@click.option("--oov", type=click.Choice(["random", "zeros", "mean"]), default="random", show_default=True,
              help="Rows for tokens without a vector.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed for --oov random.")
@click.option("--format", "fmt", type=click.Choice(["auto", "npy", "npz", "txt"]), default="auto", show_default=True,
              help="auto: by the output's extension (.npy, .npz, else txt).")
def export(model, as_json, no_cache, vocab_path, output, oov, seed, fmt):
    """The embedding matrix for a downstream model's own vocabulary: row i is the vector of
    the model's token i (exact match, else lower-cased, else --oov), ready to initialise its
    embedding layer, frozen or fine-tuned.

    \b
      w2v export -m vecs.bin --vocab model_vocab.txt -o emb.npy
      w2v export -m vecs.bin --vocab tokens.txt -o emb.npz --oov zeros
    """
    from .export import align, read_tokens, save_matrix

    if fmt == "auto":
        fmt = {".npy": "npy", ".npz": "npz"}.get(os.path.splitext(output)[1].lower(), "txt")
    check_writable(output)
    tokens = read_tokens(vocab_path)
    result = align(_load(model, no_cache), tokens, oov, seed)
    save_matrix(output, result.matrix, tokens, fmt)
    summary = {"tokens": len(tokens), "found": result.found, "case_folded": result.folded,
               "missing": len(result.missing), "oov_rows": oov, "shape": list(result.matrix.shape)}
    if as_json:
        click.echo(json.dumps({**summary, "missing_examples": result.missing[:20]}, ensure_ascii=False))
    else:
        examples = f" (e.g. {', '.join(result.missing[:5])})" if result.missing else ""
        click.echo(f"{len(tokens):,} tokens: {result.found:,} found, {result.folded:,} found lower-cased, "
                   f"{len(result.missing):,} missing{examples}, filled with {oov}; wrote {output} "
                   f"{result.matrix.shape[0]} x {result.matrix.shape[1]}", err=True)


@main.command(cls=Command)
@click.argument("words", nargs=-1, required=True)
@query_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="map.svg (or .png with matplotlib).")
@click.option("--neighbours", type=click.IntRange(0, 50), default=0, show_default=True,
              help="Also draw each word's N nearest neighbours.")
@click.option("--method", type=click.Choice(["pca"]), default="pca", show_default=True, help="Projection to 2-D.")
def plot(words, model, as_json, no_cache, output, neighbours, method):
    """Draw WORDS (and their neighbours) in 2-D by PCA of their vectors, as a standalone SVG.

    \b
      w2v plot king queen man woman paris france -m vecs.bin -o map.svg
      w2v plot bank river money -m vecs.bin -o bank.svg --neighbours 5
    """
    from .plot import pca_2d, to_svg, write_png

    vectors = _load(model, no_cache)
    labels, is_query = [], []
    for w in words:
        vectors.id(w)
        if w not in labels:
            labels.append(w)
            is_query.append(True)
    for w in words:
        for n, _ in vectors.nearest(w, neighbours) if neighbours else []:
            if n not in labels:
                labels.append(n)
                is_query.append(False)
    coords = pca_2d(vectors.matrix[[vectors.id(w) for w in labels]])
    check_writable(output)
    if output.lower().endswith(".png"):
        write_png(output, coords, labels, is_query)
    else:
        with atomic_open(output) as f:
            f.write(to_svg(coords, labels, is_query, title=f"PCA of {len(labels)} words").encode())
    if as_json:
        click.echo(json.dumps([{"word": w, "x": round(float(x), 6), "y": round(float(y), 6), "query": q}
                               for w, (x, y), q in zip(labels, coords, is_query)], ensure_ascii=False))


@main.command(cls=Command)
@click.argument("word", required=False)
@query_options
@click.option("--corpus", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="The text to find the word's occurrences in (usually the training corpus).")
@click.option("--max-senses", type=click.IntRange(2, 20), default=5, show_default=True, help="Most senses to try.")
@click.option("--senses", "force", type=click.IntRange(1, 20), default=None, help="Use exactly this many senses.")
@click.option("--contexts", type=click.IntRange(10), default=2000, show_default=True,
              help="Occurrences to sample (uniformly, streaming) and cluster.")
@click.option("--window", type=click.IntRange(1, 50), default=5, show_default=True, help="Context words each side.")
@click.option("-n", "count", type=click.IntRange(1), default=8, show_default=True, help="Neighbours per sense.")
@click.option("--examples", type=click.IntRange(0), default=3, show_default=True, help="Example snippets per sense.")
@click.option("--context-model", type=click.Path(dir_okay=False),
              help="Vectors for the context words, e.g. the file written by train --output-context.")
@click.option("--tag", "tag_file", type=click.Path(dir_okay=False),
              help="Instead: a file of words (one per line) to tag as word#k throughout the corpus.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="With --tag: the tagged corpus.")
@click.option("--seed", type=int, default=1, show_default=True, help="Sampling and k-means seed.")
def senses(word, model, as_json, no_cache, corpus, max_senses, force, contexts, window, count, examples,
           context_model, tag_file, output, seed):
    """The senses of WORD: its occurrences in the corpus, clustered by their contexts, with each
    sense's share, nearest words and examples. One sense when no split is clearly better.

    \b
      w2v senses bank -m vecs.bin --corpus text8
      w2v senses apple -m vecs.bin --corpus text8 --senses 2 --json
      w2v senses --tag words.txt -m vecs.bin --corpus text8 -o tagged.txt && w2v train tagged.txt -o senses.bin
    """
    from .senses import find_senses, tag_corpus

    vectors = _load(model, no_cache)
    if tag_file:
        if not output:
            raise W2VError("--tag needs -o/--output for the tagged corpus", exit_code=2)
        from .export import read_tokens

        words = read_tokens(tag_file)
        for w in words:
            vectors.id(w)

        def report(r):
            click.echo(f"{r.word}: {len(r.senses)} sense(s) from {r.sampled} of {r.occurrences} occurrences", err=True)

        with atomic_open(output) as f:
            tagged = tag_corpus(vectors, corpus, words, f, window, max_senses, contexts, seed, report)
        for w, n in tagged.items():
            click.echo(f"{w}: {n:,} occurrences tagged", err=True)
        return
    if not word:
        raise W2VError("give a WORD, or --tag FILE", exit_code=2)
    ctx_vectors = Vectors.load(context_model) if context_model else None
    r = find_senses(vectors, corpus, word, max_senses, contexts, window, force, count, examples, seed, ctx_vectors)
    if as_json:
        click.echo(json.dumps({
            "word": r.word, "occurrences": r.occurrences, "sampled": r.sampled,
            "silhouette": {str(k): round(v, 4) for k, v in r.silhouettes.items()},
            "senses": [{"sense": i + 1, "share": round(s.share, 4), "size": s.size,
                        "neighbours": [{"word": w, "score": round(x, 6)} for w, x in s.neighbours],
                        "examples": s.examples} for i, s in enumerate(r.senses)]}, ensure_ascii=False))
        return
    for i, s in enumerate(r.senses, 1):
        click.echo(f"{r.word}\t{i}\t{s.share:.3f}\tneighbours\t" + " ".join(f"{w}:{x:.3f}" for w, x in s.neighbours))
        for example in s.examples:
            click.echo(f"{r.word}\t{i}\t{s.share:.3f}\texample\t{example}")
    click.echo(f"{r.word}: {len(r.senses)} sense(s) from {r.sampled:,} sampled of {r.occurrences:,} occurrences",
               err=True)


def entry():
    """The ``w2v`` console script: main, started and ended quicker than Python would by itself.

    Numba, loading its CPU target, imports scipy.linalg only to learn whether np.dot may call
    BLAS (0.14 s where gensim or scikit-learn brought scipy along); no w2v command uses SciPy
    or Numba's np.dot, so the command's process goes without. At exit, Python's garbage
    collector would walk the ~10^5 objects Numba made (0.15 s after training); gc.freeze()
    leaves them to the operating system. Both only in this process, never for library callers.
    """
    sys.modules.setdefault("scipy", None)  # None: `import scipy` fails at once
    try:
        main()
    finally:
        gc.freeze()


if __name__ == "__main__":
    entry()
