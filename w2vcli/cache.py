"""A query cache beside a vector file, so a second query on the same file skips parsing.
``vecs.bin`` gets ``vecs.bin.w2vcache/`` holding ``vectors.npy`` (the float32 rows as read,
memory-mapped when loaded), ``norms.npy`` (their lengths), ``words.txt`` (one word per line,
raw bytes) and ``meta.json`` (the source file's size and mtime: a change to either makes the
cache stale, and it is rebuilt). Compressed vector files are cached like any file; pipes,
FIFOs and devices are not.

The cache is written from the matrix just parsed, so building it takes no second copy; it is
built in a temp folder renamed into place, removed if the build is stopped, and temp
folders left by a process that died (SIGKILL) are swept by the next build.
"""

import contextlib
import json
import os
import shutil
import tempfile

import numpy as np

from .atomic import TEMP_SUFFIX, sweep_stale, temp_prefix
from .formats import read_vectors
from .vectors import Vectors
from .words import decode_word, encode_word

SUFFIX = ".w2vcache"
VERSION = 2  # 2: the rows as read (1 held unit rows, which changed the last bit of exported values)


def cache_dir(path: str) -> str:
    return path + SUFFIX


def _stamp(path: str) -> dict:
    st = os.stat(path)
    return {"version": VERSION, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def parse(path: str, limit: int | None = None) -> Vectors:
    """Vectors from the file itself, no cache."""
    words, matrix, _ = read_vectors(path, decode=decode_word, limit=limit)
    return Vectors(words, matrix)


def load(path: str, use_cache: bool = True) -> Vectors:
    """Vectors from ``path``, through its cache when the cache is fresh (else parse, then cache)."""
    if not use_cache or not os.path.isfile(path):
        return parse(path)
    cached = _read_cache(path)
    if cached is not None:
        return cached
    vectors = parse(path)
    with contextlib.suppress(OSError):  # a read-only directory just means no cache
        _write_cache(path, vectors)
    return vectors


def _read_cache(path: str) -> Vectors | None:
    directory = cache_dir(path)
    try:
        with open(os.path.join(directory, "meta.json")) as f:
            meta = json.load(f)
        if not isinstance(meta, dict) or meta.get("source") != _stamp(path):
            return None
        matrix = np.load(os.path.join(directory, "vectors.npy"), mmap_mode="r")
        norms = np.load(os.path.join(directory, "norms.npy"))
        with open(os.path.join(directory, "words.txt"), "rb") as f:
            words = f.read().split(b"\n")[:-1]
    except (OSError, ValueError, KeyError):
        return None
    if not _consistent(meta, words, matrix, norms):
        return None  # damaged or edited: parsed again, and the cache rebuilt
    return Vectors([decode_word(w) for w in words], matrix, norms)


def _consistent(meta: dict, words: list, matrix: np.ndarray, norms: np.ndarray, sample: int = 64) -> bool:
    """The cache's parts agree with each other and with what was recorded when it was built,
    and the norms of a few rows (the first, the last, some between) are those of the rows."""
    if matrix.dtype != np.float32 or matrix.ndim != 2 or norms.dtype != np.float32 or norms.shape != (len(matrix),):
        return False
    if len(words) != len(matrix) or meta.get("rows", len(matrix)) != len(matrix) \
            or meta.get("dim", matrix.shape[1]) != matrix.shape[1]:
        return False
    rows = np.unique(np.linspace(0, len(matrix) - 1, min(sample, len(matrix))).astype(np.int64))
    expected = np.linalg.norm(np.asarray(matrix[rows], np.float64), axis=1)
    return bool(np.allclose(norms[rows], expected, rtol=1e-4, atol=1e-30, equal_nan=True))


def _synced(path: str, write) -> None:
    with open(path, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


class _NewlineInWord(Exception):
    """A word holding a newline: one word per line cannot hold it, so the file is not cached."""


def _write_words(f, words: list[str]) -> None:
    """One word per line, 64k words at a time: no second list of the words (3M words would
    add ~0.5 GB to the peak of the run that builds the cache)."""
    for start in range(0, len(words), 1 << 16):
        block = b"\n".join(encode_word(w) for w in words[start : start + (1 << 16)]) + b"\n"
        if block.count(b"\n") != min(1 << 16, len(words) - start):
            raise _NewlineInWord
        f.write(block)


def _write_cache(path: str, vectors: Vectors) -> None:
    target = cache_dir(path)
    parent = os.path.dirname(os.path.abspath(target))
    prefix = temp_prefix(target)
    sweep_stale(parent, os.path.basename(target))
    tmp = tempfile.mkdtemp(prefix=prefix, suffix=TEMP_SUFFIX, dir=parent)
    try:
        try:  # the words first: a word holding a newline stops the build before the big write
            _synced(os.path.join(tmp, "words.txt"), lambda f: _write_words(f, vectors.words))
        except _NewlineInWord:
            return  # the finally below removes the folder
        _synced(os.path.join(tmp, "vectors.npy"), lambda f: np.save(f, vectors.vectors))
        _synced(os.path.join(tmp, "norms.npy"), lambda f: np.save(f, vectors.norms))
        meta = {"source": _stamp(path), "rows": len(vectors), "dim": vectors.dim}
        _synced(os.path.join(tmp, "meta.json"), lambda f: f.write(json.dumps(meta).encode()))
        if os.path.isdir(target):
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
