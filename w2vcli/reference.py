"""The training algorithm written plainly, one loop per model, as word2vec.c's TrainModelThread
reads: for reading, and for the tests, which check the fast kernels (kernels.py) against it
with one thread on a tiny corpus. Nothing here runs in a real training: it is ~10,000 times
slower. Where w2v's algorithm differs from word2vec.c's, the difference is written out:

- skip-gram with negative sampling draws one set of negatives per window and trains the
  window's contexts x (centre + negatives) as one block from the old rows (HogBatch);
- skip-gram with hierarchical softmax walks the centre's path for two context words at a time,
  both seeing each node as it was before them;
- CBOW with negative sampling scores its outputs three at a time from the old rows.

And the options word2vec.c does not have: skip-gram's ``exact`` mode is word2vec.c's own loop
(each pair draws its negatives and updates its rows at once); CBOW's ``corrected`` gradient
(each context row gets 1/C of the mean's gradient), its ``positions`` (a learned vector per
place in the window weighting the context rows, trained with its exact gradient) and its
``joint`` objective (skip-gram's window block beside CBOW's prediction, weighted 1/window). And
multi-sense skip-gram (``multisense``, multisense.py): the words given senses pick one at each
occurrence from the context, and its vector learns beside the word's.

Random numbers come from the same splitmix64 stream, drawn in the same order, so the
reference and the kernels train the same pairs with the same learning rates. Each loop returns
its loss, -log P(label) summed over every prediction, and its training pairs.
"""

import numpy as np

from .kernels import EXP_SCALE, MAX_SENTENCE, Schedule, learning_rate
from .tables import MAX_EXP

MASK = (1 << 64) - 1
GOLDEN, MIX1, MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


class Random:
    """splitmix64, as kernels._rand."""

    def __init__(self, state: int):
        self.state = state

    def next(self) -> int:
        self.state = (self.state + GOLDEN) & MASK
        z = ((self.state ^ (self.state >> 30)) * MIX1) & MASK
        z = ((z ^ (z >> 27)) * MIX2) & MASK
        return z ^ (z >> 31)


def below(r: int, n: int) -> int:
    return ((r >> 32) * n) >> 32


def negative(r: int, prob, alias) -> int:
    """One negative: Vose's alias draw from the top and bottom 32 bits; never </s>."""
    target = below(r, len(prob))
    if (r & 0xFFFFFFFF) / 2**32 >= prob[target]:
        target = int(alias[target])
    if target == 0:
        target = 1 + below((r * GOLDEN) & MASK, len(prob) - 1)
    return target


def sentence(ids, pos: int, keep, rng: Random) -> tuple[list[int], int]:
    """The next sentence of ids[pos:] without the subsampled words, and where the next begins."""
    words = []
    while pos < len(ids):
        w = int(ids[pos])
        pos += 1
        if w == 0:
            break
        if keep[w] < 1.0 and keep[w] < (rng.next() >> 40) / 2**24:
            continue  # subsampled
        words.append(w)
        if len(words) == MAX_SENTENCE:
            break
    return words, pos


def gradient(f: float, label: float, alpha, sig, hs: bool):
    """alpha x (label - sigmoid(f)) from the table; beyond +-MAX_EXP: 0 for hierarchical
    softmax (word2vec.c skips the node), label - 0 or 1 for negative sampling."""
    if f >= MAX_EXP or f <= -MAX_EXP:
        if hs:
            return np.float32(0.0)
        return np.float32((label - (1.0 if f > 0 else 0.0)) * alpha)
    return np.float32((label - sig[int((f + MAX_EXP) * EXP_SCALE)]) * alpha)


def nll(f: float, label: float, tab) -> float:
    """-log P(label | f): from the loss tables inside +-MAX_EXP, exactly beyond."""
    if -MAX_EXP < f < MAX_EXP:
        i = int((f + MAX_EXP) * EXP_SCALE)
        return float(tab.loss_one[i] if label > 0.5 else tab.loss_zero[i])
    return float(np.logaddexp(0, -f) if label > 0.5 else np.logaddexp(0, f))


def targets_of(word: int, tab, count: int, rng: Random) -> tuple[list[int], list[float]]:
    """The centre (label 1) and `count` negatives (label 0; a draw of the centre is dropped)."""
    targets, labels = [word], [1.0]
    for _ in range(count):
        t = negative(rng.next(), tab.prob, tab.alias)
        if t != word:
            targets.append(t)
            labels.append(0.0)
    return targets, labels


def three_at_a_time(h, targets, labels, syn1neg, grad, alpha, tab) -> float:
    """Negative sampling for one input row h, three outputs at a time, each group scored from
    the output rows as they were before it; h's gradient adds into grad. Returns the loss."""
    loss = 0.0
    for first in range(0, len(targets), 3):
        group = list(range(first, min(first + 3, len(targets))))
        old = syn1neg[[targets[k] for k in group]].copy()
        fs = [h @ old[n] for n in range(len(group))]
        loss += sum(nll(fs[n], labels[k], tab) for n, k in enumerate(group))
        gs = [gradient(fs[n], labels[k], alpha, tab.sig, False) for n, k in enumerate(group)]
        for n, k in enumerate(group):
            grad += gs[n] * old[n]
            syn1neg[targets[k]] += gs[n] * h
    return loss


def window_block(syn0, ctx, targets, labels, syn1neg, gin, alpha, tab) -> float:
    """Negative sampling for a whole window: every context row against every output, all
    scored from the old rows; the context rows' gradients add into gin (the caller applies
    them), the outputs are updated here. Returns the loss."""
    h, o = syn0[ctx], syn1neg[targets]
    f = h @ o.T
    g = np.array([[gradient(f[j, k], labels[k], alpha, tab.sig, False) for k in range(len(targets))]
                  for j in range(len(ctx))], np.float32)
    gin += g @ o
    for k, t in enumerate(targets):  # a target drawn twice gets both updates
        syn1neg[t] += g[:, k] @ h
    return sum(nll(f[j, k], labels[k], tab) for j in range(len(ctx)) for k in range(len(targets)))


def skipgram(ids, syn0, syn1neg, syn1, tab, window: int, negatives: int, hs: bool, schedule: Schedule,
             done: int, rng: Random, exact: bool = False) -> tuple[float, int]:
    loss, pairs = 0.0, 0
    pos = 0
    while pos < len(ids):
        alpha = np.float32(learning_rate(schedule, done + pos))
        sen, pos = sentence(ids, pos, tab.keep, rng)
        for i, word in enumerate(sen):
            span = window - below(rng.next(), window)  # random window shrink: 1 .. window
            ctx = [sen[j] for j in range(max(i - span, 0), min(i + span + 1, len(sen))) if j != i]
            if not ctx:
                continue
            pairs += len(ctx)
            gin = np.zeros((len(ctx), syn0.shape[1]), np.float32)
            if exact:  # word2vec.c: pair by pair, each with its own negatives, each updated at once
                for j, c in enumerate(ctx):
                    if hs:
                        for d, node in enumerate(tab.points[word, : tab.codelens[word]]):
                            f, label = syn0[c] @ syn1[node], 1.0 - tab.codes[word, d]
                            loss += nll(f, label, tab)
                            g = gradient(f, label, alpha, tab.sig, True)
                            gin[j] += g * syn1[node]
                            syn1[node] += g * syn0[c]
                    if negatives:
                        targets, labels = targets_of(word, tab, negatives, rng)
                        for t, label in zip(targets, labels):
                            f = syn0[c] @ syn1neg[t]
                            loss += nll(f, label, tab)
                            g = gradient(f, label, alpha, tab.sig, False)
                            gin[j] += g * syn1neg[t]
                            syn1neg[t] += g * syn0[c]
                    syn0[c] += gin[j]
                continue
            if hs:  # two context rows at a time along the centre's path
                path = tab.points[word, : tab.codelens[word]]
                for first in range(0, len(ctx), 2):
                    rows = list(range(first, min(first + 2, len(ctx))))
                    for d, node in enumerate(path):
                        o = syn1[node].copy()
                        for j in rows:
                            f, label = syn0[ctx[j]] @ o, 1.0 - tab.codes[word, d]
                            loss += nll(f, label, tab)
                            g = gradient(f, label, alpha, tab.sig, True)
                            gin[j] += g * o
                            syn1[node] += g * syn0[ctx[j]]
            if negatives:  # one draw of negatives for the window, one block from the old rows
                targets, labels = targets_of(word, tab, negatives, rng)
                loss += window_block(syn0, ctx, targets, labels, syn1neg, gin, alpha, tab)
            for j, c in enumerate(ctx):
                syn0[c] += gin[j]
    return loss, pairs


def cbow(ids, syn0, syn1neg, syn1, tab, window: int, negatives: int, hs: bool, mean: bool, schedule: Schedule,
         done: int, rng: Random, corrected: bool = False, places=None, joint: bool = False) -> tuple[float, int]:
    """CBOW; ``places`` (2 x window rows: -window .. -1, 1 .. window) turns position weights on;
    ``joint`` adds skip-gram's pairs of each window, weighted 1/window, on the same negatives."""
    loss, pairs = 0.0, 0
    pos = 0
    while pos < len(ids):
        alpha = np.float32(learning_rate(schedule, done + pos))
        sen, pos = sentence(ids, pos, tab.keep, rng)
        for i, word in enumerate(sen):
            span = window - below(rng.next(), window)
            near = [j for j in range(max(i - span, 0), min(i + span + 1, len(sen))) if j != i]
            ctx = [sen[j] for j in near]
            where = [j - i + window - (j > i) for j in near]  # each context word's row of places
            if not ctx:
                continue
            pairs += 1
            inv = np.float32(1.0 / len(ctx))
            rows = syn0[ctx] * places[where] if places is not None else syn0[ctx]
            h = rows.sum(axis=0, dtype=np.float32) * (inv if mean else np.float32(1))
            grad = np.zeros(syn0.shape[1], np.float32)
            if hs:  # node by node along the centre's path
                for d, node in enumerate(tab.points[word, : tab.codelens[word]]):
                    f, label = h @ syn1[node], 1.0 - tab.codes[word, d]
                    loss += nll(f, label, tab)
                    g = gradient(f, label, alpha, tab.sig, True)
                    grad += g * syn1[node]
                    syn1[node] += g * h
            if negatives:  # three outputs at a time, each scored from the rows as they were
                targets, labels = targets_of(word, tab, negatives, rng)
                loss += three_at_a_time(h, targets, labels, syn1neg, grad, alpha, tab)
            gin = np.zeros((len(ctx), syn0.shape[1]), np.float32)
            if joint:  # skip-gram's block on the same window and outputs, each pair weighted 1/window
                share = np.float32(1.0 / window)
                loss += share * window_block(syn0, ctx, targets, labels, syn1neg, gin, alpha * share, tab)
            if corrected or not mean:  # the gradient of a mean; a sum spreads the error (as gensim)
                grad *= inv
            for c, p in zip(ctx, where):  # one after the other: a word twice in the window sees its first update
                if places is None:
                    syn0[c] += grad
                    continue
                u, d = syn0[c].copy(), places[p].copy()
                syn0[c] += d * grad
                places[p] += u * grad * (np.float32(1) if corrected else inv)  # its exact gradient: 1/C
            for j, c in enumerate(ctx):  # joint: skip-gram's gradients, from the rows before CBOW's update
                syn0[c] += gin[j]
    return loss, pairs


def multisense(ids, syn0, syn1neg, tab, window: int, negatives: int, schedule: Schedule, done: int, rng: Random,
               senses) -> tuple[float, int]:
    """Multi-sense skip-gram (multisense.py), on multisense.Senses arrays (trained in place):
    skip-gram with negative sampling as ``skipgram`` above, and for each occurrence of a word
    with senses, first its sense: the centre nearest (cosine) the mean global vector of the whole
    window, or, after the warm-up, a new sense (starting from the word's vector) when every
    centre is below ``senses.new_sense``; then, after the window's update, that sense's vector
    predicts each context word of the shrunk window against its own negatives, scored three
    outputs at a time from the rows as they were (as CBOW's negative sampling), its gradient
    added after the last."""
    slot, k_max = senses.slot, senses.max_senses
    loss, pairs = 0.0, 0
    pos = 0
    while pos < len(ids):
        now = done + pos
        alpha = np.float32(learning_rate(schedule, now))
        split = now >= senses.warmup
        sen, pos = sentence(ids, pos, tab.keep, rng)
        for i, word in enumerate(sen):
            span = window - below(rng.next(), window)
            ctx = [sen[j] for j in range(max(i - span, 0), min(i + span + 1, len(sen))) if j != i]
            if not ctx:
                continue
            m, sense = int(slot[word]), -1
            if m >= 0:  # which sense: from the rows before this window's update
                around = [sen[j] for j in range(max(i - window, 0), min(i + window + 1, len(sen))) if j != i]
                context = syn0[around].sum(axis=0, dtype=np.float32) * np.float32(1 / len(around))
                first, used = m * k_max, int(senses.used[m])
                cosines = []
                for centre in senses.centres[first : first + used]:
                    size, norm = centre @ centre, context @ context
                    cosines.append(centre @ context / np.sqrt(size * norm) if size > 0 and norm > 0 else 0.0)
                sense = int(np.argmax(cosines))
                if split and used < k_max and cosines[sense] < senses.new_sense:  # none near enough
                    sense = used
                    senses.used[m] = used + 1
                    senses.vectors[first + sense] = syn0[word]
                senses.centres[first + sense] += context
                if split:
                    senses.counts[first + sense] += 1
            pairs += len(ctx)
            targets, labels = targets_of(word, tab, negatives, rng)  # the window's block, as skipgram
            h, o = syn0[ctx], syn1neg[targets]
            f = h @ o.T
            loss += sum(nll(f[j, k], labels[k], tab) for j in range(len(ctx)) for k in range(len(targets)))
            g = np.array([[gradient(f[j, k], labels[k], alpha, tab.sig, False) for k in range(len(targets))]
                          for j in range(len(ctx))], np.float32)
            gin = g @ o
            for k, t in enumerate(targets):
                syn1neg[t] += g[:, k] @ h
            for j, c in enumerate(ctx):
                syn0[c] += gin[j]
            if sense < 0:
                continue
            row = senses.vectors[m * k_max + sense]
            grad = np.zeros(syn0.shape[1], np.float32)
            for c in ctx:  # the sense predicts each context word
                targets, labels = targets_of(c, tab, negatives, rng)
                loss += three_at_a_time(row, targets, labels, syn1neg, grad, alpha, tab)
            row += grad
            pairs += len(ctx)
    return loss, pairs
