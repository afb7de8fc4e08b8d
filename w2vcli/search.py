"""Answers fast enough for a server: the exact top-n cosines of a query against every row,
and a sorted index of the vocabulary for prefix search.

Why not ``Vectors.nearest``: it computes all V cosines with a BLAS matrix-vector product over
the float32 rows and then argpartition; at 1,000,000 x 300 that is 1.2 GB read per query,
125-180 ms on the 2-core machine where this was written. Here each row is also kept as int8
codes of its unit vector (one byte a value, a scale a row: V x D bytes in memory, 300 MB at
1M x 300, built in about a second) with ``error``, the length of what the rounding lost. One
Numba pass over the codes (a quarter of the bytes) gives every row an estimate of its cosine,
off by at most its error (Cauchy-Schwarz: |q.(u - u')| <= |u - u'| for a unit query q), and
keeps the rows that could still be among the n best; those few (tens to a few thousand) are
then scored again from the float32 rows, exactly as ``Vectors`` scores them. The answer is the
exact top n, not an approximation: a row is dropped only when n other rows are certainly
better (its upper bound is below n lower bounds).
"""

import bisect
import os
import threading

import numpy as np

from .jit import njit
from .vectors import Vectors
from .words import unescape

BLOCK = 1 << 16  # rows quantised at a time


@njit(cache=True, nogil=True)
def quantise(rows, scale, codes, steps, errors):
    """codes[i] * steps[i] ~= rows[i] * scale[i] (the unit row), codes in -127..127; errors[i]:
    the length of the difference, computed in float64."""
    dim = rows.shape[1]
    for i in range(rows.shape[0]):
        top = 0.0
        for j in range(dim):
            top = max(top, abs(rows[i, j] * scale[i]))
        step = top / 127
        lost = 0.0
        for j in range(dim):
            u = np.float64(rows[i, j] * scale[i])
            c = np.rint(u / step) if step > 0 else 0.0
            codes[i, j] = np.int8(c)
            lost += (u - c * step) ** 2
        steps[i] = step
        errors[i] = np.sqrt(lost)


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})  # reassoc: the dot product vectorises
def candidate_rows(codes, steps, reach, query, k):
    """The rows whose cosine with query (a unit vector) may be among the k highest: those whose
    upper bound (estimate + reach) is not below the k-th highest lower bound (estimate - reach)."""
    dim = codes.shape[1]
    lower = np.full(k, -np.inf, np.float32)  # min-heap of the k highest lower bounds so far
    found = np.empty(1024, np.int64)
    upper = np.empty(1024, np.float32)
    m = 0
    for i in range(codes.shape[0]):
        row = codes[i]
        acc = np.float32(0.0)
        for j in range(dim):
            acc += np.float32(row[j]) * query[j]
        estimate = acc * steps[i]
        if estimate + reach[i] < lower[0]:
            continue  # k rows are certainly better
        low = estimate - reach[i]
        if low > lower[0]:  # replace the heap's smallest, then sift it down
            p = 0
            while True:
                c = 2 * p + 1
                if c >= k:
                    break
                if c + 1 < k and lower[c + 1] < lower[c]:
                    c += 1
                if lower[c] >= low:
                    break
                lower[p] = lower[c]
                p = c
            lower[p] = low
        if m == len(found):  # full: drop the rows overtaken since, grow if that is not enough
            kept = 0
            for t in range(m):
                if upper[t] >= lower[0]:
                    found[kept], upper[kept] = found[t], upper[t]
                    kept += 1
            m = kept
            if m > len(found) // 2:
                found = np.concatenate((found, np.empty(len(found), np.int64)))
                upper = np.concatenate((upper, np.empty(len(upper), np.float32)))
        found[m], upper[m] = i, estimate + reach[i]
        m += 1
    return found[:m][upper[:m] >= lower[0]]


class Searcher:
    """``nearest`` and ``analogy`` as ``Vectors`` answers them (3CosAdd for analogies), found
    through the int8 codes and rescored exactly. Thread-safe; at most ``scans`` passes over the
    codes run at once (each is bound by memory bandwidth: more at once only slows each one)."""

    def __init__(self, vectors: Vectors, scans: int | None = None):
        self.vectors = vectors
        norms = vectors.norms
        self.scale = np.where(norms > 0, 1 / np.maximum(norms, 1e-30), 0).astype(np.float32)
        rows, dim = vectors.vectors.shape
        self.codes = np.empty((rows, dim), np.int8)
        self.steps = np.empty(rows, np.float32)
        errors = np.empty(rows, np.float64)
        for start in range(0, rows, BLOCK):
            part = slice(start, start + BLOCK)
            quantise(vectors.vectors[part], self.scale[part], self.codes[part], self.steps[part], errors[part])
        # float32 sums of dim terms are off by at most dim * eps (of a unit-length result): the
        # estimate and the exact rescoring each, with room to spare
        self.reach = (errors + 4 * dim * np.finfo(np.float32).eps).astype(np.float32)
        vectors.index  # noqa: B018 -- build the word -> row dict now, not in the first request
        self._scans = threading.BoundedSemaphore(scans or os.cpu_count() or 1)

    def top(self, query: np.ndarray, n: int, exclude: list[int]) -> list[tuple[str, float]]:
        """The n words with the highest cosine to query (any length), rows in exclude left out;
        ties in vocabulary order."""
        norm = float(np.linalg.norm(query))
        k = min(len(self.vectors), n + len(set(exclude)))
        if k <= 0 or n <= 0:
            return []
        if norm == 0:  # every cosine is 0 (as Vectors has it): the first words
            rows = np.array([r for r in range(k) if r not in exclude][:n], dtype=np.int64)
            return [(self.vectors.words[r], 0.0) for r in rows]
        q = np.ascontiguousarray(query / norm, np.float32)
        with self._scans:
            rows = candidate_rows(self.codes, self.steps, self.reach, q, k)
        rows = rows[~np.isin(rows, exclude)]
        exact = (self.vectors.vectors[rows] @ q) * self.scale[rows]
        order = np.lexsort((rows, -exact))[:n]  # by score, ties by vocabulary order
        return [(self.vectors.words[r], float(exact[i])) for i, r in zip(order, rows[order])]

    def nearest(self, words: list[str], n: int = 10, negative: list[str] = ()) -> list[tuple[str, float]]:
        """Neighbours of the words' unit vectors summed, less the negative words' (as
        ``Vectors.nearest``); the query words are left out."""
        ids = [self.vectors.id(w) for w in [*words, *negative]]
        signs = np.array([1.0] * len(words) + [-1.0] * len(negative), np.float32)
        query = (signs[:, None] * self.vectors.unit_rows(np.array(ids))).sum(axis=0)
        return self.top(query, n, ids)

    def analogy(self, a: str, b: str, c: str, n: int = 10) -> list[tuple[str, float]]:
        """a : b :: c : ?, by 3CosAdd (b - a + c on unit vectors), as ``Vectors.analogy``."""
        ids = [self.vectors.id(w) for w in (a, b, c)]
        ua, ub, uc = self.vectors.unit_rows(np.array(ids))
        return self.top(ub - ua + uc, n, ids)


class PrefixIndex:
    """Words starting with a prefix, the most frequent first (a word2vec file lists words by
    frequency: the row is the rank). Sorting 1,000,000 words takes about a second, once."""

    def __init__(self, words: list[str]):
        self.words = words
        self.order = np.array(sorted(range(len(words)), key=words.__getitem__), dtype=np.int64)
        self.keys = [words[i] for i in self.order]

    def find(self, prefix: str, limit: int) -> list[str]:
        if "\\" in prefix:  # as words are shown: \xHH for a byte that is not UTF-8 (words.py)
            prefix = unescape(prefix)
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + "\U0010ffff", lo)
        rows = self.order[lo:hi]
        if len(rows) > limit:
            rows = np.partition(rows, limit - 1)[:limit]
        return [self.words[r] for r in np.sort(rows)]
