"""word2phrase: join bigrams that occur together far more than by chance (``new york`` ->
``new_york``), so that training gives phrases a vector of their own.

As word2vec's word2phrase.c: a pair ``a b`` inside a line is joined when
``(count(ab) - min_count) / count(a) / count(b) * total_words > threshold`` (float32,
as the C tool computes it), where words and pairs rarer than ``min_count`` never join
and a word just joined to its left neighbour is not joined to its right one in the
same pass; more passes build longer phrases (``new_york_times``). Pair counts, like
the C tool's, also count pairs across line ends. The output is the C tool's too: each
word preceded by a space or by the joining character, each line ended by a newline.

Both passes over the corpus stream it in blocks; memory holds the distinct words and pairs.
"""

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass

import numpy as np

from .atomic import atomic_open
from .corpus import EOS, iter_tokens, open_corpus
from .errors import W2VError

_EOS_ID = -1


@dataclass
class PairCounts:
    index: dict[bytes, int]  # word -> id
    words: np.ndarray  # int64 count per word id
    pair_keys: np.ndarray  # sorted int64 keys (a << 32 | b)
    pairs: np.ndarray  # int64 count per key
    total: int  # words in the corpus, line ends excluded


def _ids(words: list[bytes], index: dict[bytes, int], grow: bool) -> np.ndarray:
    if grow:
        new = [w for w in dict.fromkeys(words) if w not in index and w != EOS]
        index.update(zip(new, range(len(index), len(index) + len(new))))
    get = index.get
    return np.fromiter((get(w, _EOS_ID) for w in words), dtype=np.int64, count=len(words))


def count_pairs(path: str) -> PairCounts:
    """One streaming pass: word counts and counts of adjacent word pairs."""
    index: dict[bytes, int] = {}
    word_counts = np.zeros(0, np.int64)
    key_parts, count_parts = [], []
    prev = -1  # the last word seen, across line ends as in word2phrase.c; none before the first
    total = 0
    with contextlib.closing(open_corpus(path)) as stream:
        for words in iter_tokens(stream):
            ids = _ids(words, index, grow=True)
            ids = ids[ids != _EOS_ID]
            if not len(ids):
                continue
            total += len(ids)
            counts = np.bincount(ids, minlength=len(index))
            counts[: len(word_counts)] += word_counts
            word_counts = counts
            left = np.concatenate(([prev], ids[:-1])) if prev >= 0 else ids[:-1]
            right = ids if prev >= 0 else ids[1:]
            prev = int(ids[-1])
            keys, n = np.unique((left << 32) | right, return_counts=True)
            key_parts.append(keys)
            count_parts.append(n)
            if len(key_parts) >= 8:  # merge now and then: memory stays about the distinct pairs
                keys, n = _merge(key_parts, count_parts)
                key_parts, count_parts = [keys], [n]
    if total == 0:
        raise W2VError("the corpus is empty")
    keys, counts = _merge(key_parts, count_parts)
    return PairCounts(index, word_counts, keys, counts, total)


def _merge(key_parts, count_parts):
    if not key_parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys, inverse = np.unique(np.concatenate(key_parts), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate(count_parts)).astype(np.int64)
    return keys, counts


def rewrite(path: str, out, counts: PairCounts, threshold: float, min_count: int, joiner: bytes) -> int:
    """Second streaming pass: write the corpus with chosen pairs joined; returns how many were joined."""
    keep_word = counts.words >= min_count
    strong = counts.pairs >= min_count
    keys, pair_n = counts.pair_keys[strong], counts.pairs[strong]
    total = np.float32(counts.total)
    joined = 0
    prev, prev_joined = _EOS_ID, False
    with contextlib.closing(open_corpus(path)) as stream:
        for words in iter_tokens(stream):
            ids = _ids(words, counts.index, grow=False)
            left = np.concatenate(([prev], ids[:-1]))
            ok = (ids != _EOS_ID) & (left != _EOS_ID)
            ok[ok] &= keep_word[ids[ok]] & keep_word[left[ok]]
            cand = np.flatnonzero(ok)
            pair = (left[cand] << 32) | ids[cand]
            at = np.minimum(np.searchsorted(keys, pair), max(len(keys) - 1, 0))
            found = keys[at] == pair if len(keys) else np.zeros(len(cand), bool)
            cand, at = cand[found], at[found]
            # word2phrase.c's score, in float32 like the C tool
            score = ((pair_n[at] - min_count).astype(np.float32)
                     / counts.words[left[cand]].astype(np.float32)
                     / counts.words[ids[cand]].astype(np.float32) * total)
            cand = cand[score > np.float32(threshold)]
            join = np.zeros(len(ids), bool)
            last = -2
            for k in cand.tolist():  # a word joined on its left is not joined on its right
                if k == last + 1 or (k == 0 and prev_joined):
                    continue
                join[k] = True
                last = k
            joined += int(join.sum())
            out.write(b"".join(b"\n" if w == EOS else (joiner if j else b" ") + w
                               for w, j in zip(words, join.tolist())))
            prev, prev_joined = int(ids[-1]), bool(join[-1])
    return joined


def phrases(source: str, target: str, threshold: float = 100.0, min_count: int = 5, passes: int = 1,
            joiner: bytes = b"_", report=None) -> list[int]:
    """Run ``passes`` word2phrase passes from source (a path or '-') to target; returns joins per pass."""
    workdir = tempfile.mkdtemp(prefix=".w2v-phrases-", dir=os.path.dirname(os.path.abspath(target)))
    try:
        current = source
        if source == "-":  # two passes over stdin: keep a copy
            current = os.path.join(workdir, "stdin")
            with open(current, "wb") as f:
                shutil.copyfileobj(open_corpus("-"), f)
        joins = []
        for p in range(passes):
            counts = count_pairs(current)
            last = p == passes - 1
            step = os.path.join(workdir, f"pass{p + 1}")
            with (atomic_open(target) if last else open(step, "wb")) as out:
                joins.append(rewrite(current, out, counts, threshold, min_count, joiner))
            if report:
                report(p + 1, counts, joins[-1])
            current = step
        return joins
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
