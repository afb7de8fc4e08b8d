"""word2phrase: join bigrams that occur together far more than by chance (``new york`` ->
``new_york``), so that training gives phrases a vector of their own.

The output is word2phrase.c's, byte for byte (tests/test_phrases.py runs both). Its rules:

- Words are split as word2vec.c splits them (``corpus``), but a word of 59 bytes or more keeps
  only its first 58 (word2phrase.c's MAX_STRING is 60).
- One table of strings holds the counts: each word, and for each word the key ``a_b`` of the
  word before it (across line ends) and itself, cut to 59 bytes, always with ``_`` whatever
  ``--joiner`` writes. So a pair shares its count with a word spelled like it (``new york``
  and ``new_york``), with pairs whose keys are spelled alike (``a_ b`` and ``a _b``) or meet
  after the cut, and a word such as ``new_york`` counts the pairs ``new york`` too (which
  matters in a second pass). Strings counted fewer than ``min_count`` times are dropped.
- Writing, a word ``b`` is joined to the word ``a`` before it when ``a``, ``b`` and the key are
  in the table and ``(count(key) - min_count) / count(a) / count(b) * words`` (float32;
  ``words`` without line ends) is above the threshold. The key is ``a_b`` within a line; at the
  start of a line it is ``</s>_b`` (only a token or key spelled so has a count) and ``a`` is
  the last word before the line end. A word after a word not in the table, or after a word
  joined to its left, is not joined. Each word is written after a space, or after the joiner
  when joined, each line end as a newline. More passes build longer phrases.
- With min_count 1 no string is under min_count, and word2phrase.c's SortVocab then loses the
  one it sorts last: of the strings counted once, the last to appear (glibc's qsort, a merge
  sort, keeps equal counts in order). That changes the output only when it is a word, which
  needs the key at that word to be shared; only then one more pass over the corpus finds it.

Where w2v differs from word2phrase.c, on purpose or where the C behaviour is undefined:

- The last word of a file that does not end in a newline is kept; word2phrase.c (like
  word2vec.c) drops it.
- A NUL byte separates words; word2phrase.c ends the word at the NUL and reads on to the next
  separator (``ab<NUL>cd`` is ``ab``, ``<NUL>cd`` an empty word).
- The file's first word: word2phrase.c builds its pair key from an uninitialised buffer
  (undefined behaviour). w2v counts that key once under a string no other has, which is what
  the C tool does when the buffer holds no word of the corpus.
- Past 350M strings word2phrase.c forgets rare ones (ReduceVocab); w2v keeps them all. Counts
  that differ by 2^31 or more sort wrongly in the C tool (an int overflow).
- word2phrase.c built with -ffast-math (the ``word2vec`` PyPI package's build is) computes
  ``(count(key) - min_count) / (count(a) * count(b)) * words``, which can round the other way
  when a score is within a float32 rounding of the threshold; w2v follows the source.
- A corpus without a word is an error; word2phrase.c writes its empty lines.

Both passes stream the corpus in blocks; memory holds the distinct words and pairs, and the
strings only of the pair keys that could be spelled like another string.
"""

import contextlib
import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass

import numpy as np

from .atomic import atomic_open
from .corpus import EOS, iter_tokens, open_corpus
from .errors import W2VError

MAX_WORD = 58  # as word2phrase.c (MAX_STRING 60): a longer word keeps its first 58 bytes
MAX_KEY = 59  # as word2phrase.c: a pair's key a_b is cut to MAX_STRING - 1 bytes
_RIGHT = 0xFFFFFFFF  # a pair is one int64: left word id << 32 | right word id


@dataclass
class PairCounts:
    index: dict[bytes, int]  # word -> id by first appearance; </s> is 0
    words: np.ndarray  # per word id: its string's count, 0 when not in the table
    pair_keys: np.ndarray  # sorted pairs (a << 32 | b) whose key is in the table
    pairs: np.ndarray  # the count of each one's key
    after_eos: np.ndarray  # per word id: the count of the key </s>_word, 0 when not in the table
    total: int  # words in the corpus, line ends excluded


def _blocks(path: str, index: dict[bytes, int], grow: bool):
    """(words, ids) per block, the words cut as word2phrase.c reads them, ids from index."""
    with contextlib.closing(open_corpus(path)) as stream:
        for words in iter_tokens(stream):
            length = np.fromiter(map(len, words), np.int64, len(words))
            for k in np.flatnonzero(length > MAX_WORD).tolist():
                words[k] = words[k][:MAX_WORD]
            if grow:
                new = [w for w in dict.fromkeys(words) if w not in index]
                index.update(zip(new, range(len(index), len(index) + len(new))))
            yield words, np.fromiter(map(index.__getitem__, words), np.int64, len(words))


def _pairs(real: np.ndarray, before: int) -> np.ndarray:
    """Each word with the word before it, across line ends (0 before the file's first word)."""
    return (np.concatenate(([before], real[:-1])) << 32) | real


def count_pairs(path: str, min_count: int) -> PairCounts:
    """Pass one: the counts of word2phrase.c's table as the writing pass looks them up, 0 for
    strings under min_count."""
    index = {EOS: 0}
    word_n = np.zeros(1, np.int64)
    key_parts, count_parts = [], []
    before, total = 0, 0
    for _, ids in _blocks(path, index, grow=True):
        real = ids[ids != 0]
        if not len(real):
            continue
        total += len(real)
        counts = np.bincount(real, minlength=len(index))
        counts[: len(word_n)] += word_n
        word_n = counts
        keys, n = np.unique(_pairs(real, before), return_counts=True)
        before = int(real[-1])
        key_parts.append(keys)
        count_parts.append(n)
        if len(key_parts) >= 8:  # merge now and then: memory stays about the distinct pairs
            keys, n = _merge(key_parts, count_parts)
            key_parts, count_parts = [keys], [n]
    if total == 0:
        raise W2VError("the corpus is empty")
    keys, key_n = _merge(key_parts, count_parts)
    word_n, key_n, after_eos = _shared_counts(list(index), word_n, keys, key_n)
    if min_count <= 1:
        lost = _lost_word(path, index, word_n, keys, key_n)
        if lost:
            word_n[lost] = 0
    strong = key_n >= min_count
    return PairCounts(index, np.where(word_n >= min_count, word_n, 0), keys[strong], key_n[strong],
                      np.where(after_eos >= min_count, after_eos, 0), total)


def _merge(key_parts, count_parts):
    keys, inverse = np.unique(np.concatenate(key_parts), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate(count_parts)).astype(np.int64)
    return keys, counts


def _shared_counts(words: list[bytes], word_n, keys, key_n):
    """Counts by string, as in word2phrase.c's one table: of each word, of each pair's key, and
    of each word's key </s>_word (0 when no string is spelled so)."""
    spelled = [b"\n"] + words[1:]  # the first word's key, uninitialised in C: here one no other string has
    slot = dict(zip(spelled, range(len(spelled))))
    length = np.fromiter(map(len, spelled), np.int64, len(spelled))
    underscore = np.array([b"_" in w for w in spelled])
    left, right = keys >> 32, keys & _RIGHT
    # A key of two words without "_", under 59 bytes, has one "_" and no cut: no other key is
    # spelled like it, only a word a_b can be. Those keys need no strings; the others do.
    plain = ~underscore[left] & ~underscore[right] & (length[left] + 1 + length[right] < MAX_KEY)
    word_total, key_total = word_n.copy(), key_n.copy()
    named, at = _words_spelled_like_keys(spelled, slot, underscore, keys)
    named, at = named[plain[at]], at[plain[at]]
    word_total[named] += key_n[at]
    key_total[at] += word_n[named]
    mixed = np.flatnonzero(~plain)
    names = map(b"_".join, zip(map(spelled.__getitem__, left[mixed].tolist()),
                               map(spelled.__getitem__, right[mixed].tolist())))
    names = [name[:MAX_KEY] for name in names]
    key_slot = np.fromiter(map(slot.setdefault, names, itertools.count(len(words))), np.int64, len(names))
    table = np.zeros(len(words) + len(names), np.int64)  # the words' strings, then the other keys'
    np.add.at(table, np.concatenate((np.arange(len(words)), key_slot)), np.concatenate((word_total, key_n[mixed])))
    key_total[mixed] = table[key_slot]
    after_eos = np.zeros(len(words), np.int64)
    if any(w.startswith(EOS + b"_") for w in words):  # else no string starts so: no key </s>_b has a count
        eos_slot = np.array([slot.get((EOS + b"_" + w)[:MAX_KEY], -1) for w in words], np.int64)
        after_eos = np.where(eos_slot >= 0, table[eos_slot], 0)
    return table[: len(words)], key_total, after_eos


def _words_spelled_like_keys(spelled, slot, underscore, keys):
    """The words a_b whose pair (a, b) was counted, and where that pair is in keys."""
    named, pairs = [], []
    for w in np.flatnonzero(underscore).tolist():
        a, _, b = spelled[w].partition(b"_")
        if a in slot and b in slot:
            named.append(w)
            pairs.append(slot[a] << 32 | slot[b])
    at = _position(keys, np.array(pairs, np.int64))
    return np.array(named, np.int64)[at >= 0], at[at >= 0]


def _lost_word(path: str, index, word_n, keys, key_n) -> int:
    """The word word2phrase.c's SortVocab loses with min_count 1, or 0 when it loses a pair key
    (a key counted once never joins). It loses the last string counted once to appear, and
    at each word the word is counted before its pair key, so it is a word only if the pair
    key of a word counted once is shared; then one pass finds which is last."""
    once = word_n == 1
    if not (once[keys & _RIGHT] & (key_n > 1)).any():
        return 0
    lost, word_at, key_at = 0, -1, -1  # where the last word and the last key counted once are
    position, before = 0, 0
    for _, ids in _blocks(path, index, grow=False):
        real = ids[ids != 0]
        if not len(real):
            continue
        words_once = np.flatnonzero(once[real])
        keys_once = np.flatnonzero(_lookup(keys, key_n, _pairs(real, before)) == 1)
        if len(words_once):
            word_at, lost = position + int(words_once[-1]), int(real[words_once[-1]])
        if len(keys_once):
            key_at = position + int(keys_once[-1])
        position += len(real)
        before = int(real[-1])
    return lost if word_at > key_at else 0


def rewrite(path: str, out, counts: PairCounts, threshold: float, min_count: int, joiner: bytes) -> int:
    """Pass two: write the corpus with chosen pairs joined; returns how many were joined."""
    total, limit = np.float32(counts.total), np.float32(threshold)
    joined = 0
    before = -1  # the token before the block: -1 at the file's start, 0 a line end, else a word
    last_word, last_joined = 0, False  # the last word before the block, and whether it was joined
    for words, ids in _blocks(path, counts.index, grow=False):
        at = np.flatnonzero(ids)  # where the words are (0 is a line end)
        word = ids[at]
        left = np.concatenate(([last_word], word[:-1]))  # the word before each, across line ends
        cand = np.flatnonzero((counts.words[left] > 0) & (counts.words[word] > 0))
        pa, pb = counts.words[left[cand]], counts.words[word[cand]]
        token = ids[at[cand] - 1]  # the token before: a word, or a line end (0)
        if len(cand) and at[cand[0]] == 0:
            token[0] = before  # -1 at the file's start: never joined, as its left word is missing
        pab = np.where(token == 0, counts.after_eos[word[cand]], 0)  # after a line end: </s>_b
        inline = np.flatnonzero(token > 0)
        pab[inline] = _lookup(counts.pair_keys, counts.pairs, (token[inline] << 32) | word[cand[inline]])
        # word2phrase.c's score, in float32 like the C tool
        score = ((pab - min_count).astype(np.float32) / pa.astype(np.float32) / pb.astype(np.float32) * total)
        join = np.zeros(len(word), bool)
        for i in cand[(pab > 0) & (score > limit)].tolist():  # a word joined on its left is not joined on its right
            if not (join[i - 1] if i else last_joined):
                join[i] = True
        joined += int(join.sum())
        _write(out, words, np.flatnonzero(ids == 0), at[join], joiner)
        before = int(ids[-1])
        if len(word):
            last_word, last_joined = int(word[-1]), bool(join[-1])
    return joined


def _position(keys, wanted):
    """Where each wanted value is in the sorted keys, -1 where it is missing."""
    if not len(keys):
        return np.full(len(wanted), -1)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, at, -1)


def _lookup(keys, values, wanted):
    """The value of each wanted key, 0 where it is missing."""
    at = _position(keys, wanted)
    found = np.zeros(len(wanted), np.int64)
    found[at >= 0] = values[at[at >= 0]]
    return found


def _write(out, words, line_ends, joins, joiner):
    """As word2phrase.c writes: a line end as a newline, a word after a space, or after the
    joiner when it is joined to the word before."""
    before = [b" "] * len(words)
    for k in line_ends.tolist():
        before[k], words[k] = b"\n", b""
    for k in joins.tolist():
        before[k] = joiner
    for s in range(0, len(words), 1 << 16):  # bytes.join takes 80 bytes a piece: join a slice at a time
        out.write(b"".join(itertools.chain.from_iterable(zip(before[s : s + (1 << 16)], words[s : s + (1 << 16)]))))


def phrases(source: str, target: str, threshold: float = 100.0, min_count: int = 5, passes: int = 1,
            joiner: bytes = b"_", report=None) -> list[int]:
    """Run ``passes`` word2phrase passes from source (a path or '-') to target; returns joins per pass."""
    workdir = tempfile.mkdtemp(prefix=".w2v-phrases-", dir=os.path.dirname(os.path.abspath(target)))
    try:
        current = source
        if source == "-" or not os.path.isfile(source):  # two passes over stdin or a FIFO: keep a copy
            current = os.path.join(workdir, "stdin")
            with contextlib.closing(open_corpus(source)) as stream, open(current, "wb") as f:
                shutil.copyfileobj(stream, f)
        joins = []
        for p in range(passes):
            counts = count_pairs(current, min_count)
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
