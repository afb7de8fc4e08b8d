"""A loaded set of word vectors and the questions people ask of it."""

import difflib

import numpy as np

from .errors import W2VError
from .formats import read_vectors, write_vectors

COSMUL_EPSILON = 1e-6  # as gensim's most_similar_cosmul and Levy & Goldberg (2014)
SCORE_BUDGET = 1 << 26  # floats in one batch x vocabulary score matrix (256 MB)
FEW_LOOKUPS = 8  # up to this many words are found by scanning the list; then a dict is built


def decode_word(word: bytes) -> str:
    # surrogateescape keeps any byte sequence, so words written back are byte-identical
    return word.decode("utf-8", "surrogateescape")


def encode_word(word: str) -> bytes:
    return word.encode("utf-8", "surrogateescape")


def first_index(keys: list) -> dict:
    """key -> position; of keys occurring twice the first wins, as in word2vec.c's tools
    (built backwards, so the earlier position is written last)."""
    return dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))


class Vectors:
    """Words and their vectors: ``Vectors.load("vecs.bin").nearest("bank")``."""

    def __init__(self, words: list[str], matrix: np.ndarray):
        if len(words) != len(matrix):
            raise ValueError("one word per matrix row")
        self.words = list(words)
        self._matrix = np.asarray(matrix, dtype=np.float32)
        self._unit: np.ndarray | None = None
        self._norms: np.ndarray | None = None
        self._index: dict[str, int] | None = None
        self._scans = 0

    @classmethod
    def from_unit(cls, words: list[str], unit: np.ndarray, norms: np.ndarray) -> "Vectors":
        """Vectors given as unit rows and their lengths (the query cache stores them so)."""
        self = cls.__new__(cls)
        self.words, self._matrix, self._unit, self._norms, self._index = list(words), None, unit, norms, None
        self._scans = 0
        return self

    @classmethod
    def load(cls, path: str) -> "Vectors":
        words, matrix, _ = read_vectors(path)
        return cls([decode_word(w) for w in words], matrix)

    def save(self, path: str, binary: bool = True) -> None:
        write_vectors(path, [encode_word(w) for w in self.words], self.matrix, binary)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    @property
    def dim(self) -> int:
        return (self._matrix if self._matrix is not None else self._unit).shape[1]

    @property
    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = np.asarray(self._unit * self._norms[:, None], dtype=np.float32)
        return self._matrix

    @property
    def norms(self) -> np.ndarray:
        if self._norms is None:
            self._norms = np.linalg.norm(self._matrix, axis=1).astype(np.float32)
        return self._norms

    @property
    def unit(self) -> np.ndarray:
        """Rows scaled to length 1 (all-zero rows stay zero)."""
        if self._unit is None:
            norms = self.norms[:, None]
            self._unit = self._matrix / np.where(norms > 0, norms, 1.0).astype(np.float32)
        return self._unit

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = first_index(self.words)
        return self._index

    def id(self, word: str) -> int:
        if self._index is None and self._scans < FEW_LOOKUPS:
            # a query or two: a scan of the word list costs less than building the index
            self._scans += 1
            try:
                return self.words.index(word)
            except ValueError:
                pass
        try:
            return self.index[word]
        except KeyError:
            raise W2VError(f"unknown word {word!r}{self._suggest(word)}") from None

    def _suggest(self, word: str) -> str:
        candidates = self.words[:100_000]
        close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.75)
        if not close:
            close = [w for w in candidates if w.lower() == word.lower()][:3]
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def vector(self, word: str) -> np.ndarray:
        return self.matrix[self.id(word)]

    def similarity(self, a: str, b: str) -> float:
        return float(self.unit[self.id(a)] @ self.unit[self.id(b)])

    def nearest(self, words: str | list[str], n: int = 10) -> list[tuple[str, float]]:
        """Cosine neighbours of a word, or of the mean of several (word2vec.c's distance), excluding them."""
        return self.nearest_many([[words] if isinstance(words, str) else list(words)], n)[0]

    def nearest_many(self, queries: list[list[str]], n: int = 10) -> list[list[tuple[str, float]]]:
        """``nearest`` for many queries at once: one matrix product per batch of queries."""
        ids = [[self.id(w) for w in q] for q in queries]
        batch = max(1, min(1024, SCORE_BUDGET // max(1, len(self))))
        results = []
        for start in range(0, len(ids), batch):
            group = ids[start : start + batch]
            q = np.stack([self.unit[i].sum(axis=0) for i in group])
            results += self._closest(q, group, n)
        return results

    def analogy(self, a: str, b: str, c: str, n: int = 10, method: str = "add") -> list[tuple[str, float]]:
        """Words d with a : b :: c : d. ``add``: 3CosAdd, cos(d, b - a + c) on unit vectors;
        ``mul``: 3CosMul, cos'(d, b) cos'(d, c) / (cos'(d, a) + 1e-6) with cos' = (1 + cos) / 2."""
        ia, ib, ic = self.id(a), self.id(b), self.id(c)
        if method == "add":
            query = self.unit[ib] - self.unit[ia] + self.unit[ic]
            return self._closest(query[None, :], [[ia, ib, ic]], n)[0]
        if method != "mul":
            raise W2VError(f"unknown analogy method {method!r} (use add or mul)", exit_code=2)
        sims = (1 + self.unit @ self.unit[[ia, ib, ic]].T) / 2
        scores = sims[:, 1] * sims[:, 2] / (sims[:, 0] + COSMUL_EPSILON)
        return self._top(scores, [ia, ib, ic], n)

    def _closest(self, queries: np.ndarray, exclude: list[list[int]], n: int) -> list[list[tuple[str, float]]]:
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        queries = (queries / np.where(norms > 0, norms, 1)).astype(np.float32)
        scores = queries @ self.unit.T
        return [self._top(row, ex, n) for row, ex in zip(scores, exclude)]

    def _top(self, scores: np.ndarray, exclude: list[int], n: int) -> list[tuple[str, float]]:
        scores[exclude] = -np.inf
        n = min(n, len(scores) - len(set(exclude)))
        if n <= 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.lexsort((top, -scores[top]))]  # by score, ties by vocabulary order
        return [(self.words[i], float(scores[i])) for i in top]
