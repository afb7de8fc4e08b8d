"""Multi-sense skip-gram (MSSG, Neelakantan, Shankar, Passos and McCallum 2014): chosen words
keep several sense vectors, each with a context-cluster centre, learnt in the same pass as the
ordinary word vectors.

At each occurrence of such a word the context vector (the mean of the window's global word
vectors) picks the sense whose centre is closest by cosine; that centre takes the context in,
and the sense's vector learns to predict the context words as a word vector does in skip-gram
with negative sampling. The word's own (global) vector trains as usual. Non-parametric
(NP-MSSG): a word starts with one sense and gains another, up to ``max_senses``, when a
context's cosine to every centre is below ``new_sense``; parametric: the first contexts
after the warm-up start the ``max_senses`` senses, one each (MacQueen's on-line k-means).
Senses are told apart only after a warm-up (the first epoch, or half of a one-epoch run):
before it the global vectors are still noise, and so would the senses be.

After training, a sense that took less than MIN_SHARE of its word's occurrences is dropped,
and the rest are written as ``word#1``, ``word#2``, ... (the most used first) after the
ordinary rows (``word``: the global vector), so every command reads them.

``train_multisense`` has the kernels' conventions (kernels.py): a plain Numba loop over
arrays and scalars, the same typed records, and one more, ``Senses``; it runs on hogwild.py's
threads like the others. reference.multisense states it plainly; the tests compare the two.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .corpus import read_whole
from .errors import UsageError, W2VError
from .jit import njit
from .kernels import (
    _FASTMATH,
    MAX_SENTENCE,
    _below,
    _context,
    _draw_targets,
    _learning_rate,
    _rand,
    _read_sentence,
    _row_block,
    _share_all,
    _share_if_due,
    _window_block,
)
from .words import decode_word, encode_word

MAX_SENSES = 3  # as Neelakantan et al.: 3 senses per word
# NP-MSSG: a context whose mean global vector is at cosine below this to every centre starts a
# sense (Neelakantan et al. took -0.5 in their space; here contexts of one word are at 0.5-0.9
# to its centre). On the benchmark's --dev pseudo-words 0.5 split almost none of them (3-10%),
# 0.7 all of them and every control too; 0.6 is between (RESULTS.md).
NEW_SENSE = 0.6
MIN_SHARE = 0.05  # as w2v senses: a sense must hold 5% of its word's occurrences to be kept
PARAMETRIC = 2.0  # new_sense for the parametric model: every cosine is below it, so the first contexts start senses

_FAST = dict(nogil=True, fastmath=_FASTMATH, cache=True)
_INLINE = dict(fastmath=_FASTMATH, inline="always")


@dataclass
class SenseOptions:
    """Which words get senses (``top`` most frequent words, or ``words``), and how many."""

    top: int | None = None
    words: list[bytes] | None = None
    max_senses: int = MAX_SENSES
    new_sense: float | None = NEW_SENSE  # None: parametric
    parametric: bool = False

    def validate(self) -> None:
        if (self.top is None) == (self.words is None):
            raise UsageError("give either --senses N (the N most frequent words) or --senses-words FILE")
        if self.top is not None and not 1 <= self.top <= 1_000_000:
            raise UsageError(f"--senses must be between 1 and 1000000, not {self.top}")
        if self.words is not None and not self.words:
            raise UsageError("--senses-words lists no words")
        if not 2 <= self.max_senses <= 20:
            raise UsageError(f"--max-senses must be between 2 and 20, not {self.max_senses}")
        if self.new_sense is not None and not -1 <= self.new_sense <= 1:
            raise UsageError(f"--new-sense is a cosine: between -1 and 1, not {self.new_sense}")


class Senses(NamedTuple):
    slot: np.ndarray  # int32 [V]: each word's place among the words with senses, or -1
    vectors: np.ndarray  # float32 [M x max_senses, width]: sense k of word m is row m * max_senses + k
    centres: np.ndarray  # float32, the same rows: the sum of the contexts (mean global vectors) each sense took
    counts: np.ndarray  # int64, the same rows: the occurrences each sense took after the warm-up
    used: np.ndarray  # int32 [M]: senses started (from 1)
    max_senses: int
    new_sense: float  # a context at cosine below this to every centre starts a sense (PARAMETRIC: always)
    warmup: float  # tokens (all threads) before a word's occurrences are told apart


@njit(**_INLINE)
def _choose_sense(word, sen, i, length, window, syn0, sn, m, split, context):
    """The sense of sen[i] (word m of those with senses): the centre nearest, by cosine, to the
    mean global vector of the whole window (not shrunk), or a new sense where ``split`` allows and
    none is near enough. The chosen centre takes the context in. Returns the sense."""
    dim = context.shape[0]
    context[:] = 0.0
    n = 0
    for j in range(max(i - window, 0), min(i + window + 1, length)):
        if j != i:
            row = syn0[sen[j]]
            for c in range(dim):
                context[c] += row[c]
            n += 1
    inv = np.float32(1.0 / n)
    norm = np.float32(0.0)
    for c in range(dim):
        context[c] *= inv
        norm += context[c] * context[c]
    first = m * sn.max_senses
    used = sn.used[m]
    best, best_cos = 0, -2.0
    for k in range(used):
        centre = sn.centres[first + k]
        dot = np.float32(0.0)
        size = np.float32(0.0)
        for c in range(dim):
            dot += centre[c] * context[c]
            size += centre[c] * centre[c]
        cos = dot / np.sqrt(size * norm) if size > 0 and norm > 0 else 0.0
        if cos > best_cos:
            best, best_cos = k, cos
    if split and used < sn.max_senses and best_cos < sn.new_sense:  # no centre near enough: a new sense
        best = used
        sn.used[m] = used + 1
        new, own = sn.vectors[first + best], syn0[word]
        for c in range(dim):  # it starts from what the word means so far
            new[c] = own[c]
    centre = sn.centres[first + best]
    for c in range(dim):
        centre[c] += context[c]
    if split:
        sn.counts[first + best] += 1
    return best


@njit(**_FAST)
def train_multisense(ids, w, tab, opt, schedule, done_before, done_scale, me, sn):
    """Skip-gram with negative sampling over ids, as kernels.train_skipgram (window blocks,
    HogBatch), and for each occurrence of a word with senses: its sense (_choose_sense, from
    the rows before this window's update), whose vector then learns to predict each context
    word of the (shrunk) window against its own `negative` draws, as one input row
    (kernels._row_block), its gradient applied after the window."""
    syn0, syn1neg = w.syn0, w.syn1neg
    window, negative = opt.window, opt.negative
    dim = syn0.shape[1]
    sen = np.empty(MAX_SENTENCE, np.int32)
    ctx = np.empty(2 * window, np.int32)
    gin = np.empty((2 * window, dim), np.float32)
    targets = np.empty(negative + 3, np.int32)  # + 2: room for _pad
    labels = np.zeros(negative + 3, np.float32)
    g = np.empty((2 * window, negative + 3), np.float32)
    nll = np.empty((2 * window, negative + 3), np.float32)
    context = np.empty(dim, np.float32)
    grad = np.empty(dim, np.float32)
    own = me.own
    hot_words = (own[1, 0], own[1, 1], own[1, 2])
    since = 0
    loss, pairs = 0.0, 0
    state = me.rng[0]
    pos = 0
    while pos < len(ids):
        done = done_before + pos * done_scale
        alpha = np.float32(_learning_rate(schedule, done))
        split = done >= sn.warmup
        length, pos, state = _read_sentence(ids, pos, sen, tab.keep, state)
        since = _share_if_due(since, length, w, me)
        for i in range(length):
            word = sen[i]
            state, r = _rand(state)
            span = window - _below(r, window)  # random window shrink: 1 .. window
            n_in = _context(sen, i, length, span, ctx)
            if n_in == 0:
                continue
            m = sn.slot[word]
            sense = _choose_sense(word, sen, i, length, window, syn0, sn, m, split, context) if m >= 0 else -1
            pairs += n_in
            gin[:n_in] = 0.0
            n_out, state = _draw_targets(word, targets, labels, hot_words, tab.prob, tab.alias, negative, state)
            loss += _window_block(syn0, ctx, n_in, syn1neg, targets, labels, n_out, tab, alpha, gin, g, nll)
            for j in range(n_in):
                h = syn0[ctx[j]]
                for c in range(dim):
                    h[c] += gin[j, c]
            if sense < 0:
                continue
            row = sn.vectors[m * sn.max_senses + sense]  # the sense predicts the context words
            grad[:] = 0.0
            for j in range(n_in):
                n_out, state = _draw_targets(ctx[j], targets, labels, hot_words, tab.prob, tab.alias, negative,
                                             state)
                loss += _row_block(row, grad, syn1neg, targets, labels, n_out, tab, alpha)
            for c in range(dim):
                row[c] += grad[c]
            pairs += n_in
    _share_all(w, me)
    me.rng[0] = state
    me.loss[0] += loss
    me.loss[1] += pairs
    return pos


def read_words(path: str) -> list[bytes]:
    """A file of words, one per line (the first field of each; blank lines skipped), as raw bytes."""
    lines = read_whole(path, "--senses-words file").splitlines()
    words = [line.split()[0] for line in lines if line.split()]
    if not words:
        raise W2VError(f"--senses-words file {path} lists no words")
    return words


def options_from(senses=None, senses_words=None, max_senses: int | None = None, new_sense: float | None = None,
                 parametric: bool = False) -> "SenseOptions | None":
    """The options of w2vcli.train and w2v train, checked; None when no word gets senses."""
    if senses is None and senses_words is None:
        for given, name in ((max_senses is not None, "--max-senses"), (new_sense is not None, "--new-sense"),
                            (parametric, "--parametric")):
            if given:
                raise UsageError(f"{name} needs --senses N or --senses-words FILE")
        return None
    if senses is not None and senses_words is not None:
        raise UsageError("give --senses N or --senses-words FILE, not both")
    if parametric and new_sense is not None:
        raise UsageError("--new-sense is the non-parametric model's threshold: leave it out with --parametric")
    if senses is not None and (isinstance(senses, bool) or not isinstance(senses, (int, np.integer))):
        raise UsageError(f"--senses is a number of words, not {senses!r}")
    words = None
    if senses_words is not None:
        if isinstance(senses_words, (str, bytes)) or hasattr(senses_words, "__fspath__"):
            import os

            words = read_words(os.fspath(senses_words))
        else:
            words = [encode_word(w) if isinstance(w, str) else bytes(w) for w in senses_words]
    options = SenseOptions(int(senses) if senses is not None else None, words,
                           MAX_SENSES if max_senses is None else max_senses,
                           None if parametric else (NEW_SENSE if new_sense is None else new_sense), parametric)
    options.validate()
    return options


def check_config(config) -> None:
    """Multi-sense training is skip-gram with negative sampling, as the paper's."""
    if config.model != "skipgram":
        raise UsageError("--senses trains multi-sense skip-gram: leave out --model cbow")
    if config.negative <= 0 or config.hs:
        raise UsageError("--senses trains with negative sampling alone: --negative N (N > 0), without --hs")
    if config.exact_skipgram:
        raise UsageError("--senses and --exact-skipgram do not go together")


def chosen_words(vocab_words: list[bytes], options: SenseOptions) -> list[int]:
    """The vocabulary ids of the words that get senses: the ``top`` most frequent (</s> left
    out), or the listed ones, each of which must be in the vocabulary."""
    if options.top is not None:
        return list(range(1, min(options.top + 1, len(vocab_words))))
    index = {w: i for i, w in enumerate(vocab_words)}
    ids = []
    for word in options.words:
        if word not in index or index[word] == 0:
            raise W2VError(f"--senses-words: {decode_word(word)!r} is not in the vocabulary "
                           f"(fewer occurrences than --min-count?)")
        if index[word] not in ids:
            ids.append(index[word])
    return ids


def start(vocab_words: list[bytes], tokens: int, epochs: int, dim: int, options: SenseOptions, seed: int
          ) -> Senses:
    """The sense arrays before training: every word with one sense (its vector random, as
    word vectors start), centres empty."""
    from .hogwild import padded_rows
    from .kernels import fill_random

    ids = chosen_words(vocab_words, options)
    k = options.max_senses
    slot = np.full(len(vocab_words), -1, np.int32)
    slot[ids] = np.arange(len(ids), dtype=np.int32)
    vectors = padded_rows(len(ids) * k, dim)
    fill_random(vectors, dim, seed + 1)
    centres = padded_rows(len(ids) * k, dim)
    new_sense = PARAMETRIC if options.parametric or options.new_sense is None else options.new_sense
    warmup = float(tokens if epochs > 1 else tokens / 2)
    return Senses(slot, vectors, centres, np.zeros(len(ids) * k, np.int64), np.ones(len(ids), np.int32), k,
                  float(new_sense), warmup)


@dataclass
class SenseModel:
    """What multi-sense training learnt, senses under MIN_SHARE left out, the most used first:
    per word, its senses' vectors, context centres (unit) and shares."""

    words: list[bytes]
    vectors: list[np.ndarray]  # per word: senses x dim
    centres: list[np.ndarray]  # per word: senses x dim, unit rows
    shares: list[np.ndarray]  # per word: each sense's share of the occurrences after the warm-up

    def count(self, word) -> int:
        """How many senses the word kept (1 for a word without senses)."""
        word = encode_word(word) if isinstance(word, str) else word
        try:
            return len(self.shares[self.words.index(word)])
        except ValueError:
            return 1

    def rows(self) -> tuple[list[bytes], np.ndarray]:
        """The ``word#k`` rows, k from 1."""
        names = [w + b"#%d" % (k + 1) for w, s in zip(self.words, self.shares) for k in range(len(s))]
        dim = self.vectors[0].shape[1] if self.vectors else 0
        return names, (np.vstack(self.vectors) if self.vectors else np.empty((0, dim), np.float32))

    def sense_of(self, word: bytes, context: np.ndarray) -> int:
        """The sense (from 0) whose centre is nearest a context vector (the mean global vector of its window)."""
        return int(np.argmax(self.centres[self.words.index(word)] @ context))


def finish(state: Senses, vocab_words: list[bytes], dim: int) -> SenseModel:
    """Keep each word's senses that took at least MIN_SHARE of its occurrences, the most used first."""
    k = state.max_senses
    words, vectors, centres, shares = [], [], [], []
    for word_id in np.flatnonzero(state.slot >= 0):
        m = int(state.slot[word_id])
        rows = np.arange(m * k, m * k + int(state.used[m]))
        counts = state.counts[rows].astype(np.float64)
        share = counts / counts.sum() if counts.sum() else np.eye(len(rows))[0]
        order = [i for i in np.argsort(-share, kind="stable") if share[i] >= MIN_SHARE] or [0]
        kept = rows[order]
        c = state.centres[kept, :dim].astype(np.float32)
        c /= np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
        words.append(vocab_words[word_id])
        vectors.append(np.array(state.vectors[kept, :dim], np.float32))
        centres.append(c)
        shares.append(share[order] / share[order].sum())
    return SenseModel(words, vectors, centres, shares)


def tag_occurrences(vectors, corpus: str, words: list[bytes], window: int = 5) -> dict[bytes, np.ndarray]:
    """For each word (with senses in vectors.senses), the sense (from 0) of every occurrence in
    corpus, in order: the centre nearest the mean global vector of its window, as training
    chooses (without subsampling)."""
    import contextlib

    from .corpus import EOS, iter_tokens, open_corpus
    from .senses import _sides, list_with_lookahead

    model: SenseModel = vectors.senses
    index = {encode_word(w): i for w, i in vectors.index.items()}
    found = {w: [] for w in words}
    carry: list[bytes] = []
    with contextlib.closing(open_corpus(corpus)) as stream:
        for block, nxt in list_with_lookahead(iter_tokens(stream)):
            tokens = carry + block + nxt[:window]
            for i in range(len(carry), len(carry) + len(block)):
                w = tokens[i]
                if w in found:
                    left, right = _sides(tokens, i, window)
                    ids = [index[t] for t in left + right if t in index and t != EOS]
                    context = vectors.vectors[ids].mean(axis=0) if ids else np.zeros(vectors.dim, np.float32)
                    found[w].append(model.sense_of(w, context))
            carry = block[-window:]
    return {w: np.array(k, dtype=np.int64) for w, k in found.items()}
