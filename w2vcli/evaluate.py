"""Standard intrinsic evaluations: word analogies (word2vec.c's compute-accuracy protocol)
and word-pair similarity (Spearman correlation with human scores)."""

import math
from dataclasses import dataclass, field

import numpy as np

from .corpus import read_whole
from .errors import W2VError
from .vectors import SCORE_BUDGET, Vectors, first_index

SEMANTIC_SECTIONS = 5  # as compute-accuracy.c: the first five sections of questions-words are semantic


@dataclass
class Section:
    name: str
    correct: int = 0
    seen: int = 0  # questions whose four words are all in the restricted vocabulary
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.seen if self.seen else 0.0


@dataclass
class AnalogyResult:
    sections: list[Section] = field(default_factory=list)

    def _sum(self, sections) -> Section:
        s = Section("")
        for x in sections:
            s.correct, s.seen, s.total = s.correct + x.correct, s.seen + x.seen, s.total + x.total
        return s

    @property
    def overall(self) -> Section:
        return self._sum(self.sections)

    @property
    def semantic(self) -> Section:
        return self._sum(self.sections[:SEMANTIC_SECTIONS])

    @property
    def syntactic(self) -> Section:
        return self._sum(self.sections[SEMANTIC_SECTIONS:])


def _ascii_upper(word: str) -> str:
    # compute-accuracy.c applies C's toupper byte by byte: ASCII letters only
    return word.translate(_UPPER)


_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _folded_index(vectors: Vectors, n: int, case_fold: bool):
    """(fold, folded word -> row) over the first n words; the first of words folding alike wins."""
    fold = _ascii_upper if case_fold else (lambda w: w)
    words = vectors.words[:n]
    return fold, first_index(list(map(fold, words)))


def _read_lines(path: str) -> list[str]:
    return read_whole(path, "evaluation file").decode("utf-8", "surrogateescape").splitlines()


def analogies(vectors: Vectors, path: str, restrict: int = 30_000, case_fold: bool = True) -> AnalogyResult:
    """Accuracy on a questions-words file, as compute-accuracy.c: vocabulary cut to the first
    ``restrict`` words, words upper-cased, question d = argmax cos(x, b - a + c) over x not in
    {a, b, c}; a question with a word outside the vocabulary is skipped (counted in total only)."""
    n = min(restrict, len(vectors)) if restrict else len(vectors)
    fold, index = _folded_index(vectors, n, case_fold)
    result = AnalogyResult()
    questions: list[tuple[int, int, int, int]] = []

    def close_section():
        if result.sections:
            _score(result.sections[-1], questions, vectors, n)
        questions.clear()

    for lineno, line in enumerate(_read_lines(path), 1):
        fields = line.split()
        if not fields:
            continue
        if fields[0] == ":":
            close_section()
            result.sections.append(Section(" ".join(fields[1:])))
            continue
        if len(fields) != 4:
            raise W2VError(f"{path}:{lineno}: an analogy question needs 4 words, got {len(fields)}")
        if not result.sections:
            result.sections.append(Section("(unnamed)"))
        result.sections[-1].total += 1
        ids = [index.get(fold(w), -1) for w in fields]
        if min(ids) >= 0:
            questions.append(tuple(ids))
    close_section()
    return result


def _score(section: Section, questions: list, vectors: Vectors, n: int) -> None:
    """Score questions against the first n rows: cosines as the query's unit vector times the
    rows, scaled by the rows' inverse norms (no normalised copy of the matrix), in batches of
    at most SCORE_BUDGET scores."""
    section.seen += len(questions)
    rows_n = vectors.vectors[:n]
    scale = np.where(vectors.norms[:n] > 0, 1 / np.maximum(vectors.norms[:n], 1e-30), 0).astype(np.float32)
    batch = max(1, min(2048, SCORE_BUDGET // max(1, n)))
    for start in range(0, len(questions), batch):
        q = np.array(questions[start : start + batch], dtype=np.int64)
        a, b, c = (vectors.unit_rows(q[:, k]) for k in range(3))
        scores = (b - a + c) @ rows_n.T
        scores *= scale
        rows = np.arange(len(q))
        for k in range(3):
            scores[rows, q[:, k]] = -np.inf
        best = scores.argmax(axis=1)
        # compute-accuracy.c starts its search at similarity 0: a non-positive best is no answer
        section.correct += int(np.sum((best == q[:, 3]) & (scores[rows, best] > 0)))


@dataclass
class PairsResult:
    spearman: float  # nan when fewer than two pairs could be scored
    pairs: int  # pairs scored
    oov: int  # pairs skipped for an unknown word


def word_pairs(vectors: Vectors, path: str, restrict: int = 300_000, case_fold: bool = True) -> PairsResult:
    """Spearman correlation between human similarity scores and cosine similarity."""
    n = min(restrict, len(vectors)) if restrict else len(vectors)
    fold, index = _folded_index(vectors, n, case_fold)
    human, model, oov = [], [], 0
    rows = 0
    for lineno, line in enumerate(_read_lines(path), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows += 1
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) < 3:
            raise W2VError(f"{path}:{lineno}: expected 'word1 word2 score'")
        try:
            score = float(fields[2])
        except ValueError:
            if rows == 1:
                continue  # a header row
            raise W2VError(f"{path}:{lineno}: the score {fields[2]!r} is not a number") from None
        if not math.isfinite(score):
            raise W2VError(f"{path}:{lineno}: the score {fields[2]!r} is not a finite number")
        a, b = index.get(fold(fields[0].strip()), -1), index.get(fold(fields[1].strip()), -1)
        if a < 0 or b < 0:
            oov += 1
            continue
        human.append(score)
        ua, ub = vectors.unit_rows(np.array([a, b]))
        model.append(float(ua @ ub))
    if len(human) < 2:  # nothing to correlate: every pair has an unknown word
        return PairsResult(float("nan"), len(human), oov)
    return PairsResult(spearman(np.array(human), np.array(model)), len(human), oov)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson correlation of ranks, ties sharing their average rank."""
    rx, ry = _ranks(x), _ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = np.sqrt((rx**2).sum() * (ry**2).sum())
    return float((rx * ry).sum() / denom) if denom > 0 else 0.0


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    values, inverse = np.unique(x, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks)
    counts = np.bincount(inverse)
    return (sums / counts)[inverse]
