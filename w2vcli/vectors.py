"""A loaded set of word vectors and the questions people ask of it."""

import difflib

import numpy as np

from .errors import UsageError, W2VError
from .formats import binary_name, write_vectors
from .words import decode_word, encode_word, shown, unescape

__all__ = ["Vectors", "decode_word", "encode_word", "first_index"]

COSMUL_EPSILON = 1e-6  # as gensim's most_similar_cosmul and Levy & Goldberg (2014)
SCORE_BUDGET = 1 << 26  # floats in one batch x vocabulary score matrix (256 MB)
NORM_ROWS = 1 << 16  # rows normalised at a time: no second copy of a large matrix
FEW_LOOKUPS = 8  # up to this many words are found by scanning the list; then a dict is built


def first_index(keys: list) -> dict:
    """key -> position; of keys occurring twice the first wins, as in word2vec.c's tools
    (built backwards, so the earlier position is written last)."""
    return dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))


class Vectors:
    """Words and their vectors: ``w2vcli.load("vecs.bin").nearest("bank")``.

    ``words`` (str; bytes that are not UTF-8 kept as surrogates, see words.py), ``vectors``
    (float32, one row per word, possibly a read-only memory map of the query cache) and
    ``norms``. Scores are cosines: a query's unit vector against the rows, divided by their
    norms, so no normalised copy of the matrix is ever made.
    """

    def __init__(self, words: list[str], vectors: np.ndarray, norms: np.ndarray | None = None):
        if len(words) != len(vectors):
            raise ValueError("one word per matrix row")
        self.words = list(words)
        self.vectors = vectors if isinstance(vectors, np.ndarray) and vectors.dtype == np.float32 \
            else np.asarray(vectors, dtype=np.float32)
        if self.vectors.ndim != 2:
            raise ValueError("vectors must be a matrix, one row per word")
        self._norms = norms
        self._scale: np.ndarray | None = None  # 1 / norms, 0 for all-zero rows
        self._index: dict[str, int] | None = None
        self._scans = 0
        self.context: "Vectors | None" = None  # the output vectors, where training kept them
        self.progress = None  # where training made them: its final Progress (loss per epoch, speed)
        self.senses = None  # where multi-sense training made them: multisense.SenseModel

    @classmethod
    def load(cls, path: str, cache: bool = True) -> "Vectors":
        """A vector file (word2vec text or binary, GloVe, fastText .vec; also .gz/.bz2/.xz); with
        ``cache``, through the query cache beside it, as the command line does (cache.py)."""
        from . import cache as query_cache

        return query_cache.load(path, use_cache=cache)

    def save(self, path: str, binary: bool | None = None) -> None:
        """Write a word2vec file: binary or text by ``binary``, or by the suffix (.bin: binary;
        .gz, .bz2 or .xz after it: compressed)."""
        if binary is None:
            binary = binary_name(path)
        write_vectors(path, [encode_word(w) for w in self.words], self.vectors, binary)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return np.array(self.vectors[self.id(word)])

    def __repr__(self) -> str:
        return f"<Vectors: {len(self):,} words x {self.dim} dims>"

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @property
    def matrix(self) -> np.ndarray:
        """The vectors (an older name)."""
        return self.vectors

    @property
    def norms(self) -> np.ndarray:
        if self._norms is None:
            self._norms = np.empty(len(self), np.float32)
            for start in range(0, len(self), NORM_ROWS):
                block = self.vectors[start : start + NORM_ROWS]
                self._norms[start : start + NORM_ROWS] = np.sqrt(np.einsum("ij,ij->i", block, block))
        return self._norms

    def unit_rows(self, rows) -> np.ndarray:
        """The rows (a slice or index array) scaled to length 1 (all-zero rows stay zero); a copy."""
        norms = self.norms[rows][:, None] if not np.isscalar(rows) else self.norms[rows]
        return np.asarray(self.vectors[rows] / np.where(norms > 0, norms, 1), dtype=np.float32)

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = first_index(self.words)
        return self._index

    def id(self, word: str) -> int:
        """The row of word; an unknown word is an error naming close spellings. A word as the
        command line shows it (\\xHH escapes, words.py) finds the word too."""
        if self._index is None and self._scans < FEW_LOOKUPS:
            # a query or two: a scan of the word list costs less than building the index
            self._scans += 1
            try:
                return self.words.index(word)
            except ValueError:
                pass
        found = self.index.get(word)
        if found is None and "\\" in word:
            found = self.index.get(unescape(word))
        if found is None:
            close = self.suggest(word)
            raise W2VError(f"unknown word '{shown(word)}'"
                           + (f" (did you mean {', '.join(map(shown, close))}?)" if close else ""))
        return found

    def suggest(self, word: str, n: int = 3) -> list[str]:
        """Close spellings among the 100,000 most frequent words."""
        candidates = self.words[:100_000]
        close = difflib.get_close_matches(word, candidates, n=n, cutoff=0.75)
        return close or [w for w in candidates if w.lower() == word.lower()][:n]

    def vector(self, word: str) -> np.ndarray:
        return self[word]

    def similarity(self, a: str, b: str) -> float:
        ids = [self.id(a), self.id(b)]
        self._directed(ids)
        ua, ub = self.unit_rows(np.array(ids))
        return float(ua @ ub)

    def _directed(self, ids: list[int]) -> None:
        """An all-zero vector has no direction: no cosine, no neighbours (not 0.0 and any words)."""
        for i in ids:
            if not self.norms[i] > 0:
                raise W2VError(f"'{shown(self.words[i])}' has an all-zero vector in this file: it has no direction "
                               "to compare")

    def nearest(self, query, n: int = 10, negative=()) -> list[tuple[str, float]]:
        """Cosine neighbours of a word, of several (their unit vectors summed, as word2vec.c's
        distance), less the ``negative`` words, or of a raw vector; query words are excluded."""
        negative = [negative] if isinstance(negative, str) else list(negative)
        if isinstance(query, np.ndarray):
            if query.shape != (self.dim,):
                raise UsageError(f"a query vector needs {self.dim} values, got shape {query.shape}")
            q = np.asarray(query, np.float32)
            q = q / max(float(np.linalg.norm(q)), 1e-30)
            ids = [self.id(w) for w in negative]
            if ids:
                q = q - self.unit_rows(np.array(ids)).sum(axis=0)
            return self._closest(q[None, :], [ids], n)[0]
        words = [query] if isinstance(query, str) else list(query)
        if not words and not negative:
            raise UsageError("nearest needs at least one word")
        ids = [self.id(w) for w in words] + [self.id(w) for w in negative]
        self._directed(ids)
        signs = np.array([1.0] * len(words) + [-1.0] * len(negative), np.float32)
        q = (signs[:, None] * self.unit_rows(np.array(ids))).sum(axis=0)
        return self._closest(q[None, :], [ids], n)[0]

    def nearest_many(self, queries: list[list[str]], n: int = 10) -> list[list[tuple[str, float]]]:
        """``nearest`` for many queries at once: one matrix product per batch of queries."""
        ids = [[self.id(w) for w in q] for q in queries]
        results = []
        batch = self._batch()
        for start in range(0, len(ids), batch):
            group = ids[start : start + batch]
            q = np.stack([self.unit_rows(np.array(i)).sum(axis=0) for i in group])
            results += self._closest(q, group, n)
        return results

    def analogy(self, a: str, b: str, c: str, n: int = 10, method: str = "add") -> list[tuple[str, float]]:
        """Words d with a : b :: c : d. ``add``: 3CosAdd, cos(d, b - a + c) on unit vectors;
        ``mul``: 3CosMul, cos'(d, b) cos'(d, c) / (cos'(d, a) + 1e-6) with cos' = (1 + cos) / 2."""
        ids = [self.id(a), self.id(b), self.id(c)]
        ua, ub, uc = self.unit_rows(np.array(ids))
        if method == "add":
            return self._closest((ub - ua + uc)[None, :], [ids], n)[0]
        if method != "mul":
            raise UsageError(f"unknown analogy method {method!r} (use add or mul)")
        sims = (1 + self._cosines(np.stack([ua, ub, uc]))) / 2
        scores = sims[1] * sims[2] / (sims[0] + COSMUL_EPSILON)
        return self._top(scores, ids, n)

    def to_gensim(self):
        """A gensim ``KeyedVectors`` with the same words and vectors (needs gensim)."""
        try:
            from gensim.models import KeyedVectors
        except ImportError:
            raise W2VError("to_gensim needs gensim: pip install gensim") from None
        kv = KeyedVectors(vector_size=self.dim, count=len(self))
        kv.add_vectors(self.words, np.asarray(self.vectors))
        return kv

    def _batch(self) -> int:
        return max(1, min(1024, SCORE_BUDGET // max(1, len(self))))

    def _cosines(self, queries: np.ndarray) -> np.ndarray:
        """Cosine of each unit query (k x dim) with every row: k x V."""
        if self._scale is None:
            self._scale = np.where(self.norms > 0, 1 / np.maximum(self.norms, 1e-30), 0).astype(np.float32)
        scores = queries.astype(np.float32) @ self.vectors.T
        scores *= self._scale
        return scores

    def _closest(self, queries: np.ndarray, exclude: list[list[int]], n: int) -> list[list[tuple[str, float]]]:
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        queries = queries / np.where(norms > 0, norms, 1)
        return [self._top(row, ex, n) for row, ex in zip(self._cosines(queries), exclude)]

    def _top(self, scores: np.ndarray, exclude: list[int], n: int) -> list[tuple[str, float]]:
        scores[exclude] = -np.inf
        n = min(n, len(scores) - len(set(exclude)))
        if n <= 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.lexsort((top, -scores[top]))]  # by score, ties by vocabulary order
        return [(self.words[i], float(scores[i])) for i in top]
