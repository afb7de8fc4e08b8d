"""Embedding matrices for downstream models: the rows of a vector file reordered to a
model's own vocabulary, ready to initialise its embedding layer."""

from dataclasses import dataclass, field

import numpy as np

from .atomic import atomic_open
from .corpus import read_whole
from .errors import W2VError
from .formats import write_vectors
from .vectors import Vectors, encode_word

OOV_CHOICES = ("random", "zeros", "mean")


@dataclass
class Alignment:
    matrix: np.ndarray  # float32 [len(tokens), dim], row i for tokens[i]
    found: int = 0  # tokens found as they are
    folded: int = 0  # tokens found only lower-cased
    missing: list[str] = field(default_factory=list)


def read_tokens(path: str) -> list[str]:
    """A model vocabulary: one token per line, in the model's order (anything after a tab is ignored)."""
    lines = read_whole(path, "vocabulary file").decode("utf-8", "surrogateescape").splitlines()
    tokens = [line.split("\t")[0] for line in lines]
    if not tokens:
        raise W2VError(f"vocabulary file {path} is empty")
    for lineno, token in enumerate(tokens, 1):
        if not token:
            raise W2VError(f"{path}:{lineno}: empty token")
    return tokens


def align(vectors: Vectors, tokens: list[str], oov: str = "random", seed: int = 1) -> Alignment:
    """Row i holds the vector of tokens[i]: exact match first, then lower-cased; the rest per ``oov``:
    ``random`` (normal, with the found vectors' per-dimension spread), ``zeros``, or ``mean``."""
    if oov not in OOV_CHOICES:
        raise W2VError(f"--oov must be one of {', '.join(OOV_CHOICES)}", exit_code=2)
    lower: dict[str, int] = {}
    for i, w in enumerate(vectors.words):
        lower.setdefault(w.lower(), i)
    rows = np.full(len(tokens), -1, dtype=np.int64)
    result = Alignment(np.zeros((len(tokens), vectors.dim), np.float32))
    for t, token in enumerate(tokens):
        i = vectors.index.get(token)
        if i is not None:
            result.found += 1
        else:
            i = lower.get(token.lower())
            if i is None:
                result.missing.append(token)
                continue
            result.folded += 1
        rows[t] = i
    known = rows >= 0
    source = vectors.matrix[rows[known]]
    result.matrix[known] = source
    if result.missing:
        base = source if len(source) else vectors.matrix
        if oov == "mean":
            result.matrix[~known] = base.mean(axis=0)
        elif oov == "random":
            rng = np.random.default_rng(seed)
            result.matrix[~known] = rng.normal(0.0, base.std(axis=0), size=(int((~known).sum()), vectors.dim))
    return result


def save_matrix(path: str, matrix: np.ndarray, tokens: list[str], fmt: str) -> None:
    """npy (the matrix), npz (``embeddings`` and ``tokens``) or txt (word2vec text format)."""
    if fmt == "txt":
        write_vectors(path, [encode_word(t) for t in tokens], matrix, binary=False)
        return
    with atomic_open(path) as f:
        if fmt == "npz":
            np.savez(f, embeddings=matrix, tokens=np.array(tokens))
        else:
            np.save(f, matrix)
