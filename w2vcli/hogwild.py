"""Hogwild training: wires vocabulary, tables and kernels, runs one thread per core over them
without locks (as word2vec.c), schedules the learning rate, reports progress and the loss, stops
on a signal or a diverging loss, and resumes from a checkpoint."""

import contextlib
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numba
import numpy as np

from . import kernels
from .errors import UsageError, W2VError, stopped_by
from .idstore import release
from .resources import available_memory, gib
from .tables import (
    NEG_POWER,
    HuffmanTree,
    NegativeSampler,
    keep_probabilities,
    loss_tables,
    sigmoid_table,
)
from .vectors import first_index
from .vocab import MAX_VOCAB, EncodedCorpus

HOT_NODES = 1024  # inner nodes nearest the root each thread keeps a copy of (hierarchical softmax)
HOT_WORDS = 1024  # most frequent words whose output rows each thread keeps a copy of (negative sampling)
CHUNK_TOKENS = 100_000  # a kernel call's share of the corpus: ~0.1 s, so progress and Ctrl-C stay responsive


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


FLAGS = ("hs", "cbow_mean", "corrected_cbow", "position_weights", "exact_skipgram", "joint_skipgram")
WHOLE = ("dim", "window", "negative", "epochs", "min_count", "threads", "max_vocab", "seed")
REAL = ("sample", "alpha", "min_alpha", "ns_exponent")


def is_flag(value) -> bool:
    """True or False (NumPy's too), or 0/1 as gensim's hs=1: from Python any other value would
    pass for true."""
    return isinstance(value, (bool, np.bool_, int, np.integer)) and value in (0, 1)


def is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


KINDS = {"True or False": (is_flag, bool), "a whole number": (is_whole, int), "a number": (is_real, float)}


def typed(name: str, value, kind: str):
    """value as the plain Python bool, int or float a KINDS kind names (NumPy's scalars too, for
    Numba and json), or a UsageError naming the option: from Python any value gets here."""
    ok, plain = KINDS[kind]
    if not ok(value):
        raise UsageError(f"{name} must be {kind}, not {value!r}")
    return plain(value)


@dataclass
class TrainConfig:
    model: str = "skipgram"  # or "cbow"
    dim: int = 100  # as word2vec.c: -size 100
    window: int = 5  # as word2vec.c
    negative: int = 5  # as word2vec.c
    hs: bool = False  # as word2vec.c: -hs 0
    sample: float = 1e-3  # as word2vec.c
    epochs: int = 5  # as word2vec.c: -iter 5
    min_count: int = 5  # as word2vec.c
    alpha: float | None = None  # as word2vec.c: 0.025 for skip-gram, 0.05 for CBOW
    min_alpha: float | None = None  # as word2vec.c: alpha * 1e-4
    threads: int = field(default_factory=default_threads)
    max_vocab: int = MAX_VOCAB
    seed: int = 1
    cbow_mean: bool = True  # as word2vec.c: CBOW averages its context
    corrected_cbow: bool = False  # CBOW: each context row gets 1/C of h's gradient (kernels.train_cbow)
    position_weights: bool = False  # CBOW: a learned vector per position weights the context rows
    ns_exponent: float = NEG_POWER  # as word2vec.c: negatives drawn from unigram counts ^ 0.75
    exact_skipgram: bool = False  # skip-gram: word2vec.c's pair-by-pair draws and updates
    joint_skipgram: bool = False  # CBOW: also skip-gram's pairs of each window, each weighted 1/window

    @property
    def start_alpha(self) -> float:
        if self.alpha is not None:
            return self.alpha
        if self.model == "cbow" and (self.corrected_cbow or self.position_weights):
            return RETUNED_ALPHA[self.corrected_cbow, self.position_weights]
        return 0.05 if self.model == "cbow" else 0.025

    @property
    def end_alpha(self) -> float:
        return self.min_alpha if self.min_alpha is not None else self.start_alpha * 1e-4

    def validate(self) -> None:
        for names, kind in ((FLAGS, "True or False"), (WHOLE, "a whole number"), (REAL, "a number")):
            for name in names:
                if getattr(self, name) is not None or name not in ("alpha", "min_alpha"):  # None: the default
                    setattr(self, name, typed(name, getattr(self, name), kind))
        checks = [
            (self.model in ("skipgram", "cbow"), f"--model must be skipgram or cbow, not {self.model!r}"),
            (1 <= self.dim <= 10_000, f"--dim must be between 1 and 10000, not {self.dim}"),
            (1 <= self.window <= 1_000, f"--window must be between 1 and 1000, not {self.window}"),
            (0 <= self.negative <= 1_000, f"--negative must be between 0 and 1000, not {self.negative}"),
            (self.hs or self.negative > 0, "nothing to train: use --negative N (N > 0), --hs, or both"),
            (0 <= self.sample < 1, f"--sample must be in [0, 1), not {self.sample}"),
            (1 <= self.epochs <= 10_000, f"--epochs must be between 1 and 10000, not {self.epochs}"),
            (self.min_count >= 1, f"--min-count must be at least 1, not {self.min_count}"),
            (0 < self.start_alpha <= 1, f"--alpha must be in (0, 1], not {self.start_alpha}"),
            (0 <= self.end_alpha <= self.start_alpha, "--min-alpha must be in [0, alpha]"),
            (1 <= self.threads <= 256, f"--threads must be between 1 and 256, not {self.threads}"),
            (self.max_vocab >= 2, f"--max-vocab must be at least 2, not {self.max_vocab}"),
            (0 <= self.seed < 2**63, f"--seed must be in [0, 2^63), not {self.seed}"),
            (-2 <= self.ns_exponent <= 2, f"--ns-exponent must be in [-2, 2], not {self.ns_exponent}"),
        ]
        for flag, name in ((self.corrected_cbow, "--corrected-cbow"), (self.position_weights, "--position-weights")):
            if flag and self.model != "cbow":
                checks.append((False, f"{name} is for CBOW (--model cbow); skip-gram has no context mean"))
            if flag and not self.cbow_mean:
                checks.append((False, f"{name} needs --cbow-mean: it is defined on the mean of the context"))
        if self.exact_skipgram and self.model != "skipgram":
            checks.append((False, "--exact-skipgram is for skip-gram (--model skipgram)"))
        if self.joint_skipgram and self.model != "cbow":
            checks.append((False, "--joint-skipgram is for CBOW (--model cbow): it adds skip-gram's pairs to it"))
        if self.joint_skipgram and self.negative == 0:
            checks.append((False, "--joint-skipgram trains skip-gram's pairs with negative sampling: use --negative N "
                                  "(N > 0)"))
        for ok, message in checks:
            if not ok:
                raise UsageError(message)


# Default learning rates of the CBOW variants, (corrected, position weights) -> alpha: the best
# analogy score of a few rates each on text8_prefix, window 5, 3 seeds, the one choice made on
# the evaluation sets (benchmarks/RESULTS.md, "Better vectors": corrected 0.1/0.15/0.2/0.3,
# position weights 0.05/0.075/0.1/0.15, both 0.05/0.075/0.1/0.2/0.3)
RETUNED_ALPHA = {(True, False): 0.2, (False, True): 0.075, (True, True): 0.1}


def kernel_settings(config: TrainConfig) -> kernels.Settings:
    """The options the kernels read, from a run's configuration."""
    return kernels.Settings(config.window, config.negative, config.hs, config.cbow_mean, config.corrected_cbow,
                            config.position_weights, config.exact_skipgram, config.joint_skipgram)


@dataclass
class Model:
    words: list[bytes]
    counts: np.ndarray
    vectors: np.ndarray  # input vectors (syn0): the word vectors
    context: np.ndarray | None  # output vectors of negative sampling (syn1neg), one row per word
    positions: np.ndarray | None = None  # CBOW's position vectors, -window .. -1, 1 .. window


@dataclass
class Progress:
    done: int  # tokens trained so far, all threads, all epochs
    total: int
    alpha: float
    seconds: float  # since this run started
    resumed_at: int = 0  # tokens a checkpoint had done before this run
    epoch_losses: list[float] = field(default_factory=list)  # mean loss per training pair, each epoch begun
    pairs: int = 0  # training pairs so far: (context, centre) for skip-gram, centre words for CBOW
    finished: list[tuple[int, int, float, float, float]] = field(default_factory=list)
    # each epoch trained to its end: (epoch from 1, words done then, its mean loss, alpha, seconds)

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 1.0

    @property
    def words_per_sec(self) -> float:
        return (self.done - self.resumed_at) / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> float:
        rate = self.words_per_sec
        return (self.total - self.done) / rate if rate > 0 else float("inf")

    @property
    def loss(self) -> float:
        """The mean loss of the epoch under way (nan before the first pair)."""
        return self.epoch_losses[-1] if self.epoch_losses else float("nan")


class Interrupted(W2VError):
    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(stopped_by(signum), exit_code=128 + signum)


class Diverged(W2VError):
    def __init__(self, alpha: float, fraction: float, what: str):
        super().__init__(f"training diverged at {fraction:.0%}: {what}; --alpha {alpha:g} is too large here, "
                         f"try a smaller one (e.g. --alpha {alpha / 4:g}); no output written")


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event):
    """SIGINT and SIGTERM stop training (threads finish their current 0.1 s chunk), then raise Interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    caught = []

    def handler(signum, frame):
        caught.append(signum)
        stop.set()

    # a signal the process was started to ignore (nohup, `cmd &` in a script) stays ignored
    watched = [s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) is not signal.SIG_IGN]
    previous = {s: signal.signal(s, handler) for s in watched}
    try:
        yield caught
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@dataclass
class State:
    """Everything a run needs to go on exactly where it stopped (see checkpoint.py)."""

    syn0: np.ndarray
    syn1neg: np.ndarray
    syn1: np.ndarray
    pos: np.ndarray  # CBOW's position vectors (a row of zeros without them)
    positions: np.ndarray  # int64 [parts, 2]: per part of the corpus, its chunks not yet taken (see _Work)
    rngs: np.ndarray  # uint64 [threads]: per thread, its random state there
    done: int  # tokens trained so far, all threads
    epochs: np.ndarray  # float64 [epochs, EPOCH_FIELDS], see EPOCH_FIELDS
    seconds: float = 0.0  # of training before this state, all runs


# per epoch: summed loss, training pairs, tokens trained; when it ended: tokens done (all epochs),
# learning rate, seconds of training (NaN until it ends)
EPOCH_FIELDS = 6


def train(
    corpus: EncodedCorpus,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    progress_every: float = 0.5,
    init: tuple[list[bytes], np.ndarray] | None = None,
    on_checkpoint: Callable[[State], None] | None = None,
    checkpoint_every: float | None = None,
    resume: State | None = None,
    senses=None,
) -> tuple[Model, Progress]:
    """Train word vectors on an encoded corpus; returns the model and the final Progress.

    ``init`` (words, vectors) continues from earlier vectors: words found there start from
    their vector, the others from random as usual. ``on_checkpoint`` receives a consistent
    State every ``checkpoint_every`` seconds (the threads wait at their next chunk boundary
    while it is copied) and once more if a signal stops training; ``resume`` starts from one,
    with any number of threads. A callback that raises stops the threads first, then the
    error goes on; a loss that turns NaN or infinite stops training with Diverged. ``senses``
    (multisense.Senses, trained in place) trains multi-sense skip-gram instead.
    """
    config.validate()
    vocab, ids = corpus.vocab, corpus.ids
    v, dim = len(vocab), config.dim
    _check_memory(v, dim, config)
    threads = min(config.threads, max(1, len(ids) // 1000))  # tiny corpora: no point splitting
    node_rows, word_rows = (v if config.hs else 1), (v if config.negative else 1)  # shared rows of syn1, syn1neg
    place_rows = 2 * config.window if config.position_weights else 1
    own, extra_nodes, extra_words, extra_places = hot_rows(node_rows, word_rows, place_rows, threads, config)
    if resume is not None:
        syn0 = padded_rows(v, dim, resume.syn0)
        syn1neg = padded_rows(word_rows + extra_words, dim, resume.syn1neg)
        syn1 = padded_rows(node_rows + extra_nodes, dim, resume.syn1)
        pos = padded_rows(place_rows + extra_places, dim, resume.pos)
        chunks_left, done, epochs = resume.positions.copy(), [resume.done], resume.epochs.copy()
        seconds_before = resume.seconds
        rngs = np.array([resume.rngs[t] if t < len(resume.rngs) else _thread_seed(config.seed + resume.done, t)
                         for t in range(threads)], dtype=np.uint64)
    else:
        syn0 = padded_rows(v, dim)
        kernels.fill_random(syn0, dim, config.seed)
        if init is not None:
            start_from(syn0[:, :dim], vocab.words, *init)
        syn1neg = padded_rows(word_rows + extra_words, dim)
        syn1 = padded_rows(node_rows + extra_nodes, dim)
        pos = padded_rows(place_rows + extra_places, dim)
        if config.position_weights:
            pos[:place_rows, :dim] = 1.0  # each position starts as the plain mean
        chunks_left = None
        rngs = np.array([_thread_seed(config.seed, t) for t in range(threads)], dtype=np.uint64)
        done = [0]
        epochs = np.zeros((config.epochs, EPOCH_FIELDS), np.float64)
        epochs[:, 3:] = np.nan
        seconds_before = 0.0
    tree = HuffmanTree.from_counts(vocab.counts) if config.hs else HuffmanTree.from_counts(vocab.counts[:1])
    sampler = NegativeSampler.from_counts(vocab.counts, config.ns_exponent)
    weights = kernels.Weights(syn0, syn1neg, syn1, pos)
    tables = kernels.Tables(sampler.prob, sampler.alias, tree.points, tree.codes, tree.codelens,
                            keep_probabilities(vocab.counts, config.sample), sigmoid_table(), *loss_tables())
    settings = kernel_settings(config)
    total = config.epochs * len(ids)
    schedule = kernels.Schedule(float(config.start_alpha), float(config.end_alpha), float(total))
    mine = [kernels.ThreadState(rngs[t : t + 1], np.zeros(2), own[t],  # rngs[t:t+1]: a view, kept in rngs
                                *(np.empty((own[t, k, 1], syn0.shape[1]), np.float32) for k in range(3)))
            for t in range(threads)]
    work = _Work(ids, threads if chunks_left is None else len(chunks_left), config.epochs, chunks_left)
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []
    parking = _Parking(threads)
    kernel = kernels.train_cbow if config.model == "cbow" else kernels.train_skipgram
    extra = ()  # what a kernel takes beyond the usual records
    if senses is not None:
        from . import multisense

        kernel, extra = multisense.train_multisense, (senses,)
    # A pair's loss starts near (its predictions) x log 2 and falls; a thousand times that only
    # comes from vectors that grow without bound (they soon reach inf and NaN)
    runaway = 1000 * math.log(2) * (config.negative + 1 + (tree.codelens.max() if config.hs else 0))

    def worker(t: int) -> None:
        me = mine[t]
        try:
            kernels.take_hot_rows(weights, me)  # chunks end merged: taken once per run
            while True:
                parking.wait_if_asked()  # between chunks: a checkpoint sees only whole ones
                if stop.is_set() or (chunk := work.take(t, threads)) is None:
                    return
                start, end, epoch = chunk
                with lock:
                    before = done[0]
                me.loss[:] = 0.0
                n = kernel(ids[start:end], weights, tables, settings, schedule, before, threads, me, *extra)
                release(ids, start, end)
                with lock:
                    done[0] += n
                    epochs[epoch, :3] += (me.loss[0], me.loss[1], n)
                    if epochs[epoch, 2] == len(ids):  # its last chunk
                        epochs[epoch, 3:] = (done[0], kernels.learning_rate(schedule, done[0]), elapsed())
                if not math.isfinite(me.loss[0]) or me.loss[0] > runaway * max(me.loss[1], 1):
                    mean = me.loss[0] / max(me.loss[1], 1)
                    raise Diverged(config.start_alpha, done[0] / total, f"the loss became {mean:.3g} per pair")
        except BaseException as e:  # surfaced in the main thread
            errors.append(e)
            stop.set()
        finally:
            parking.leave()

    def elapsed() -> float:
        return seconds_before + time.perf_counter() - started

    def snapshot() -> Progress:
        with lock:
            so_far, table = done[0], epochs.copy()
        alpha = kernels.learning_rate(schedule, so_far)
        begun = [float(s / n) for s, n in table[:, :2] if n > 0]
        finished = [(e + 1, int(row[3]), float(row[0] / max(row[1], 1)), float(row[4]), float(row[5]))
                     for e, row in enumerate(table) if not np.isnan(row[3])]
        return Progress(so_far, total, alpha, time.perf_counter() - started, resume.done if resume else 0, begun,
                        int(table[:, 1].sum()), finished)

    def state() -> State:
        return State(syn0[:, :dim].copy(), syn1neg[:word_rows, :dim].copy(), syn1[:node_rows, :dim].copy(),
                     pos[:place_rows, :dim].copy(), work.left.copy(), rngs.copy(), done[0], epochs.copy(), elapsed())

    # Load the machine code from Numba's cache (0.01 s) or compile it (the first run: ~8 s)
    # before the clock starts: start-up, as tokenising is, not training time or words/s.
    kernel.compile(tuple(numba.typeof(a) for a in (ids[:0], weights, tables, settings, schedule, 0, threads, mine[0],
                                                   *extra)))
    started = time.perf_counter()
    last_checkpoint = time.monotonic()
    pool = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads)]
    with _stop_on_signals(stop) as caught:
        try:
            for th in pool:
                th.start()
            while alive := [th for th in pool if th.is_alive()]:
                alive[0].join(progress_every)
                if on_progress is not None and not stop.is_set():
                    on_progress(snapshot())
                if on_checkpoint and checkpoint_every and time.monotonic() - last_checkpoint >= checkpoint_every:
                    with parking.all_parked():
                        saved = state()
                    on_checkpoint(saved)
                    last_checkpoint = time.monotonic()
        except BaseException:  # a callback raised: no thread trains on in the background
            stop.set()
            for th in pool:
                th.join()
            raise
    if caught:
        if on_checkpoint and not errors:
            on_checkpoint(state())  # the threads stopped at chunk boundaries: a clean place to go on from
        raise Interrupted(caught[0])
    if errors:
        raise errors[0]
    if not all(np.isfinite(syn0[r : r + 65536]).all() for r in range(0, v, 65536)):
        raise Diverged(config.start_alpha, 1.0, "the vectors hold NaN or infinite values")
    final = snapshot()
    context = syn1neg[:v, :dim] if config.negative else None
    positions = pos[:place_rows, :dim] if config.position_weights else None
    return Model(vocab.words, vocab.counts, syn0[:, :dim], context, positions), final


ROW_FLOATS = 16  # 64 bytes: one cache line of float32


class _Work:
    """Who trains which chunk. The corpus is cut into parts (one per thread when a run starts);
    part u is trained epoch after epoch, in CHUNK_TOKENS chunks numbered 0 .. epochs x chunks,
    and left[u] holds the first and one past the last not yet taken. Thread t takes from the
    front of its own parts (t, t + threads, ...); one that has run out takes the last chunk of
    whichever part has the most left, so a core slowed by another program (or a slower core)
    does not hold up the end of the run. A run resumed with another number of threads keeps
    the checkpoint's parts. One thread takes every chunk in order: the same run as ever."""

    def __init__(self, ids: np.ndarray, parts: int, epochs: int, left: np.ndarray | None = None):
        self.bounds = np.linspace(0, len(ids), parts + 1).astype(np.int64)
        self.chunks = [-(-int(b - a) // CHUNK_TOKENS) for a, b in zip(self.bounds[:-1], self.bounds[1:])]
        if left is None:
            left = np.array([(0, epochs * n) for n in self.chunks], np.int64)
        self.left = left
        self.lock = threading.Lock()

    def take(self, t: int, threads: int = 1) -> tuple[int, int, int] | None:
        """The next chunk for thread t (start and stop in the ids, and its epoch), or None when
        all are taken."""
        with self.lock:
            remaining = self.left[:, 1] - self.left[:, 0]
            mine = [u for u in range(t, len(remaining), threads) if remaining[u] > 0]
            if mine:
                u = mine[0]
                k = int(self.left[u, 0])
                self.left[u, 0] += 1
            elif remaining.max() > 0:
                u = int(np.argmax(remaining))
                self.left[u, 1] -= 1
                k = int(self.left[u, 1])
            else:
                return None
        start = int(self.bounds[u]) + k % self.chunks[u] * CHUNK_TOKENS
        return start, min(start + CHUNK_TOKENS, int(self.bounds[u + 1])), k // self.chunks[u]


def padded_rows(rows: int, dim: int, values: np.ndarray | None = None) -> np.ndarray:
    """A zeroed rows x width float32 matrix, width = dim rounded up to whole cache lines, each row
    starting on one; ``values`` (up to rows x dim) fill the first columns of the first rows.

    The kernels run over the whole width (the padding stays zero: its gradients are zero), so
    their vector loops have no scalar remainder and no load straddles two cache lines, and two
    threads writing neighbouring rows never share a line. At dim 100 (width 112) this trains
    ~10% faster than 100-wide rows, though it computes 12% more (benchmarks/RESULTS.md).
    """
    width = -(-dim // ROW_FLOATS) * ROW_FLOATS
    buf = np.zeros(rows * width + ROW_FLOATS, np.float32)
    start = (-buf.ctypes.data % (4 * ROW_FLOATS)) // 4
    matrix = buf[start : start + rows * width].reshape(rows, width)
    if values is not None:
        matrix[: len(values), :dim] = values
    return matrix


def hot_rows(node_rows: int, word_rows: int, place_rows: int, threads: int, config: TrainConfig
             ) -> tuple[np.ndarray, int, int, int]:
    """Per thread, the rows it keeps its own copy of, merged with the shared ones every
    kernels.SHARE_EVERY words (kernels._share): (own[thread] = ((first, count, copies at) for the inner
    nodes, the same for the word rows and for CBOW's position vectors), extra inner-node rows,
    extra word rows, extra position rows). The copies follow the shared rows: node_rows of
    syn1, word_rows of syn1neg, place_rows of pos. Every CBOW example reads and writes every
    position vector of its window: with several threads each trains its own copy of all of them.

    Every word's Huffman path starts at the root, and the frequent words are most of the
    negatives: with threads writing those rows at once, each write takes the cache line from
    the other core. Copies cut that traffic: sg-hs on 2 threads trains 1.2-2.2x faster, sg-ns
    1.02-1.09x, with the same accuracy (benchmarks/RESULTS.md). Merging costs time in
    proportion to the copies, so more rows stop paying (8192 nodes: slower than 2048). The
    copies live in extra rows of the matrices so the kernels index one array, and mapping a
    row to its copy happens once per draw or path, not per access (measured: a per-access
    choice between two arrays cost 18% on one thread). One thread keeps none.
    """
    nodes = min(HOT_NODES, node_rows - 1) if config.hs and threads > 1 else 0  # inner nodes: 0 .. V-2
    words = min(HOT_WORDS, word_rows) if config.negative and threads > 1 else 0
    places = place_rows if config.position_weights and threads > 1 else 0
    own = np.zeros((threads, 3, 3), np.int64)
    for t in range(threads):
        own[t, 0] = (node_rows - 1 - nodes, nodes, node_rows + t * nodes)
        own[t, 1] = (0, words, word_rows + t * words)
        own[t, 2] = (0, places, place_rows + t * places)
    return own, threads * nodes, threads * words, threads * places


class _Parking:
    """Lets the main thread stop all workers at their next chunk boundary, copy the state, and
    let them go on."""

    def __init__(self, workers: int):
        self.cond = threading.Condition()
        self.asked = False
        self.parked = 0
        self.running = workers

    def wait_if_asked(self) -> None:
        with self.cond:
            if not self.asked:
                return
            self.parked += 1
            self.cond.notify_all()
            while self.asked:
                self.cond.wait()
            self.parked -= 1

    def leave(self) -> None:
        with self.cond:
            self.running -= 1
            self.cond.notify_all()

    @contextlib.contextmanager
    def all_parked(self):
        with self.cond:
            self.asked = True
            while self.parked < self.running:
                self.cond.wait()
            try:
                yield
            finally:
                self.asked = False
                self.cond.notify_all()


def start_from(syn0: np.ndarray, words: list[bytes], init_words: list[bytes], init_vectors: np.ndarray) -> int:
    """Copy the rows of words that init_words knows into syn0; returns how many."""
    if init_vectors.shape[1] != syn0.shape[1]:
        raise UsageError(f"--init vectors have {init_vectors.shape[1]} dimensions, --dim is {syn0.shape[1]}")
    known = first_index(init_words)
    pairs = [(row, known[w]) for row, w in enumerate(words) if w in known]
    if pairs:
        rows, sources = map(list, zip(*pairs))
        syn0[rows] = init_vectors[sources]
    return len(pairs)


def _thread_seed(seed: int, thread: int) -> int:
    # distinct, well-mixed streams per thread; thread 0 of --seed N is the same on every run
    return (seed * 0x9E3779B97F4A7C15 + thread * 0xD1B54A32D192ED03 + 1) % 2**64


def _check_memory(vocab_size: int, dim: int, config: TrainConfig) -> None:
    matrices = 1 + (config.negative > 0) + config.hs
    need = vocab_size * dim * 4 * matrices
    avail = available_memory()
    if avail is not None and need > avail:
        raise W2VError(
            f"the model needs {gib(need)} ({vocab_size} words x {dim} dims x {matrices} matrices) "
            f"but only {gib(avail)} of memory is available: lower --dim or raise --min-count"
        )
