"""The ``w2v`` command line: parse, call the library, print. Results go to stdout,
progress and messages to stderr, errors as one line and a non-zero exit code."""

import os
import sys
import time

import click

from . import __version__
from .atomic import check_writable
from .corpus import iter_tokens, open_corpus
from .errors import W2VError
from .evaluate import analogies, word_pairs
from .formats import write_vectors
from .train import Progress, TrainConfig, default_threads, train
from .vectors import Vectors
from .vocab import MAX_VOCAB, Vocab, encode


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
    """A progress bar on a terminal; on a pipe or file, a line every 10%."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.next_tenth = 1

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        bar = "#" * int(p.fraction * 30)
        text = (f"[{bar:<30}] {p.fraction * 100:5.1f}%  {_fmt_count(p.words_per_sec)} words/s  "
                f"alpha {p.alpha:.6f}  ETA {_fmt_time(p.eta)}")
        if self.tty:
            click.echo("\r" + text, err=True, nl=False)
        elif p.fraction * 10 >= self.next_tenth:
            self.next_tenth = int(p.fraction * 10) + 1
            click.echo(text, err=True)

    def finish(self) -> None:
        if self.enabled and self.tty:
            click.echo("", err=True)


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
@click.option("--threads", type=int, default=default_threads(), show_default=True, help="Training threads.")
@click.option("--max-vocab", type=int, default=MAX_VOCAB, show_default=True,
              help="While counting, forget the rarest words whenever more than this many are held (word2vec.c's ReduceVocab).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed; with --threads 1 the output is identical on every run.")
@click.option("--cbow-mean/--cbow-sum", default=True, show_default=True, help="CBOW: average or sum the context vectors.")
@click.option("--save-vocab", type=click.Path(dir_okay=False), help="Also write the vocabulary ('word count' lines).")
@click.option("--read-vocab", type=click.Path(dir_okay=False), help="Use this vocabulary instead of counting the corpus.")
@click.option("--output-context", type=click.Path(dir_okay=False),
              help="Also write the output (context) vectors of negative sampling, same format.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
def train_cmd(corpus, output, fmt, model, dim, window, negative, hs, sample, epochs, min_count, alpha, min_alpha,
              threads, max_vocab, seed, cbow_mean, save_vocab, read_vocab, output_context, quiet):
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
    config = TrainConfig(model=model, dim=dim, window=window, negative=negative, hs=hs, sample=sample,
                         epochs=epochs, min_count=min_count, alpha=alpha, min_alpha=min_alpha, threads=threads,
                         max_vocab=max_vocab, seed=seed, cbow_mean=cbow_mean)
    config.validate()
    if output_context and not negative:
        raise W2VError("--output-context needs negative sampling (--negative N, N > 0)", exit_code=2)
    for path in (output, save_vocab, output_context):
        if path:
            check_writable(path)
    started = time.perf_counter()
    fixed = Vocab.read(read_vocab, min_count) if read_vocab else None
    stream = open_corpus(corpus)
    try:
        encoded = encode(iter_tokens(stream), min_count=min_count, max_vocab=max_vocab, vocab=fixed)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    vocab = encoded.vocab
    pruned = f", {encoded.pruned:,} rare words pruned while counting" if encoded.pruned else ""
    _say(quiet, f"corpus: {encoded.tokens:,} tokens, vocabulary: {len(vocab):,} words (min-count {min_count}){pruned}")
    if save_vocab:
        vocab.save(save_vocab)
    objective = "+".join(x for x, on in (("NS", negative > 0), ("HS", hs)) if on)
    _say(quiet, f"training {model}+{objective}, {dim} dims, {epochs} epochs, {config.threads} threads")
    bar = ProgressLine(not quiet)
    result, final = train(encoded, config, on_progress=bar)
    bar.finish()
    binary = _binary_output(output, fmt)
    write_vectors(output, result.words, result.vectors, binary)
    if output_context:
        write_vectors(output_context, result.words, result.context, _binary_output(output_context, fmt))
    _say(quiet, f"trained {final.done:,} words in {final.seconds:.1f} s ({_fmt_count(final.words_per_sec)} words/s); "
                f"wrote {output} in {time.perf_counter() - started:.1f} s total")


train_cmd.name = "train"


def _model_path(model: str | None) -> str:
    path = model or os.environ.get("W2V_MODEL")
    if not path:
        raise W2VError("no vector file: pass -m PATH or set W2V_MODEL", exit_code=2)
    return path


@main.command(cls=Command)
@click.argument("words", nargs=-1)
@click.option("-m", "--model", "model", type=click.Path(dir_okay=False), help="Vector file [env: W2V_MODEL].")
@click.option("-n", "count", type=click.IntRange(1), default=10, show_default=True, help="Neighbours to print.")
def nearest(words, model, count):
    """Print the words closest to WORDS (their mean, for several) by cosine similarity.

    \b
      w2v nearest bank -m vecs.bin
      w2v nearest king queen -m vecs.bin -n 5
    """
    if not words:
        raise W2VError("give at least one word", exit_code=2)
    vectors = Vectors.load(_model_path(model))
    for word, score in vectors.nearest(list(words), count):
        click.echo(f"{word}\t{score:.6f}")


@main.command("eval", cls=Command)
@click.option("-m", "--model", "model", type=click.Path(dir_okay=False), help="Vector file [env: W2V_MODEL].")
@click.option("--analogies", "analogy_file", type=click.Path(dir_okay=False), help="questions-words style file.")
@click.option("--pairs", "pair_files", multiple=True, type=click.Path(dir_okay=False),
              help="word1 word2 score file (WordSim353, SimLex-999); repeatable.")
@click.option("--restrict", type=click.IntRange(0), default=30_000, show_default=True,
              help="Analogies: search only the first N words, as compute-accuracy (0 = all).")
def eval_cmd(model, analogy_file, pair_files, restrict):
    """Analogy accuracy (word2vec.c's compute-accuracy protocol) and word-pair Spearman.

    \b
      w2v eval -m vecs.bin --analogies questions-words.txt --pairs wordsim353.tsv
    """
    if not analogy_file and not pair_files:
        raise W2VError("give --analogies FILE and/or --pairs FILE", exit_code=2)
    vectors = Vectors.load(_model_path(model))
    if analogy_file:
        result = analogies(vectors, analogy_file, restrict)
        for s in result.sections:
            click.echo(f"analogy\t{s.name}\t{s.accuracy * 100:.2f}\t{s.correct}/{s.seen}\t(of {s.total})")
        for label, s in (("semantic", result.semantic), ("syntactic", result.syntactic), ("total", result.overall)):
            click.echo(f"analogy\t{label}\t{s.accuracy * 100:.2f}\t{s.correct}/{s.seen}\t(of {s.total})")
    for path in pair_files:
        r = word_pairs(vectors, path)
        click.echo(f"pairs\t{os.path.basename(path)}\t{r.spearman:.4f}\t{r.pairs} pairs\t({r.oov} oov)")


if __name__ == "__main__":
    main()
