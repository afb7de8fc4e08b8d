"""The original word2vec file formats, byte for byte as word2vec.c writes them.

Both start with the header ``V D\\n``. Each of the V rows is then

- binary: ``word`` + ``' '`` + D little-endian float32 + ``'\\n'``
- text:   ``word`` + ``' '`` + D times ``'%f '`` + ``'\\n'`` (note the trailing space)

Words are raw bytes: whatever the corpus held is written back unchanged.
"""

import numpy as np

from .atomic import atomic_open
from .errors import W2VError


def write_vectors(path: str, words: list[bytes], matrix: np.ndarray, binary: bool) -> None:
    """Write ``matrix`` (V x D) with one word per row; atomically (temp file, then rename)."""
    matrix = np.ascontiguousarray(matrix, dtype="<f4")
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


def _header(data: bytes, path: str) -> tuple[int, int, int]:
    """(rows, dims, offset of the first row) from a ``V D`` header line."""
    end = data.find(b"\n")
    if end < 0:
        raise W2VError(f"{path}: no header line ('V D') found")
    fields = data[:end].split()
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        raise W2VError(f"{path}: the first line should be 'rows dims', got {data[:min(end, 60)]!r}")
    rows, dim = int(fields[0]), int(fields[1])
    if dim == 0:
        raise W2VError(f"{path}: the header says the vectors have 0 dimensions")
    return rows, dim, end + 1


def looks_binary(data: bytes, offset: int, dim: int) -> bool:
    """A text file's first row is a word and ``dim`` printable fields on one line; float32 bytes almost never are."""
    end = data.find(b"\n", offset)
    fields = data[offset : end if end >= 0 else len(data)].split()
    return len(fields) != dim + 1 or not all(_printable(f) for f in fields[1:])


def _printable(field: bytes) -> bool:
    return field.isascii() and all(0x21 <= b <= 0x7E for b in field)


def read_vectors(path: str) -> tuple[list[bytes], np.ndarray, bool]:
    """Read a word2vec text or binary file: (words, float32 matrix, was_binary)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise W2VError(f"vector file {path} not found") from None
    except IsADirectoryError:
        raise W2VError(f"vector file {path} is a directory") from None
    except OSError as e:
        raise W2VError(f"cannot read vector file {path}: {e.strerror or e}") from None
    rows, dim, offset = _header(data, path)
    if looks_binary(data, offset, dim):
        words, matrix = _parse_binary(data, rows, dim, offset, path)
        return words, matrix, True
    words, matrix = _parse_text(data, rows, dim, offset, path)
    return words, matrix, False


def _parse_binary(data: bytes, rows: int, dim: int, pos: int, path: str):
    words = []
    matrix = np.empty((rows, dim), dtype=np.float32)
    width = 4 * dim
    for i in range(rows):
        while pos < len(data) and data[pos] in b"\n\r":  # rows end with '\n' (some writers omit it)
            pos += 1
        space = data.find(b" ", pos, pos + (1 << 16))
        if space < 0:
            raise W2VError(f"{path}: truncated or corrupt at row {i + 1} of {rows} (byte {pos}): no word found")
        if space + 1 + width > len(data):
            raise W2VError(f"{path}: truncated at row {i + 1} of {rows}: expected {dim} float32 values")
        words.append(data[pos:space])
        matrix[i] = np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + width
    return words, matrix


def _parse_text(data: bytes, rows: int, dim: int, pos: int, path: str):
    lines = data[pos:].splitlines()
    lines = [line for line in lines if line.strip()]
    if len(lines) < rows:
        raise W2VError(f"{path}: truncated: the header promises {rows} rows, found {len(lines)}")
    words = []
    matrix = np.empty((rows, dim), dtype=np.float32)
    for i, line in enumerate(lines[:rows]):
        fields = line.split()
        if len(fields) != dim + 1:
            raise W2VError(f"{path}: row {i + 1} has {len(fields) - 1} values, expected {dim}")
        words.append(fields[0])
        try:
            matrix[i] = np.array(fields[1:], dtype=np.float32)
        except ValueError:
            raise W2VError(f"{path}: row {i + 1} ({fields[0][:40]!r}) holds a value that is not a number") from None
    return words, matrix
