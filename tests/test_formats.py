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


# --- files people download: compressed, GloVe, fastText, pipes; parsed a block at a time

import bz2  # noqa: E402
import gzip  # noqa: E402
import lzma  # noqa: E402
import threading  # noqa: E402

from w2vcli.formats import VectorReader  # noqa: E402

OPENERS = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
@pytest.mark.parametrize("binary", [True, False])
def test_compressed_files_read_as_the_plain_ones_whatever_their_name(tmp_path, kind, binary):
    plain = tmp_path / "v"
    write_vectors(str(plain), WORDS, MATRIX, binary=binary)
    packed = tmp_path / "v.data"  # found by its first bytes, not by its name
    with OPENERS[kind](packed, "wb") as f:
        f.write(plain.read_bytes())
    words, matrix, was_binary = read_vectors(str(packed))
    assert words == WORDS and was_binary == binary
    assert np.array_equal(matrix, read_vectors(str(plain))[1])


def test_compressed_file_feeds_the_query_cache(tmp_path, w2v):
    from w2vcli import cache

    plain = tmp_path / "v.bin"
    write_vectors(str(plain), [b"a", b"b", b"c"], np.eye(3, dtype=np.float32) + 0.1, binary=True)
    packed = tmp_path / "v.bin.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    first = w2v("nearest", "a", "-m", packed)
    assert first.exit_code == 0 and os.path.isdir(cache.cache_dir(str(packed)))
    assert isinstance(cache.load(str(packed)).vectors, np.memmap)
    assert w2v("nearest", "a", "-m", packed).stdout == first.stdout

def test_the_cache_keeps_every_word_across_its_write_blocks(tmp_path):
    """The word list is written 64k words at a time: words on both sides of a block's edge,
    non-UTF-8 bytes and the last word come back as they were."""
    from w2vcli import cache

    words = [b"w%d" % i for i in range(70000)]
    words[65535], words[65536], words[-1] = b"edge\xff", "\u00e9t\u00e9".encode(), b"last"
    path = tmp_path / "v.bin"
    write_vectors(str(path), words, np.arange(70000 * 2, dtype=np.float32).reshape(70000, 2), binary=True)
    parsed = cache.load(str(path))
    cached = cache.load(str(path))
    assert isinstance(cached.vectors, np.memmap) and cached.words == parsed.words
    assert [w.encode("utf-8", "surrogateescape") for w in cached.words] == words


def test_a_word_holding_a_newline_is_served_but_not_cached(tmp_path):
    from w2vcli import cache

    vectors = Vectors(["a", "b\nc", "d"], np.eye(3, dtype=np.float32))
    cache._write_cache(str(tmp_path / "v.bin"), vectors)
    assert os.listdir(tmp_path) == []  # neither a cache nor a temp folder



@pytest.mark.parametrize("gzipped", [False, True])
def test_a_fasttext_model_is_named_not_dumped(tmp_path, w2v, gzipped):
    data = (793712314).to_bytes(4, "little") + (12).to_bytes(4, "little") + bytes(range(256)) * 4
    path = tmp_path / ("model.bin.gz" if gzipped else "model.bin")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    r = w2v("nearest", "king", "-m", path)
    assert r.exit_code == 1
    assert "a fastText model" in r.stderr and "fasttext print-word-vectors" in r.stderr and ".vec" in r.stderr
    assert r.stderr.isprintable() or r.stderr.strip().isprintable()
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content,what", [
    (b"\x93NUMPY\x01\x00v\x00", "NumPy"), (b"PK\x03\x04rest", "zip"), (b"\x80\x04\x95rest", "pickle"),
])
def test_other_files_people_pass_are_named(tmp_path, content, what):
    path = tmp_path / "model"
    path.write_bytes(content)
    with pytest.raises(W2VError, match=what):
        read_vectors(str(path))


def test_a_fifo_is_read(tmp_path, w2v):
    plain = tmp_path / "v.bin"
    write_vectors(str(plain), [b"a", b"b", b"c"], np.eye(3, dtype=np.float32) + 0.1, binary=True)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as f:
            f.write(plain.read_bytes())

    writer = threading.Thread(target=feed)
    writer.start()
    r = w2v("nearest", "a", "-m", fifo)
    writer.join()
    assert r.exit_code == 0 and r.stdout.splitlines()[0].split("\t")[0] in ("b", "c")
    assert not os.path.exists(str(fifo) + ".w2vcache")  # a pipe is read once, never cached


NUMBERS = ["0", "-0.000000", "1.500000", "3.", ".25", "-.5", "+2", "1e-05", "1E+02", "-2.5e3", "123456789",
           "0.12345678901234567", "3.0e38", "4.9e-324", "123456789012345678901234",
           "0.000000000000000000000000000001234", "7.0000001", "-1.25E-7", "16777217"]


def test_text_values_are_exactly_what_python_float_gives(tmp_path):
    """The fast path (up to 15 digits, powers of ten to 22) and the rest (Python) agree with
    float() to the last bit, after the cast to float32 that every reader does."""
    rng = np.random.default_rng(0)
    values = NUMBERS + [f"{x:.6f}" for x in rng.normal(0, 1, 200)] + [f"{x:.9g}" for x in rng.normal(0, 1e-3, 200)] \
        + [repr(float(x)) for x in rng.normal(0, 10, 200)] + [f"{x:e}" for x in rng.normal(0, 1e5, 200)]
    values = values[: len(values) // 4 * 4]
    rows = [values[i : i + 4] for i in range(0, len(values), 4)]
    path = tmp_path / "v.txt"
    path.write_bytes(b"%d 4\n" % len(rows) + b"".join(b"w%d %s\n" % (i, " ".join(r).encode()) for i, r in enumerate(rows)))
    _, matrix, _ = read_vectors(str(path))
    want = np.array([[float(x) for x in r] for r in rows]).astype(np.float32)
    assert matrix.tobytes() == want.tobytes()


def test_blocks_of_any_size_read_the_same(tmp_path):
    rng = np.random.default_rng(1)
    words = [b"w%d" % i for i in range(300)]
    matrix = rng.normal(0, 1, (300, 7)).astype(np.float32)
    for binary in (True, False):
        path = tmp_path / f"v{binary}"
        write_vectors(str(path), words, matrix, binary=binary)
        whole = read_vectors(str(path))
        for block in (1, 7, 64, 1000):
            with VectorReader(str(path), block_bytes=block) as reader:
                got_words, got = reader.read_all()
            assert got_words == whole[0] and np.array_equal(got, whole[1])


def test_glove_words_with_spaces_and_blank_lines(tmp_path):
    """GloVe 840B has a few words holding spaces ('at name@domain.com'); blank lines are skipped,
    and a headerless file's rows are counted exactly before its matrix is allocated."""
    path = tmp_path / "glove.txt"
    path.write_bytes(b"the 0.1 0.2\n\n   \nat name@domain.com 0.3 0.4\n. . . 0.5 0.6\nend 0.7 0.8")
    words, matrix, binary = read_vectors(str(path))
    assert not binary and words == [b"the", b"at name@domain.com", b". . .", b"end"]
    assert matrix.shape == (4, 2) and matrix[3].tolist() == pytest.approx([0.7, 0.8])
    path.write_bytes(b"the 0.1 0.2\nbad 1 2 3\n")
    with pytest.raises(W2VError, match="row 2 has 3 values, expected 2"):
        read_vectors(str(path))


def test_a_header_promising_more_than_memory_is_an_error_before_allocating(tmp_path, monkeypatch):
    import w2vcli.formats as formats

    monkeypatch.setattr(formats, "available_memory", lambda: 1 << 20)
    path = tmp_path / "v.gz"  # compressed: no file size to check against
    path.write_bytes(gzip.compress(b"3000000 300\nw " + b"\x00" * 1200 + b"\n"))
    with pytest.raises(W2VError, match="more than the 0.0 GiB of memory available"):
        read_vectors(str(path))


def test_convert_round_trips_and_streams_from_any_kind_of_file(tmp_path, w2v):
    rng = np.random.default_rng(2)
    words = [b"w%d" % i for i in range(50)]
    matrix = rng.normal(0, 1, (50, 6)).astype(np.float32)
    write_vectors(str(tmp_path / "a.bin"), words, matrix, binary=True)
    assert w2v("convert", tmp_path / "a.bin", tmp_path / "a.txt").exit_code == 0
    assert w2v("convert", tmp_path / "a.txt", tmp_path / "b.bin").exit_code == 0
    text_again = read_vectors(str(tmp_path / "b.bin"))[1]
    assert np.allclose(text_again, matrix, atol=5e-7)
    # headerless GloVe (with a blank line) gets its header; a limit and normalising
    glove = tmp_path / "glove.txt"
    glove.write_bytes(b"\n".join(w + b" " + b" ".join(b"%f" % x for x in row) for w, row in zip(words, matrix))
                      + b"\n\n")
    assert w2v("convert", glove, tmp_path / "g.txt").exit_code == 0
    assert (tmp_path / "g.txt").read_bytes().startswith(b"50 6\n")
    assert w2v("convert", gzip_of(tmp_path / "a.bin"), tmp_path / "n.bin", "--limit", 10, "--normalize").exit_code == 0
    got_words, got, _ = read_vectors(str(tmp_path / "n.bin"))
    assert got_words == words[:10] and np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-6)


def gzip_of(path):
    packed = path.with_name(path.name + ".gz")
    packed.write_bytes(gzip.compress(path.read_bytes()))
    return packed


def test_info_streams_and_counts(tmp_path, w2v):
    words = [b"a", b"b", b"a", b"c"]
    matrix = np.array([[3, 4], [0, 1], [1, 0], [0, 2]], np.float32)
    write_vectors(str(tmp_path / "v.bin"), words, matrix, binary=True)
    import json

    facts = json.loads(w2v("info", gzip_of(tmp_path / "v.bin"), "--json").stdout)
    assert (facts["words"], facts["dims"], facts["format"], facts["compressed"]) == (4, 2, "binary", True)
    assert facts["duplicate_words"] == 1 and facts["norm_max"] == 5 and facts["norm_min"] == 1
    assert facts["norm_mean"] == pytest.approx(2.25)


@pytest.mark.parametrize("suffix, decompress", [(".gz", "gzip"), (".bz2", "bz2"), (".xz", "lzma")])
def test_an_output_named_gz_bz2_or_xz_is_compressed_as_named(tmp_path, topics, w2v, suffix, decompress):
    import importlib

    module = importlib.import_module(decompress)
    common = ["--dim", 8, "--min-count", 1, "--threads", 1, "--epochs", 1, "--seed", 2, "-q"]
    assert w2v("train", topics, "-o", tmp_path / "v.bin", *common).exit_code == 0
    r = w2v("train", topics, "-o", tmp_path / f"v.bin{suffix}", "--output-context", tmp_path / f"c.txt{suffix}", *common)
    assert r.exit_code == 0, r.stderr
    assert module.decompress((tmp_path / f"v.bin{suffix}").read_bytes()) == (tmp_path / "v.bin").read_bytes()
    text = module.decompress((tmp_path / f"c.txt{suffix}").read_bytes())
    assert text.split(b"\n", 1)[0] == b"25 8"  # text: .bin only before the compression suffix makes binary
    r = w2v("convert", tmp_path / f"v.bin{suffix}", tmp_path / f"v.txt{suffix}")
    assert r.exit_code == 0, r.stderr
    words, matrix, binary = read_vectors(str(tmp_path / f"v.txt{suffix}"))
    assert not binary and words == read_vectors(str(tmp_path / "v.bin"))[0]


def test_a_text_file_whose_header_disagrees_with_its_rows_is_refused_not_read_as_binary(tmp_path, w2v):
    rows = "".join(f"w{i} " + " ".join(f"{(i + j) / 10:.6f}" for j in range(4)) + "\n" for i in range(5))
    for header in ("5 5", "5 3"):
        (tmp_path / "v.txt").write_text(f"{header}\n{rows}")
        r = w2v("info", tmp_path / "v.txt")
        assert r.exit_code == 1 and "Traceback" not in r.stderr and "values" in r.stderr, r.stderr
    (tmp_path / "v.txt").write_text("3 2\nnew york 0.5 0.25\nbank 1.0 0.0\nriver 0.0 1.0\n")  # a word with a space, first
    words, matrix, binary = read_vectors(str(tmp_path / "v.txt"))
    assert not binary and words[0] == b"new york" and matrix.shape == (3, 2)
