"""Training commands: train and vocab."""

import os
import sys
import time

import click

from ..atomic import check_writable
from ..corpus import iter_tokens, open_corpus
from ..errors import W2VError
from ..formats import read_vectors, write_vectors
from ..vocab import MAX_VOCAB, Vocab, encode
from .common import Command, _binary_output, _say


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


@click.command(cls=Command)
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
    from ..train import TrainConfig, train

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
        from .. import checkpoint

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
        from .. import checkpoint

        checkpoint.save(checkpoint_path, config, vocab, len(encoded.ids), state)
        _say(quiet or bar.tty, f"checkpoint: {state.done:,} words done, saved to {checkpoint_path}")

    on_checkpoint = save_checkpoint if checkpointing else None

    result, final = train(encoded, config, on_progress=bar, init=init, on_checkpoint=on_checkpoint,
                          checkpoint_every=checkpoint_every * 60 if checkpoint_every else None, resume=resume)
    bar.finish()
    if classes:
        from ..classes import kmeans_classes, write_classes

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


@click.command("vocab", cls=Command)
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
