"""One Numba loop that splits a word2vec binary file into words and float32 rows in bulk."""

from numba import njit

MAX_WORD_BYTES = 1 << 16  # a 'word' longer than this means we are not looking at a word


@njit(cache=True, nogil=True)
def scan_binary_rows(buf, pos, dim, out, starts, ends):
    """Parse rows ``word ' ' <dim little-endian float32> ['\\n']`` from buf[pos:].

    Fills out (a uint8 view of the float32 matrix), starts and ends (word byte
    offsets). Returns (rows parsed, position reached); fewer rows than asked
    means the data ended early (or a word never ended).
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
