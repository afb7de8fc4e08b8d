"""Training on a Dask cluster: ``w2v train ... --dask tcp://host:8786`` or ``--dask local:4``.

The only module that imports dask, distributed and fsspec, and only when asked to (the
functions import them), so w2v without --dask never loads them.

The scheme, data-parallel with periodic averaging of sparse row deltas:

- Counting: each shard is counted on some worker (the same tokenizer and --max-vocab rule as
  one process), its words in order of first appearance; the counts are merged pairwise in
  file order on the workers (a merge keeps the first shard's order and appends the second's
  new words), so the vocabulary is word2vec.c's order over the whole corpus: the very file
  single-process counting writes (unless --max-vocab had to prune, which depends on the order
  words were met). The worker that counted a shard keeps its ids for training.
- Training: each worker owns some shards (balanced by tokens). An epoch is cut into R rounds
  (R = corpus tokens / sync_every); in a round every shard trains its next 1/R slice, each
  worker running the Numba kernels over its slices with all its threads, from the last
  synchronised model, at the learning rate times the number of workers N. A worker then
  sends the rows it changed, as (row ids, new - old) float32 pairs per matrix, and resets
  them. The driver adds the deltas' sum divided by N to the model (the average of the N
  workers' models, counted over the rows they changed), and sends every worker the rows
  that changed, so all start the next round from the same model. Where a row's updates are
  small (most rows), N workers at N x alpha averaged are one process's sum of updates at
  alpha; where a row moves far within a round (the frequent words), each worker's delta is
  already the whole move, and the average does not overshoot. Summing (alpha unscaled)
  diverged, averaging at alpha lost 5 analogy points (benchmarks/RESULTS.md). The learning
  rate decays linearly with the tokens trained cluster-wide, as one process's does.
- Faults: a task's worker that leaves the cluster (killed, out of memory, lost) is noticed
  within a second; its unfinished slices are trained again from the same synchronised model
  by the least loaded live worker (a restarted worker counts), which reads the shards it
  lacks itself. A slice lost three times stops the run with an error and no output.

Workers read their shards themselves, through fsspec for URLs (s3://, gs://, hdfs://, ...)
and as local files otherwise, so the corpus never passes through the scheduler; only counts,
the vocabulary and model rows do. Every worker needs w2v installed (``pip install
'w2vcli[dask]'``) and the same view of the paths.
"""

import contextlib
import dataclasses
import functools
import logging
import math
import os
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field

import numpy as np

from .corpus import EOS, corpus_paths, iter_tokens, open_corpus
from .errors import UsageError, W2VError
from .hogwild import (
    CHUNK_TOKENS,
    EPOCH_FIELDS,
    Diverged,
    Interrupted,
    Model,
    Progress,
    State,
    TrainConfig,
    _stop_on_signals,
    _thread_seed,
    hot_rows,
    kernel_settings,
    padded_rows,
    start_from,
)
from .idstore import IdStore
from .jit import njit
from .vocab import Vocab, _count_block, _FirstSeen, _sort_and_cut

CONNECT_SECONDS = 5  # a scheduler that does not answer within this is an error, not a wait
WORKER_WAIT_SECONDS = 30  # how long a scheduler with no worker (or a run whose workers all left) waits for one
POLL_SECONDS = 0.2  # how often the driver looks at its tasks and the cluster's workers
PROGRESS_SECONDS = 10.0  # how often counting on the cluster reports
MAX_LOSSES = 3  # a slice whose worker died this many times stops the run
# Tokens trained cluster-wide between synchronisations, by default: at least SYNC_EVERY, and
# TOKENS_PER_ROW per vocabulary word over the number of workers (a round sends about the whole
# model whatever its length, so it should train enough to be worth it; but the more workers, the
# more often they must meet: on text8_prefix 4 workers lost 1.0 analogy point synchronising once
# an epoch, 0.5 three times, benchmarks/RESULTS.md), and at most SYNCS_PER_EPOCH an epoch.
SYNC_EVERY = 1_000_000
TOKENS_PER_ROW = 100
SYNCS_PER_EPOCH = 16
# how the deltas of a round combine: "average" (the scheme above); for the comparison in
# benchmarks/RESULTS.md, "sum" (at alpha), "mean" (over the workers that changed a row, at alpha)
# and "adaptive" (the sum over how far the deltas agree, AdaScale's gain per row)
MERGE = os.environ.get("W2V_DASK_MERGE", "average")
MATRICES = ("syn0", "syn1neg", "syn1", "pos")


def is_distributed_state(state: State) -> bool:
    """A checkpoint written by a distributed run: its positions row is (next round, rounds per
    epoch, -1), three columns, where hogwild's are (first, end) chunk pairs."""
    return state.positions.ndim == 2 and state.positions.shape[1] == 3


# ----------------------------------------------------------------------------------------------
# the driver: connecting, counting, training


@dataclass
class WorkerShare:
    """What one worker trained, for the progress line and the summary."""

    tokens: int = 0
    seconds: float = 0.0  # in its kernels

    @property
    def words_per_sec(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ClusterProgress(Progress):
    workers: dict = field(default_factory=dict)  # worker address -> WorkerShare
    syncs: int = 0  # synchronisations done
    bytes_up: int = 0  # model bytes workers sent the driver (deltas), all syncs
    bytes_down: int = 0  # model bytes the driver sent workers (changed rows, whole models)


@dataclass
class ShardedCorpus:
    """The corpus as the cluster holds it: the merged vocabulary, the shards, where they live."""

    vocab: Vocab
    paths: list[str]
    tokens: int  # tokens read, in or out of the vocabulary
    pruned: int
    shard_tokens: list[int]  # tokens read per shard (for balancing)
    counted_on: list[str | None]  # the worker holding each shard's ids after counting
    tokenize: object = None  # as pipeline.train's: the workers split raw text the same way
    known: list[int] | None = None  # tokens in the vocabulary per shard, once prepared

    @property
    def known_tokens(self) -> int:
        return int(sum(self.known or [0]))


def parse_address(address: str) -> tuple[str, int | None]:
    """('local', N) for 'local:N', (address, None) otherwise."""
    address = str(address).strip()
    if address.startswith("local"):
        _, _, n = address.partition(":")
        if not n.isdigit() or not 1 <= int(n) <= 256:
            raise UsageError(f"--dask local:N needs N between 1 and 256 worker processes, not {address!r}")
        return "local", int(n)
    if not address:
        raise UsageError("--dask needs a scheduler address (tcp://host:8786) or local:N")
    return address, None


def _import_dask():
    try:
        import distributed
        import fsspec  # noqa: F401
    except ImportError:
        raise UsageError("--dask needs Dask: pip install 'w2vcli[dask]'") from None
    return distributed


@contextlib.contextmanager
def _quiet_dask():
    """Dask's own log lines and warnings (a removed worker, a closed comm) stay off our stderr:
    what matters is reported by w2v in one line."""
    loggers = [logging.getLogger(name) for name in ("distributed", "tornado", "bokeh")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)


class Cluster:
    """A connection to a Dask cluster (or a LocalCluster of our own), opened on first use and
    closed by ``close``: the workers forget this run, and a LocalCluster's processes end."""

    def __init__(self, address, threads: int | None = None, say=None):
        self.address = address
        self.threads = threads  # kernel threads per worker (None: each worker's own nthreads)
        self.say = say or (lambda message: None)
        self.run = uuid.uuid4().hex[:12]
        self.client = None
        self.local = None
        self.quiet = contextlib.ExitStack()
        if not _is_client(address):
            parse_address(address)  # a malformed address is an error before anything starts

    # -- connection

    def connect(self):
        if self.client is not None:
            return self.client
        distributed = _import_dask()
        self.quiet.enter_context(_quiet_dask())
        import dask

        # a worker that died refuses connections: give up on it in seconds, not Dask's 30
        self.quiet.enter_context(dask.config.set({"distributed.comm.timeouts.connect": f"{CONNECT_SECONDS}s"}))
        if _is_client(self.address):
            self.client = self.address
        else:
            where, n = parse_address(self.address)
            try:
                if n is not None:
                    threads = self.threads or max(1, (os.cpu_count() or 1) // n)
                    self.local = distributed.LocalCluster(
                        n_workers=n, threads_per_worker=threads, processes=True, host="127.0.0.1",
                        dashboard_address=None, silence_logs=logging.CRITICAL)
                    self.client = distributed.Client(self.local, timeout=CONNECT_SECONDS)
                    each = f"{threads} thread{'s' if threads > 1 else ''} each"
                    self.say(f"dask: a local cluster of {n} worker processes, {each}")
                else:
                    self.client = distributed.Client(where, timeout=CONNECT_SECONDS)
            except (OSError, TimeoutError) as e:
                self.close()
                raise W2VError(f"cannot reach the Dask scheduler at {where}: {_first_line(e)}") from None
            except ValueError as e:
                self.close()
                raise UsageError(f"--dask {where}: {_first_line(e)}") from None
            except RuntimeError as e:  # a LocalCluster's processes could not start
                self.close()
                raise W2VError(f"cannot start a local Dask cluster: {_first_line(e)} (a script that starts one "
                               "needs the `if __name__ == '__main__':` guard)") from None
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except (OSError, TimeoutError):
            self.close()
            raise W2VError(f"no Dask worker joined the scheduler at {self.address} within {WORKER_WAIT_SECONDS} s") \
                from None
        if self.local is None:
            workers = self._workers()
            self.say(f"dask: scheduler {self.client.scheduler.address}, {len(workers)} workers, "
                     f"{sum(workers.values())} threads")
        return self.client

    def _workers(self) -> dict[str, int]:
        """Live workers and their threads, from the scheduler."""
        try:
            return dict(self.client.nthreads())
        except (OSError, TimeoutError) as e:
            raise W2VError(f"lost the Dask scheduler: {_first_line(e)}; no output written") from None

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.run(_forget, self.run)
            if not _is_client(self.address):
                with contextlib.suppress(Exception):
                    client.close(timeout=CONNECT_SECONDS)
        local, self.local = self.local, None
        if local is not None:
            with contextlib.suppress(Exception):
                local.close(timeout=10)
        self.quiet.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- counting

    def count(self, corpus, tokenize=None, min_count: int = 5, max_vocab: int | None = None,
              vocab: Vocab | None = None, keep: bool = True) -> ShardedCorpus:
        """Count the shards on the workers and merge them into word2vec.c's vocabulary (or take
        ``vocab``, --read-vocab, and only read the shards). ``keep``: the workers keep each
        shard's ids for training."""
        from .vocab import MAX_VOCAB

        paths = shard_paths(corpus)
        client = self.connect()
        max_vocab = MAX_VOCAB if max_vocab is None else max_vocab
        last = len(paths) - 1
        counts = [client.submit(_count_shard, self.run, i, p, i == last, tokenize, max_vocab, keep and vocab is None,
                                pure=False, key=f"w2v-count-{self.run}-{i}") for i, p in enumerate(paths)]
        summaries = [client.submit(_summary, c, pure=False) for c in counts]
        level = counts
        while len(level) > 1:  # pairwise, in file order: first appearances stay in corpus order
            level = [client.submit(_merge_counts, *level[i : i + 2], max_vocab, pure=False) if i + 1 < len(level)
                     else level[i] for i in range(0, len(level), 2)]
        final = client.submit(_finish, level[0], min_count, pure=False)
        shards = self._result(summaries, "counting the shards")
        tokens, pruned, words, word_counts, best = self._result([final], "merging the counts")[0]
        del counts, summaries, level, final
        if tokens == 0:
            raise W2VError("the corpus is empty")
        if vocab is None:
            if len(words) < 2:
                raise W2VError(f"no word occurs at least --min-count={min_count} times "
                               f"(the most frequent occurs {best} times)")
            vocab = Vocab(words, word_counts)
        return ShardedCorpus(vocab, paths, tokens, pruned, [s[0] for s in shards], [s[1] for s in shards], tokenize)

    def _result(self, futures, what: str):
        """The results of unpinned tasks (Dask reruns one whose worker died); a task's W2VError
        (a shard that cannot be read) comes back as that one line."""
        deadline = None
        started = last = time.monotonic()
        while True:
            _wait(futures)
            pending = [f for f in futures if not f.done()]
            if pending and time.monotonic() - last >= PROGRESS_SECONDS:  # a long job says how far it is
                last = time.monotonic()
                self.say(f"dask: {what}: {len(futures) - len(pending)} of {len(futures)} done "
                         f"({last - started:.0f} s)")
            for f in futures:
                if f.status == "error":
                    raise _task_error(f, what)
            if not pending:
                break
            if not self._workers():
                deadline = deadline or time.monotonic() + WORKER_WAIT_SECONDS
                if time.monotonic() > deadline:
                    raise W2VError(f"every Dask worker is gone while {what}; no output written")
            else:
                deadline = None
        values = self.client.gather(futures)
        for v in values:
            if isinstance(v, _Failed):
                raise W2VError(v.message, v.exit_code)
        return values

    # -- training

    def encode(self, corpus, config: TrainConfig, tokenize=None, vocab: Vocab | None = None) -> ShardedCorpus:
        """Count (or, with ``vocab``, only read) the shards, give each a worker, and have the
        workers turn them into vocabulary ids: the corpus ready to train."""
        sharded = self.count(corpus, tokenize, config.min_count, config.max_vocab, vocab)
        self.driver = _Driver(self, sharded, config)
        sharded.known = self.driver.prepare()
        if sharded.known_tokens == 0:
            raise W2VError("no word of the corpus is in the vocabulary")
        return sharded

    def train(self, corpus: ShardedCorpus, config: TrainConfig, on_progress=None, progress_every: float = 0.5,
              init=None, on_checkpoint=None, checkpoint_every: float | None = None, resume: State | None = None,
              sync_every: int | None = None, merge: str | None = None, senses=None) -> tuple[Model, ClusterProgress]:
        """hogwild.train's contract on the cluster (after ``encode``): the model and the final
        progress. ``sync_every``: tokens trained cluster-wide between synchronisations.
        Multi-sense training (``senses``) runs on one machine only."""
        if senses is not None:
            raise UsageError("--senses cannot go with --dask: multi-sense training runs on one machine")
        if corpus is not self.driver.corpus or config != self.driver.config:
            raise UsageError("Cluster.train trains the corpus and settings Cluster.encode prepared")
        if sync_every is None:
            sync_every = default_sync_every(corpus.known_tokens, len(corpus.vocab),
                                            len(set(self.driver.owner.values())))
        return self.driver.run(on_progress, progress_every, init, on_checkpoint, checkpoint_every, resume,
                               sync_every, merge or MERGE)


def default_sync_every(tokens: int, vocabulary: int, workers: int) -> int:
    """The default --sync-every for a corpus of ``tokens`` known tokens an epoch."""
    return max(SYNC_EVERY, TOKENS_PER_ROW * vocabulary // max(1, workers), -(-tokens // SYNCS_PER_EPOCH))


def _wait(futures) -> None:
    """Until one of the futures is done, or POLL_SECONDS."""
    from distributed import wait

    with contextlib.suppress(TimeoutError):
        wait(futures, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")


def _is_client(obj) -> bool:
    return type(obj).__name__ == "Client" and hasattr(obj, "submit")


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


def _task_error(future, what: str) -> W2VError:
    e = future.exception()
    return W2VError(f"a Dask worker failed while {what}: {type(e).__name__}: {_first_line(e)}; no output written")


def shard_paths(corpus) -> list[str]:
    """The shards of a corpus: local paths and globs as corpus_paths expands them (made
    absolute, for workers started elsewhere), URLs (s3://...) through fsspec; each checked to
    exist before any work."""
    items = [corpus] if isinstance(corpus, (str, os.PathLike)) else list(corpus)
    paths = []
    for item in map(os.fspath, items):
        if item == "-":
            raise UsageError("--dask reads files on the workers: a corpus on stdin ('-') cannot be distributed")
        if "://" not in item:
            found = [os.path.abspath(p) for p in corpus_paths(item)]
            for p in found:
                if os.path.isdir(p):
                    raise W2VError(f"corpus {p} is a directory, not a file")
                if not os.path.exists(p):
                    raise W2VError(f"corpus {p} not found")
            paths += found
            continue
        import fsspec

        try:
            fs, _, (path,) = fsspec.core.get_fs_token_paths(item)
            if any(c in item for c in "*?["):
                found = sorted(fs.glob(path))
                if not found:
                    raise W2VError(f"no file matches {item!r}")
                paths += [fs.unstrip_protocol(p) for p in found]
            elif not fs.exists(path):
                raise W2VError(f"corpus {item} not found")
            else:
                paths.append(item)
        except W2VError:
            raise
        except (ImportError, ValueError, OSError) as e:
            raise W2VError(f"cannot open corpus {item}: {_first_line(e)}") from None
    if not paths:
        raise W2VError("no corpus given")
    return paths


class _Driver:
    """The synchronisation loop: rounds of slices over the workers, deltas merged into the one
    model the driver holds, faults turned into redone slices."""

    def __init__(self, cluster: Cluster, corpus: ShardedCorpus, config: TrainConfig):
        self.cluster, self.corpus, self.config = cluster, corpus, config
        self.client = cluster.client
        self.say = cluster.say
        self.owner: dict[int, str] = {}  # shard -> worker training it
        self.version: dict[str, int] = {}  # worker -> the model version it holds (a sync count)
        self.changed: list[dict[str, np.ndarray]] = []  # per version: rows changed by that sync
        self.losses: dict[tuple[int, int], int] = {}  # (round, shard) -> times its worker died
        self.shares: dict[str, WorkerShare] = {}
        self.bytes_up = self.bytes_down = 0
        self.phases: dict[str, float] = {}  # seconds: the workers' (summed) and the driver's, by phase
        self.update_cache = (None, None)  # (the model version a worker holds, now): the update for it
        self.setup = None

    # -- the model the driver holds

    def _initial(self, init, resume: State | None) -> dict[str, np.ndarray]:
        config, vocab = self.config, self.corpus.vocab
        v, dim = len(vocab), config.dim
        rows = {"syn0": v, "syn1neg": v if config.negative else 1, "syn1": v if config.hs else 1,
                "pos": 2 * config.window if config.position_weights else 1}
        if resume is not None:
            return {name: np.ascontiguousarray(getattr(resume, name), np.float32) for name in MATRICES}
        from . import kernels

        syn0 = padded_rows(v, dim)
        kernels.fill_random(syn0, dim, config.seed)  # the same start as one process
        model = {"syn0": np.ascontiguousarray(syn0[:, :dim])}
        if init is not None:
            start_from(model["syn0"], vocab.words, *init)
        for name in MATRICES[1:]:
            model[name] = np.zeros((rows[name], dim), np.float32)
        if config.position_weights:
            model["pos"][:] = 1.0  # each position starts as the plain mean
        return model

    def run(self, on_progress, progress_every, init, on_checkpoint, checkpoint_every, resume, sync_every, merge):
        if merge not in ("adaptive", "average", "mean", "sum"):
            raise UsageError(f"merge must be adaptive, average, mean or sum, not {merge!r}")
        if sync_every < 1:
            raise UsageError(f"--sync-every must be at least 1 token, not {sync_every}")
        self.sync_every, self.merge = sync_every, merge
        config, corpus = self.config, self.corpus
        started = time.perf_counter()
        self.model = self._initial(init, resume)
        known = corpus.known_tokens
        total = config.epochs * known
        if resume is not None:
            first, rounds = int(resume.positions[0, 0]), int(resume.positions[0, 1])
            done, epochs, seconds_before = resume.done, resume.epochs.copy(), resume.seconds
        else:
            first, rounds = 0, max(1, -(-known // self.sync_every))
            done, seconds_before = 0, 0.0
            epochs = np.zeros((config.epochs, EPOCH_FIELDS), np.float64)
            epochs[:, 3:] = np.nan
        self.say(f"dask: {len(corpus.paths)} shards on {len(set(self.owner.values()))} workers; "
                 f"{rounds} synchronisations an epoch (every {known // rounds:,} tokens), "
                 f"deltas merged by {self.merge}")
        from . import kernels

        schedule = kernels.Schedule(float(config.start_alpha), float(config.end_alpha), float(total))
        resumed_at = done
        syncs = 0

        def elapsed():
            return seconds_before + time.perf_counter() - started

        def progress(extra: float = 0.0) -> ClusterProgress:
            so_far = min(total, done + int(extra))
            begun = [float(s / n) for s, n in epochs[:, :2] if n > 0]
            finished = [(e + 1, int(row[3]), float(row[0] / max(row[1], 1)), float(row[4]), float(row[5]))
                        for e, row in enumerate(epochs) if not np.isnan(row[3])]
            return ClusterProgress(so_far, total, kernels.learning_rate(schedule, so_far),
                                   time.perf_counter() - started, resumed_at, begun, int(epochs[:, 1].sum()), finished,
                                   dict(self.shares), syncs, self.bytes_up, self.bytes_down)

        def state(next_round: int) -> State:
            where = np.array([[next_round, rounds, -1]], np.int64)  # see is_distributed_state
            return State(*(self.model[name].copy() for name in MATRICES), where, np.zeros(1, np.uint64), done,
                         epochs.copy(), elapsed())

        stop = threading.Event()
        last_checkpoint = time.monotonic()
        rate = None  # tokens/s of the last round, for the progress line between syncs
        with _stop_on_signals(stop) as caught:
            for r in range(first, config.epochs * rounds):
                epoch, k = divmod(r, rounds)
                units = {i: (k, rounds) for i in range(len(corpus.paths))}
                round_tokens = sum(_slice_size(corpus.known[i], k, rounds) for i in units)
                workers = len({self.owner[i] for i in units if i in self.owner}) or 1
                plan = _Plan(r, done, float(total), round_tokens, workers if self.merge == "average" else 1.0)
                t0 = time.perf_counter()

                def tick(_, t0=t0, rate=rate, round_tokens=round_tokens):
                    if on_progress is not None:
                        guess = min(round_tokens, (time.perf_counter() - t0) * rate) if rate else 0.0
                        on_progress(progress(guess))

                results = self._round(units, plan, tick, progress_every, stop)
                if stop.is_set():
                    break
                trained = sum(res.tokens for res in results)
                merging = time.perf_counter()
                self._merge(results, plan.alpha_scale)
                self.phases["merge"] = self.phases.get("merge", 0.0) + time.perf_counter() - merging
                self.phases["round"] = self.phases.get("round", 0.0) + time.perf_counter() - t0
                syncs += 1
                done += trained
                rate = trained / max(time.perf_counter() - t0, 1e-9)
                loss, pairs = sum(res.loss for res in results), sum(res.pairs for res in results)
                epochs[epoch, :3] += (loss, pairs, trained)
                if not math.isfinite(loss) or loss > _runaway(config, len(corpus.vocab)) * max(pairs, 1):
                    mean = loss / max(pairs, 1)
                    raise Diverged(config.start_alpha, done / total, f"the loss became {mean:.3g} per pair")
                if k == rounds - 1:
                    epochs[epoch, 3:] = (done, kernels.learning_rate(schedule, done), elapsed())
                if on_progress is not None:
                    on_progress(progress())
                if on_checkpoint and checkpoint_every and time.monotonic() - last_checkpoint >= checkpoint_every:
                    on_checkpoint(state(r + 1))
                    last_checkpoint = time.monotonic()
            else:
                r = config.epochs * rounds
        if caught:
            if on_checkpoint:
                on_checkpoint(state(r))  # the last synchronised model: a clean place to go on from
            raise Interrupted(caught[0])
        if not all(np.isfinite(m).all() for m in self.model.values()):
            raise Diverged(config.start_alpha, 1.0, "the vectors hold NaN or infinite values")
        final = progress()
        final.seconds = time.perf_counter() - started
        self._report(final, rounds)
        v = len(corpus.vocab)
        model = Model(corpus.vocab.words, corpus.vocab.counts, self.model["syn0"],
                      self.model["syn1neg"][:v] if config.negative else None,
                      self.model["pos"] if config.position_weights else None)
        return model, final

    # -- who trains what

    def _assign(self, weights: list[int]) -> None:
        """Give every shard without a live owner to a worker: first the one that counted it,
        while that keeps the loads balanced, then the least loaded (a new worker has none)."""
        live = self.cluster._workers()
        if not live:
            live = self._wait_for_workers()
        load = {w: 0 for w in live}
        for i, w in self.owner.items():
            if w in load:
                load[w] += weights[i]
        target = sum(weights) / len(live)
        orphans = sorted((i for i in range(len(weights)) if self.owner.get(i) not in load), key=lambda i: -weights[i])
        for i in orphans:
            home = self.corpus.counted_on[i]
            if home not in load or load[home] + weights[i] > 1.1 * target:
                home = min(load, key=lambda w: (load[w], w))
            self.owner[i] = home
            load[home] += weights[i]

    def _rebalance(self) -> None:
        """A worker that joined (or a restarted one) takes shards from the most loaded worker,
        one at a time while that lowers the highest load; it reads them itself."""
        weights = self.corpus.known
        load = {w: 0 for w in self.cluster._workers()}
        for i, w in self.owner.items():
            if w in load:
                load[w] += weights[i]
        while len(load) > 1:
            idle, busy = min(load, key=load.get), max(load, key=load.get)
            theirs = [i for i, w in self.owner.items() if w == busy]
            i = min(theirs, key=lambda i: weights[i])
            if len(theirs) < 2 or load[idle] + weights[i] >= load[busy]:
                break
            self.owner[i] = idle
            load[idle] += weights[i]
            load[busy] -= weights[i]

    def _wait_for_workers(self) -> dict[str, int]:
        deadline = time.monotonic() + WORKER_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            if live := self.cluster._workers():
                return live
        raise W2VError(f"every Dask worker is gone: none came back within {WORKER_WAIT_SECONDS} s; no output written")

    def prepare(self) -> list[int]:
        """Give each shard a worker; each worker turns its shards' counted ids into vocabulary
        ids (or reads them again); returns the known tokens of each shard."""
        corpus = self.corpus
        self.setup = self.client.scatter(_Setup(self.cluster.run, corpus.vocab.words, corpus.vocab.counts,
                                                dataclasses.asdict(self.config), self.cluster.threads,
                                                corpus.tokenize, corpus.paths),
                                         broadcast=True, hash=False)
        self._assign(corpus.shard_tokens)
        units = {i: None for i in range(len(self.corpus.paths))}
        results = self._dispatch(units, lambda worker, mine: self.client.submit(
            _prepare_shards, self.setup, mine, workers=[worker], allow_other_workers=False, pure=False),
            None, 1.0, threading.Event(), "reading the shards")
        self.client.run(_drop_counted, self.cluster.run)  # ids counted on a worker that does not train them
        known = [0] * len(units)
        for res in results:
            for i, n in res.items():
                known[i] = n
        return known

    def _round(self, units: dict, plan, tick, every: float, stop: threading.Event) -> list:
        def submit(worker, mine):
            update = self._update_for(worker)
            future = self.client.submit(_train_round, self.setup, update, mine, plan, workers=[worker],
                                        allow_other_workers=False, pure=False)
            return future

        self._rebalance()
        results = self._dispatch(units, submit, tick, every, stop, f"training (round {plan.round + 1})", plan.round)
        return sorted(results, key=lambda res: min(res.shards))  # a fixed order of addition

    def _dispatch(self, units: dict, submit, tick, every: float, stop: threading.Event, what: str,
                  round_: int | None = None) -> list:
        """Run ``units`` (shard -> its slice) on the shards' owners, one task per worker at a
        time; units whose worker leaves go to live workers and run again from the same model."""
        pending = dict(units)
        running: dict[str, tuple] = {}  # worker -> (future, its shards)
        results = []
        last_look = last_tick = time.monotonic()
        no_workers_since = None

        def lost(worker: str, mine) -> None:
            self.version.pop(worker, None)
            for i in mine:
                key = (round_, i)
                self.losses[key] = self.losses.get(key, 0) + 1
                if self.losses[key] >= MAX_LOSSES:
                    raise W2VError(f"the workers given {self.corpus.paths[i]} died {MAX_LOSSES} times while {what}; "
                                   "stopping, no output written")
                pending[i] = units[i]
                self.owner.pop(i, None)
            self.say(f"dask: lost worker {worker} while {what}; {len(mine)} shard{'s' if len(mine) > 1 else ''} "
                     "go to another, from the last synchronised model")

        while pending or running:
            if stop.is_set():
                for future, _ in running.values():
                    future.cancel()
                return results
            now = time.monotonic()
            if pending or now - last_look >= 1.0:
                live, last_look = self.cluster._workers(), now
                if not live:
                    no_workers_since = no_workers_since or now
                    if now - no_workers_since > WORKER_WAIT_SECONDS:
                        raise W2VError(f"every Dask worker is gone while {what}; no output written")
                else:
                    no_workers_since = None
                for worker, (future, mine) in list(running.items()):
                    if worker not in live:  # the scheduler has seen it go
                        future.cancel()
                        del running[worker]
                        lost(worker, mine)
            if pending and live:
                if any(self.owner.get(i) not in live for i in pending):
                    for worker in sorted({self.owner[i] for i in pending if self.owner.get(i) not in (None, *live)}):
                        self.version.pop(worker, None)  # it left between its tasks: said as when running one
                        self.say(f"dask: lost worker {worker} between tasks while {what}; its shards go to "
                                 "another, from the last synchronised model")
                    self._assign(self.corpus.known or self.corpus.shard_tokens)
                for worker in sorted({self.owner[i] for i in pending}):
                    if worker in running:
                        continue
                    mine = {i: s for i, s in pending.items() if self.owner.get(i) == worker}
                    for i in mine:
                        del pending[i]
                    try:
                        running[worker] = (submit(worker, mine), set(mine))
                    except W2VError:
                        raise
                    except Exception:  # it died before the scheduler noticed: no connection to it
                        lost(worker, mine)
            futures = [f for f, _ in running.values()]
            if futures:
                _wait(futures)
            else:
                time.sleep(POLL_SECONDS)
            if tick is not None and time.monotonic() - last_tick >= every:
                tick(None)
                last_tick = time.monotonic()
            for worker, (future, mine) in list(running.items()):
                if future.status == "finished":
                    try:
                        value = future.result()
                    except Exception:  # finished, then its worker died with the result
                        del running[worker]
                        lost(worker, mine)
                        continue
                    del running[worker]
                    if isinstance(value, _Failed):
                        raise W2VError(value.message, value.exit_code)
                    if isinstance(value, _RoundResult):
                        self._account(worker, value)
                        self.version[worker] = len(self.changed)
                    results.append(value)
                elif future.status == "error" and worker in self.cluster._workers():
                    raise _task_error(future, what)
                elif future.status in ("cancelled", "lost", "error"):
                    del running[worker]
                    lost(worker, mine)
        return results

    # -- synchronisation

    def _update_for(self, worker: str):
        """The rows that changed since the worker's model version (the whole model for a worker
        that has none), scattered straight to it."""
        clock = time.perf_counter()
        version = self.version.get(worker)
        key = (version, len(self.changed))
        if self.update_cache[0] == key:
            update = self.update_cache[1]
        elif version is None:
            update = _Update(full=True, rows={name: (None, m) for name, m in self.model.items()})
        else:
            rows = {}
            for name in MATRICES:
                parts = [c[name] for c in self.changed[version:] if name in c]
                if parts:
                    ids = parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))
                    rows[name] = (ids, self.model[name][ids])
            update = _Update(full=False, rows=rows)
        self.update_cache = (key, update)  # every worker in step gets the same rows
        self.bytes_down += update.nbytes
        future = self.client.scatter(update, workers=[worker], direct=True, hash=False)
        self.phases["send"] = self.phases.get("send", 0.0) + time.perf_counter() - clock
        return future

    def _merge(self, results: list, scale: float = 1.0) -> None:
        changed = {}
        for name in MATRICES:
            parts = [res.deltas[name] for res in results if name in res.deltas]
            if not parts:
                continue
            matrix = self.model[name]
            if self.merge == "average":  # the common case, in place: a worker's rows are distinct
                seen = np.zeros(len(matrix), bool)
                for ids, values in parts:
                    values /= scale
                    matrix[ids] += values
                    seen[ids] = True
                changed[name] = np.flatnonzero(seen).astype(np.int32)
                continue
            rows = np.unique(np.concatenate([ids for ids, _ in parts]))
            total = np.zeros((len(rows), matrix.shape[1]), np.float32)
            workers = np.zeros(len(rows), np.float32)
            squares = np.zeros(len(rows), np.float32)
            for ids, values in parts:  # a worker's rows are distinct
                at = np.searchsorted(rows, ids)
                total[at] += values
                workers[at] += 1
                squares[at] += np.einsum("ij,ij->i", values, values)
            if self.merge == "mean":
                total /= workers[:, None]
            elif self.merge == "average":  # each worker trained at alpha x scale: in all, as one process would
                total /= scale
            elif self.merge == "adaptive":  # divided by how many of the deltas agree (1 .. workers)
                agree = np.einsum("ij,ij->i", total, total) / np.maximum(squares, 1e-30)
                total /= np.clip(agree, 1.0, workers)[:, None]
            matrix[rows] += total
            changed[name] = rows
        self.changed.append(changed)
        oldest = min(self.version.values(), default=len(self.changed))
        if oldest > 0:  # versions no worker holds any more
            self.changed[:oldest] = [{}] * oldest

    def _report(self, final: ClusterProgress, rounds: int) -> None:
        trained = max(1, sum(s.tokens for s in self.shares.values()))
        shares = ", ".join(f"{w} {s.tokens / trained:.0%} at {s.words_per_sec / 1e6:.2f}M words/s"
                           for w, s in sorted(self.shares.items()))
        self.say(f"dask: workers' shares of the {trained:,} tokens trained: {shares}")
        if final.syncs:
            up, down = self.bytes_up / final.syncs, self.bytes_down / final.syncs
            self.say(f"dask: {final.syncs} synchronisations, {_mb(up)} up and {_mb(down)} down each "
                     f"(all workers), {_mb((up + down) * rounds)} an epoch")
            per = {k: v / final.syncs for k, v in self.phases.items()}
            n = max(1, len(self.shares))
            self.say(f"dask: time per round: {per.get('round', 0):.2f} s, of which a worker spent "
                     f"{per.get('train', 0) / n:.2f} s training, {per.get('update', 0) / n:.2f} s taking the update, "
                     f"{per.get('deltas', 0) / n:.2f} s on its deltas; the driver {per.get('send', 0):.2f} s sending, "
                     f"{per.get('merge', 0):.2f} s merging")

    def _account(self, worker: str, res) -> None:
        share = self.shares.setdefault(worker, WorkerShare())
        share.tokens += res.tokens
        share.seconds += res.seconds
        self.bytes_up += sum(ids.nbytes + values.nbytes for ids, values in res.deltas.values())
        for phase, seconds in res.phases.items():
            self.phases[phase] = self.phases.get(phase, 0.0) + seconds


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _slice_size(n: int, k: int, rounds: int) -> int:
    return n * (k + 1) // rounds - n * k // rounds


def _runaway(config: TrainConfig, v: int) -> float:
    # as hogwild: a thousand times a pair's starting loss only comes from a diverging run
    return 1000 * math.log(2) * (config.negative + 1 + (2 * math.log2(max(v, 2)) if config.hs else 0))


# ----------------------------------------------------------------------------------------------
# what travels between driver and workers


@dataclass
class _Failed:
    """A W2VError on a worker (a shard that cannot be read), sent back as a value: the driver
    raises it as the same one line."""

    message: str
    exit_code: int = 1


@dataclass
class _Setup:
    run: str
    words: list[bytes]
    counts: np.ndarray
    config: dict
    threads: int | None
    tokenize: object
    paths: list[str]


@dataclass
class _Plan:
    round: int
    done: int  # tokens trained cluster-wide before this round
    total: float  # tokens of the whole run
    round_tokens: int  # tokens of this round, all workers
    alpha_scale: float = 1.0  # each worker's learning rate is alpha times this


@dataclass
class _Update:
    full: bool
    rows: dict  # matrix name -> (row ids or None for all rows, their values)

    @property
    def nbytes(self) -> int:
        return sum((0 if ids is None else ids.nbytes) + values.nbytes for ids, values in self.rows.values())


@dataclass
class _RoundResult:
    shards: list[int]
    deltas: dict  # matrix name -> (int32 row ids, float32 new - old)
    tokens: int
    loss: float
    pairs: int
    seconds: float  # in the kernels
    phases: dict = field(default_factory=dict)  # seconds the worker spent: taking the update, in the kernels, deltas


# ----------------------------------------------------------------------------------------------
# the workers' side: functions Dask runs in the worker processes, and what each keeps per run


_RUNS: dict[str, dict] = {}  # run id -> {"counted": {shard: (IdStore, index)}, "ids": {shard: ids}, "replica": ...}
_RUNS_LOCK = threading.Lock()


def _run_state(run: str) -> dict:
    with _RUNS_LOCK:
        return _RUNS.setdefault(run, {"counted": {}, "ids": {}, "replica": None, "index": None})


def _drop_counted(run: str) -> None:
    _run_state(run)["counted"].clear()


def _forget(run: str) -> None:
    with _RUNS_LOCK:
        _RUNS.pop(run, None)


def _failing(fn):
    """A worker function whose W2VError comes back as a _Failed value (an exception with our
    own constructor need not survive pickling)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except W2VError as e:
            return _Failed(str(e), e.exit_code)
    return run


def _open_shard(path: str):
    if "://" not in path:
        return open_corpus(path)
    import fsspec

    try:
        return fsspec.open(path, "rb", compression="infer").open()
    except FileNotFoundError:
        raise W2VError(f"corpus {path} not found") from None
    except (OSError, ValueError, ImportError) as e:
        raise W2VError(f"cannot read corpus {path}: {_first_line(e)}") from None


def _shard_blocks(path: str, last: bool, tokenize):
    """The token blocks of one shard, as read_corpus gives them for this file: a shard that is
    not the last and does not end its last sentence gets a </s>."""
    from .pipeline import _tokenizer

    tokens = _tokenizer(tokenize)[0] if tokenize else iter_tokens
    stream = _open_shard(path)
    final = None
    try:
        for block in tokens(stream):
            yield block
            final = block[-1]
    except W2VError as e:
        message = str(e)
        raise W2VError(message if path in message else f"{message} (corpus {path})") from None
    except (OSError, EOFError, ValueError) as e:
        raise W2VError(f"cannot read corpus {path}: {_first_line(e)}") from None
    finally:
        stream.close()
    if not last and final is not None and final != EOS:
        yield [EOS]


@dataclass
class _Count:
    """A shard's counts (or several shards' merged): words in order of first appearance."""

    words: list[bytes]
    counts: np.ndarray
    tokens: int
    pruned: int
    min_reduce: int
    worker: str | None = None


@_failing
def _count_shard(run: str, shard: int, path: str, last: bool, tokenize, max_vocab: int, keep: bool):
    """vocab.encode's counting pass over one shard, without its sort and cut."""
    from distributed import get_worker

    index = _FirstSeen()
    counts = np.zeros(1 << 16, dtype=np.int64)
    parts = IdStore() if keep else None
    tokens = pruned = 0
    min_reduce = 1
    for words in _shard_blocks(path, last, tokenize):
        ids, counts, forgotten, min_reduce = _count_block(index, counts, words, max_vocab, min_reduce)
        if parts is not None:
            parts.append(ids)
        tokens += len(words)
        pruned += forgotten
    if keep:
        _run_state(run)["counted"][shard] = (parts, index, counts)
    live = np.fromiter(index.values(), dtype=np.int64, count=len(index))
    return _Count(list(index), counts[live].copy(), tokens, pruned, min_reduce, get_worker().address)


def _summary(count) -> tuple[int, str | None] | _Failed:
    return count if isinstance(count, _Failed) else (count.tokens, count.worker)


def _merge_counts(a, b, max_vocab: int):
    """The counts of a's shards then b's: a's words in their order, then b's new words in theirs;
    past max_vocab the rarest are forgotten as while counting."""
    for x in (a, b):
        if isinstance(x, _Failed):
            return x
    index = {w: i for i, w in enumerate(a.words)}
    at = np.fromiter((index.get(w, -1) for w in b.words), dtype=np.int64, count=len(b.words))
    counts = a.counts.copy()
    old = at >= 0
    counts[at[old]] += b.counts[old]
    words = a.words + [w for w, new in zip(b.words, ~old) if new]
    counts = np.concatenate((counts, b.counts[~old]))
    pruned, min_reduce = a.pruned + b.pruned, max(a.min_reduce, b.min_reduce)
    while len(words) > max_vocab:
        keep = counts > min_reduce
        keep[0] = True  # </s>
        pruned += int((~keep).sum())
        words = [w for w, k in zip(words, keep) if k]
        counts = counts[keep]
        min_reduce += 1
    return _Count(words, counts, a.tokens + b.tokens, pruned, min_reduce)


def _finish(count, min_count: int):
    """(tokens, pruned, words, counts, the top count) of the merged counts, sorted and cut as
    vocab.encode does."""
    if isinstance(count, _Failed):
        return count
    result = _sort_and_cut(count.words, count.counts, min_count)
    best = int(count.counts[1:].max()) if len(count.counts) > 1 else 0
    return count.tokens, count.pruned, result.words, result.counts, best


def _shard_ids(setup: _Setup, shard: int) -> np.ndarray:
    """A shard's vocabulary ids: from the ids kept while counting it here, or read again."""
    state = _run_state(setup.run)
    if shard in state["ids"]:
        return state["ids"][shard]
    if state["index"] is None:
        state["index"] = {w: i for i, w in enumerate(setup.words)}
    index = state["index"]
    counted = state["counted"].pop(shard, None)
    if counted is not None:
        parts, first_seen, _ = counted
        table = np.full(first_seen.given, -1, dtype=np.int32)
        for word, provisional in first_seen.items():
            table[provisional] = index.get(word, -1)
        ids = parts.renumbered(table)
    else:
        parts = IdStore()
        for words in _shard_blocks(setup.paths[shard], shard == len(setup.paths) - 1, setup.tokenize):
            found = np.fromiter(map(index.get, words, [-1] * len(words)), dtype=np.int32, count=len(words))
            parts.append(found[found >= 0])
        ids = parts.renumbered()
    state["ids"][shard] = ids
    return ids


@_failing
def _prepare_shards(setup: _Setup, mine: dict) -> dict:
    return {i: len(_shard_ids(setup, i)) for i in mine}


class _Replica:
    """A worker's copy of the model, padded and with per-thread hot rows as hogwild has it,
    and the synchronised values it started the round from (base)."""

    def __init__(self, setup: _Setup):
        from . import kernels
        from .tables import HuffmanTree, NegativeSampler, keep_probabilities, loss_tables, sigmoid_table

        config = self.config = TrainConfig(**setup.config)
        counts = setup.counts
        v, dim = len(setup.words), config.dim
        from distributed import get_worker

        worker = get_worker()  # --threads, or the worker's own: Worker.nthreads, or Worker.state's (distributed 2026.8)
        self.threads = setup.threads or getattr(worker, "nthreads", None) or worker.state.nthreads
        self.rows = {"syn0": v, "syn1neg": v if config.negative else 1, "syn1": v if config.hs else 1,
                     "pos": 2 * config.window if config.position_weights else 1}
        own, extra_nodes, extra_words, extra_places = hot_rows(self.rows["syn1"], self.rows["syn1neg"],
                                                                self.rows["pos"], self.threads, config)
        extra = {"syn0": 0, "syn1neg": extra_words, "syn1": extra_nodes, "pos": extra_places}
        self.padded = {name: padded_rows(self.rows[name] + extra[name], dim) for name in MATRICES}
        self.base = {name: np.zeros((self.rows[name], dim), np.float32) for name in MATRICES}
        self.weights = kernels.Weights(*(self.padded[name] for name in MATRICES))
        tree = HuffmanTree.from_counts(counts) if config.hs else HuffmanTree.from_counts(counts[:1])
        sampler = NegativeSampler.from_counts(counts, config.ns_exponent)
        self.tables = kernels.Tables(sampler.prob, sampler.alias, tree.points, tree.codes, tree.codelens,
                                     keep_probabilities(counts, config.sample), sigmoid_table(), *loss_tables())
        self.settings = kernel_settings(config)
        self.mine = [kernels.ThreadState(np.zeros(1, np.uint64), np.zeros(2), own[t],
                                         *(np.empty((own[t, k, 1], self.padded["syn0"].shape[1]), np.float32)
                                           for k in range(3)))
                     for t in range(self.threads)]
        self.kernel = kernels.train_cbow if config.model == "cbow" else kernels.train_skipgram

    def apply(self, update: _Update) -> None:
        dim = self.config.dim
        for name, (ids, values) in update.rows.items():
            if ids is None:
                self.base[name][:] = values
                self.padded[name][: len(values), :dim] = values
            else:
                self.base[name][ids] = values
                self.padded[name][ids, :dim] = values

    def deltas(self) -> dict:
        """(rows changed, new - old) per matrix; the rows go back to base, as synchronised."""
        out = {}
        for name in MATRICES:
            base = self.base[name]
            ids, values = _take_deltas(self.padded[name], base, np.empty(len(base), np.int32),
                                       np.empty_like(base))
            if len(ids):
                out[name] = (ids, values)
        return out

    def train(self, pieces: list[np.ndarray], plan: _Plan, scale: float, slot: int) -> tuple[int, float, int, float]:
        """Train the pieces with all threads, the learning rate at the cluster's progress
        (this worker's tokens x scale); returns (tokens, loss, pairs, seconds)."""
        import numba

        from . import kernels

        config = self.config
        chunks = [p[a : a + CHUNK_TOKENS] for p in pieces for a in range(0, len(p), CHUNK_TOKENS)]
        schedule = kernels.Schedule(float(config.start_alpha * plan.alpha_scale),
                                    float(config.end_alpha * plan.alpha_scale), plan.total)
        threads = min(self.threads, max(1, len(chunks)))
        # the types hogwild calls with, so Numba's cache has the machine code already
        self.kernel.compile(tuple(numba.typeof(a) for a in (chunks[0][:0] if chunks else np.empty(0, np.int32),
                                                            self.weights, self.tables, self.settings, schedule, 0, 0,
                                                            self.mine[0])))
        pace = max(1, round(threads * scale))  # the cluster's tokens per token of this thread
        lock = threading.Lock()
        taken, done, totals, errors = [0], [0], [0.0, 0], []

        def work(t: int) -> None:
            me = self.mine[t]
            me.rng[0] = _thread_seed(config.seed + 1_000_003 * plan.round + 7919 * slot, t)
            try:
                kernels.take_hot_rows(self.weights, me)
                while True:
                    with lock:
                        if taken[0] >= len(chunks):
                            return
                        chunk = chunks[taken[0]]
                        taken[0] += 1
                        before = plan.done + round(done[0] * scale)
                    me.loss[:] = 0.0
                    n = self.kernel(chunk, self.weights, self.tables, self.settings, schedule, before, pace, me)
                    with lock:
                        done[0] += n
                        totals[0] += me.loss[0]
                        totals[1] += int(me.loss[1])
            except BaseException as e:
                errors.append(e)

        started = time.perf_counter()
        pool = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(threads)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        if errors:
            raise errors[0]
        return done[0], totals[0], totals[1], time.perf_counter() - started


@njit(cache=True, nogil=True)
def _take_deltas(local, base, ids, values):
    """The rows where local (padded) differs from base: their ids and local - base, into ids and
    values (room for every row), and local reset to base there. One pass, no temporaries."""
    dim = base.shape[1]
    n = 0
    for r in range(base.shape[0]):
        changed = False
        for c in range(dim):
            if local[r, c] != base[r, c]:
                changed = True
                break
        if changed:
            ids[n] = r
            for c in range(dim):
                values[n, c] = local[r, c] - base[r, c]
                local[r, c] = base[r, c]
            n += 1
    return ids[:n].copy(), values[:n].copy()


@_failing
def _train_round(setup: _Setup, update: _Update, mine: dict, plan: _Plan):
    """One round on one worker: take the model's changed rows, train the slices of its shards
    (shard -> (k, rounds): slice k of rounds), send back the rows changed, as deltas."""
    clock = time.perf_counter()
    state = _run_state(setup.run)
    if update.full or state["replica"] is None:
        if not update.full:
            raise W2VError("a worker lost its model between rounds")  # the driver sends it whole next time
        state["replica"] = _Replica(setup)
    replica = state["replica"]
    replica.apply(update)
    applied = time.perf_counter()
    pieces = []
    for i, (k, rounds) in sorted(mine.items()):
        ids = _shard_ids(setup, i)
        pieces.append(ids[len(ids) * k // rounds : len(ids) * (k + 1) // rounds])
    mine_tokens = sum(len(p) for p in pieces)
    # each worker's clock runs at its share of the round, so every rate ends where the round does
    scale = plan.round_tokens / max(mine_tokens, 1)
    tokens, loss, pairs, seconds = replica.train(pieces, plan, scale, min(mine))
    trained = time.perf_counter()
    deltas = replica.deltas()
    phases = {"update": applied - clock, "train": trained - applied, "deltas": time.perf_counter() - trained}
    return _RoundResult(sorted(mine), deltas, tokens, loss, pairs, seconds, phases)
