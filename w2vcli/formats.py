"""The original word2vec file formats, byte for byte as word2vec.c writes them.

Both start with the header ``V D\\n``. Each of the V rows is then

- binary: ``word`` + ``' '`` + D little-endian float32 + ``'\\n'``
- text:   ``word`` + ``' '`` + D times ``'%f '`` + ``'\\n'`` (note the trailing space)

Words are raw bytes: whatever the corpus held is written back unchanged. Text files without
the header (GloVe) read too, and so do gzip, bzip2 and xz files of any of these (found by
their first bytes, whatever the name), pipes and FIFOs.

Files are read and written a block at a time: reading parses each block straight into the
matrix (Numba, rowscan.py), so memory holds the matrix, the words and one block.
"""

import bz2
import gzip
import io
import lzma
import os
import zlib

import numpy as np

from .atomic import atomic_open, uncompressed_name
from .errors import W2VError
from .resources import available_memory, gib

BLOCK_BYTES = 16 << 20  # read this much at a time
HEAD_BYTES = 1 << 20  # the header and the first row must fit here
WRITE_ROWS = 4096  # rows formatted at a time when writing text

_COMPRESSED = {b"\x1f\x8b": lambda f: gzip.GzipFile(fileobj=f), b"BZh": bz2.BZ2File, b"\xfd7zXZ\x00": lzma.LZMAFile}
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")  # fastText's .bin starts with this int32
_NOT_VECTORS = [  # what other files people pass as vector files start with, and what to do instead
    (_FASTTEXT_MAGIC, "a fastText model (.bin): export it with `fasttext print-word-vectors` or load the .vec"),
    (b"\x93NUMPY", "a NumPy .npy array, not a word2vec file: it has no words"),
    (b"PK\x03\x04", "a zip archive (a .zip or .npz): unpack the vector file inside it first"),
    (b"\x80\x02", "a Python pickle (a gensim model's .save()?): load it in gensim and write it with "
                  "wv.save_word2vec_format(path, binary=True)"),
    (b"\x80\x03", None), (b"\x80\x04", None), (b"\x80\x05", None),
]
_READ_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)


def _what_it_is(head: bytes) -> str | None:
    said = None
    for magic, what in _NOT_VECTORS:
        said = what or said
        if head.startswith(magic):
            return said
    return None


class _Replay(io.RawIOBase):
    """A stream that gives back bytes already read from it before the rest."""

    def __init__(self, head: bytes, stream):
        self.head, self.stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.head:
            n = min(len(b), len(self.head))
            b[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        return self.stream.readinto(b)


def _read_full(stream, size: int) -> bytes:
    """Up to size bytes, fewer only at the end of the data (a pipe may give less per read)."""
    parts, got = [], 0
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def open_vector_file(path: str):
    """(stream, first bytes of its data, whether it was compressed), with a clear error for
    a missing file, a directory or a file that is not word vectors."""
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise W2VError(f"vector file {path} not found") from None
    except IsADirectoryError:
        raise W2VError(f"vector file {path} is a directory") from None
    except OSError as e:
        raise W2VError(f"cannot read vector file {path}: {e.strerror or e}") from None
    try:
        head = _read_full(raw, 8)
        compressed = next((opener for magic, opener in _COMPRESSED.items() if head.startswith(magic)), None)
        stream = raw
        if compressed is not None:
            stream = compressed(io.BufferedReader(_Replay(head, raw)))
            head = b""
        head += _read_full(stream, HEAD_BYTES - len(head))
    except _READ_ERRORS as e:
        raw.close()
        raise W2VError(f"cannot read vector file {path}: {e}") from None
    what = _what_it_is(head)
    if what:
        raw.close()
        raise W2VError(f"{path} is {what}")
    return stream, head, compressed is not None


def _header(data: bytes, path: str) -> tuple[int | None, int, int]:
    """(rows, dims, offset of the first row) from a ``V D`` header line.

    A file whose first line already holds a word and numbers (GloVe) has no
    header: rows is then None and dims is taken from that line.
    """
    end = data.find(b"\n", 0, HEAD_BYTES)
    if end < 0:
        end = len(data) if len(data) < HEAD_BYTES else -1
    if end <= 0:
        raise W2VError(f"{path}: no header line ('rows dims') found")
    fields = data[:end].split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        rows, dim = int(fields[0]), int(fields[1])
        if dim == 0:
            raise W2VError(f"{path}: the header says the vectors have 0 dimensions")
        if dim > 1_000_000:
            raise W2VError(f"{path}: the header says the vectors have {dim} dimensions: not a vector file?")
        return rows, dim, end + 1
    if len(fields) > 2 and all(_printable(f) for f in fields[1:]):
        return None, len(fields) - 1, 0  # headerless text (GloVe)
    shown = data[: min(end, 40)].decode("ascii", "backslashreplace")
    raise W2VError(f"{path}: not a word2vec file: the first line should be 'rows dims', got {shown!r}")


def looks_binary(data, offset: int, dim: int) -> bool:
    """A text file's first row is a word and ``dim`` printable fields on one line; float32 bytes almost never are.
    A first row of text whose fields after the word are all numbers, but not ``dim`` of them, is a
    text file whose header disagrees with its rows: a ValueError, not binary garbage."""
    end = data.find(b"\n", offset, offset + 64 * (dim + 1) + (1 << 16))
    fields = bytes(data[offset : end if end >= 0 else offset + 64 * (dim + 1)]).split()
    if len(fields) >= dim + 1 and all(_printable(f) for f in fields[len(fields) - dim :]):
        return False  # text (a word holding spaces has more fields before its numbers)
    values = fields[1:]
    if end >= 0 and values and all(_printable(f) and _is_number(f) for f in values):
        raise ValueError(f"its first row has {len(values)} values, its header says {dim}")
    return True


def _printable(field: bytes) -> bool:
    return field.isascii() and all(0x21 <= b <= 0x7E for b in field)


def _is_number(field: bytes) -> bool:
    try:
        float(field)
        return True
    except ValueError:
        return False


class VectorReader:
    """A vector file open for reading: ``rows`` (None for a file without a header), ``dim``,
    ``binary``; ``fill`` parses rows into a matrix, ``blocks`` yields them a block at a time."""

    def __init__(self, path: str, block_bytes: int = BLOCK_BYTES):
        self.path = path
        self.block_bytes = block_bytes
        self.stream, head, self.compressed = open_vector_file(path)
        try:
            self.rows, self.dim, offset = _header(head, path)
            try:
                self.binary = self.rows is not None and looks_binary(head, offset, self.dim)
            except ValueError as e:
                raise W2VError(f"{path}: not a word2vec file: {e}") from None
            if self.rows is not None:
                self._check_size(self.rows)
        except BaseException:
            self.close()
            raise
        self.buffer = head[offset:]
        self.final = False  # the stream has nothing more to give
        self.done = 0  # rows parsed so far

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.stream.close()

    @property
    def reopenable(self) -> bool:
        """A regular file: it can be read twice (to count the rows of a file without a header)."""
        try:
            return os.path.isfile(self.path)
        except OSError:
            return False

    def _check_size(self, rows: int) -> None:
        need = rows * self.dim * 4
        if not self.compressed and os.path.isfile(self.path):
            least = rows * (4 * self.dim + 1) if self.binary else rows * (2 * self.dim + 1)
            size = os.path.getsize(self.path)
            if least > size:
                raise W2VError(f"{self.path}: truncated: the header promises {rows} rows of {self.dim} "
                               f"{'float32' if self.binary else 'values'}, the file has only {size} bytes")
        avail = available_memory()
        if avail is not None and need > avail:
            raise W2VError(f"{self.path}: the header promises {rows} x {self.dim} floats ({gib(need)}), more than "
                           f"the {gib(avail)} of memory available")

    def _more(self) -> bool:
        """Read the next block onto the buffer; False at the end of the data."""
        if self.final:
            return False
        try:
            chunk = self.stream.read(self.block_bytes)
        except _READ_ERRORS as e:
            raise W2VError(f"cannot read vector file {self.path}: {e}") from None
        if not chunk:
            self.final = True
            return False
        self.buffer = self.buffer + chunk if self.buffer else chunk
        return True

    def fill(self, out: np.ndarray, words: list, decode=None) -> int:
        """Parse rows into out (n x dim float32) until it is full or the file ends; append their
        words (bytes, or ``decode(bytes)``) to words. Returns the rows filled."""
        from .rowscan import (  # Numba: only when parsing
            NEEDS_PYTHON,
            scan_binary_rows,
            scan_text_rows,
        )

        filled, first = 0, len(words)
        while filled < len(out):
            if not self.buffer and not self._more():
                break
            buf = np.frombuffer(self.buffer, np.uint8)
            least = 4 * self.dim + 1 if self.binary else 2 * self.dim + 2  # the fewest bytes of a row
            cap = min(len(out) - filled, len(buf) // least + 1)
            target = out[filled : filled + cap]
            starts, ends = np.empty(cap, np.int64), np.empty(cap, np.int64)
            status = 0
            if self.binary:
                n, pos = scan_binary_rows(buf, 0, self.dim, target.reshape(-1).view(np.uint8), starts, ends)
            else:
                n, pos, status = scan_text_rows(buf, 0, self.final, self.dim, target, starts, ends)
            del buf
            data = self.buffer
            words.extend(_words(data, starts[:n], ends[:n], decode))
            self._check_finite(target[:n], words, first + filled)
            filled += n
            self.done += n
            if status == NEEDS_PYTHON:
                pos = self._python_row(data, pos, out[filled], words, decode)
                filled += 1
                self.done += 1
            self.buffer = data[pos:]
            if n < cap and status != NEEDS_PYTHON:  # no complete row left in the buffer
                if self.final:
                    self._at_end()
                    break
                self._more()  # at the end of the data, the next pass parses what is left as final
        return filled

    def _at_end(self) -> None:
        """The data ended: what is left must be line ends, else the file is truncated."""
        rest = self.buffer.strip()
        self.buffer = b""
        if rest and self.binary:
            raise W2VError(f"{self.path}: truncated or corrupt at row {self.done + 1}"
                           f"{f' of {self.rows}' if self.rows is not None else ''}: expected a word, a space "
                           f"and {self.dim} float32 values")

    def _python_row(self, data: bytes, pos: int, row: np.ndarray, words: list, decode) -> int:
        """Parse the text line at pos that the fast loop left (a rare number, a word with spaces,
        or an error); returns the position after it."""
        eol = data.find(b"\n", pos)
        eol = len(data) if eol < 0 else eol
        line = data[pos:eol]
        number = self.done + 1
        fields = line.split()
        if len(fields) - 1 > self.dim and not any(_is_number(f) for f in fields[1 : len(fields) - self.dim]):
            fields = line.strip().rsplit(None, self.dim)  # a word with spaces in it (GloVe 840B has a few)
        if len(fields) - 1 != self.dim:
            raise W2VError(f"{self.path}: row {number} has {len(fields) - 1} values, expected {self.dim}")
        try:
            with np.errstate(over="ignore"):  # a value beyond float32 becomes inf: the check below names it
                row[:] = [float(x) for x in fields[1:]]
        except ValueError:
            raise W2VError(f"{self.path}: row {number} ({_shown(fields[0])}) holds a value that is not a number") \
                from None
        words.append(decode(fields[0]) if decode else fields[0])
        self._check_finite(row[None, :], words, len(words) - 1)
        return eol + 1

    def _check_finite(self, rows: np.ndarray, words: list, first: int) -> None:
        bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
        if len(bad):
            word = words[first + bad[0]]
            raise W2VError(f"{self.path}: row {self.done + bad[0] + 1} ({_shown(word)}) holds NaN or infinite values")

    def count_rows(self) -> int:
        """The rows of a file without a header (its lines that hold more than blanks), by a first
        pass over it."""
        from .rowscan import count_text_rows

        stream, head, _ = open_vector_file(self.path)
        count, in_row = 0, False
        try:
            chunk = head
            while chunk:
                n, in_row = count_text_rows(np.frombuffer(chunk, np.uint8), in_row)
                count += n
                chunk = stream.read(self.block_bytes)
        except _READ_ERRORS as e:
            raise W2VError(f"cannot read vector file {self.path}: {e}") from None
        finally:
            stream.close()
        return count + in_row

    def rows_to_write(self, limit: int | None = None) -> int | None:
        """How many rows the file holds (up to limit): the header's, or counted where the file
        can be read twice; None for a pipe without a header."""
        rows = self._expected(limit)
        if rows is None and self.reopenable:
            rows = self.count_rows()
            if limit is not None:
                rows = min(rows, limit)
        return rows

    def blocks(self, rows_per_block: int = 16384, decode=None, limit: int | None = None):
        """(words, float32 rows) a block at a time, up to ``limit`` rows (and the header's count)."""
        left = self._expected(limit)
        while left is None or left > 0:
            out = np.empty((rows_per_block if left is None else min(rows_per_block, left), self.dim), np.float32)
            words = []
            n = self.fill(out, words, decode)
            if n:
                yield words, out[:n]
            if left is not None:
                left -= n
            if n < len(out):
                break
        self._check_complete(limit)

    def _expected(self, limit: int | None) -> int | None:
        if self.rows is None:
            return limit
        return self.rows if limit is None else min(limit, self.rows)

    def _check_complete(self, limit: int | None) -> None:
        want = self._expected(limit)
        if want is not None and self.done < want:
            if self.binary:
                raise W2VError(f"{self.path}: truncated or corrupt at row {self.done + 1} of {self.rows}: "
                               f"expected a word, a space and {self.dim} float32 values")
            raise W2VError(f"{self.path}: truncated: the header promises {self.rows} rows, found {self.done}")

    def read_all(self, decode=None, limit: int | None = None) -> tuple[list, np.ndarray]:
        """(words, matrix): every row (up to limit), in one matrix allocated once where the
        number of rows is known (the header, or a first pass over a file without one)."""
        rows = self.rows_to_write(limit)
        if rows is not None and self.rows is None:
            self._check_size(rows)
        if rows is None:  # a pipe without a header: grow block by block, then join (twice the memory)
            parts = list(self.blocks(decode=decode))
            words = [w for ws, _ in parts for w in ws]
            return words, (np.concatenate([m for _, m in parts]) if parts else np.empty((0, self.dim), np.float32))
        matrix = np.empty((rows, self.dim), np.float32)
        words: list = []
        self.fill(matrix, words, decode)
        self._check_complete(limit)
        return words, matrix


def _words(data: bytes, starts: np.ndarray, ends: np.ndarray, decode) -> list:
    words = [data[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    return [decode(w) for w in words] if decode else words


def _shown(word) -> str:
    if isinstance(word, str):
        word = word.encode("utf-8", "surrogateescape")
    return repr(word[:40].decode("utf-8", "backslashreplace"))


def read_vectors(path: str, decode=None, limit: int | None = None) -> tuple[list, np.ndarray, bool]:
    """Read a word2vec text or binary file (or headerless GloVe text, plain or compressed):
    (words, float32 matrix, was_binary). Words are bytes, or ``decode(bytes)``."""
    with VectorReader(path) as reader:
        words, matrix = reader.read_all(decode, limit)
        return words, matrix, reader.binary


def binary_name(path: str) -> bool:
    """Whether a file's name asks for word2vec's binary format: ``*.bin``, or ``*.bin`` compressed
    (``.bin.gz``, ``.bin.bz2``, ``.bin.xz``)."""
    return uncompressed_name(path).endswith(".bin")


class VectorWriter:
    """Writes a vector file a block of rows at a time, atomically (temp file, then rename);
    compressed as it goes where the name ends in .gz, .bz2 or .xz (atomic.atomic_open)."""

    def __init__(self, path: str, rows: int, dim: int, binary: bool):
        self.path, self.rows, self.dim, self.binary = path, rows, dim, binary
        self.written = 0
        self._context = atomic_open(path)
        self.file = None

    def __enter__(self):
        self.file = self._context.__enter__()
        try:
            self.file.write(b"%d %d\n" % (self.rows, self.dim))
        except BaseException as e:  # into the temp file's context: removed, and a one-line error
            if not self._context.__exit__(type(e), e, e.__traceback__):
                raise
        return self

    def __exit__(self, kind, value, tb):
        if kind is None and self.written != self.rows:
            error = ValueError(f"{self.rows} rows promised, {self.written} written")
            self._context.__exit__(ValueError, error, None)  # removes the temp file
            raise error
        return self._context.__exit__(kind, value, tb)

    def write(self, words: list[bytes], matrix: np.ndarray) -> None:
        matrix = np.asarray(matrix, dtype="<f4")  # rows may be views of wider ones: converted a block at a time
        if len(words) != len(matrix) or matrix.shape[1:] != (self.dim,):
            raise ValueError("one word per matrix row, dim values per row")
        write = self.file.write
        if self.binary:
            for word, row in zip(words, matrix):
                write(word + b" " + row.tobytes() + b"\n")
        else:
            fmt = "%f " * self.dim
            for start in range(0, len(words), WRITE_ROWS):
                block = matrix[start : start + WRITE_ROWS].tolist()
                write(b"".join(word + b" " + (fmt % tuple(row)).encode("ascii") + b"\n"
                               for word, row in zip(words[start : start + WRITE_ROWS], block)))
        self.written += len(words)


def write_vectors(path: str, words: list[bytes], matrix: np.ndarray, binary: bool) -> None:
    """Write ``matrix`` (V x D) with one word per row; atomically (temp file, then rename)."""
    rows, dim = np.shape(matrix)
    if rows != len(words):
        raise ValueError("one word per matrix row")
    with VectorWriter(path, rows, dim, binary) as writer:
        for start in range(0, rows, 65536):
            writer.write(words[start : start + 65536], matrix[start : start + 65536])
