"""Fuzzing the readers: whatever the bytes, the only exception is our own W2VError."""

import io
import os
import struct
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from w2vcli.corpus import MAX_WORD_BYTES, iter_tokens, tokenize
from w2vcli.errors import W2VError
from w2vcli.formats import read_vectors, write_vectors
from w2vcli.vocab import Vocab, encode

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_bytes_as(reader, data: bytes):
    fd, path = tempfile.mkstemp()
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return reader(path)
    except W2VError:
        return None
    finally:
        os.remove(path)


def header_and_rows():
    """Files that start like vector files, then go anywhere."""
    def build(rows, dim, body, binary_rows):
        head = b"%d %d\n" % (rows, dim)
        if binary_rows:
            body = b"".join(b"w%d " % i + struct.pack(f"<{dim}f", *([0.5] * dim)) + b"\n" for i in range(rows))[: len(body) * 7]
        return head + body

    return st.builds(build, st.integers(0, 5), st.integers(0, 6), st.binary(max_size=200), st.booleans())


@FUZZ
@given(st.one_of(st.binary(max_size=400), header_and_rows()))
def test_vector_reader_raises_only_our_error(data):
    result = read_bytes_as(read_vectors, data)
    if result is not None:
        words, matrix, _ = result
        assert len(words) == len(matrix) and np.isfinite(matrix).all()


def test_every_truncation_of_a_valid_file_is_a_clean_error():
    words = [b"</s>", b"one", "drei".encode(), b"x" * 30]
    matrix = np.arange(4 * 5, dtype=np.float32).reshape(4, 5)
    for binary in (True, False):
        fd, path = tempfile.mkstemp()
        os.close(fd)
        write_vectors(path, words, matrix, binary=binary)
        data = open(path, "rb").read()
        os.remove(path)
        for cut in range(len(data)):
            result = read_bytes_as(read_vectors, data[:cut])
            if result is not None:  # only a cut inside or after the last value can still read completely
                assert result[0] == words
                if binary:
                    assert np.array_equal(result[1], matrix)
                else:  # text cut inside its last number ('19.000000' -> '1') reads as a valid file
                    assert np.array_equal(result[1].ravel()[:-1], matrix.ravel()[:-1])


@FUZZ
@given(st.binary(max_size=400))
def test_vocab_reader_raises_only_our_error(data):
    vocab = read_bytes_as(Vocab.read, data)
    if vocab is not None:
        assert vocab.words[0] == b"</s>" and len(vocab.words) == len(vocab.counts)


@FUZZ
@given(st.binary(max_size=600))
def test_tokenizer_never_fails_and_yields_clean_words(data):
    for token in tokenize(data):
        assert token and len(token) <= MAX_WORD_BYTES
        assert not any(sep in token for sep in (b" ", b"\t", b"\n", b"\r", b"\x00"))


def reference_tokens(data: bytes) -> list[bytes]:
    """word2vec.c's ReadWord byte by byte: space, tab, NUL and newline end a word, a newline
    is also </s>, carriage returns vanish, a word of 99 bytes or more keeps its first 98."""
    tokens, word = [], b""
    for ch in [bytes([byte]) for byte in data] + [b" "]:  # a final space ends the last word
        if ch == b"\r":
            continue
        if ch in (b" ", b"\t", b"\x00", b"\n"):
            if word:
                tokens.append(word if len(word) <= MAX_WORD_BYTES else word[:98])
            word = b""
            if ch == b"\n":
                tokens.append(b"</s>")
        else:
            word += ch
    return tokens


@FUZZ
@given(st.lists(st.sampled_from([b"a", b"bc", b" ", b"\t", b"\n", b"\r", b"\x00", b"\x0b", b"\x0c", b"\xff",
                                 b"w" * 60]), max_size=80))
def test_tokenizer_splits_as_word2vec_c(pieces):
    """Also where bytes.split() would split and word2vec.c does not (vertical tab, form feed)."""
    data = b"".join(pieces)
    assert tokenize(data) == reference_tokens(data)


@FUZZ
@given(st.binary(max_size=600), st.integers(1, 64), st.integers(1, 4))
def test_encoding_any_bytes_in_any_blocks_is_consistent(data, block, min_count):
    try:
        small = encode(iter_tokens(io.BytesIO(data), block_bytes=block), min_count=min_count)
    except W2VError:
        return
    whole = encode(iter_tokens(io.BytesIO(data)), min_count=min_count)
    assert small.vocab.words == whole.vocab.words and np.array_equal(small.ids, whole.ids)
    assert small.ids.max() < len(small.vocab)
