"""Tables built once from the vocabulary counts and read by the training kernels."""

from dataclasses import dataclass

import numpy as np

from .jit import njit

EXP_TABLE_SIZE = 1000  # as word2vec.c: sigmoid sampled at 1000 points ...
MAX_EXP = 6  # ... over [-6, 6]; beyond it the gradient is clipped (NS) or skipped (HS)
NEG_POWER = 0.75  # as word2vec.c: negatives drawn from the unigram distribution ^ 3/4


def _table_points() -> np.ndarray:
    return (np.arange(EXP_TABLE_SIZE, dtype=np.float64) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP


def sigmoid_table() -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-_table_points()))).astype(np.float32)


def loss_tables() -> tuple[np.ndarray, np.ndarray]:
    """-log sigmoid(x) and -log (1 - sigmoid(x)) at the sigmoid table's points: the loss of a
    prediction whose label is 1, or 0 (log(1 + e^-x) and log(1 + e^x), computed stably)."""
    x = _table_points()
    return np.logaddexp(0, -x).astype(np.float32), np.logaddexp(0, x).astype(np.float32)


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word when subsampling frequent words.

    word2vec.c's formula: (sqrt(f / s) + 1) * s / f, with f = count / total and
    s = ``sample``; above 1 the word is always kept. ``sample`` 0 keeps everything.
    """
    keep = np.ones(len(counts), dtype=np.float32)
    if sample > 0:
        threshold = sample * float(counts.sum())
        c = counts.astype(np.float64)
        seen = c > 0
        keep[seen] = np.minimum(1.0, (np.sqrt(c[seen] / threshold) + 1) * threshold / c[seen])
    return keep


@dataclass
class NegativeSampler:
    """Vose's alias table for the unigram^0.75 distribution: O(1) draws from two small arrays.

    word2vec.c fills a 10^8-entry table instead; the alias table samples the same
    distribution exactly and stays in cache (8 bytes per word).
    """

    prob: np.ndarray  # float32: chance of keeping the drawn bucket itself
    alias: np.ndarray  # int32: the word drawn otherwise

    @classmethod
    def from_counts(cls, counts: np.ndarray, power: float = NEG_POWER) -> "NegativeSampler":
        weights = counts.astype(np.float64) ** power
        if weights.sum() <= 0:
            weights = np.ones(len(counts))
        prob, alias = _build_alias(weights / weights.sum())
        return cls(prob, alias)

    def distribution(self) -> np.ndarray:
        """The exact probability of drawing each word (for tests)."""
        n = len(self.prob)
        p = self.prob.astype(np.float64) / n
        np.add.at(p, self.alias, (1.0 - self.prob.astype(np.float64)) / n)
        return p


@njit(cache=True)
def _build_alias(p):
    n = len(p)
    scaled = p * n
    prob = np.ones(n, dtype=np.float32)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = nl = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        if scaled[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    return prob, alias


@dataclass
class HuffmanTree:
    """Hierarchical-softmax paths: for word w, inner nodes ``points[w, :codelens[w]]`` root first,
    and the branch taken at each, ``codes[w, :codelens[w]]`` (word2vec.c's CreateBinaryTree)."""

    points: np.ndarray  # int32 [V, depth]; inner node ids in 0 .. V-2
    codes: np.ndarray  # uint8 [V, depth]
    codelens: np.ndarray  # int32 [V]

    @classmethod
    def from_counts(cls, counts: np.ndarray) -> "HuffmanTree":
        """``counts`` in vocabulary order (descending, ``</s>`` first as word2vec.c has it)."""
        return cls(*_build_huffman(counts.astype(np.int64)))


@njit(cache=True)
def _build_huffman(counts):
    v = len(counts)
    if v < 2:
        return np.zeros((v, 1), np.int32), np.zeros((v, 1), np.uint8), np.zeros(v, np.int32)
    count = np.full(2 * v, np.int64(10**15))  # inner nodes start 'infinitely' heavy
    count[:v] = counts
    parent = np.zeros(2 * v, np.int64)
    branch = np.zeros(2 * v, np.uint8)
    leaf = v - 1  # leaves are sorted by descending count: the lightest is last
    inner = v  # inner nodes are created in ascending weight
    for a in range(v - 1):
        picks = np.empty(2, np.int64)
        for k in range(2):
            if leaf >= 0 and count[leaf] < count[inner]:
                picks[k] = leaf
                leaf -= 1
            else:
                picks[k] = inner
                inner += 1
        count[v + a] = count[picks[0]] + count[picks[1]]
        parent[picks[0]] = v + a
        parent[picks[1]] = v + a
        branch[picks[1]] = 1
    root = 2 * v - 2
    codelens = np.zeros(v, np.int32)
    for w in range(v):
        n, depth = w, 0
        while n != root:
            n = parent[n]
            depth += 1
        codelens[w] = depth
    width = codelens.max()
    points = np.zeros((v, width), np.int32)
    codes = np.zeros((v, width), np.uint8)
    for w in range(v):
        n, d = w, codelens[w] - 1
        while n != root:
            codes[w, d] = branch[n]
            n = parent[n]
            points[w, d] = n - v
            d -= 1
    return points, codes, codelens
