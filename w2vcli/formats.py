"""The original word2vec file formats, byte for byte as word2vec.c writes them.

Both start with the header ``V D\\n``. Each of the V rows is then

- binary: ``word`` + ``' '`` + D little-endian float32 + ``'\\n'``
- text:   ``word`` + ``' '`` + D times ``'%f '`` + ``'\\n'`` (note the trailing space)

Words are raw bytes: whatever the corpus held is written back unchanged.
"""

import mmap
import os

import numpy as np

from .atomic import atomic_open
from .errors import W2VError


def write_vectors(path: str, words: list[bytes], matrix: np.ndarray, binary: bool) -> None:
    """Write ``matrix`` (V x D) with one word per row; atomically (temp file, then rename)."""
    matrix = np.asarray(matrix, dtype="<f4")  # rows may be views of wider ones: no copy of the whole
    rows, dim = matrix.shape
    if rows != len(words):
        raise ValueError("one word per matrix row")
    with atomic_open(path) as f:
        f.write(b"%d %d\n" % (rows, dim))
        if binary:
            for word, row in zip(words, matrix):
                f.write(word + b" " + row.tobytes() + b"\n")
        else:
            fmt = "%f " * dim
            for word, row in zip(words, matrix.tolist()):
                f.write(word + b" " + (fmt % tuple(row)).encode("ascii") + b"\n")


def _header(data, path: str) -> tuple[int, int, int]:
    """(rows, dims, offset of the first row) from a ``V D`` header line.

    A file whose first line already holds a word and numbers (GloVe) has no
    header: rows is then -1 (count the lines) and dims is taken from that line.
    """
    end = data.find(b"\n", 0, 1 << 20)
    if end < 0:
        end = len(data) if len(data) < 1 << 20 else -1
    if end <= 0:
        raise W2VError(f"{path}: no header line ('rows dims') found")
    fields = bytes(data[:end]).split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        rows, dim = int(fields[0]), int(fields[1])
        if dim == 0:
            raise W2VError(f"{path}: the header says the vectors have 0 dimensions")
        return rows, dim, end + 1
    if len(fields) > 2 and all(_printable(f) for f in fields[1:]):
        return -1, len(fields) - 1, 0  # headerless text (GloVe)
    raise W2VError(f"{path}: the first line should be 'rows dims', got {bytes(data[: min(end, 60)])!r}")


def looks_binary(data, offset: int, dim: int) -> bool:
    """A text file's first row is a word and ``dim`` printable fields on one line; float32 bytes almost never are."""
    end = data.find(b"\n", offset, offset + 64 * (dim + 1) + (1 << 16))
    fields = bytes(data[offset : end if end >= 0 else offset + 64 * (dim + 1)]).split()
    return len(fields) != dim + 1 or not all(_printable(f) for f in fields[1:])


def _printable(field: bytes) -> bool:
    return field.isascii() and all(0x21 <= b <= 0x7E for b in field)


def read_vectors(path: str) -> tuple[list[bytes], np.ndarray, bool]:
    """Read a word2vec text or binary file (or headerless GloVe text): (words, float32 matrix, was_binary)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except FileNotFoundError:
        raise W2VError(f"vector file {path} not found") from None
    except IsADirectoryError:
        raise W2VError(f"vector file {path} is a directory") from None
    except OSError as e:
        raise W2VError(f"cannot read vector file {path}: {e.strerror or e}") from None
    rows, dim, offset = _header(data, path)
    binary = rows >= 0 and looks_binary(data, offset, dim)
    if binary:
        words, matrix = _parse_binary(data, rows, dim, offset, path)
    else:
        words, matrix = _parse_text(bytes(data[offset:]), rows, dim, path)
    bad = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
    if len(bad):
        raise W2VError(f"{path}: row {bad[0] + 1} ({words[bad[0]][:40]!r}) holds NaN or infinite values "
                       f"({len(bad)} rows in all)")
    return words, matrix, binary


def _parse_binary(data, rows: int, dim: int, offset: int, path: str):
    from .rowscan import scan_binary_rows  # Numba: imported only when a binary file is parsed

    if rows * (dim * 4 + 1) > len(data):
        raise W2VError(f"{path}: truncated: the header promises {rows} rows of {dim} float32, "
                       f"the file has only {len(data)} bytes")
    buf = np.frombuffer(data, dtype=np.uint8)
    matrix = np.empty((rows, dim), dtype=np.float32)
    starts = np.empty(rows, dtype=np.int64)
    ends = np.empty(rows, dtype=np.int64)
    parsed, pos = scan_binary_rows(buf, offset, dim, matrix.reshape(-1).view(np.uint8), starts, ends)
    del buf
    if parsed < rows:
        raise W2VError(f"{path}: truncated or corrupt at row {parsed + 1} of {rows} (byte {pos}): "
                       f"expected a word, a space and {dim} float32 values")
    words = [data[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    return words, matrix


def _parse_text(text: bytes, rows: int, dim: int, path: str):
    lines = [line for line in text.splitlines() if line.strip()]
    if rows < 0:
        rows = len(lines)
    if len(lines) < rows:
        raise W2VError(f"{path}: truncated: the header promises {rows} rows, found {len(lines)}")
    lines = lines[:rows]
    tokens = b" ".join(lines).split()
    if len(tokens) == rows * (dim + 1):  # the common case: every row well formed, parse in bulk
        words = tokens[:: dim + 1]
        del tokens[:: dim + 1]
        try:
            values = np.fromiter(map(float, tokens), dtype=np.float32, count=len(tokens))
            return words, values.reshape(rows, dim)
        except ValueError:
            pass  # find the bad row below
    words = []
    matrix = np.empty((rows, dim), dtype=np.float32)
    for i, line in enumerate(lines):
        fields = line.split()
        if len(fields) != dim + 1:
            raise W2VError(f"{path}: row {i + 1} has {len(fields) - 1} values, expected {dim}")
        words.append(fields[0])
        try:
            matrix[i] = np.array([float(x) for x in fields[1:]], dtype=np.float32)
        except ValueError:
            raise W2VError(f"{path}: row {i + 1} ({fields[0][:40]!r}) holds a value that is not a number") from None
    return words, matrix
