"""The training pipeline, from a corpus to written vectors: what ``w2vcli.train`` and
``w2v train`` both run.

corpus (paths, globs, stdin or sentences) -> tokens (corpus.py, or tokenize.py for raw
text) -> vocabulary and int32 ids (vocab.py) -> Hogwild threads over the kernels (hogwild.py)
-> vectors, written atomically (formats.py) or returned as ``Vectors``.

Every check that can fail does so before the corpus is read: options, outputs that are
inputs, unwritable paths, a checkpoint that disagrees with the options given.
"""

import dataclasses
import functools
import os
import time
from typing import Callable

import numpy as np

from .atomic import atomic_open, check_writable, corpus_inputs, refuse_same_files, stdout_problem, together
from .corpus import corpus_paths, iter_tokens, read_corpus, reporting, sentence_blocks
from .errors import UsageError, W2VError
from .formats import VectorWriter, binary_name, read_vectors, write_vectors
from .hogwild import Interrupted, Progress, State, TrainConfig, typed
from .vectors import Vectors
from .vocab import Vocab, encode
from .words import decode_word, encode_word

OPTIONS = [f.name for f in dataclasses.fields(TrainConfig)]  # model, dim, window, ... as the CLI has them


def _fmt_count(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return f"{n:.0f}"


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_arguments(**given) -> None:
    """train's own arguments by type, as TrainConfig.validate checks the training options (None:
    not given, except for the two flags)."""
    for name, kind in (("add_context", "True or False"), ("parametric", "True or False"),
                       ("classes", "a whole number"), ("senses", "a whole number"), ("max_senses", "a whole number"),
                       ("sync_every", "a whole number"), ("checkpoint_every", "a number"), ("new_sense", "a number")):
        if given[name] is not None or kind == "True or False":
            typed(name, given[name], kind)


def _file_name(name: str, value) -> str | None:
    """A path given to train: a str or os.PathLike, as a str (True would be taken for descriptor 1)."""
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)) or not isinstance(os.fspath(value), str):
        raise UsageError(f"{name} must be a file name, not {value!r}")
    return os.fspath(value)


def binary_output(path: str, fmt: str = "auto") -> bool:
    """word2vec binary (True) or text: by ``fmt``, or for 'auto' by the suffix (.bin, also before
    .gz/.bz2/.xz: binary)."""
    if fmt not in ("auto", "binary", "text"):
        raise UsageError(f"format must be auto, binary or text, not {fmt!r}")
    return binary_name(path) if fmt == "auto" else fmt == "binary"


def _config(options: dict, resumed: TrainConfig | None) -> TrainConfig:
    """The run's settings: the options given (None: not given) over the defaults, or over a
    checkpoint's settings, where any option given must agree (threads may change)."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise UsageError(f"unknown training option {unknown[0]!r} (the options: {', '.join(OPTIONS)})")
    given = {k: v for k, v in options.items() if v is not None}
    if resumed is None:
        config = TrainConfig(**given)
    else:
        for name, value in given.items():
            if name != "threads" and getattr(resumed, name) != value:
                raise UsageError(f"{_option(name)} {value} conflicts with the checkpoint's {getattr(resumed, name)}: "
                                 f"leave it out to resume, or start afresh without --resume")
        config = dataclasses.replace(resumed, threads=given.get("threads", resumed.threads))
    config.validate()
    return config


def _corpus_source(corpus) -> tuple[list[str] | None, object]:
    """(paths, None) for a path, '-', or a list of paths and globs; (None, sentences) otherwise."""
    if isinstance(corpus, (str, os.PathLike)):
        return corpus_paths(corpus), None
    if isinstance(corpus, (list, tuple)) and corpus and all(isinstance(c, (str, os.PathLike)) for c in corpus):
        return corpus_paths(corpus), None
    if isinstance(corpus, (bytes, dict)) or not hasattr(corpus, "__iter__"):
        raise UsageError("corpus must be a path, a list of paths, or an iterable of sentences (lists of words)")
    return None, corpus


def _init_vectors(init, dim: int) -> tuple[list[bytes], np.ndarray] | None:
    if init is None:
        return None
    if isinstance(init, Vectors):
        words, matrix = [encode_word(w) for w in init.words], init.vectors
    else:
        words, matrix, _ = read_vectors(os.fspath(init))
    if matrix.shape[1] != dim:
        raise UsageError(f"--init vectors have {matrix.shape[1]} dimensions, --dim is {dim}")
    return words, matrix


def train(corpus, output: str | None = None, *, format: str = "auto", output_context: str | None = None,
          add_context: bool = False,
          save_vocab: str | None = None, read_vocab: str | None = None, init=None, resume: str | None = None,
          checkpoint: str | None = None, checkpoint_every: float | None = None, classes: int | None = None,
          loss_log: str | None = None, tokenize=None, senses: int | None = None, senses_words=None,
          max_senses: int | None = None, new_sense: float | None = None, parametric: bool = False,
          on_progress: Callable[[Progress], None] | None = None, on_message: Callable[[str], None] | None = None,
          progress_every: float = 0.5, dask=None, sync_every: int | None = None, **options) -> Vectors:
    """Train word vectors and return them (``vecs.context``: the output vectors of negative
    sampling; ``vecs.progress``: the final Progress, with the loss of each epoch).

    corpus: a path ('-' for stdin; .gz/.bz2/.xz read directly), a list of paths and glob
    patterns read in order, or an iterable of sentences (lists of str), read once.
    output: also write the vectors there (binary for *.bin unless ``format``; compressed for
    .gz/.bz2/.xz; '-': standard output), or the ``classes`` k-means classes. options: the
    training options of ``w2v train`` (model, dim, window, negative, hs, sample, epochs,
    min_count, alpha, min_alpha, threads, max_vocab, seed, cbow_mean, corrected_cbow,
    position_weights, ns_exponent, exact_skipgram, joint_skipgram),
    word2vec.c's defaults where not given. ``tokenize``: True or tokenize.TokenizeOptions to
    split raw text (case, punctuation, numbers, Chinese) instead of on whitespace.
    ``checkpoint_every`` minutes the state is saved (to ``checkpoint``, default
    OUTPUT.ckpt.npz) and ``resume`` goes on from such a file; ``loss_log`` gets a TSV line per
    epoch (epoch, words, mean loss, alpha, seconds); ``add_context``: each word's vector is its
    input vector plus its output vector, both at unit length (see plus_context); ``init`` (a path or Vectors)
    starts known words from earlier vectors. ``on_progress`` receives a Progress about
    twice a second, ``on_message`` each line the command line prints. Errors raise W2VError.
    ``dask``: train on a Dask cluster (a scheduler address, 'local:N' for a LocalCluster of N
    processes, or a distributed.Client), synchronising every ``sync_every`` tokens (see
    distributed.py); ``threads`` is then per worker.

    Multi-sense skip-gram (multisense.py): ``senses`` N gives the N most frequent words
    several vectors, or ``senses_words`` (a file, one word a line, or a list of words) the
    listed ones; up to ``max_senses`` each (3), a sense added where no centre is near
    (``new_sense``, a cosine), or exactly ``max_senses`` with ``parametric``. The output
    then also has ``word#k`` rows (k from 1, the most used sense first) after the usual ones;
    ``vecs.senses`` holds each word's senses, centres and shares.
    """
    _check_arguments(add_context=add_context, parametric=parametric, classes=classes, senses=senses,
                     max_senses=max_senses, sync_every=sync_every, checkpoint_every=checkpoint_every,
                     new_sense=new_sense)
    output, output_context, save_vocab, read_vocab, resume, checkpoint, loss_log = map(_file_name, (
        "output", "output_context", "save_vocab", "read_vocab", "resume", "checkpoint", "loss_log"),
        (output, output_context, save_vocab, read_vocab, resume, checkpoint, loss_log))
    if sync_every is not None and dask is None:
        raise UsageError("--sync-every sets how often Dask workers synchronise: it goes with --dask")
    if dask is not None:
        from .distributed import Cluster  # imports no Dask: only a Cluster's connection does

        if not isinstance(dask, Cluster):  # connected on first use, closed however the run ends
            params = {k: v for k, v in locals().items() if k not in ("corpus", "options", "dask", "Cluster")}
            with Cluster(dask, options.get("threads"), on_message) as cluster:
                return train(corpus, dask=cluster, **params, **options)
    from . import checkpoint as checkpoints

    say = on_message or (lambda message: None)
    started = time.perf_counter()
    resumed = checkpoints.load(resume) if resume else None
    needs_negative = [name for given, name in ((output_context, "--output-context"), (add_context, "--add-context"))
                      if given]  # the output vectors of negative sampling
    if needs_negative and options.get("negative") == 0 and not resumed:  # before "nothing to train" (--hs won't do)
        raise UsageError(f"{needs_negative[0]} needs negative sampling (--negative N, N > 0)")
    config = _config(options, resumed.config if resumed else None)
    if resumed and dask is not None:
        from .distributed import is_distributed_state

        if not is_distributed_state(resumed.state):
            raise UsageError(f"{resume} was written by a run on one machine: resume it without --dask")
    elif resumed and resumed.state.positions.shape[1] == 3:
        raise UsageError(f"{resume} was written by a run on a Dask cluster: resume it with --dask")
    if resumed and (read_vocab or init is not None):
        raise UsageError(f"{'--read-vocab' if read_vocab else '--init'} cannot go with --resume: "
                         "a checkpoint holds its vocabulary and vectors")
    if needs_negative and not config.negative:
        raise UsageError(f"{needs_negative[0]} needs negative sampling (--negative N, N > 0)"
                         + (": the checkpoint was trained without" if resumed else ""))
    if classes is not None and not output:
        raise UsageError("--classes writes 'word class' lines to the output: give an output path")
    from . import multisense

    sense_options = multisense.options_from(senses, senses_words, max_senses, new_sense, parametric)
    if sense_options is not None:
        multisense.check_config(config)
        for given, name in ((resume, "--resume"), (checkpoint_every, "--checkpoint-every"), (classes, "--classes")):
            if given:
                raise UsageError(f"{name} cannot go with --senses: multi-sense training keeps no checkpoints "
                                 "and writes vectors" if name != "--classes" else
                                 "--classes cannot go with --senses: it writes classes, not vectors")
        if add_context:
            raise UsageError("--add-context cannot go with --senses: word#k rows have no output vectors to add")
    paths, sentences = _corpus_source(corpus)
    if dask is not None:
        if paths is None:
            raise UsageError("--dask trains files the workers read: give paths, not sentences")
        if sense_options is not None:
            raise UsageError("--senses cannot go with --dask: multi-sense training runs on one machine")
        from .distributed import shard_paths

        paths = shard_paths(paths)
    every = checkpoint_every if checkpoint_every is not None else (resumed.every if resumed else None)
    checkpointing = bool(every or resume)
    named = {"-o": output, "--output-context": output_context, "--save-vocab": save_vocab, "--loss-log": loss_log,
             "--checkpoint": checkpoint}
    for name, path in named.items():
        if path is not None and not str(path).strip():
            raise UsageError(f"{name} needs a file name, not an empty one")
    if [output, output_context, save_vocab, loss_log].count("-") > 1:
        raise UsageError("only one output can go to standard output (-)")
    problem = stdout_problem() if "-" in (output, output_context, save_vocab, loss_log) else None
    if problem:
        raise W2VError(problem)
    if output == "-" and every and not (checkpoint or resume):
        raise UsageError("-o - writes to standard output: name the checkpoint file with --checkpoint FILE")
    if checkpoint and not checkpointing:  # it would be silently unused
        raise UsageError("--checkpoint names where --checkpoint-every saves the training state: give "
                         "--checkpoint-every MINUTES too")
    checkpoint_path = checkpoint or resume or (output + ".ckpt.npz" if output else None)
    if checkpointing and not checkpoint_path:
        raise UsageError("checkpoint_every needs a checkpoint path (or an output to put it beside)")
    outputs = {"-o": output, "--output-context": output_context, "--save-vocab": save_vocab, "--loss-log": loss_log}
    inputs = corpus_inputs(paths)
    inputs.update({"--read-vocab": read_vocab, "--init": init if isinstance(init, (str, os.PathLike)) else None})
    refuse_same_files({**outputs, "--checkpoint": checkpoint_path if checkpointing else None}, inputs)
    refuse_same_files(outputs, {"--resume": resume})
    for path in [*outputs.values(), checkpoint_path if checkpointing else None]:
        if path:
            check_writable(path)
    initial = _init_vectors(init, config.dim)

    raw_text = None
    fixed = resumed.vocab if resumed else (Vocab.read(read_vocab, config.min_count) if read_vocab else None)
    if dask is not None:
        encoded = dask.encode(paths, config, tokenize, fixed)
        vocab, corpus_tokens = encoded.vocab, encoded.known_tokens
    else:
        if paths is not None:
            tokens, raw_text = _tokenizer(tokenize)
            blocks = read_corpus(paths, tokens)
        else:
            blocks = sentence_blocks(sentences)
        blocks = reporting(blocks, say)
        encoded = encode(blocks, min_count=config.min_count, max_vocab=config.max_vocab, vocab=fixed)
        vocab, corpus_tokens = encoded.vocab, len(encoded.ids)
    if raw_text is not None:
        say(f"tokenized: {raw_text.lines:,} lines, {raw_text.tokens:,} tokens"
            + (f", {raw_text.replaced_bytes:,} bytes that were not UTF-8 replaced" if raw_text.replaced_bytes else ""))
    if resumed:
        if corpus_tokens != resumed.corpus_tokens:
            raise W2VError(f"this is not the corpus of {resume}: it has {corpus_tokens:,} known tokens, "
                           f"the checkpoint {resumed.corpus_tokens:,}")
        say(f"resuming from {resume}: {resumed.state.done:,} of {config.epochs * resumed.corpus_tokens:,} words done")
    pruned = f", {encoded.pruned:,} rare words pruned while counting" if encoded.pruned else ""
    say(f"corpus: {encoded.tokens:,} tokens, vocabulary: {len(vocab):,} words (min-count {config.min_count}){pruned}")
    objective = "+".join(x for x, on in (("NS", config.negative > 0), ("HS", config.hs)) if on)
    variant = "".join(f", {name}" for name, on in (("corrected", config.corrected_cbow),
                                                   ("position weights", config.position_weights),
                                                   ("exact", config.exact_skipgram),
                                                   ("joint skip-gram", config.joint_skipgram)) if on)
    threads = f"{config.threads} threads" if dask is None else (
        f"{config.threads} threads per worker" if options.get("threads") else "each worker's threads")
    say(f"training {config.model}+{objective}{variant}, {config.dim} dims, {config.epochs} epochs, "
        f"{threads}, alpha {config.start_alpha:g}")
    if initial is not None:
        known = len(set(initial[0]) & set(vocab.words))
        say(f"starting {known:,} of {len(vocab):,} words from {init if isinstance(init, str) else 'init'}, "
            "the rest at random")

    saved = []  # the checkpoints this run wrote

    def save_checkpoint(state: State) -> None:
        checkpoints.save(checkpoint_path, config, vocab, corpus_tokens, state, every)
        saved.append(state.done)
        say(f"checkpoint: {state.done:,} words done, saved to {checkpoint_path}")

    from .hogwild import train as run

    sense_state = None
    if sense_options is not None:
        sense_state = multisense.start(vocab.words, corpus_tokens, config.epochs, config.dim, sense_options, config.seed)
        kind = "parametric" if sense_state.new_sense == multisense.PARAMETRIC else \
            f"a new sense below cosine {sense_state.new_sense:g}"
        say(f"senses for {len(sense_state.used):,} words: up to {sense_state.max_senses} each, {kind}")
    if dask is not None:  # sense_state is None: refused above
        run = functools.partial(dask.train, sync_every=sync_every)
    try:
        model, final = run(encoded, config, on_progress=on_progress, progress_every=progress_every, init=initial,
                           on_checkpoint=save_checkpoint if checkpointing else None,
                           checkpoint_every=every * 60 if every else None, resume=resumed.state if resumed else None,
                           senses=sense_state)
        if final.pairs == 0:  # the vectors would be their random start, the summary's losses empty
            ids = getattr(encoded, "ids", None)  # one process: whether any line holds two known words
            alone = ids is not None and not np.any((ids[1:] != 0) & (ids[:-1] != 0))
            cause = (f"subsampling (--sample {config.sample:g}; --sample 0 keeps every word) left no two words in one "
                     "line" if config.sample and not alone else "no two words of the corpus stand in one line")
            raise W2VError(f"nothing was trained: {cause} (each line is a sentence); no output written")
    except W2VError as e:  # diverged, or nothing trained: a checkpoint of this run is no state to go on from
        if saved and not isinstance(e, Interrupted) and os.path.exists(checkpoint_path):
            os.remove(checkpoint_path)
        raise
    del encoded
    sense_model = multisense.finish(sense_state, vocab.words, config.dim) if sense_state is not None else None
    if add_context:
        model.vectors = plus_context(model.vectors, model.context)
    if sense_model is not None:  # word#k rows after the usual ones
        names, rows = sense_model.rows()
        model.words, model.vectors = model.words + names, np.vstack([model.vectors, rows])
        several = sum(len(s) > 1 for s in sense_model.shares)
        say(f"senses: {several:,} of {len(sense_model.words):,} words kept several, {len(names):,} word#k rows")
    writes = []  # (path, how): files first, standard output last, so a reader that leaves early loses no file
    if output and classes:
        from .classes import kmeans_classes, write_classes

        writes.append((output, lambda: write_classes(output, model.words, kmeans_classes(
            model.vectors, min(classes, len(model.words))))))
    elif output:
        writes.append((output, lambda: write_vectors(output, model.words, model.vectors,
                                                     binary_output(output, format))))
    if output_context:
        writes.append((output_context, lambda: write_context(output_context, model,
                                                             binary_output(output_context, format))))
    if loss_log:
        writes.append((loss_log, lambda: _write_loss_log(loss_log, final)))
    if save_vocab:  # with the others: a run stopped or failed leaves none of them
        writes.append((save_vocab, lambda: vocab.save(save_vocab)))
    with together():  # every output, or none
        for _, write in sorted(writes, key=lambda w: w[0] == "-"):
            write()
    if checkpointing and os.path.exists(checkpoint_path):
        os.remove(checkpoint_path)  # the output is complete: nothing left to resume
    this_run = f" ({final.done - final.resumed_at:,} in this run)" if final.resumed_at else ""
    losses = " ".join(f"{x:.4f}" for x in final.epoch_losses)
    wrote = f"; wrote {output if output != '-' else 'standard output'}" if output else ""
    say(f"trained {final.done:,} words{this_run} in {final.seconds:.1f} s ({_fmt_count(final.words_per_sec)} "
        f"words/s); loss per epoch {losses}{wrote} in {time.perf_counter() - started:.1f} s total")
    words = [decode_word(w) for w in model.words]
    vectors = Vectors(words, model.vectors)
    if model.context is not None:
        vectors.context = Vectors(words[: len(model.context)], model.context)
    vectors.progress = final
    vectors.senses = sense_model
    return vectors


def _write_loss_log(path: str, final: Progress) -> None:
    with atomic_open(path) as f:
        f.write(b"epoch\twords\tloss\talpha\tseconds\n")
        f.write("".join(f"{e}\t{w}\t{loss:.6f}\t{a:.6g}\t{t:.2f}\n" for e, w, loss, a, t in final.finished).encode())


def plus_context(vectors: np.ndarray, context: np.ndarray) -> np.ndarray:
    """Each word's input vector plus its output vector, both scaled to unit length (an all-zero
    row stays zero): the two views of a word that negative sampling learns, averaged, as Levy,
    Goldberg and Dagan (2015) recommend and GloVe writes (W + C). On text8_prefix it adds about
    two points of analogy accuracy to skip-gram (benchmarks/RESULTS.md). In blocks of rows, so
    the only new matrix is the result."""
    def unit(m: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        return m / np.where(norms > 0, norms, 1)

    summed = np.empty(vectors.shape, np.float32)
    for start in range(0, len(vectors), 65536):
        rows = slice(start, start + 65536)
        summed[rows] = unit(vectors[rows])
        summed[rows] += unit(context[rows])
    return summed


def position_names(window: int) -> list[bytes]:
    """The rows of CBOW's position vectors in an --output-context file: <pos-W> .. <pos-1>, <pos+1> .. <pos+W>."""
    return [b"<pos%+d>" % p for p in [*range(-window, 0), *range(1, window + 1)]]


def write_context(path: str, model, binary: bool) -> None:
    """The output vectors of negative sampling, one row per word, then CBOW's position vectors
    (where trained) as rows named by position_names."""
    rows, dim = model.context.shape
    places = model.positions if model.positions is not None else np.empty((0, dim), np.float32)
    words = model.words[:rows]  # multi-sense training's word#k rows have no output vectors
    with VectorWriter(path, rows + len(places), dim, binary) as writer:
        for start in range(0, rows, 65536):
            writer.write(words[start : start + 65536], model.context[start : start + 65536])
        if len(places):
            writer.write(position_names(len(places) // 2), places)


def _tokenizer(tokenize):
    """(the function that splits a corpus stream into token blocks, the stats it keeps): word2vec.c's
    whitespace rule, or with ``tokenize`` (True or tokenize.TokenizeOptions) the raw-text tokenizer."""
    if not tokenize:
        return iter_tokens, None
    from . import tokenize as raw

    if not (isinstance(tokenize, raw.TokenizeOptions) or tokenize is True):
        raise UsageError(f"tokenize must be True, False or a tokenize.TokenizeOptions, not {tokenize!r}")
    options = tokenize if isinstance(tokenize, raw.TokenizeOptions) else raw.TokenizeOptions()
    stats = raw.TokenizeStats()
    return functools.partial(raw.iter_tokens, options=options, stats=stats), stats
