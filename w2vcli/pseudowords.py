"""Pseudo-words: a test of sense induction on real text without hand labels (Schütze 1992;
Gale, Church and Yarowsky 1992). Two unrelated words of about the same frequency, say
"banana" and "door", are both replaced by one token, "banana_door"; a method that finds
senses should then find two, and tell the occurrences apart, while the original word of
every occurrence is known.

``choose`` draws such pairs (and one word merged from three) from a corpus's vocabulary:
words of matched frequency, with at least ``min_count`` occurrences each, unrelated (a low
cosine in vectors trained on the original corpus); and single words of the pseudo-words'
frequencies, left as they are, as controls that must stay whole. ``rewrite`` writes the
corpus with every occurrence of a merged word replaced, and returns the truth: for each
pseudo-word, which of its words each of its occurrences was, in corpus order.
"""

import contextlib
import random
from dataclasses import dataclass, field

import numpy as np

from .corpus import EOS, iter_tokens, open_corpus
from .errors import UsageError, W2VError
from .vectors import Vectors
from .words import decode_word

MIN_COUNT = 100  # occurrences of each merged word (the issue: at least 100 each)
MAX_RATIO = 1.25  # matched frequency: the commoner word at most 1.25 times the rarer
MAX_COSINE = 0.2  # unrelated: cosine below this in vectors of the original corpus
SKIP_TOP = 100  # the most frequent words (the, of, and, ...) are not merged: no topic to tell apart
MIN_LENGTH = 3  # nor words of one or two letters, mostly stray letters and abbreviations
JOINER = b"_"


@dataclass
class PseudoWord:
    token: bytes  # the merged token, the words joined by "_" (banana_door)
    parts: list[bytes]  # the words it replaces, in the order their index is recorded
    counts: list[int]  # their counts in the original corpus


@dataclass
class Plan:
    pseudowords: list[PseudoWord]
    controls: list[bytes]  # single words of the pseudo-words' frequencies, kept as they are
    control_counts: list[int] = field(default_factory=list)

    @property
    def words(self) -> list[bytes]:
        """Every word the plan touches: the merged words and the controls."""
        return [p for pw in self.pseudowords for p in pw.parts] + list(self.controls)


@dataclass
class Truth:
    """For each pseudo-word (by token), the index into its parts of each occurrence, in corpus
    order, and where each occurrence is (its token index, line ends included, as senses.collect
    counts positions)."""

    parts: dict[bytes, np.ndarray]
    positions: dict[bytes, np.ndarray]
    tokens: int  # tokens written, line ends included

    def of(self, token: bytes, positions: np.ndarray) -> np.ndarray:
        """The part index of the occurrences of token at these positions."""
        where = np.searchsorted(self.positions[token], positions)
        if np.any(where >= len(self.positions[token])) or np.any(self.positions[token][where] != positions):
            raise ValueError("a position that is not an occurrence of the pseudo-word")
        return self.parts[token][where]


def candidates(words: list[bytes], counts: np.ndarray, min_count: int = MIN_COUNT, skip_top: int = SKIP_TOP,
               exclude: set[bytes] = frozenset()) -> list[int]:
    """Indices of words that may be merged or kept as controls: not </s>, not among the
    ``skip_top`` most frequent, at least ``min_count`` occurrences, at least MIN_LENGTH bytes,
    no joiner inside, not excluded. ``words`` in descending count (a vocabulary's order)."""
    order = np.argsort(-np.asarray(counts), kind="stable")
    ranked = [int(i) for i in order if words[i] != EOS]
    return [i for i in ranked[skip_top:] if counts[i] >= min_count and len(words[i]) >= MIN_LENGTH
            and JOINER not in words[i] and words[i] not in exclude]


def choose(words: list[bytes], counts: np.ndarray, vectors: Vectors, pairs: int = 20, controls: int = 20,
           triples: int = 1, seed: int = 1, min_count: int = MIN_COUNT, max_ratio: float = MAX_RATIO,
           max_cosine: float = MAX_COSINE, skip_top: int = SKIP_TOP, exclude: set[bytes] = frozenset()) -> Plan:
    """Draw ``pairs`` two-word pseudo-words, ``triples`` three-word ones, and ``controls``
    single words, all words distinct. Words of a pseudo-word have counts within ``max_ratio``
    of each other and unit vectors at cosine below ``max_cosine`` (``vectors`` trained on the
    original corpus); a control's count is within ``max_ratio`` of a pseudo-word's total
    count (it has as many occurrences to cluster), or the nearest the corpus has left.
    ``exclude``: words not to use (those of another draw, so that the pairs reported are not
    the pairs tuned on)."""
    if pairs < 0 or controls < 0 or triples < 0:
        raise UsageError("pairs, controls and triples must be at least 0")
    if max_ratio < 1:
        raise UsageError(f"max_ratio must be at least 1, not {max_ratio}")
    counts = np.asarray(counts, dtype=np.int64)
    pool = [i for i in candidates(words, counts, min_count, skip_top, exclude) if decode_word(words[i]) in vectors]
    rng = random.Random(seed)
    rng.shuffle(pool)
    unit = vectors.unit_rows(np.array([vectors.id(decode_word(words[i])) for i in pool], dtype=np.int64)) \
        if pool else np.empty((0, vectors.dim), np.float32)
    where = {i: k for k, i in enumerate(pool)}
    used: set[int] = set()

    def partners(group: list[int]) -> list[int]:
        """Unused words matched in count to every word of group and unrelated to each."""
        lo = max(counts[g] for g in group) / max_ratio
        hi = min(counts[g] for g in group) * max_ratio
        sims = unit @ unit[[where[g] for g in group]].T
        return [i for k, i in enumerate(pool) if i not in used and lo <= counts[i] <= hi
                and (sims[k] < max_cosine).all()]

    def draw(size: int, how_many: int, what: str) -> list[PseudoWord]:
        found = []
        for first in pool:
            if len(found) == how_many:
                break
            if first in used:
                continue
            group = [first]
            used.add(first)
            while len(group) < size:
                options = partners(group)
                if not options:
                    break
                group.append(rng.choice(options))
                used.add(group[-1])
            if len(group) < size:
                used.difference_update(group[1:])  # the first stays used: it found no partner
                continue
            token = JOINER.join(words[g] for g in group)
            found.append(PseudoWord(token, [words[g] for g in group], [int(counts[g]) for g in group]))
        if len(found) < how_many:
            raise W2VError(f"only {len(found)} of {how_many} {what} found among {len(pool):,} words with at least "
                           f"{min_count} occurrences: a larger corpus, or a lower min_count")
        return found

    merged = draw(2, pairs, "pairs") + draw(3, triples, "three-way pseudo-words")
    taken = {w for pw in merged for w in pw.parts}
    if any(pw.token in taken or pw.token in set(words) for pw in merged):
        raise W2VError("a pseudo-word's token is already a word of the corpus")
    chosen, chosen_counts = [], []
    targets = [sum(pw.counts) for pw in merged[:pairs] or merged]
    for n in range(controls):
        left = [i for i in pool if i not in used]
        if not left:
            raise W2VError(f"only {n} control words left among {len(pool):,}: fewer controls, or a larger corpus")
        if targets:  # as many occurrences as a pseudo-word, or as near as the corpus has
            target = targets[n % len(targets)]
            near = [i for i in left if target / max_ratio <= counts[i] <= target * max_ratio]
            left = near or [min(left, key=lambda i: abs(np.log(counts[i] / target)))]
        pick = rng.choice(left)
        used.add(pick)
        chosen.append(words[pick])
        chosen_counts.append(int(counts[pick]))
    return Plan(merged, chosen, chosen_counts)


def rewrite(corpus: str, plan: Plan, output) -> Truth:
    """Write ``corpus`` to ``output`` (a binary file object), every occurrence of a merged
    word replaced by its pseudo-word, everything else as it was (words joined by single spaces,
    each line end kept); return which word each occurrence was."""
    replace: dict[bytes, tuple[bytes, int]] = {}
    for pw in plan.pseudowords:
        for k, part in enumerate(pw.parts):
            if part in replace:
                raise UsageError(f"{decode_word(part)!r} is merged into two pseudo-words")
            replace[part] = (pw.token, k)
    found: dict[bytes, list[int]] = {pw.token: [] for pw in plan.pseudowords}
    at: dict[bytes, list[int]] = {pw.token: [] for pw in plan.pseudowords}
    written = 0
    line: list[bytes] = []
    with contextlib.closing(open_corpus(corpus)) as stream:
        for block in iter_tokens(stream):
            out = bytearray()
            for w in block:
                if w == EOS:
                    out += b" ".join(line) + b"\n"
                    line = []
                    written += 1
                    continue
                hit = replace.get(w)
                if hit is not None:
                    w = hit[0]
                    found[w].append(hit[1])
                    at[w].append(written)
                line.append(w)
                written += 1
            if len(line) > 65536:  # a corpus of one long line (text8): write as it goes
                out += b" ".join(line) + b" "
                line = []
            output.write(bytes(out))
    if line:  # no line end after the last word: none was read there
        output.write(b" ".join(line))
    return Truth({t: np.array(k, dtype=np.int8) for t, k in found.items()},
                 {t: np.array(k, dtype=np.int64) for t, k in at.items()}, written)


def purity(labels: np.ndarray, truth: np.ndarray) -> float:
    """The share of occurrences whose found sense's commonest original word is their own:
    1.0 for a perfect split, the commonest word's share when nothing is split."""
    labels, truth = np.asarray(labels), np.asarray(truth)
    if len(labels) != len(truth):
        raise ValueError("one label per occurrence")
    if not len(truth):
        return float("nan")
    return sum(int(np.bincount(truth[labels == c]).max()) for c in np.unique(labels)) / len(truth)


def describe(pw: PseudoWord) -> str:
    return f"{decode_word(pw.token)} ({', '.join(f'{decode_word(p)} {c:,}' for p, c in zip(pw.parts, pw.counts))})"
