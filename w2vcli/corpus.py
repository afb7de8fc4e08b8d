"""Corpus bytes -> tokens, the way word2vec.c's ReadWord splits them.

Words are kept as raw bytes (no decoding), so any encoding, including invalid
UTF-8, trains exactly as the C tool would. The rules:

- space, tab and newline separate words; carriage returns are dropped
  (so Windows line endings are harmless); NUL bytes also separate words;
- every newline is a token ``</s>`` that ends a sentence;
- a word of 99 bytes or more keeps its first 98 bytes, as in word2vec.c (its ReadWord
  writes each further byte over the 99th, then ends the word with a NUL there).
"""

import bz2
import glob
import gzip
import lzma
import os
import sys
import time
import zlib
from typing import BinaryIO, Callable, Iterable, Iterator

import numpy as np

from .errors import W2VError

EOS = b"</s>"  # as word2vec.c: the sentence-end token, always vocabulary entry 0
MAX_WORD_BYTES = 98  # as word2vec.c: MAX_STRING 100, the last two places for the cut and the NUL
BLOCK_BYTES = 16 << 20  # read this much at a time: bounded memory, few Python calls

_SEPARATORS = bytes.maketrans(b"\t\x00", b"  ")
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}


STDIN_CLOSED = "standard input is closed: nothing to read (give a file, or <FILE)"


def is_stdin(stream) -> bool:
    return sys.stdin is not None and stream is sys.stdin.buffer


def open_by_name(path: str) -> BinaryIO:
    """A file for binary reading, decompressed where its name ends in .gz, .bz2, .xz or .lzma."""
    return _OPENERS.get(os.path.splitext(path)[1].lower(), open)(path, "rb")


def read_whole(path: str, what: str) -> bytes:
    """A small file's bytes (a word list, a vocabulary, an evaluation set), decompressed where its
    name says so; ``what`` names it in the one-line errors."""
    try:
        with open_by_name(path) as f:
            return f.read()
    except FileNotFoundError:
        raise W2VError(f"{what} {path} not found") from None
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:  # unreadable, or a corrupt or cut compressed file
        raise W2VError(f"cannot read {what} {path}: {getattr(e, 'strerror', None) or e}") from None


def open_corpus(path: str) -> BinaryIO:
    """Open a corpus for binary reading: a path, a compressed path, or '-' for stdin."""
    if path == "-":
        if sys.stdin is None:
            raise W2VError(STDIN_CLOSED)
        return sys.stdin.buffer
    if os.path.isdir(path):
        raise W2VError(f"corpus {path} is a directory, not a file")
    try:
        return open_by_name(path)
    except FileNotFoundError:
        raise W2VError(f"corpus {path} not found") from None
    except OSError as e:
        raise W2VError(f"cannot read corpus {path}: {e.strerror or e}") from None


def tokenize(block: bytes) -> list[bytes]:
    """Split a block of complete words into tokens (``</s>`` for each newline)."""
    block = block.translate(_SEPARATORS, b"\r").replace(b"\n", b" " + EOS + b" ")  # spaces alone separate now
    too_long = _longest_word(block) > MAX_WORD_BYTES  # before the tokens exist: a lower peak of memory
    if b"\x0b" in block or b"\x0c" in block:  # word bytes to word2vec.c, whitespace to bytes.split()
        words = list(filter(None, block.split(b" ")))
    else:
        words = block.split()  # the same tokens, 1.2x faster
    return [_truncate(w) for w in words] if too_long else words


def _longest_word(block: bytes) -> int:
    """The longest run of bytes between spaces, by NumPy (5x faster than the tokens' lengths)."""
    spaces = np.flatnonzero(np.frombuffer(block, np.uint8) == ord(" "))
    return int(np.diff(spaces, prepend=-1, append=len(block)).max()) - 1


def _truncate(word: bytes) -> bytes:
    return word if len(word) <= MAX_WORD_BYTES else word[:MAX_WORD_BYTES]


def _last_separator(block: bytes) -> int:
    return max(block.rfind(b" "), block.rfind(b"\n"), block.rfind(b"\t"), block.rfind(b"\x00"))


def read_blocks(stream: BinaryIO, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """Yield blocks that end on a word boundary, so no word is split between two blocks."""
    name = getattr(stream, "name", None)
    where = f" {name}" if isinstance(name, str) and name != "<stdin>" else ""
    carry = b""
    try:
        while True:
            chunk = stream.read(block_bytes)
            if not chunk:
                break
            block = carry + chunk
            cut = _last_separator(block)
            if cut < 0:
                # one word longer than a block: only its first 98 bytes matter
                carry = _truncate(block)
                continue
            carry = block[cut + 1 :]
            yield block[: cut + 1]
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
        raise W2VError(f"cannot read corpus{where}: {e}") from None
    if carry:
        yield carry


def iter_tokens(stream: BinaryIO, block_bytes: int = BLOCK_BYTES) -> Iterator[list[bytes]]:
    """Token lists, one per block of the stream."""
    for block in read_blocks(stream, block_bytes):
        words = tokenize(block)
        if words:
            yield words



def corpus_paths(corpus) -> list[str]:
    """The files of a corpus given as one path ('-' for stdin), or as several paths and glob
    patterns ('shards/*.txt.gz', expanded in sorted order), in the order given."""
    items = [corpus] if isinstance(corpus, (str, os.PathLike)) else list(corpus)
    paths = []
    for item in map(os.fspath, items):
        if item != "-" and any(c in item for c in "*?[") and not os.path.exists(item):
            matches = sorted(glob.glob(item))
            if not matches:
                raise W2VError(f"no file matches {item!r}")
            paths += matches
        else:
            paths.append(item)
    if not paths:
        raise W2VError("no corpus given")
    if paths.count("-") > 1:
        raise W2VError("stdin ('-') can be read only once")
    return paths


def read_corpus(paths: list[str], tokens: Callable[[BinaryIO], Iterator[list[bytes]]] = iter_tokens
                ) -> Iterator[list[bytes]]:
    """Token blocks of the files in order; a file that does not end its last line still ends
    its last sentence before the next file begins."""
    for i, path in enumerate(paths):
        stream = open_corpus(path)
        try:
            last = None
            for block in tokens(stream):
                yield block
                last = block[-1]
            if i < len(paths) - 1 and last is not None and last != EOS:
                yield [EOS]
        finally:
            if not is_stdin(stream):
                stream.close()


def sentence_blocks(sentences: Iterable, block_tokens: int = 1 << 20) -> Iterator[list[bytes]]:
    """Token blocks of an iterable of sentences, each a list of words (str or bytes), as gensim
    takes them: each sentence ends with </s>. It is read once, so a generator will do."""
    block: list[bytes] = []
    for sentence in sentences:
        if isinstance(sentence, (str, bytes)):
            raise W2VError("each sentence must be a list of words, not a string: split it first "
                           "(or give the corpus as a file path)")
        block += (w.encode("utf-8", "surrogateescape") if isinstance(w, str) else bytes(w) for w in sentence)
        block.append(EOS)
        if len(block) >= block_tokens:
            yield _checked(block)
            block = []
    if block:
        yield _checked(block)


def _checked(words: list[bytes]) -> list[bytes]:
    if len(b" ".join(words).split()) != len(words):
        bad = next(w for w in words if not w or len(w.split()) != 1)
        raise W2VError(f"the word {bad[:40]!r} is empty or holds whitespace: word2vec files cannot hold it")
    return words


def reporting(blocks: Iterable[list[bytes]], report: Callable[[str], None], every: float = 10.0
              ) -> Iterator[list[bytes]]:
    """The blocks, with a line to report every ``every`` seconds while a long corpus is read."""
    tokens, start = 0, time.monotonic()
    last = start
    for block in blocks:
        tokens += len(block)
        yield block
        now = time.monotonic()
        if now - last >= every:
            report(f"reading the corpus: {tokens:,} tokens so far ({tokens / (now - start):,.0f} tokens/s)")
            last = now
