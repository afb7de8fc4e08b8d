"""Word senses from contexts: the occurrences of a word in a corpus, each represented by
its context words' vectors (the mean of those on the left, of those on the right, and the
two next to it), clustered by spherical k-means. The number of senses is the largest K
whose senses really differ: every two senses' mean contexts, seen from the corpus's
average context, at cosine below SPLIT_COSINE; otherwise the word keeps one sense.

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

# A split is kept when the senses' mean contexts point different ways from the corpus's average
# context: each sense's mean context (the bag of its window's words) less the average context at
# random places in the corpus, and every two of those at cosine below this. One sense's contexts
# split in two still share what sets the word apart from the rest of the corpus (cosine 0.4-0.9
# here); two unrelated words merged into one point apart (-0.7-0.2). Chosen on pseudo-words of
# text8_prefix and mobydick_ham (two draws each, benchmarks/senses_pseudowords.py --dev), and
# reported on other pairs (benchmarks/RESULTS.md).
SPLIT_COSINE = 0.3
BACKGROUND = 2000  # random places in the corpus whose contexts make its average context
MIN_SHARE = 0.05  # a sense must hold at least 5% of the occurrences
KMEANS_RESTARTS = 4
KMEANS_ITERATIONS = 30
NEIGHBOUR_VOCAB = 30_000  # as compute-accuracy's restriction: neighbours among the most frequent words


@dataclass
class Occurrence:
    left: list[bytes]  # the words within the window before it, nearest last
    right: list[bytes]  # and after it, nearest first
    snippet: str  # a few words either side, for people
    position: int  # token index in the corpus (line ends included)

    @property
    def context(self) -> list[bytes]:
        return self.left + self.right


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
    # k -> the closest two of k senses: their mean contexts' cosine, from the corpus's average
    # context; k senses are kept when it is below threshold (and each holds MIN_SHARE)
    scores: dict[int, float] = field(default_factory=dict)
    threshold: float = SPLIT_COSINE
    shares: dict[int, float] = field(default_factory=dict)  # k -> the smallest sense's share
    mean: np.ndarray | None = None  # the occurrences' mean features: taken off before clustering

    def confidence(self) -> str:
        """The scores behind the count, for people: where each K stands against the threshold."""
        marks = ", ".join(f"{k}: {v:+.2f}" + ("" if self.shares.get(k, 1) >= MIN_SHARE else " (a sense under 5%)")
                          for k, v in sorted(self.scores.items()))
        return (f"closest senses' cosine for 2..{max(self.scores)} senses: {marks}; a split needs below "
                f"{self.threshold:+.2f}") if self.scores else "too few occurrences to split"


class ContextSpace:
    """Turns the words around an occurrence into vectors: weighted means of the context words'
    unit vectors, frequent words down-weighted (weight log(1 + rank), the vector file being in
    frequency order as word2vec writes it). ``bag``: the mean of the whole window (what the
    occurrence is about); ``features``: the means of the left and of the right words and the
    vectors of the two words next to it (how it is used), which the senses are clustered by:
    on pseudo-words they tell the senses apart better than the bag (purity 0.84 against 0.80)
    and keep one-sense words whole more often."""

    def __init__(self, vectors: Vectors):
        self.vectors = vectors
        self.index = {encode_word(w): i for w, i in vectors.index.items()}  # the same first-wins rule, by bytes
        self.weights = np.log1p(np.arange(1, len(vectors) + 1, dtype=np.float32))

    def embed(self, occurrences: list, drop: bytes | None = None, features: bool = True
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bags, features, mask of occurrences with at least one known context word), the
        word ``drop`` (the word itself, which says nothing of its sense) left out; ``features``
        False: bags alone (features all zero)."""
        d, parts = self.vectors.dim, 5 if features else 1
        rows, groups = [], []  # each known context word: its row, and which mean it goes to
        for k, o in enumerate(occurrences):
            sides = (o.left + o.right, o.left, o.right, o.left[-1:], o.right[:1])[:parts]
            for part, words in enumerate(sides):
                for w in words:
                    i = self.index.get(w, -1)
                    if i >= 0 and w != drop:
                        rows.append(i)
                        groups.append(k * parts + part)
        sums = np.zeros((len(occurrences) * parts, d), np.float32)
        totals = np.zeros(len(occurrences) * parts, np.float32)
        if rows:
            unique, where = np.unique(np.array(rows), return_inverse=True)
            weights = self.weights[unique][where]
            np.add.at(sums, np.array(groups), weights[:, None] * self.vectors.unit_rows(unique)[where])
            np.add.at(totals, np.array(groups), weights)
        means = (sums / np.where(totals > 0, totals, 1)[:, None]).reshape(len(occurrences), parts, d)
        ok = totals.reshape(len(occurrences), parts)[:, 0] > 0
        feats = means[:, 1:].reshape(len(occurrences), (parts - 1) * d) if features else \
            np.zeros((len(occurrences), 4 * d), np.float32)
        return means[:, 0].copy(), feats, ok


def collect(corpus: str, word: bytes, window: int, limit: int, seed: int = 1, background: int = 0
            ) -> tuple[list[Occurrence], int, list[Occurrence]]:
    """A uniform sample (reservoir) of at most ``limit`` occurrences of word, streamed; their
    count; and the windows of ``background`` places drawn uniformly from the whole corpus."""
    rng = random.Random(seed)
    places = np.random.default_rng(seed)
    sample: list[Occurrence] = []
    others: list[Occurrence] = []
    seen = placed = 0
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
            if background:
                placed = _sample_places(tokens, len(carry), window, background, placed, others, places)
            pending = _finish(pending, sample, tokens, offset, window, final=False)
            keep = 2 * max(window, 8)
            carry, offset = tokens[-keep:], offset + max(0, len(tokens) - keep)
    _finish(pending, sample, carry, offset, window, final=True)
    return [s for s in sample if s is not None], seen, others


def _sample_places(tokens, start, window, size, placed, others, rng):
    """Reservoir sampling, vectorised, of the places tokens[start:-window] into others (at most
    size; a line end drawn is passed over); placed: how many places came before. Returns the new
    count."""
    at = np.arange(start, max(start, len(tokens) - window))
    if not len(at):
        return placed
    ranks = placed + np.arange(len(at))
    slots = np.where(ranks < size, ranks, rng.integers(0, ranks + 1))
    for i, slot in zip(at[slots < size].tolist(), slots[slots < size].tolist()):
        if tokens[i] == EOS or slot > len(others):
            continue
        left, right = _sides(tokens, i, window)
        occurrence = Occurrence(left, right, "", -1)
        if slot == len(others):
            others.append(occurrence)
        else:
            others[slot] = occurrence
    return placed + len(at)


def _finish(pending, sample, tokens, offset, window, final=False):
    """Fill the occurrences whose windows are complete in tokens; return those still waiting."""
    waiting = []
    for slot, at in pending:
        i = at - offset
        if not final and i + max(window, 8) >= len(tokens):
            waiting.append((slot, at))
            continue
        if 0 <= i < len(tokens):
            sample[slot] = Occurrence(*_sides(tokens, i, window), _snippet(tokens, i), at)
    return waiting


def _sides(tokens, i, window):
    """The words within window of tokens[i] on its left and on its right, inside its line."""
    left = tokens[max(0, i - window) : i]
    right = tokens[i + 1 : i + 1 + window]
    if EOS in left:  # a window stays inside its line
        left = left[len(left) - left[::-1].index(EOS) :]
    if EOS in right:
        right = right[: right.index(EOS)]
    return left, right


def _window(tokens, i, window):
    left, right = _sides(tokens, i, window)
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
            members = labels[None, :] == np.arange(k)[:, None]
            new = members.astype(x.dtype) @ x  # each cluster's sum, in one product
            new = np.where(members.any(axis=1)[:, None], new, centres)  # an empty cluster keeps its centre
            new /= np.maximum(np.linalg.norm(new, axis=1, keepdims=True), 1e-12)
            if np.allclose(new, centres):
                break
            centres = new
        score = float(np.sum(np.max(x @ centres.T, axis=1)))
        if score > best[0]:
            best = (score, labels, centres)
    return best[1], best[2]


def closest_pair_cosine(bags: np.ndarray, labels: np.ndarray, k: int, base: np.ndarray) -> float:
    """The largest cosine between two senses' mean contexts (bags), each less ``base`` (the
    corpus's average context): how alike the two most alike senses are in what sets them apart.
    1.0 when k-means left a sense empty (a handful of occurrences): no such split."""
    if np.bincount(labels, minlength=k).min() == 0:
        return 1.0
    c = np.stack([bags[labels == i].mean(axis=0) - base for i in range(k)])
    c /= np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
    sims = c @ c.T
    return float(sims[~np.eye(k, dtype=bool)].max())


def find_senses(vectors: Vectors, corpus: str, word: str, max_senses: int = 5, contexts: int = 2000,
                window: int = 5, senses: int | None = None, neighbours: int = 8, examples: int = 3,
                seed: int = 1, context_vectors: Vectors | None = None) -> SenseResult:
    """Cluster the contexts of ``word`` into senses (``senses`` forces their number)."""
    vectors.id(word)  # a clear error for an unknown word
    space = ContextSpace(context_vectors or vectors)
    target = encode_word(word)
    occurrences, seen, background = collect(corpus, target, window, contexts, seed, BACKGROUND)
    bags, features, ok = space.embed(occurrences, drop=target)
    occurrences = [o for o, good in zip(occurrences, ok) if good]
    bags, features = bags[ok], features[ok]
    if len(occurrences) < 2:
        raise W2VError(f"{word!r} occurs {seen:,} times in {corpus}, {len(occurrences)} of them with known words "
                       "around it: too few to find senses")
    others, _, known = space.embed(background, features=False)
    base = others[known].mean(axis=0) if known.any() else np.zeros(space.vectors.dim, np.float32)
    mean = features.mean(axis=0)
    x = features - mean  # what tells the occurrences apart, not what they share
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    scores, shares, splits = {}, {}, {1: np.zeros(len(x), int)}
    for kk in range(2, min(max(max_senses, senses or 0), len(x) - 1) + 1):
        splits[kk], _ = spherical_kmeans(x, kk, seed)
        shares[kk] = float(np.bincount(splits[kk], minlength=kk).min() / len(x))
        scores[kk] = closest_pair_cosine(bags, splits[kk], kk, base)
    if senses is not None:
        k = min(senses, len(x))
        labels = splits[k] if k in splits else spherical_kmeans(x, k, seed)[0]
    else:  # the most senses that all differ, each holding a share worth the name
        k = max([kk for kk in scores if kk <= max_senses and scores[kk] < SPLIT_COSINE and shares[kk] >= MIN_SHARE],
                default=1)
        labels = splits[k]
    used = np.unique(labels)
    if len(used) < k:  # k-means left a sense empty (fewer distinct contexts than senses asked for): k is fewer
        labels, k = np.searchsorted(used, labels), len(used)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")  # biggest sense first
    labels = np.argsort(order)[labels]
    result = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        centroid = x[members].sum(axis=0)
        centroid /= max(np.linalg.norm(centroid), 1e-12)
        # what sets this sense apart from the word's average context names it best
        if k > 1:
            direction = bags[members].mean(axis=0) - bags.mean(axis=0)
            near = _neighbours(vectors, direction / max(np.linalg.norm(direction), 1e-12), word, neighbours)
        else:  # one sense: the word's own vector already is it
            near = vectors.nearest(word, neighbours)
        closest = members[np.argsort(-(x[members] @ centroid))[:examples]]
        result.append(Sense(len(members) / len(x), centroid, near, [occurrences[i].snippet for i in closest],
                            len(members)))
    positions = np.array([o.position for o in occurrences], dtype=np.int64)
    return SenseResult(word, seen, len(x), result, labels, positions, scores, SPLIT_COSINE, shares, mean)


def _neighbours(vectors: Vectors, direction: np.ndarray, word: str, n: int) -> list[tuple[str, float]]:
    # among the more frequent words only: rare words' vectors are noisy and crowd together
    scores = vectors.unit_rows(slice(0, NEIGHBOUR_VOCAB)) @ direction
    exclude = [vectors.id(word)] if vectors.id(word) < len(scores) else []
    return vectors._top(scores, exclude, n)


def tag_corpus(vectors: Vectors, corpus: str, words: list[str], output, window: int = 5, max_senses: int = 5,
               contexts: int = 2000, seed: int = 1, report=None, senses: int | None = None) -> dict[str, int]:
    """Rewrite corpus to output (a binary file object) with each occurrence of a word that has
    several senses replaced by ``word#k`` (k from 1, the most frequent sense first): the sense
    whose centre is nearest, in the space the senses were clustered in."""
    space = ContextSpace(vectors)
    found: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}  # word -> (mean features, unit centres)
    for word in words:
        result = find_senses(vectors, corpus, word, max_senses, contexts, window, senses, seed=seed)
        if report:
            report(result)
        if len(result.senses) > 1:
            found[encode_word(word)] = (result.mean, np.stack([s.centroid for s in result.senses]))
    tagged = {decode_word(w): 0 for w in found}
    carry: list[bytes] = []
    with contextlib.closing(open_corpus(corpus)) as stream:
        blocks = list_with_lookahead(iter_tokens(stream))
        for block, nxt in blocks:
            tokens = carry + block + nxt[:window]
            out = tokens[len(carry) : len(carry) + len(block)]
            at: dict[bytes, list[int]] = {}
            for i, w in enumerate(out):
                if w in found:
                    at.setdefault(w, []).append(i + len(carry))
            for w, places in at.items():  # each word's occurrences in the block at once
                _, features, ok = space.embed([Occurrence(*_sides(tokens, i, window), "", i) for i in places], drop=w)
                mean, centres = found[w]
                senses = np.argmax((features - mean) @ centres.T, axis=1)
                for i, good, k in zip(places, ok, senses.tolist()):
                    if good:
                        out[i - len(carry)] = w + b"#%d" % (k + 1)
                tagged[decode_word(w)] += int(ok.sum())
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

