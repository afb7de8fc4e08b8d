"""Word classes by k-means on the word vectors, as word2vec.c's ``-classes K``.

word2vec.c starts word i in class i mod K, then 10 times: each class centre is the
mean of its words, scaled to length 1, and each word moves to the centre with the
largest dot product. Here the centres are sums over words sorted by class
(np.add.reduceat) and the assignment is one matrix product per block of words.
"""

import numpy as np

from .atomic import atomic_open
from .errors import W2VError

ITERATIONS = 10  # as word2vec.c


def kmeans_classes(matrix: np.ndarray, k: int, iterations: int = ITERATIONS, block: int = 65536) -> np.ndarray:
    """Class id (0 .. k-1) of every row of matrix."""
    rows = len(matrix)
    if not 1 <= k <= rows:
        raise W2VError(f"--classes must be between 1 and the number of words ({rows}), not {k}", exit_code=2)
    matrix = np.asarray(matrix, dtype=np.float32)
    classes = np.arange(rows) % k  # as word2vec.c: word i starts in class i mod k
    for _ in range(iterations):
        centres = _class_sums(matrix, classes, k)
        norms = np.linalg.norm(centres, axis=1, keepdims=True)
        centres = (centres / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        for start in range(0, rows, block):
            classes[start : start + block] = np.argmax(matrix[start : start + block] @ centres.T, axis=1)
    return classes


def _class_sums(matrix: np.ndarray, classes: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(classes, kind="stable")
    sizes = np.bincount(classes, minlength=k)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    sums = np.zeros((k, matrix.shape[1]), np.float64)
    filled = sizes > 0  # reduceat would copy a row into an empty class: leave those at zero
    sums[filled] = np.add.reduceat(matrix[order].astype(np.float64), starts[filled], axis=0)
    return sums


def write_classes(path: str, words: list[bytes], classes: np.ndarray) -> None:
    """``word class`` lines, word2vec.c's -classes output."""
    with atomic_open(path) as f:
        f.write(b"".join(b"%s %d\n" % (w, c) for w, c in zip(words, classes.tolist())))
