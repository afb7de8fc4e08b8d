"""Vocabulary: words and counts in word2vec.c's order, and the corpus encoded as int32 ids.

Order, as word2vec.c's SortVocab: ``</s>`` first, then by descending count,
ties in order of first appearance; words rarer than ``min_count`` are dropped.
"""

from dataclasses import dataclass
from itertools import repeat
from typing import Iterable

import numpy as np

from .atomic import atomic_open
from .corpus import EOS, read_whole
from .errors import W2VError
from .idstore import IN_MEMORY_TOKENS, IdStore

MAX_VOCAB = 21_000_000  # as word2vec.c: its hash holds 30M entries, pruned at 70% full


@dataclass
class Vocab:
    words: list[bytes]
    counts: np.ndarray  # int64, parallel to words; entry 0 is </s>

    def __len__(self) -> int:
        return len(self.words)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def index(self) -> dict[bytes, int]:
        return {w: i for i, w in enumerate(self.words)}

    def save(self, path: str) -> None:
        """Write ``word count`` lines, the format of word2vec.c's -save-vocab."""
        with atomic_open(path) as f:
            for word, count in zip(self.words, self.counts.tolist()):
                f.write(b"%s %d\n" % (word, count))

    @classmethod
    def read(cls, path: str, min_count: int = 1) -> "Vocab":
        """Read a ``word count`` file (word2vec.c's -read-vocab), then sort and cut like SortVocab."""
        data = read_whole(path, "vocabulary file")  # .gz/.bz2/.xz too, as `w2v vocab -o voc.txt.gz` writes them
        words, counts = [], []
        for lineno, line in enumerate(data.splitlines(), 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or not fields[1].isdigit():
                raise W2VError(f"{path}:{lineno}: expected 'word count', got {line[:60]!r}")
            if int(fields[1]) >= 1 << 62:  # counts are int64 (word2vec.c's long long)
                raise W2VError(f"{path}:{lineno}: a count of {len(fields[1])} digits is beyond any corpus")
            words.append(fields[0])
            counts.append(int(fields[1]))
        if not words:
            raise W2VError(f"vocabulary file {path} holds no words")
        if len(set(words)) != len(words):
            raise W2VError(f"vocabulary file {path} lists a word twice")
        if words[0] != EOS:  # sentence ends are entry 0 in every vocabulary of ours
            if EOS in words:
                i = words.index(EOS)
                words.insert(0, words.pop(i))
                counts.insert(0, counts.pop(i))
            else:
                words.insert(0, EOS)
                counts.insert(0, 0)
        return _sort_and_cut(words, np.array(counts, dtype=np.int64), min_count)


def _sort_and_cut(words: list[bytes], counts: np.ndarray, min_count: int) -> Vocab:
    """Entry 0 stays first; the rest by descending count (stable); rare words dropped."""
    order = 1 + np.argsort(-counts[1:], kind="stable")
    order = order[counts[order] >= min_count]
    order = np.concatenate(([0], order))
    return Vocab([words[i] for i in order.tolist()], counts[order])


@dataclass
class EncodedCorpus:
    vocab: Vocab
    ids: np.ndarray  # int32 vocabulary ids in corpus order; words outside the vocabulary removed
    tokens: int  # tokens read, in or out of the vocabulary
    pruned: int  # distinct words forgotten while counting because the table outgrew max_vocab


def _count_block(index: "_FirstSeen", counts: np.ndarray, words: list, max_vocab: int, min_reduce: int):
    """Adds one block of words to the running counts: (its provisional ids, the counts (grown
    when new words came), how many words were forgotten, the next min_reduce). Past
    ``max_vocab`` words, those seen at most ``min_reduce`` times are forgotten and
    ``min_reduce`` grows, like word2vec.c's ReduceVocab."""
    ids = np.fromiter(map(index.__getitem__, words), dtype=np.int32, count=len(words))
    size = index.given
    if size > len(counts):
        counts = np.concatenate((counts, np.zeros(max(size, 2 * len(counts)) - len(counts), np.int64)))
    counts[:size] += np.bincount(ids, minlength=size)
    pruned = 0
    while len(index) > max_vocab:
        before = len(index)
        _forget_rare(index, counts, min_reduce)
        pruned += before - len(index)
        min_reduce += 1
    return ids, counts, pruned, min_reduce


def encode(
    blocks: Iterable[list[bytes]],
    min_count: int = 5,
    max_vocab: int = MAX_VOCAB,
    vocab: Vocab | None = None,
    in_memory_tokens: int = IN_MEMORY_TOKENS,
) -> EncodedCorpus:
    """Count and encode a corpus in one pass over its token blocks.

    With ``vocab`` given (``--read-vocab``) ids follow it and unknown words are
    dropped. Otherwise words get provisional ids in order of first appearance,
    counted per block with ``np.bincount``, and renumbered at the end. When the
    table grows past ``max_vocab``, words seen at most ``min_reduce`` times are
    forgotten and ``min_reduce`` grows, like word2vec.c's ReduceVocab. Past
    ``in_memory_tokens`` ids, they are kept in a temp file (see idstore).
    """
    if vocab is not None:
        return _encode_fixed(blocks, vocab, in_memory_tokens)
    index = _FirstSeen()
    counts = np.zeros(1 << 16, dtype=np.int64)
    parts = IdStore(in_memory_tokens)
    tokens = pruned = 0
    min_reduce = 1
    for words in blocks:
        ids, counts, forgotten, min_reduce = _count_block(index, counts, words, max_vocab, min_reduce)
        parts.append(ids)
        tokens += len(words)
        pruned += forgotten
    if tokens == 0:
        raise W2VError("the corpus is empty")
    live_words = list(index)
    live_ids = np.fromiter(index.values(), dtype=np.int64, count=len(index))
    result = _sort_and_cut(live_words, counts[live_ids], min_count)
    if len(result) < 2:
        best = int(counts[live_ids[1:]].max()) if len(live_ids) > 1 else 0
        raise W2VError(f"no word occurs at least --min-count={min_count} times (the most frequent occurs {best} times)")
    # renumber: provisional id -> final id, or -1 for words cut or forgotten
    renumber = np.full(len(counts), -1, dtype=np.int32)
    final_of = {w: i for i, w in enumerate(result.words)}
    keep = np.fromiter((i for w, i in index.items() if w in final_of), dtype=np.int64)
    renumber[keep] = np.fromiter((final_of[w] for w in index if w in final_of), dtype=np.int32)
    return EncodedCorpus(result, parts.renumbered(renumber), tokens, pruned)


class _FirstSeen(dict):
    """word -> provisional id, in order of first appearance: a word not seen before gets the
    next id when it is looked up (one dict lookup per token). Ids are never reused, even
    after rare words are forgotten."""

    def __init__(self):
        super().__init__({EOS: 0})
        self.given = 1

    def __missing__(self, word: bytes) -> int:
        self[word] = i = self.given
        self.given += 1
        return i


def _forget_rare(index: _FirstSeen, counts: np.ndarray, min_reduce: int) -> None:
    for w in [w for w, i in index.items() if i != 0 and counts[i] <= min_reduce]:
        counts[index.pop(w)] = 0


def _encode_fixed(blocks: Iterable[list[bytes]], vocab: Vocab, in_memory_tokens: int) -> EncodedCorpus:
    index = vocab.index()
    parts, tokens = IdStore(in_memory_tokens), 0
    for words in blocks:
        ids = np.fromiter(map(index.get, words, repeat(-1)), dtype=np.int32, count=len(words))
        parts.append(ids[ids >= 0])
        tokens += len(words)
    if tokens == 0:
        raise W2VError("the corpus is empty")
    ids = parts.renumbered()
    if not np.any(ids > 0):
        raise W2VError("no word of the corpus is in the vocabulary")
    return EncodedCorpus(vocab, ids, tokens, 0)
