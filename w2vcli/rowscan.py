"""Numba loops that split a block of a word2vec file into words and float32 rows.

Both fill rows of a caller's matrix in place and record where each word starts and ends,
so a file is parsed a block at a time straight into its matrix: memory holds the matrix,
the words and one block, never a Python object per number.
"""

import numpy as np

from .jit import njit

MAX_WORD_BYTES = 1 << 16  # a 'word' longer than this means we are not looking at a word

# scan_text_rows stops at a line it leaves to Python: a value its exact fast path does not
# cover (more than 15 significant digits, a far exponent, nan), a count of values other
# than dim, or anything that is not a number; Python parses that line or names the error.
NEEDS_PYTHON = 1

_POW10 = np.array([10.0**k for k in range(23)])  # exact in float64 up to 10^22


@njit(cache=True, nogil=True)
def scan_binary_rows(buf, pos, dim, out, starts, ends):
    """Parse rows ``word ' ' <dim little-endian float32> ['\\n']`` from buf[pos:].

    Fills out (a uint8 view of len(starts) float32 rows), starts and ends (word byte
    offsets). Returns (rows parsed, position reached): fewer rows than asked means the
    data ended early (or a word never ended); the position is then where the first
    incomplete row starts.
    """
    n = len(buf)
    width = 4 * dim
    for i in range(len(starts)):
        while pos < n and (buf[pos] == 10 or buf[pos] == 13):  # the '\n' ending the previous row, if any
            pos += 1
        start = pos
        limit = min(n, pos + MAX_WORD_BYTES)
        while pos < limit and buf[pos] != 32:
            pos += 1
        if pos >= limit or pos + 1 + width > n:
            return i, start
        starts[i] = start
        ends[i] = pos
        pos += 1
        out[i * width : (i + 1) * width] = buf[pos : pos + width]
        pos += width
    return len(starts), pos


@njit(inline="always")
def _blank(b):
    return b == 32 or b == 9 or b == 13 or b == 11 or b == 12  # bytes.split()'s whitespace, less '\n'


@njit(inline="always")
def _number(buf, p, end):
    """The decimal number in buf[p:end] as float64, and whether the exact fast path covers it.

    Exact: at most 15 significant digits and a power of ten up to 10^22 make the mantissa and
    the power exact float64 numbers, so one multiplication or division rounds once, as
    strtod and Python's float() do; anything else is left to Python.
    """
    negative = False
    if buf[p] == 45 or buf[p] == 43:  # '-' or '+'
        negative = buf[p] == 45
        p += 1
    mantissa = np.int64(0)
    digits = 0  # significant digits taken into the mantissa
    exponent = 0
    seen = False
    dot = False
    while p < end:
        b = buf[p]
        if 48 <= b <= 57:
            seen = True
            if digits > 0 or b != 48:
                if digits == 15:
                    return 0.0, False
                mantissa = mantissa * 10 + (b - 48)
                digits += 1
            if dot:
                exponent -= 1
        elif b == 46 and not dot:
            dot = True
        else:
            break
        p += 1
    if not seen:
        return 0.0, False
    if p < end:
        if buf[p] != 101 and buf[p] != 69:  # 'e' or 'E'
            return 0.0, False
        p += 1
        sign = 1
        if p < end and (buf[p] == 45 or buf[p] == 43):
            sign = -1 if buf[p] == 45 else 1
            p += 1
        if p == end:
            return 0.0, False
        e = 0
        while p < end:
            b = buf[p]
            if not 48 <= b <= 57 or e > 10000:
                return 0.0, False
            e = e * 10 + (b - 48)
            p += 1
        exponent += sign * e
    value = np.float64(mantissa)
    if mantissa == 0:
        pass
    elif 0 <= exponent <= 22:
        value *= _POW10[exponent]
    elif -22 <= exponent < 0:
        value /= _POW10[-exponent]
    else:
        return 0.0, False
    return -value if negative else value, True


@njit(cache=True, nogil=True)
def scan_text_rows(buf, pos, final, dim, out, starts, ends):
    """Parse text rows ``word v1 ... vdim`` (one a line; blank lines skipped) from buf[pos:].

    Fills out (len(starts) x dim float32), starts and ends. Returns (rows parsed, position
    reached, status): status 0 when it stopped at the end of the data (without ``final``,
    before a line with no newline yet, which the next block completes) or with every row
    filled; NEEDS_PYTHON when the line at the position is one for Python to parse.
    """
    n = len(buf)
    rows = len(starts)
    row = 0
    while row < rows:
        line = pos
        p = pos
        while p < n and _blank(buf[p]):
            p += 1
        if p < n and buf[p] == 10:  # a blank line
            pos = p + 1
            continue
        if p == n:
            return row, (n if final else line), 0
        start = p
        while p < n and not _blank(buf[p]) and buf[p] != 10:
            p += 1
        starts[row] = start
        ends[row] = p
        for c in range(dim):
            while p < n and _blank(buf[p]):
                p += 1
            if p == n and not final:
                return row, line, 0  # the line goes on in the next block
            if p == n or buf[p] == 10:  # fewer values than dim
                return row, line, NEEDS_PYTHON
            q = p
            while q < n and not _blank(buf[q]) and buf[q] != 10:
                q += 1
            if q == n and not final:
                return row, line, 0
            value, exact = _number(buf, p, q)
            if not exact:
                return row, line, NEEDS_PYTHON
            out[row, c] = value
            p = q
        while p < n and _blank(buf[p]):
            p += 1
        if p == n and not final:
            return row, line, 0
        if p < n and buf[p] != 10:  # more fields than values: a word with spaces, or a bad row
            return row, line, NEEDS_PYTHON
        row += 1
        pos = p + 1
    return row, min(pos, n), 0


@njit(cache=True, nogil=True)
def count_text_rows(buf, in_row):
    """Lines of buf that hold more than blanks; in_row: the line before buf's first byte
    already held some (it continues here). Returns (complete rows, in_row at the end)."""
    rows = 0
    for i in range(len(buf)):
        b = buf[i]
        if b == 10:
            rows += in_row
            in_row = False
        elif not _blank(b):
            in_row = True
    return rows, in_row
