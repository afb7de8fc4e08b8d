import bz2
import gzip
import io
import lzma

import pytest

from w2vcli.corpus import EOS, iter_tokens, open_corpus, read_blocks, tokenize
from w2vcli.errors import W2VError


def test_spaces_tabs_and_newlines_separate_words():
    assert tokenize(b"a  b\tc\nd") == [b"a", b"b", b"c", EOS, b"d"]


def test_each_newline_is_a_sentence_end_even_on_empty_lines():
    assert tokenize(b"a\n\nb\n") == [b"a", EOS, EOS, b"b", EOS]


def test_carriage_returns_are_dropped_so_windows_line_endings_work():
    assert tokenize(b"one two\r\nthree\r\n") == [b"one", b"two", EOS, b"three", EOS]


def test_nul_bytes_separate_words():
    assert tokenize(b"a\x00b") == [b"a", b"b"]


def test_bytes_are_kept_as_they_are_including_invalid_utf8():
    assert tokenize("café \xff".encode("latin-1")) == [b"caf\xe9", b"\xff"]


def test_long_words_are_cut_like_word2vec_c():
    word = bytes(range(65, 91)) * 10  # 260 bytes
    (token,) = tokenize(word + b" ")
    assert token == word[:98]  # word2vec.c's ReadWord ends the word with a NUL over its 99th byte
    assert tokenize(word[:99] + b" " + word[:98] + b" " + word[:97]) == [word[:98], word[:98], word[:97]]


def test_blocks_never_split_a_word():
    data = b" ".join(b"w%d" % i for i in range(5000)) + b"\nlast"
    tokens = [t for block in iter_tokens(io.BytesIO(data), block_bytes=37) for t in block]
    assert tokens == tokenize(data)


def test_a_word_longer_than_a_block_is_still_cut_correctly():
    word = b"x" * 500 + b"y"
    blocks = list(read_blocks(io.BytesIO(b"a " + word + b" b"), block_bytes=16))
    tokens = [t for b in blocks for t in tokenize(b)]
    assert tokens == [b"a", b"x" * 98, b"b"]


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed_corpora_are_read_directly(tmp_path, suffix, opener):
    path = tmp_path / ("c.txt" + suffix)
    with opener(path, "wb") as f:
        f.write(b"hello world\n")
    with open_corpus(str(path)) as f:
        assert [t for b in iter_tokens(f) for t in b] == [b"hello", b"world", EOS]


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(W2VError, match="not found"):
        open_corpus(str(tmp_path / "nope.txt"))


def test_corrupt_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage-garbage")
    with pytest.raises(W2VError, match="cannot read corpus"):
        with open_corpus(str(path)) as f:
            list(iter_tokens(f))
