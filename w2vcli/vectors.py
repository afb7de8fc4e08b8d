"""A loaded set of word vectors and the questions people ask of it."""

import difflib

import numpy as np

from .errors import W2VError
from .formats import read_vectors, write_vectors


def _decode(word: bytes) -> str:
    # surrogateescape keeps any byte sequence, so words written back are byte-identical
    return word.decode("utf-8", "surrogateescape")


def _encode(word: str) -> bytes:
    return word.encode("utf-8", "surrogateescape")


class Vectors:
    """Words and their vectors: ``Vectors.load("vecs.bin").nearest("bank")``."""

    def __init__(self, words: list[str], matrix: np.ndarray):
        if len(words) != len(matrix):
            raise ValueError("one word per matrix row")
        self.words = list(words)
        self.matrix = np.asarray(matrix, dtype=np.float32)
        self.index: dict[str, int] = {}
        for i, w in enumerate(self.words):
            self.index.setdefault(w, i)  # the first of duplicate words wins, as in word2vec.c's tools
        self._unit: np.ndarray | None = None

    @classmethod
    def load(cls, path: str) -> "Vectors":
        words, matrix, _ = read_vectors(path)
        return cls([_decode(w) for w in words], matrix)

    def save(self, path: str, binary: bool = True) -> None:
        write_vectors(path, [_encode(w) for w in self.words], self.matrix, binary)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    @property
    def dim(self) -> int:
        return self.matrix.shape[1]

    @property
    def unit(self) -> np.ndarray:
        """Rows scaled to length 1 (all-zero rows stay zero)."""
        if self._unit is None:
            norms = np.linalg.norm(self.matrix, axis=1, keepdims=True)
            self._unit = self.matrix / np.where(norms > 0, norms, 1.0)
        return self._unit

    def id(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise W2VError(f"unknown word {word!r}{self._suggest(word)}") from None

    def _suggest(self, word: str) -> str:
        close = difflib.get_close_matches(word, self.words[:50_000], n=3, cutoff=0.75)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def vector(self, word: str) -> np.ndarray:
        return self.matrix[self.id(word)]

    def similarity(self, a: str, b: str) -> float:
        return float(self.unit[self.id(a)] @ self.unit[self.id(b)])

    def nearest(self, words: str | list[str], n: int = 10) -> list[tuple[str, float]]:
        """Cosine neighbours of a word, or of the mean of several (word2vec.c's distance), excluding them."""
        words = [words] if isinstance(words, str) else list(words)
        ids = [self.id(w) for w in words]
        return self._closest(self.unit[ids].sum(axis=0), set(ids), n)

    def analogy(self, a: str, b: str, c: str, n: int = 10) -> list[tuple[str, float]]:
        """Words d with a : b :: c : d, by 3CosAdd (b - a + c on unit vectors)."""
        ia, ib, ic = self.id(a), self.id(b), self.id(c)
        query = self.unit[ib] - self.unit[ia] + self.unit[ic]
        return self._closest(query, {ia, ib, ic}, n)

    def _closest(self, query: np.ndarray, exclude: set[int], n: int) -> list[tuple[str, float]]:
        norm = np.linalg.norm(query)
        scores = self.unit @ (query / norm if norm > 0 else query)
        scores[list(exclude)] = -np.inf
        n = min(n, len(scores) - len(exclude))
        if n <= 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in top]
