"""Word senses from contexts: the occurrences of a word in a corpus, each represented by
the mean vector of its context words, clustered by spherical k-means; the number of
senses is chosen by silhouette, and one sense is kept when no split is clearly better.

``find_senses`` describes the senses of one word; ``tag_corpus`` rewrites a corpus with
each occurrence of chosen words replaced by ``word#k``, its closest sense, so that
``w2v train`` then learns one vector per sense.
"""

import contextlib
import random
from dataclasses import dataclass, field

import numpy as np

from .corpus import EOS, iter_tokens, open_corpus
from .errors import W2VError
from .vectors import Vectors, decode_word, encode_word

MIN_SILHOUETTE = 0.12  # below this mean silhouette, a split is not clearly better than one sense
# Senses must also differ in absolute terms: silhouette is scale-free, so it finds "clusters" in
# the tiny spread of a one-sense word's contexts. On text8 the two halves of such a word's
# contexts have mean vectors at cosine 0.92-0.95 (river, music, water, computer), those of
# bank, plant and bass at 0.85-0.90; two senses whose mean contexts are closer than this merge.
MAX_CENTROID_COSINE = 0.9
MIN_SHARE = 0.05  # a sense must hold at least 5% of the occurrences
KMEANS_RESTARTS = 4
KMEANS_ITERATIONS = 30
NEIGHBOUR_VOCAB = 30_000  # as compute-accuracy's restriction: neighbours among the most frequent words


@dataclass
class Occurrence:
    context: list[bytes]  # the words within the window, the word itself excluded
    snippet: str  # a few words either side, for people
    position: int  # token index in the corpus (line ends included)


@dataclass
class Sense:
    share: float
    centroid: np.ndarray  # unit vector in the context space
    neighbours: list[tuple[str, float]]
    examples: list[str]
    size: int


@dataclass
class SenseResult:
    word: str
    occurrences: int  # occurrences seen in the corpus
    sampled: int  # occurrences clustered
    senses: list[Sense]
    labels: np.ndarray  # sense of each sampled occurrence (index into senses)
    positions: np.ndarray  # corpus token index of each sampled occurrence
    silhouettes: dict[int, float] = field(default_factory=dict)  # k -> mean silhouette


class ContextSpace:
    """Turns a window of words into one unit vector: the weighted mean of the context words'
    unit vectors, frequent words down-weighted (weight log(1 + rank), the vector file being in
    frequency order as word2vec writes it), minus the word's average context."""

    def __init__(self, vectors: Vectors):
        self.vectors = vectors
        self.index = {encode_word(w): i for w, i in vectors.index.items()}  # the same first-wins rule, by bytes
        self.weights = np.log1p(np.arange(1, len(vectors) + 1, dtype=np.float32))

    def embed(self, contexts: list[list[bytes]]) -> tuple[np.ndarray, np.ndarray]:
        """(raw mean vectors, mask of contexts with at least one known word)."""
        out = np.zeros((len(contexts), self.vectors.dim), np.float32)
        ok = np.zeros(len(contexts), bool)
        for k, words in enumerate(contexts):
            ids = [i for i in (self.index.get(w, -1) for w in words) if i >= 0]
            if ids:
                w = self.weights[ids]
                out[k] = (w[:, None] * self.vectors.unit_rows(np.array(ids))).sum(axis=0) / w.sum()
                ok[k] = True
        return out, ok


def collect(corpus: str, word: bytes, window: int, limit: int, seed: int = 1) -> tuple[list[Occurrence], int]:
    """A uniform sample (reservoir) of at most ``limit`` occurrences of word, streamed; and the count."""
    rng = random.Random(seed)
    sample: list[Occurrence] = []
    seen = 0
    carry: list[bytes] = []  # the end of the previous block, for windows that cross blocks
    offset = 0  # corpus token index of carry[0]
    pending: list[tuple[int, int]] = []  # (sample slot or -1, corpus index) waiting for right context
    with contextlib.closing(open_corpus(corpus)) as stream:
        for block in iter_tokens(stream):
            tokens = carry + block
            pending = _finish(pending, sample, tokens, offset, window)
            start = len(carry)
            while True:
                try:
                    i = tokens.index(word, start)
                except ValueError:
                    break
                start = i + 1
                seen += 1
                slot = len(sample) if len(sample) < limit else rng.randrange(seen)
                if slot < limit:
                    if slot == len(sample):
                        sample.append(None)
                    pending.append((slot, offset + i))
            pending = _finish(pending, sample, tokens, offset, window, final=False)
            keep = 2 * max(window, 8)
            carry, offset = tokens[-keep:], offset + max(0, len(tokens) - keep)
    _finish(pending, sample, carry, offset, window, final=True)
    return [s for s in sample if s is not None], seen


def _finish(pending, sample, tokens, offset, window, final=False):
    """Fill the occurrences whose windows are complete in tokens; return those still waiting."""
    waiting = []
    for slot, at in pending:
        i = at - offset
        if not final and i + max(window, 8) >= len(tokens):
            waiting.append((slot, at))
            continue
        if 0 <= i < len(tokens):
            sample[slot] = Occurrence(_window(tokens, i, window), _snippet(tokens, i), at)
    return waiting


def _window(tokens, i, window):
    left = tokens[max(0, i - window) : i]
    right = tokens[i + 1 : i + 1 + window]
    if EOS in left:  # a window stays inside its line
        left = left[len(left) - left[::-1].index(EOS) :]
    if EOS in right:
        right = right[: right.index(EOS)]
    return left + right


def _snippet(tokens, i, width=8):
    words = _window(tokens, i, width)
    left = [w for w in tokens[max(0, i - width) : i] if w in words]
    right = words[len(left) :]
    text = lambda ws: " ".join(decode_word(w) for w in ws)  # noqa: E731
    return f"{text(left)} [{decode_word(tokens[i])}] {text(right)}".strip()


def spherical_kmeans(x: np.ndarray, k: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Labels and unit centroids of the rows of x (unit vectors), best of a few k-means++ starts."""
    rng = np.random.default_rng(seed)
    best = (-np.inf, None, None)
    for _ in range(KMEANS_RESTARTS):
        centres = [x[rng.integers(len(x))]]
        for _ in range(1, k):  # k-means++: far points are likelier starts
            d = 1 - np.max(x @ np.array(centres).T, axis=1)
            p = np.maximum(d, 0)
            centres.append(x[rng.choice(len(x), p=p / p.sum())] if p.sum() > 0 else x[rng.integers(len(x))])
        centres = np.array(centres)
        for _ in range(KMEANS_ITERATIONS):
            labels = np.argmax(x @ centres.T, axis=1)
            new = np.array([x[labels == c].sum(axis=0) if np.any(labels == c) else centres[c] for c in range(k)])
            new /= np.maximum(np.linalg.norm(new, axis=1, keepdims=True), 1e-12)
            if np.allclose(new, centres):
                break
            centres = new
        score = float(np.sum(np.max(x @ centres.T, axis=1)))
        if score > best[0]:
            best = (score, labels, centres)
    return best[1], best[2]


def _closest_pair_cosine(raw: np.ndarray, labels: np.ndarray, k: int) -> float:
    """The largest cosine between two senses' mean (uncentred) context vectors."""
    c = np.stack([raw[labels == i].mean(axis=0) for i in range(k)])
    c /= np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
    sims = c @ c.T
    return float(sims[~np.eye(k, dtype=bool)].max())


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette with cosine distance."""
    k = labels.max() + 1
    if k < 2:
        return 0.0
    dist = 1 - x @ x.T
    sizes = np.bincount(labels, minlength=k)
    sums = np.stack([dist[:, labels == c].sum(axis=1) for c in range(k)], axis=1)
    own = sizes[labels]
    a = np.where(own > 1, sums[np.arange(len(x)), labels] / np.maximum(own - 1, 1), 0)
    others = np.where(np.arange(k)[None, :] == labels[:, None], np.inf, sums / np.maximum(sizes, 1))
    b = others.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0)
    return float(s.mean())


def find_senses(vectors: Vectors, corpus: str, word: str, max_senses: int = 5, contexts: int = 2000,
                window: int = 5, senses: int | None = None, neighbours: int = 8, examples: int = 3,
                seed: int = 1, context_vectors: Vectors | None = None) -> SenseResult:
    """Cluster the contexts of ``word`` into senses (``senses`` forces their number)."""
    vectors.id(word)  # a clear error for an unknown word
    space = ContextSpace(context_vectors or vectors)
    target = encode_word(word)
    occurrences, seen = collect(corpus, target, window, contexts, seed)
    # the word itself says nothing of its sense: drop it from its own contexts
    raw, ok = space.embed([[w for w in o.context if w != target] for o in occurrences])
    occurrences = [o for o, good in zip(occurrences, ok) if good]
    raw = raw[ok]
    if len(occurrences) < 2:
        raise W2VError(f"{word!r} occurs {seen} times in {corpus} with usable context: too few to find senses")
    x = raw - raw.mean(axis=0)  # what tells the occurrences apart, not what they share
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    scores = {}
    if senses is not None:
        k = min(senses, len(x))
        labels, _ = spherical_kmeans(x, k, seed) if k > 1 else (np.zeros(len(x), int), None)
    else:
        labels, k = np.zeros(len(x), int), 1
        best = MIN_SILHOUETTE
        for kk in range(2, min(max_senses, len(x) - 1) + 1):
            cand, _ = spherical_kmeans(x, kk, seed)
            if np.bincount(cand, minlength=kk).min() < MIN_SHARE * len(x):
                continue
            if _closest_pair_cosine(raw, cand, kk) > MAX_CENTROID_COSINE:
                continue
            scores[kk] = silhouette(x, cand)
            if scores[kk] > best:
                best, labels, k = scores[kk], cand, kk
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")  # biggest sense first
    labels = np.argsort(order)[labels]
    result = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        centroid = raw[members].mean(axis=0)
        centroid /= max(np.linalg.norm(centroid), 1e-12)
        # what sets this sense apart from the word's average context names it best
        if k > 1:
            direction = raw[members].mean(axis=0) - raw.mean(axis=0)
            near = _neighbours(vectors, direction / max(np.linalg.norm(direction), 1e-12), word, neighbours)
        else:  # one sense: the word's own vector already is it
            near = vectors.nearest(word, neighbours)
        closest = members[np.argsort(-(x[members] @ x[members].mean(axis=0)))[:examples]]
        result.append(Sense(len(members) / len(x), centroid, near, [occurrences[i].snippet for i in closest],
                            len(members)))
    positions = np.array([o.position for o in occurrences], dtype=np.int64)
    return SenseResult(word, seen, len(x), result, labels, positions, scores)


def _neighbours(vectors: Vectors, direction: np.ndarray, word: str, n: int) -> list[tuple[str, float]]:
    # among the more frequent words only: rare words' vectors are noisy and crowd together
    scores = vectors.unit_rows(slice(0, NEIGHBOUR_VOCAB)) @ direction
    exclude = [vectors.id(word)] if vectors.id(word) < len(scores) else []
    return vectors._top(scores, exclude, n)


def tag_corpus(vectors: Vectors, corpus: str, words: list[str], output, window: int = 5, max_senses: int = 5,
               contexts: int = 2000, seed: int = 1, report=None) -> dict[str, int]:
    """Rewrite corpus to output (a binary file object) with each occurrence of a word that has
    several senses replaced by ``word#k`` (k from 1, the most frequent sense first)."""
    space = ContextSpace(vectors)
    centroids: dict[bytes, np.ndarray] = {}
    for word in words:
        result = find_senses(vectors, corpus, word, max_senses, contexts, window, seed=seed)
        if report:
            report(result)
        if len(result.senses) > 1:
            centroids[encode_word(word)] = np.stack([s.centroid for s in result.senses])
    tagged = {decode_word(w): 0 for w in centroids}
    carry: list[bytes] = []
    with contextlib.closing(open_corpus(corpus)) as stream:
        blocks = list_with_lookahead(iter_tokens(stream))
        for block, nxt in blocks:
            tokens = carry + block + nxt[:window]
            out = []
            for i in range(len(carry), len(carry) + len(block)):
                w = tokens[i]
                if w in centroids:
                    raw, ok = space.embed([_window(tokens, i, window)])
                    if ok[0]:
                        k = int(np.argmax(centroids[w] @ raw[0]))
                        w = w + b"#%d" % (k + 1)
                        tagged[decode_word(tokens[i])] += 1
                out.append(w)
            output.write(_join(out))
            carry = block[-window:] if window else []
    return tagged


def list_with_lookahead(blocks):
    """(block, next block or []) pairs, so windows can look past a block's end."""
    previous = None
    for block in blocks:
        if previous is not None:
            yield previous, block
        previous = block
    if previous is not None:
        yield previous, []


def _join(tokens: list[bytes]) -> bytes:
    """Tokens back to text: words separated by spaces, </s> as a line end."""
    out = bytearray()
    line: list[bytes] = []
    for t in tokens:
        if t == EOS:
            out += b" ".join(line) + b"\n"
            line = []
        else:
            line.append(t)
    if line:
        out += b" ".join(line) + b" "
    return bytes(out)

