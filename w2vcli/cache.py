"""A query cache beside a vector file: unit vectors as a memory-mapped .npy, so a second
query on the same file skips parsing. ``vecs.bin`` gets ``vecs.bin.w2vcache/`` holding
``unit.npy`` (float32 rows of length 1), ``norms.npy`` (their original lengths),
``words.txt`` (one word per line, raw bytes) and ``meta.json`` (the source file's size and
mtime: a change to either makes the cache stale, and it is rebuilt)."""

import contextlib
import json
import os
import shutil
import tempfile

import numpy as np

from .formats import read_vectors
from .vectors import Vectors, decode_word

SUFFIX = ".w2vcache"
VERSION = 1


def cache_dir(path: str) -> str:
    return path + SUFFIX


def _stamp(path: str) -> dict:
    st = os.stat(path)
    return {"version": VERSION, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def load(path: str, use_cache: bool = True) -> Vectors:
    """Vectors from ``path``, through its cache when the cache is fresh (else parse, then cache)."""
    if not use_cache:
        return Vectors.load(path)
    cached = _read_cache(path)
    if cached is not None:
        return cached
    words, matrix, _ = read_vectors(path)
    vectors = Vectors([decode_word(w) for w in words], matrix)
    with contextlib.suppress(OSError):  # a read-only directory just means no cache
        _write_cache(path, words, vectors)
    return vectors


def _read_cache(path: str) -> Vectors | None:
    directory = cache_dir(path)
    try:
        with open(os.path.join(directory, "meta.json")) as f:
            meta = json.load(f)
        if meta.get("source") != _stamp(path):
            return None
        unit = np.load(os.path.join(directory, "unit.npy"), mmap_mode="r")
        norms = np.load(os.path.join(directory, "norms.npy"))
        with open(os.path.join(directory, "words.txt"), "rb") as f:
            words = f.read().decode("utf-8", "surrogateescape").split("\n")[:-1]
    except (OSError, ValueError, KeyError):
        return None
    if len(words) != len(unit) or len(norms) != len(unit):
        return None
    return Vectors.from_unit(words, unit, norms)


def _synced(path: str, write) -> None:
    with open(path, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def _write_cache(path: str, raw_words: list[bytes], vectors: Vectors) -> None:
    if any(b"\n" in w for w in raw_words):
        return  # one word per line cannot hold these
    target = cache_dir(path)
    parent = os.path.dirname(os.path.abspath(target))
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(target) + ".", dir=parent)
    try:
        _synced(os.path.join(tmp, "unit.npy"), lambda f: np.save(f, vectors.unit))
        _synced(os.path.join(tmp, "norms.npy"), lambda f: np.save(f, vectors.norms))
        _synced(os.path.join(tmp, "words.txt"), lambda f: f.write(b"".join(w + b"\n" for w in raw_words)))
        meta = {"source": _stamp(path), "rows": len(vectors), "dim": vectors.dim}
        _synced(os.path.join(tmp, "meta.json"), lambda f: f.write(json.dumps(meta).encode()))
        if os.path.isdir(target):
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
