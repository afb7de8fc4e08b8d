"""Training commands: train and vocab."""

import time

import click
from click.core import ParameterSource

from ..atomic import check_writable, corpus_inputs, refuse_same_files
from ..corpus import corpus_paths, read_corpus, reporting
from ..vocab import MAX_VOCAB, encode
from .common import Command, _say, out_bytes, say, stderr_is_terminal, write_stderr


def _fmt_time(seconds: float) -> str:
    if seconds == float("inf"):
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressLine:
    """A progress bar on a terminal; on a pipe or file, a line every 10% and at least once a minute."""

    def __init__(self, enabled: bool, every: float = 60.0):
        self.enabled = enabled
        self.tty = stderr_is_terminal()
        self.next_tenth = 1
        self.every = every
        self.last = time.monotonic()

    def __call__(self, p) -> None:
        from ..pipeline import _fmt_count

        if not self.enabled:
            return
        bar = "#" * int(p.fraction * 30)
        loss = f"  loss {p.loss:.4f}" if p.epoch_losses else ""
        text = (f"[{bar:<30}] {p.fraction * 100:5.1f}%  {_fmt_count(p.words_per_sec)} words/s  "
                f"alpha {p.alpha:.6f}{loss}  ETA {_fmt_time(p.eta)}")
        if getattr(p, "workers", None):  # a Dask run: its workers (each one's share: in the summary)
            text += f"  {len(p.workers)} workers"
        if self.tty:
            write_stderr("\r" + text)
        elif p.fraction * 10 >= self.next_tenth or time.monotonic() - self.last >= self.every:
            self.next_tenth = int(p.fraction * 10) + 1
            self.last = time.monotonic()
            say(text)

    def finish(self) -> None:
        if self.enabled and self.tty:
            write_stderr("\n")


@click.command("train", cls=Command)
@click.argument("corpus", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the word vectors: a file (compressed if named .gz, .bz2 or .xz), or - for stdout.")
@click.option("--format", "fmt", type=click.Choice(["auto", "binary", "text"]), default="auto", show_default=True,
              help="word2vec file format (word2vec.c -binary); auto: binary for *.bin (*.bin.gz, ...), text otherwise.")
@click.option("--model", type=click.Choice(["skipgram", "cbow"]), default="skipgram", show_default=True,
              help="Architecture (word2vec.c -cbow 0/1).")
@click.option("--dim", "--size", "dim", type=int, default=100, show_default=True, help="Vector dimensions.")
@click.option("--window", type=int, default=5, show_default=True, help="Max distance between centre and context word.")
@click.option("--negative", type=int, default=5, show_default=True, help="Negative samples per word; 0 = off.")
@click.option("--hs/--no-hs", default=False, show_default=True, help="Hierarchical softmax (with or without --negative).")
@click.option("--sample", type=float, default=1e-3, show_default=True, help="Subsampling threshold for frequent words; 0 = off.")
@click.option("--epochs", "--iter", "epochs", type=int, default=5, show_default=True, help="Passes over the corpus.")
@click.option("--min-count", type=int, default=5, show_default=True, help="Drop words rarer than this.")
@click.option("--alpha", type=float, default=None,
              help="Starting learning rate, at most 1 [default: 0.025 skip-gram, 0.05 CBOW].")
@click.option("--min-alpha", type=float, default=None, help="Final learning rate [default: alpha * 1e-4].")
@click.option("--threads", type=int, default=None, help="Training threads [default: all cores].")
@click.option("--max-vocab", "--max-vocab-build", "max_vocab", type=int, default=MAX_VOCAB, show_default=True,
              help="While counting, forget the rarest words whenever more than this many are held "
                   "(word2vec.c's ReduceVocab; checked after each 16 MiB block); the count forgotten is reported.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed; with --threads 1 the output is identical on every run.")
@click.option("--cbow-mean/--cbow-sum", default=True, show_default=True, help="CBOW: average or sum the context vectors.")
@click.option("--corrected-cbow", is_flag=True,
              help="CBOW: give each context vector the gradient of the mean, 1/C of the whole "
                   "(Irsoy et al. 2021); its own default --alpha.")
@click.option("--position-weights", is_flag=True,
              help="CBOW: weight each context vector by a learned vector for its position in the window "
                   "(Mikolov et al. 2018); its own default --alpha.")
@click.option("--ns-exponent", type=float, default=0.75, show_default=True,
              help="Negatives are drawn from word counts to this power (word2vec.c: 0.75).")
@click.option("--exact-skipgram", is_flag=True,
              help="Skip-gram: word2vec.c's own loop, negatives drawn for each pair (slower) instead of per window.")
@click.option("--joint-skipgram", is_flag=True,
              help="CBOW: also train skip-gram's pairs of each window, against the same negatives, each "
                   "weighted 1/window (a joint model: CBOW's analogies, skip-gram's similarity). Needs --negative.")
@click.option("--save-vocab", type=click.Path(dir_okay=False), help="Also write the vocabulary ('word count' lines).")
@click.option("--read-vocab", type=click.Path(dir_okay=False), help="Use this vocabulary instead of counting the corpus.")
@click.option("--output-context", type=click.Path(dir_okay=False),
              help="Also write the output (context) vectors of negative sampling (format: --format, or by "
                   "this file's own name).")
@click.option("--add-context", is_flag=True,
              help="Write each word's vector as its input plus its output vector, both at unit length "
                   "(Levy et al. 2015; GloVe's W + C): better analogies and similarity from skip-gram. "
                   "Needs --negative; not with --senses.")
@click.option("--checkpoint-every", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Save the training state every N minutes (to --checkpoint), and when stopped by a signal.")
@click.option("--checkpoint", "checkpoint_path", type=click.Path(dir_okay=False), default=None,
              help="Where --checkpoint-every saves [default: OUTPUT.ckpt.npz].")
@click.option("--resume", "resume_path", type=click.Path(dir_okay=False), default=None,
              help="Go on from a checkpoint, on the same corpus, with its training settings (an option given "
                   "must agree; --threads may differ). Outputs (-o, --output-context, --add-context, ...) are "
                   "given again.")
@click.option("--init", "init_path", type=click.Path(dir_okay=False),
              help="Continue from these vectors: known words start from them, new words at random.")
@click.option("--tokenize", is_flag=True,
              help="Raw text: split words as `w2v tokenize` does (case folded, punctuation dropped) instead "
                   "of on whitespace alone.")
@click.option("--loss-log", type=click.Path(dir_okay=False),
              help="Also write a TSV line per epoch: epoch, words, mean loss, alpha, seconds.")
@click.option("--classes", type=click.IntRange(1), default=None,
              help="Write K k-means word classes ('word class' lines) to --output instead of vectors (word2vec.c -classes).")
@click.option("--senses", "senses", type=int, default=None,
              help="Multi-sense skip-gram: the N most frequent words get several vectors, written as word#1, "
                   "word#2, ... after the usual rows.")
@click.option("--senses-words", type=click.Path(dir_okay=False),
              help="Multi-sense skip-gram for the words listed in FILE (one per line) instead.")
@click.option("--max-senses", type=int, default=None, help="Most senses per word [default: 3].")
@click.option("--new-sense", type=float, default=None,
              help="Non-parametric: a context at cosine below this to every sense's centre starts a sense "
                   "[default: 0.6].")
@click.option("--parametric", is_flag=True, help="Every word gets exactly --max-senses senses.")
@click.option("--dask", "dask", metavar="ADDRESS|local:N", default=None,
              help="Train on a Dask cluster: its scheduler (tcp://host:8786), or local:N for N worker processes "
                   "here; the workers read the files themselves (pip install 'w2vcli[dask]'). "
                   "--threads is then per worker.")
@click.option("--sync-every", type=click.IntRange(1), default=None, metavar="TOKENS",
              help="With --dask: tokens trained across the cluster between synchronisations [default: the "
                   "largest of 1,000,000, 100 per vocabulary word per worker, and 1/16 of the corpus].")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.pass_context
def train_cmd(ctx, corpus, output, fmt, save_vocab, read_vocab, output_context, add_context, checkpoint_every,
              checkpoint_path, resume_path, init_path, tokenize, loss_log, classes, senses, senses_words, max_senses,
              new_sense, parametric, dask, sync_every, quiet, **options):
    """Learn word vectors from CORPUS: one or more text files (.gz/.bz2/.xz too) or glob
    patterns, read in order, or - for stdin.

    Words are split on spaces, tabs and newlines and kept as raw bytes (any
    encoding trains; nothing is decoded). Each newline ends a sentence, as
    does every 1000th word. A word of 99 bytes or more keeps its first 98, as
    in word2vec.c. A corpus from stdin is read once and kept encoded in memory for
    all epochs. Defaults are word2vec.c's.

    \b
      w2v train text8 -o vecs.bin
      w2v train corpus.txt -o vecs.txt --model cbow --dim 200 --epochs 15
      w2v train 'shards/*.txt.gz' -o vecs.bin
      w2v train raw.txt --tokenize -o vecs.bin
      w2v train corpus.txt -o senses.bin --senses 1000
      zcat big.txt.gz | w2v train - -o vecs.bin --threads 8
      w2v train 'shards/*.txt.gz' -o vecs.bin --dask tcp://host:8786
    """
    from ..pipeline import train

    given = {name: value if ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE,
                                                                ParameterSource.ENVIRONMENT) else None
             for name, value in options.items()}
    bar = ProgressLine(not quiet)

    def message(text: str) -> None:
        if text.startswith("checkpoint:") and bar.tty:
            return  # the bar shows the run goes on
        if text.startswith("trained"):
            bar.finish()
        _say(quiet, text)

    train(list(corpus), output, format=fmt, output_context=output_context, add_context=add_context,
          save_vocab=save_vocab, read_vocab=read_vocab, init=init_path, resume=resume_path,
          checkpoint=checkpoint_path, checkpoint_every=checkpoint_every, classes=classes, loss_log=loss_log,
          tokenize=tokenize, senses=senses, senses_words=senses_words, max_senses=max_senses, new_sense=new_sense,
          parametric=parametric,
          on_progress=bar, on_message=message, dask=dask, sync_every=sync_every, **given)


@click.command("vocab", cls=Command)
@click.argument("corpus", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--min-count", type=click.IntRange(1), default=5, show_default=True, help="Drop words rarer than this.")
@click.option("--max-vocab", type=click.IntRange(2), default=MAX_VOCAB, show_default=True,
              help="Forget the rarest words while counting whenever more than this many are held.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="Where to write 'word count' lines (readable by train --read-vocab).")
@click.option("--dask", "dask", metavar="ADDRESS|local:N", default=None,
              help="Count on a Dask cluster (tcp://host:8786, or local:N processes here): the same file.")
@click.option("-q", "--quiet", is_flag=True, help="No totals on stderr.")
def vocab_cmd(corpus, min_count, max_vocab, output, dask, quiet):
    """Count the words of CORPUS (files, glob patterns, or - for stdin) in word2vec.c's
    vocabulary format and order (</s> first, then by count), streaming.

    \b
      w2v vocab corpus.txt -o vocab.txt && w2v train corpus.txt -o v.bin --read-vocab vocab.txt
      w2v vocab corpus.txt --min-count 1 | head
    """
    if dask:
        from ..distributed import Cluster, shard_paths

        paths = shard_paths(list(corpus))
    else:
        paths = corpus_paths(list(corpus))
    if output != "-":
        refuse_same_files({"-o": output}, corpus_inputs(paths))
        check_writable(output)
    if dask:
        with Cluster(dask, say=lambda line: _say(quiet, line)) as cluster:
            encoded = cluster.count(paths, min_count=min_count, max_vocab=max_vocab, keep=False)
    else:
        encoded = encode(reporting(read_corpus(paths), lambda line: _say(quiet, line)), min_count=min_count,
                         max_vocab=max_vocab)
    vocab = encoded.vocab
    if output == "-":  # the vocabulary file's format: the words' raw bytes
        out_bytes(b"".join(b"%s %d\n" % (word, count) for word, count in zip(vocab.words, vocab.counts.tolist())))
    else:
        vocab.save(output)
    pruned = f", {encoded.pruned:,} pruned while counting" if encoded.pruned else ""
    _say(quiet, f"{encoded.tokens:,} tokens, {len(vocab):,} words with count >= {min_count} "
                f"covering {vocab.total:,} tokens{pruned}")
