import os
import struct
import subprocess

import numpy as np
import pytest

from conftest import peer_tool
from w2vcli.atomic import atomic_open
from w2vcli.errors import W2VError
from w2vcli.formats import read_vectors, write_vectors
from w2vcli.vectors import Vectors

WORDS = [b"</s>", b"caf\xc3\xa9", b"\xff\xfe"]
MATRIX = np.array([[0.0, 1.5, -2.25], [1e-7, 3.0, 0.1], [-1.0, 2.0, 4.0]], dtype=np.float32)


def test_binary_layout_is_word2vec_c_byte_for_byte(tmp_path):
    path = tmp_path / "v.bin"
    write_vectors(str(path), WORDS, MATRIX, binary=True)
    expected = b"3 3\n" + b"".join(w + b" " + struct.pack("<3f", *row) + b"\n" for w, row in zip(WORDS, MATRIX))
    assert path.read_bytes() == expected


def test_text_layout_is_word2vec_c_byte_for_byte(tmp_path):
    path = tmp_path / "v.txt"
    write_vectors(str(path), WORDS[:2], MATRIX[:2], binary=False)
    # word2vec.c: fprintf "%s " then "%lf " per value, then "\n"
    assert path.read_bytes() == (
        b"2 3\n</s> 0.000000 1.500000 -2.250000 \n" b"caf\xc3\xa9 0.000000 3.000000 0.100000 \n"
    )


@pytest.mark.parametrize("binary", [True, False])
def test_round_trip_keeps_words_as_bytes(tmp_path, binary):
    path = tmp_path / "v"
    write_vectors(str(path), WORDS, MATRIX, binary=binary)
    words, matrix, was_binary = read_vectors(str(path))
    assert words == WORDS and was_binary == binary
    assert np.allclose(matrix, MATRIX, atol=5e-7 if not binary else 0)


def test_vectors_api_round_trips_undecodable_words(tmp_path):
    path = tmp_path / "v.bin"
    write_vectors(str(path), WORDS, MATRIX, binary=True)
    vectors = Vectors.load(str(path))
    assert vectors.words[1] == "café"
    again = tmp_path / "again.bin"
    vectors.save(str(again))
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("binary", [True, False])
def test_gensim_loads_our_files(tmp_path, binary):
    models = pytest.importorskip("gensim.models")
    path = tmp_path / "v"
    words = [b"</s>", b"king", "café".encode()]
    write_vectors(str(path), words, MATRIX, binary=binary)
    kv = models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == ["</s>", "king", "café"]
    assert np.allclose(kv.vectors, MATRIX, atol=0 if binary else 5e-7)


@pytest.mark.parametrize("binary", [True, False])
def test_we_load_gensim_files(tmp_path, binary):
    models = pytest.importorskip("gensim.models")
    kv = models.KeyedVectors(vector_size=3)
    kv.add_vectors(["naïve", "b", "c"], MATRIX)
    path = tmp_path / "g"
    kv.save_word2vec_format(str(path), binary=binary)
    vectors = Vectors.load(str(path))
    assert vectors.words == ["naïve", "b", "c"]
    assert np.allclose(vectors.matrix, MATRIX, atol=1e-6)


def test_rows_without_trailing_newline_and_crlf_text_load(tmp_path):
    binary = tmp_path / "nonl.bin"
    binary.write_bytes(b"2 2\n" + b"a " + struct.pack("<2f", 1, 2) + b"b " + struct.pack("<2f", 3, 4))
    assert read_vectors(str(binary))[1].tolist() == [[1, 2], [3, 4]]
    text = tmp_path / "crlf.txt"
    text.write_bytes(b"2 2\r\na 1 2\r\nb 3 4")
    words, matrix, _ = read_vectors(str(text))
    assert words == [b"a", b"b"] and matrix.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("content,message", [
    (b"", "no header"),
    (b"hello world\n", "rows dims"),
    (b"2 0\n", "0 dimensions"),
    (b"2 3\n" + b"a " + struct.pack("<3f", 1, 2, 3) + b"\nb " + struct.pack("<2f", 1, 2), "truncated.* row 2 of 2"),
    (b"2 3\na 1 2 3\n", "truncated"),
    (b"2 3\na 1 2 3\nb 1 2\n", "row 2 has 2 values"),
    (b"1 2\na 1 x\n", "not a number"),
])
def test_broken_vector_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(W2VError, match=message):
        read_vectors(str(path))


def test_missing_vector_file_is_an_error(tmp_path):
    with pytest.raises(W2VError, match="not found"):
        read_vectors(str(tmp_path / "nope.bin"))


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_open(str(path)) as f:
            f.write(b"new, half written")
            raise RuntimeError("disk on fire")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_writing_into_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(W2VError, match="does not exist"):
        write_vectors(str(tmp_path / "no" / "v.bin"), WORDS, MATRIX, binary=True)


def test_c_distance_tool_reads_our_binary(tmp_path):
    tool = peer_tool("word2vec-distance")
    if tool is None:
        pytest.skip("the original word2vec tools (pip install word2vec) are not installed")
    words = [b"</s>", b"apple", b"pear", b"car"]
    matrix = np.array([[0, 0, 1], [1, 0.1, 0], [0.9, 0.2, 0], [0, 1, 0.1]], dtype=np.float32)
    path = tmp_path / "v.bin"
    write_vectors(str(path), words, matrix, binary=True)
    out = subprocess.run([tool, path], input=b"apple\nEXIT\n", capture_output=True, timeout=30).stdout
    lines = [line.split() for line in out.decode().splitlines() if line.strip()]
    ranked = [f[0] for f in lines if len(f) == 2 and f[0] in ("pear", "car", "</s>")]
    assert ranked[:2] == ["pear", "car"]


@pytest.mark.parametrize("binary", [True, False])
def test_nan_or_infinite_values_are_an_error_naming_the_row(tmp_path, binary):
    path = tmp_path / "v"
    bad = MATRIX.copy()
    bad[1, 2] = np.inf if binary else np.nan
    write_vectors(str(path), WORDS, bad, binary=binary)
    with pytest.raises(W2VError, match="row 2 .* NaN or infinite"):
        read_vectors(str(path))


def test_header_that_lies_about_dimensions(tmp_path):
    path = tmp_path / "v.bin"
    write_vectors(str(path), WORDS, MATRIX, binary=True)
    data = path.read_bytes().replace(b"3 3\n", b"3 4\n", 1)
    path.write_bytes(data)
    with pytest.raises(W2VError, match="truncated"):
        read_vectors(str(path))


def test_writing_to_a_full_device_is_a_clear_error(w2v, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    write_vectors(str(tmp_path / "v.bin"), WORDS, MATRIX, binary=True)
    r = w2v("convert", tmp_path / "v.bin", "/dev/full")
    assert r.exit_code == 1 and "No space left on device" in r.stderr
