"""The Numba training kernels: skip-gram and CBOW, each with negative sampling and/or
hierarchical softmax, as word2vec.c's TrainModelThread. Plain loops over arrays and
scalars, no Python objects, so they run without the GIL and threads update the shared
matrices Hogwild-style (no locks).

A kernel trains on one slice of the id stream and returns how many tokens it read.
Ids index the vocabulary; id 0 is ``</s>`` and ends a sentence. Rows may be wider than the
vectors (hogwild.padded_rows): the kernels run over the whole row, whose padding stays zero.

What a kernel reads comes in a few typed records (Numba compiles named tuples of arrays and
scalars like plain arguments): ``Weights`` (the matrices it trains), ``Tables`` (built once
from the vocabulary, tables.py), ``Settings`` (the model's options), ``Schedule`` (the
learning rate's), and ``ThreadState`` (what each thread keeps: its random state, its loss,
its copies of the hot rows). A new option is one field of Settings.

The loss each kernel adds up is the negative log-likelihood of every prediction it trains,
-log P(label | f) with P from the same sigmoid table the gradient uses (exact beyond it),
per training pair: one (context, centre) pair of skip-gram, one centre word of CBOW (with
its window's skip-gram pairs at 1/window each, when CBOW is joint with skip-gram).
"""

import math
from typing import NamedTuple

import numpy as np

from .jit import njit
from .tables import EXP_TABLE_SIZE, MAX_EXP


class Weights(NamedTuple):
    syn0: np.ndarray  # input vectors: the word vectors
    syn1neg: np.ndarray  # output vectors of negative sampling, one row per word (+ hot-row copies)
    syn1: np.ndarray  # inner nodes of hierarchical softmax (+ hot-row copies)
    pos: np.ndarray  # CBOW's position vectors, one per place in the window: -window .. -1, 1 .. window (+ copies)


class Tables(NamedTuple):
    prob: np.ndarray  # negative sampling: Vose alias table (tables.NegativeSampler)
    alias: np.ndarray
    points: np.ndarray  # hierarchical softmax: Huffman paths (tables.HuffmanTree)
    codes: np.ndarray
    codelens: np.ndarray
    keep: np.ndarray  # subsampling: probability of keeping each word
    sig: np.ndarray  # sigmoid at EXP_TABLE_SIZE points over [-MAX_EXP, MAX_EXP]
    loss_one: np.ndarray  # -log sig and -log (1 - sig) at the same points: the loss of
    loss_zero: np.ndarray  # a prediction whose label is 1 or 0


class Settings(NamedTuple):
    window: int
    negative: int
    hs: bool
    cbow_mean: bool
    corrected: bool  # CBOW: the gradient of the mean, 1/C of h's, for each context row (Irsoy et al. 2021)
    positions: bool  # CBOW: context rows weighted by a learned vector per position (Mikolov et al. 2018)
    exact: bool  # skip-gram: word2vec.c's own draws and updates, pair by pair, instead of window blocks
    joint: bool  # CBOW: also skip-gram's pairs of each window, on its negatives, each weighted 1/window


class Schedule(NamedTuple):
    alpha0: float
    min_alpha: float
    total: float  # tokens of the whole run, all epochs


class ThreadState(NamedTuple):
    rng: np.ndarray  # uint64 [1]: the thread's random state, kept between calls
    loss: np.ndarray  # float64 [2]: summed loss, training pairs (the caller reads and resets it)
    own: np.ndarray  # int64 [3, 3]: the hot rows it keeps copies of (hogwild.hot_rows)
    seen_nodes: np.ndarray  # the hot rows as last merged: inner nodes, words, positions
    seen_words: np.ndarray
    seen_pos: np.ndarray


def learning_rate(schedule: Schedule, done: float) -> float:
    """Linear decay over all epochs by tokens read, floored at min_alpha (as word2vec.c:
    alpha0 * 1e-4): the kernels' rate, and the progress line's."""
    return max(schedule.alpha0 * (1.0 - done / (schedule.total + 1.0)), schedule.min_alpha)


_learning_rate = njit(inline="always")(learning_rate)

MAX_SENTENCE = 1000  # as word2vec.c: sentences (and newline-free corpora) are cut every 1000 kept words
EXP_SCALE = EXP_TABLE_SIZE // MAX_EXP // 2  # as word2vec.c, integer division: 83
SHARE_EVERY = 1000  # kept words between merges of a thread's copies of the hot rows (hogwild.hot_rows)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # splitmix64 constants (Steele, Lea, Flood 2014)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S27, _S30, _S31, _S32, _S40 = np.uint64(27), np.uint64(30), np.uint64(31), np.uint64(32), np.uint64(40)
_LOW32 = np.uint64(0xFFFFFFFF)
_TO_UNIT32 = 1.0 / 4294967296.0
_TO_UNIT24 = 1.0 / 16777216.0

# fastmath less 'nnan' and 'ninf': the vector loops still reassociate and fuse, and a NaN from
# a diverging run stays visible (the loss), instead of an undefined table index
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
_FAST = dict(nogil=True, fastmath=_FASTMATH, cache=True)
_INLINE = dict(fastmath=_FASTMATH, inline="always")


@njit(**_INLINE)
def _rand(state):
    """splitmix64: returns (next state, 64 random bits)."""
    state = state + _GOLDEN
    z = (state ^ (state >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return state, z ^ (z >> _S31)


@njit(**_INLINE)
def _below(r, n):
    """A number in [0, n) from the high 32 bits of r (multiply-shift, no division)."""
    return np.int64(((r >> _S32) * np.uint64(n)) >> _S32)


@njit(**_INLINE)
def _read_sentence(ids, pos, sen, keep, state):
    """Copy the next sentence of ids[pos:] into sen, dropping subsampled words.

    Returns (length, next pos, rng state). A sentence ends at </s>, at the end
    of ids, or after MAX_SENTENCE kept words.
    """
    length = 0
    while pos < len(ids):
        w = ids[pos]
        pos += 1
        if w == 0:
            break
        if keep[w] < 1.0:  # subsampling: keep with probability (sqrt(f/s) + 1) * s/f
            state, r = _rand(state)
            if keep[w] < (r >> _S40) * _TO_UNIT24:
                continue
        sen[length] = w
        length += 1
        if length == MAX_SENTENCE:
            break
    return length, pos, state


@njit(**_INLINE)
def _draw_negative(r, prob, alias):
    """A word from unigram^0.75 by Vose's alias method, from 64 random bits."""
    target = _below(r, len(prob))
    if (r & _LOW32) * _TO_UNIT32 >= prob[target]:
        target = alias[target]
    if target == 0:  # as word2vec.c: </s> is never a negative
        target = 1 + _below(r * _GOLDEN, len(prob) - 1)
    return target


@njit(**_INLINE)
def _softplus(x):
    """log(1 + e^x), exactly (for the loss beyond the sigmoid table)."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@njit(**_INLINE)
def _ns_gradient(f, label, alpha, tab):
    """(alpha x (label - sigmoid(f)), -log P(label | f)); beyond +-MAX_EXP sigmoid is taken as
    0 or 1 (as word2vec.c). A NaN f (a diverged run) gives no update and a NaN loss."""
    if f > MAX_EXP:
        return (label - np.float32(1.0)) * alpha, np.float32(_softplus(-f) if label > 0.5 else _softplus(f))
    if f < -MAX_EXP:
        return label * alpha, np.float32(_softplus(-f) if label > 0.5 else _softplus(f))
    if f != f:
        return np.float32(0.0), np.float32(np.nan)
    i = int((f + MAX_EXP) * EXP_SCALE)
    return (label - tab.sig[i]) * alpha, (tab.loss_one[i] if label > 0.5 else tab.loss_zero[i])


@njit(**_INLINE)
def _hs_gradient(f, label, alpha, tab):
    """(alpha x (label - sigmoid(f)), -log P(label | f)); the gradient is 0 beyond +-MAX_EXP:
    word2vec.c skips saturated nodes."""
    if f <= -MAX_EXP or f >= MAX_EXP:
        return np.float32(0.0), np.float32(_softplus(-f) if label > 0.5 else _softplus(f))
    if f != f:
        return np.float32(0.0), np.float32(np.nan)
    i = int((f + MAX_EXP) * EXP_SCALE)
    return (label - tab.sig[i]) * alpha, (tab.loss_one[i] if label > 0.5 else tab.loss_zero[i])


@njit(**_INLINE)
def _dot2x3(h, i, a, b, d):
    """The six dot products of rows h, i with rows a, b, d, in one pass over the six rows."""
    ha = hb = hd = ia = ib = id_ = np.float32(0.0)
    for c in range(h.shape[0]):
        ac, bc, dc = a[c], b[c], d[c]
        ha += h[c] * ac
        hb += h[c] * bc
        hd += h[c] * dc
        ia += i[c] * ac
        ib += i[c] * bc
        id_ += i[c] * dc
    return ha, hb, hd, ia, ib, id_


@njit(**_INLINE)
def _add2x3(y, z, ya, yb, yd, za, zb, zd, a, b, d):
    """y += ya a + yb b + yd d and z += za a + zb b + zd d, in one pass."""
    for c in range(y.shape[0]):
        ac, bc, dc = a[c], b[c], d[c]
        y[c] += ya * ac + yb * bc + yd * dc
        z[c] += za * ac + zb * bc + zd * dc


@njit(**_INLINE)
def _add3x2(x, y, z, xh, xi, yh, yi, zh, zi, h, i):
    """x += xh h + xi i, y and z likewise, in one pass (x, y, z may be the same row)."""
    for c in range(x.shape[0]):
        hc, ic = h[c], i[c]
        x[c] += xh * hc + xi * ic
        y[c] += yh * hc + yi * ic
        z[c] += zh * hc + zi * ic


@njit(**_INLINE)
def _pad(rows, n, multiple):
    """Repeat rows[0] after rows[:n] up to a multiple of `multiple`; returns the padded count."""
    padded = n + (-n) % multiple
    for k in range(n, padded):
        rows[k] = rows[0]
    return padded


@njit(**_INLINE)
def _context(sen, i, length, span, ctx):
    """The words within span of sen[i], sen[i] left out, into ctx; returns how many."""
    n = 0
    for j in range(max(i - span, 0), min(i + span + 1, length)):
        if j != i:
            ctx[n] = sen[j]
            n += 1
    return n


@njit(**_INLINE)
def _window_block(syn0, ctx, n_in, out, targets, labels, n_out, tab, alpha, gin, g, nll):
    """Negative sampling for a whole window: every context row ctx[:n_in] against every
    output row targets[:n_out] (label 1 for the centre, 0 for the shared negatives); returns
    the window's loss.

    g holds the n_in x n_out gradients, nll their losses; the input rows' gradients
    accumulate in gin (the caller applies them), the output rows are updated here, both
    from the old rows.
    Each pass goes over 2 inputs x 3 outputs at a time, padded to whole blocks with
    zero-gradient repeats: 5 row loads per 6 multiply-adds instead of 2 per 1
    (1.5x faster, benchmarks/RESULTS.md). ctx, targets, gin and g have room for the padding.
    """
    ins, outs = _pad(ctx, n_in, 2), _pad(targets, n_out, 3)
    for j in range(0, ins, 2):
        h, i = syn0[ctx[j]], syn0[ctx[j + 1]]
        for k in range(0, outs, 3):
            ha, hb, hd, ia, ib, id_ = _dot2x3(h, i, out[targets[k]], out[targets[k + 1]], out[targets[k + 2]])
            g[j, k], nll[j, k] = _ns_gradient(ha, labels[k], alpha, tab)
            g[j, k + 1], nll[j, k + 1] = _ns_gradient(hb, labels[k + 1], alpha, tab)
            g[j, k + 2], nll[j, k + 2] = _ns_gradient(hd, labels[k + 2], alpha, tab)
            g[j + 1, k], nll[j + 1, k] = _ns_gradient(ia, labels[k], alpha, tab)
            g[j + 1, k + 1], nll[j + 1, k + 1] = _ns_gradient(ib, labels[k + 1], alpha, tab)
            g[j + 1, k + 2], nll[j + 1, k + 2] = _ns_gradient(id_, labels[k + 2], alpha, tab)
    g[n_in:ins, :outs] = 0.0  # the padding changes nothing
    g[:ins, n_out:outs] = 0.0
    loss = 0.0
    for j in range(n_in):
        for k in range(n_out):
            loss += nll[j, k]
    for j in range(0, ins, 2):
        for k in range(0, outs, 3):
            _add2x3(gin[j], gin[j + 1], g[j, k], g[j, k + 1], g[j, k + 2], g[j + 1, k], g[j + 1, k + 1],
                    g[j + 1, k + 2], out[targets[k]], out[targets[k + 1]], out[targets[k + 2]])
    for k in range(0, outs, 3):
        x, y, z = out[targets[k]], out[targets[k + 1]], out[targets[k + 2]]
        for j in range(0, ins, 2):
            _add3x2(x, y, z, g[j, k], g[j + 1, k], g[j, k + 1], g[j + 1, k + 1], g[j, k + 2], g[j + 1, k + 2],
                    syn0[ctx[j]], syn0[ctx[j + 1]])
    return loss


@njit(**_INLINE)
def _draw_targets(word, targets, labels, hot, prob, alias, negative, state):
    """The outputs of negative sampling into targets, labels: word (label 1), then `negative`
    draws (label 0; a draw of word itself is dropped), as the rows this thread uses.
    Returns (how many, rng state)."""
    targets[0] = _own(word, hot[0], hot[1], hot[2])
    labels[0] = 1.0
    n_out = 1
    for d in range(negative):
        state, r = _rand(state)
        target = _draw_negative(r, prob, alias)
        if target != word:
            targets[n_out] = _own(target, hot[0], hot[1], hot[2])
            labels[n_out] = 0.0
            n_out += 1
    return n_out, state


@njit(**_INLINE)
def _own(p, first, count, copies):
    """The row a thread uses for row p: its own copy if p is one of the hot rows it keeps
    (rows first .. first + count - 1, copies from row `copies` on; see hogwild.hot_rows)."""
    k = p - first
    return copies + k if 0 <= k < count else p


@njit(**_INLINE)
def _path(word, points, codelens, hot, path):
    """word's Huffman path (inner nodes, root first) into path, as the rows this thread uses."""
    n = codelens[word]
    for d in range(n):
        path[d] = _own(points[word, d], hot[0], hot[1], hot[2])
    return n


@njit(**_INLINE)
def _take(out, seen, own):
    """Start this thread's copies of the hot rows (and seen) from the shared rows."""
    for r in range(own[1]):
        out[own[2] + r] = out[own[0] + r]
        seen[r] = out[own[0] + r]


@njit(**_INLINE)
def _share(out, seen, own):
    """Merge this thread's copies of the hot rows with the shared rows: add what it changed
    since the last merge (copy - seen) to them, and take the result (which holds the other
    threads' changes too) as its new copy."""
    for r in range(own[1]):
        row, mine, before = out[own[0] + r], out[own[2] + r], seen[r]
        for c in range(row.shape[0]):
            v = row[c] + (mine[c] - before[c])
            row[c] = v
            mine[c] = v
            before[c] = v


@njit(cache=True)
def take_hot_rows(w, me):
    """Start a thread's copies of the hot rows, and what it last saw of them (me.seen_*:
    own[k, 1] x width each, kept by the caller for the thread's whole run)."""
    _take(w.syn1, me.seen_nodes, me.own[0])
    _take(w.syn1neg, me.seen_words, me.own[1])
    _take(w.pos, me.seen_pos, me.own[2])


@njit(**_INLINE)
def _share_all(w, me):
    _share(w.syn1, me.seen_nodes, me.own[0])
    _share(w.syn1neg, me.seen_words, me.own[1])
    _share(w.pos, me.seen_pos, me.own[2])


@njit(**_INLINE)
def _share_if_due(since, length, w, me):
    """Count a sentence's words; merge the hot rows once SHARE_EVERY have passed. Returns the new count."""
    since += length
    if since < SHARE_EVERY:
        return since
    _share_all(w, me)
    return 0


@njit(**_INLINE)
def _row_block(h, grad, out, targets, labels, n_out, tab, alpha):
    """Negative sampling for one input row h (CBOW's context mean) against the output rows
    targets[:n_out], three per pass (4 row loads per 3 multiply-adds instead
    of 2 per 1); h's gradient accumulates in grad; returns the loss. Each output is updated from the h and the
    output row as they were, as word2vec.c does output by output, except that an output
    drawn twice among three sees the row as it was before both. targets has room for
    _pad's two repeats, which get zero gradients."""
    outs = _pad(targets, n_out, 3)
    loss = 0.0
    for k in range(0, outs, 3):
        a, b, d = out[targets[k]], out[targets[k + 1]], out[targets[k + 2]]
        fa = fb = fd = np.float32(0.0)
        for c in range(h.shape[0]):
            hc = h[c]
            fa += hc * a[c]
            fb += hc * b[c]
            fd += hc * d[c]
        ga, la = _ns_gradient(fa, labels[k], alpha, tab)
        gb, lb = _ns_gradient(fb, labels[k + 1], alpha, tab)
        gd, ld = _ns_gradient(fd, labels[k + 2], alpha, tab)
        loss += la
        if k + 1 < n_out:
            loss += lb
        else:
            gb = np.float32(0.0)
        if k + 2 < n_out:
            loss += ld
        else:
            gd = np.float32(0.0)
        for c in range(h.shape[0]):
            grad[c] += ga * a[c] + gb * b[c] + gd * d[c]
        for c in range(h.shape[0]):  # one row after the other: right when two of them are the same row
            a[c] += ga * h[c]
        for c in range(h.shape[0]):
            b[c] += gb * h[c]
        for c in range(h.shape[0]):
            d[c] += gd * h[c]
    return loss


@njit(**_INLINE)
def _hierarchical(h, grad, out, path, code, n, tab, alpha):
    """Hierarchical softmax for one input row along a word's Huffman path (path[:n], branches
    code[:n]), node by node as word2vec.c, skipping saturated nodes (three nodes per pass, as
    _row_block, measured 0.96x for CBOW: it cannot skip them); returns the loss."""
    loss = 0.0
    for d in range(n):
        o = out[path[d]]
        f = np.float32(0.0)
        for c in range(h.shape[0]):
            f += h[c] * o[c]
        g, nll = _hs_gradient(f, np.float32(1 - code[d]), alpha, tab)
        loss += nll
        if g == 0.0:  # a saturated node: nothing to update
            continue
        for c in range(h.shape[0]):
            grad[c] += g * o[c]
            o[c] += g * h[c]
    return loss


@njit(**_INLINE)
def _hierarchical_pair(h1, h2, grad1, grad2, out, path, code, n, tab, alpha):
    """Hierarchical softmax for two context rows at once along a word's Huffman path
    (path[:n], branches code[:n]), three nodes at a time: one pass over the five rows computes the
    six dot products, one pass applies the updates (5 row loads per 6 multiply-adds; row by
    row and node by node it was 2 per 1). The nodes are distinct rows and h1, h2 stay as
    they are until the window ends, so this is word2vec.c's arithmetic except that both rows
    see each node as it was before them. sg-hs: 1.27x for the pair, 1.30x more for three
    nodes, same accuracy (benchmarks/RESULTS.md); a block over the whole window, as negative
    sampling has (_window_block), lost 0.4 analogy points here. Returns the loss."""
    loss = 0.0
    for d in range(0, n - 2, 3):
        o, p, q = out[path[d]], out[path[d + 1]], out[path[d + 2]]
        f1o = f2o = f1p = f2p = f1q = f2q = np.float32(0.0)
        for c in range(h1.shape[0]):
            a, b = h1[c], h2[c]
            f1o += a * o[c]
            f2o += b * o[c]
            f1p += a * p[c]
            f2p += b * p[c]
            f1q += a * q[c]
            f2q += b * q[c]
        lo, lp, lq = np.float32(1 - code[d]), np.float32(1 - code[d + 1]), np.float32(1 - code[d + 2])
        (g1o, l1o), (g2o, l2o) = _hs_gradient(f1o, lo, alpha, tab), _hs_gradient(f2o, lo, alpha, tab)
        (g1p, l1p), (g2p, l2p) = _hs_gradient(f1p, lp, alpha, tab), _hs_gradient(f2p, lp, alpha, tab)
        (g1q, l1q), (g2q, l2q) = _hs_gradient(f1q, lq, alpha, tab), _hs_gradient(f2q, lq, alpha, tab)
        loss += l1o + l2o + l1p + l2p + l1q + l2q
        for c in range(h1.shape[0]):
            a, b, oc, pc, qc = h1[c], h2[c], o[c], p[c], q[c]
            grad1[c] += g1o * oc + g1p * pc + g1q * qc
            grad2[c] += g2o * oc + g2p * pc + g2q * qc
            o[c] = oc + g1o * a + g2o * b
            p[c] = pc + g1p * a + g2p * b
            q[c] = qc + g1q * a + g2q * b
    for d in range(n - n % 3, n):  # the last one or two nodes
        o = out[path[d]]
        f1 = f2 = np.float32(0.0)
        for c in range(h1.shape[0]):
            f1 += h1[c] * o[c]
            f2 += h2[c] * o[c]
        label = np.float32(1 - code[d])
        (g1, l1), (g2, l2) = _hs_gradient(f1, label, alpha, tab), _hs_gradient(f2, label, alpha, tab)
        loss += l1 + l2
        for c in range(h1.shape[0]):
            oc = o[c]
            grad1[c] += g1 * oc
            grad2[c] += g2 * oc
            o[c] = oc + g1 * h1[c] + g2 * h2[c]
    return loss


@njit(**_INLINE)
def _sequential(h, grad, out, targets, labels, n_out, tab, alpha):
    """Negative sampling for one input row, output by output as word2vec.c: each output is
    scored from the row as the previous ones left it; h's gradient accumulates in grad.
    Returns the loss."""
    loss = 0.0
    for k in range(n_out):
        o = out[targets[k]]
        f = np.float32(0.0)
        for c in range(h.shape[0]):
            f += h[c] * o[c]
        g, nll = _ns_gradient(f, labels[k], alpha, tab)
        loss += nll
        for c in range(h.shape[0]):
            grad[c] += g * o[c]
            o[c] += g * h[c]
    return loss


@njit(**_FAST)
def train_skipgram(ids, w, tab, opt, schedule, done_before, done_scale, me):
    """Skip-gram over ids: each context word's input row learns to predict the centre word.

    As word2vec.c, except that negative sampling draws one set of negatives per window,
    shared by all its context words, and trains the window's context x (centre + negatives)
    block at once (HogBatch, Ji et al. 2016): 1/6 of the random draws and row fetches at
    the default window, with equal or better accuracy (benchmarks/RESULTS.md).
    Hierarchical softmax is word2vec.c's, with two context words at a time (_hierarchical_pair).
    Both take their rows a few at a time per pass over them (_window_block, _hierarchical_pair).
    With opt.exact, word2vec.c's own loop: each (context, centre) pair draws its negatives and
    updates its rows before the next pair.
    ``done_before + pos * done_scale`` estimates the tokens all threads have read, for the
    learning rate.
    """
    syn0, syn1neg, syn1 = w.syn0, w.syn1neg, w.syn1
    window, negative = opt.window, opt.negative
    dim = syn0.shape[1]
    sen = np.empty(MAX_SENTENCE, np.int32)
    ctx = np.empty(2 * window, np.int32)
    gin = np.empty((2 * window, dim), np.float32)
    targets = np.empty(negative + 3, np.int32)  # + 2: room for _pad
    labels = np.zeros(negative + 3, np.float32)
    g = np.empty((2 * window, negative + 3), np.float32)
    nll = np.empty((2 * window, negative + 3), np.float32)
    path = np.empty(tab.points.shape[1], np.int32)
    own = me.own
    hot_nodes = (own[0, 0], own[0, 1], own[0, 2])
    hot_words = (own[1, 0], own[1, 1], own[1, 2])
    since = 0  # words trained since the last merge of the hot rows
    loss, pairs = 0.0, 0
    state = me.rng[0]
    pos = 0
    while pos < len(ids):
        alpha = np.float32(_learning_rate(schedule, done_before + pos * done_scale))
        length, pos, state = _read_sentence(ids, pos, sen, tab.keep, state)
        since = _share_if_due(since, length, w, me)
        for i in range(length):
            word = sen[i]
            state, r = _rand(state)
            span = window - _below(r, window)  # random window shrink: 1 .. window
            n_in = _context(sen, i, length, span, ctx)
            if n_in == 0:
                continue
            pairs += n_in
            gin[:n_in] = 0.0
            n = _path(word, tab.points, tab.codelens, hot_nodes, path) if opt.hs else 0
            if opt.exact:  # word2vec.c: pair by pair, each with its own negatives, updated at once
                for j in range(n_in):
                    h = syn0[ctx[j]]
                    if opt.hs:
                        loss += _hierarchical(h, gin[j], syn1, path, tab.codes[word], n, tab, alpha)
                    if negative > 0:
                        n_out, state = _draw_targets(word, targets, labels, hot_words, tab.prob, tab.alias, negative,
                                                     state)
                        loss += _sequential(h, gin[j], syn1neg, targets, labels, n_out, tab, alpha)
                    for c in range(dim):
                        h[c] += gin[j, c]
                continue
            if opt.hs:  # two context words at a time; a block over the whole window lost accuracy
                for j in range(0, n_in - 1, 2):
                    loss += _hierarchical_pair(syn0[ctx[j]], syn0[ctx[j + 1]], gin[j], gin[j + 1], syn1, path,
                                               tab.codes[word], n, tab, alpha)
                if n_in % 2:
                    loss += _hierarchical(syn0[ctx[n_in - 1]], gin[n_in - 1], syn1, path, tab.codes[word], n, tab,
                                          alpha)
            if negative > 0:
                n_out, state = _draw_targets(word, targets, labels, hot_words, tab.prob, tab.alias, negative, state)
                loss += _window_block(syn0, ctx, n_in, syn1neg, targets, labels, n_out, tab, alpha, gin, g, nll)
            for j in range(n_in):
                h = syn0[ctx[j]]
                grad = gin[j]
                for c in range(dim):
                    h[c] += grad[c]
    _share_all(w, me)
    me.rng[0] = state
    me.loss[0] += loss
    me.loss[1] += pairs
    return pos


@njit(**_INLINE)
def _place(j, i, window, hot):
    """The row of pos for context position j of centre i: -window .. -1, 1 .. window in order,
    as the rows this thread uses."""
    p = j - i + window if j < i else j - i + window - 1
    return _own(p, hot[0], hot[1], hot[2])


@njit(**_FAST)
def train_cbow(ids, w, tab, opt, schedule, done_before, done_scale, me):
    """CBOW over ids: the mean (or sum) of the context rows learns to predict the centre word,
    negative sampling takes three output rows per pass (_row_block).

    opt.corrected gives each context row the gradient of the mean, 1/C of the gradient of h
    (word2vec.c gives each the whole of it); opt.positions weights each context row by its
    position's vector (elementwise) before the mean, and trains those vectors too, with their
    exact gradient (1/C of h's gradient times the row). opt.joint adds skip-gram's objective on
    the same window: each context row also predicts the centre against the same negatives
    (_window_block, from the rows as CBOW's outputs left them), each pair weighted 1/window,
    so that a window's pairs weigh about as much as its one CBOW prediction; the loss is then
    CBOW's plus the weighted pairs'. A joint model of the two (negative sampling only)."""
    syn0, syn1neg, syn1, places = w.syn0, w.syn1neg, w.syn1, w.pos
    window, negative = opt.window, opt.negative
    dim = syn0.shape[1]
    sen = np.empty(MAX_SENTENCE, np.int32)
    grad = np.empty(dim, np.float32)
    neu1 = np.empty(dim, np.float32)
    targets = np.empty(negative + 3, np.int32)  # + 2: room for _pad
    labels = np.zeros(negative + 3, np.float32)
    path = np.empty(tab.points.shape[1], np.int32)
    rows = 2 * window if opt.joint else 2  # opt.joint: the window's skip-gram block (_window_block)
    ctx = np.empty(rows, np.int32)
    gin = np.empty((rows, dim), np.float32)
    g = np.empty((rows, negative + 3), np.float32)
    nll = np.empty((rows, negative + 3), np.float32)
    share = np.float32(1.0 / window)
    own = me.own
    hot_nodes = (own[0, 0], own[0, 1], own[0, 2])
    hot_words = (own[1, 0], own[1, 1], own[1, 2])
    hot_places = (own[2, 0], own[2, 1], own[2, 2])
    since = 0  # words trained since the last merge of the hot rows
    loss, pairs = 0.0, 0
    state = me.rng[0]
    pos = 0
    while pos < len(ids):
        alpha = np.float32(_learning_rate(schedule, done_before + pos * done_scale))
        length, pos, state = _read_sentence(ids, pos, sen, tab.keep, state)
        since = _share_if_due(since, length, w, me)
        for i in range(length):
            word = sen[i]
            state, r = _rand(state)
            span = window - _below(r, window)
            lo, hi = max(i - span, 0), min(i + span + 1, length)
            if hi - lo < 2:
                continue  # no context word
            pairs += 1
            n_in = 0  # opt.joint: the skip-gram block's context rows
            neu1[:] = 0.0
            for j in range(lo, hi):
                if j != i:
                    h = syn0[sen[j]]
                    if opt.positions:
                        d = places[_place(j, i, window, hot_places)]
                        for c in range(dim):
                            neu1[c] += d[c] * h[c]
                    else:
                        for c in range(dim):
                            neu1[c] += h[c]
            inv = np.float32(1.0 / (hi - lo - 1))
            if opt.cbow_mean:
                for c in range(dim):
                    neu1[c] *= inv
            grad[:] = 0.0
            if opt.hs:
                n = _path(word, tab.points, tab.codelens, hot_nodes, path)
                loss += _hierarchical(neu1, grad, syn1, path, tab.codes[word], n, tab, alpha)
            if negative > 0:
                n_out, state = _draw_targets(word, targets, labels, hot_words, tab.prob, tab.alias, negative, state)
                loss += _row_block(neu1, grad, syn1neg, targets, labels, n_out, tab, alpha)
                if opt.joint:  # skip-gram's pairs of the same window, against the same outputs
                    n_in = _context(sen, i, length, span, ctx)
                    gin[:n_in] = 0.0
                    loss += share * _window_block(syn0, ctx, n_in, syn1neg, targets, labels, n_out, tab,
                                                  alpha * share, gin, g, nll)
            if opt.corrected or not opt.cbow_mean:  # the mean's own gradient; a sum spreads it (as gensim)
                for c in range(dim):
                    grad[c] *= inv
            for j in range(lo, hi):
                if j != i:
                    h = syn0[sen[j]]
                    if opt.positions:  # both from the old values: h by d x grad, d by h x grad / C
                        d = places[_place(j, i, window, hot_places)]
                        scale = np.float32(1.0) if opt.corrected else inv
                        for c in range(dim):
                            hc, dc = h[c], d[c]
                            h[c] = hc + dc * grad[c]
                            d[c] = dc + hc * grad[c] * scale
                    else:
                        for c in range(dim):
                            h[c] += grad[c]
            for j in range(n_in):  # opt.joint: skip-gram's gradients, from the rows as they were
                h = syn0[ctx[j]]
                for c in range(dim):
                    h[c] += gin[j, c]
    _share_all(w, me)
    me.rng[0] = state
    me.loss[0] += loss
    me.loss[1] += pairs
    return pos


@njit(cache=True)
def fill_random(out, dim, seed):
    """Initial input vectors in out[:, :dim]: uniform in [-0.5, 0.5) / dim, as word2vec.c's InitNet."""
    state = np.uint64(seed)
    for i in range(out.shape[0]):
        for c in range(dim):
            state, r = _rand(state)
            out[i, c] = ((r >> _S40) * _TO_UNIT24 - 0.5) / dim
