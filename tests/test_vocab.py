import io
import subprocess

import numpy as np
import pytest
from conftest import peer_tool

from w2vcli.corpus import EOS, iter_tokens
from w2vcli.errors import W2VError
from w2vcli.vocab import Vocab, encode


def encode_bytes(data: bytes, **kw):
    return encode(iter_tokens(io.BytesIO(data), block_bytes=kw.pop("block_bytes", 1 << 20)), **kw)


def test_order_is_eos_first_then_descending_count_ties_by_first_appearance():
    enc = encode_bytes(b"y x b a b c a b\n", min_count=1)
    assert enc.vocab.words == [EOS, b"b", b"a", b"y", b"x", b"c"]
    assert enc.vocab.counts.tolist() == [1, 3, 2, 1, 1, 1]


def test_ids_follow_the_vocabulary_and_rare_words_are_dropped():
    enc = encode_bytes(b"a b a rare a b\nb", min_count=2)
    assert enc.vocab.words == [EOS, b"a", b"b"]
    words = enc.vocab.words
    assert [words[i] for i in enc.ids] == [b"a", b"b", b"a", b"a", b"b", EOS, b"b"]
    assert enc.tokens == 8


def test_eos_is_kept_even_when_rare():
    enc = encode_bytes(b"a a a a a", min_count=5)
    assert enc.vocab.words == [EOS, b"a"] and enc.vocab.counts.tolist() == [0, 5]


def test_ids_are_the_same_whatever_the_block_size():
    data = b" ".join(b"w%d" % (i % 97) for i in range(20000))
    a = encode_bytes(data, min_count=1, block_bytes=1 << 20)
    b = encode_bytes(data, min_count=1, block_bytes=50)
    assert a.vocab.words == b.vocab.words
    assert np.array_equal(a.ids, b.ids)


def test_pruning_forgets_rare_words_but_keeps_frequent_ones():
    frequent = b"the of and " * 200
    rare = b" ".join(b"r%d" % i for i in range(3000))
    enc = encode_bytes(frequent + rare + b" " + frequent, min_count=1, max_vocab=100, block_bytes=256)
    assert enc.pruned > 0
    assert set(enc.vocab.words[1:4]) == {b"the", b"of", b"and"}
    assert len(enc.vocab) <= 101 + 1


def test_empty_corpus_is_an_error():
    with pytest.raises(W2VError, match="empty"):
        encode_bytes(b"  \r\t ")


def test_no_word_reaching_min_count_is_an_error_that_says_so():
    with pytest.raises(W2VError, match="min-count=5.*occurs 2 times"):
        encode_bytes(b"a b a c", min_count=5)


def test_save_and_read_round_trip(tmp_path):
    enc = encode_bytes(b"b a b c a b\nc c c c", min_count=1)
    path = tmp_path / "vocab.txt"
    enc.vocab.save(str(path))
    assert path.read_bytes() == b"</s> 1\nc 5\nb 3\na 2\n"
    back = Vocab.read(str(path))
    assert back.words == enc.vocab.words and back.counts.tolist() == enc.vocab.counts.tolist()
    assert Vocab.read(str(path), min_count=3).words == [EOS, b"c", b"b"]


def test_read_vocab_sorts_and_adds_a_missing_sentence_end(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"a 2\nb 9\n")
    vocab = Vocab.read(str(path))
    assert vocab.words == [EOS, b"b", b"a"] and vocab.counts.tolist() == [0, 9, 2]


@pytest.mark.parametrize("content,message", [
    (b"a 2\nb\n", "expected 'word count'"),
    (b"a x\n", "expected 'word count'"),
    (b"a 1\na 2\n", "twice"),
    (b"\n\n", "no words"),
])
def test_bad_vocab_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "v.txt"
    path.write_bytes(content)
    with pytest.raises(W2VError, match=message):
        Vocab.read(str(path))


def test_encoding_against_a_fixed_vocabulary_drops_unknown_words():
    vocab = Vocab([EOS, b"a", b"b"], np.array([0, 5, 3]))
    enc = encode(iter_tokens(io.BytesIO(b"a z b a\n")), vocab=vocab)
    assert enc.ids.tolist() == [1, 2, 1, 0]


def test_vocabulary_matches_word2vec_c(tmp_path):
    tool = peer_tool("word2vec")
    if tool is None:
        pytest.skip("the original word2vec tool (pip install word2vec) is not installed")
    long = bytes(range(65, 91)) * 10  # words of 97 to 260 bytes: cut as the C tool cuts them
    words = [b"w%d" % (i * 7919 % 50) for i in range(3000)] + [b"caf\xc3\xa9"] * 6 \
        + [long[:n] for n in (97, 98, 99, 100, 101, 260) for _ in range(3)]
    data = b""
    for i in range(0, len(words), 17):
        data += b" ".join(words[i : i + 17]) + (b"\n" if i % 3 else b" \t ")
    data += b"\n"
    corpus = tmp_path / "c.txt"
    corpus.write_bytes(data)
    c_vocab = tmp_path / "c_vocab.txt"
    subprocess.run([tool, "-train", corpus, "-save-vocab", c_vocab, "-min-count", "3"],
                   check=True, capture_output=True)
    ours = tmp_path / "our_vocab.txt"
    encode_bytes(data, min_count=3).vocab.save(str(ours))
    assert ours.read_bytes() == c_vocab.read_bytes()


def test_a_large_corpus_goes_to_disk_and_trains_the_same(tmp_path):
    from w2vcli.hogwild import TrainConfig, train
    from w2vcli.idstore import mapped_file

    data = b" ".join(b"w%d" % (i * 7 % 113) for i in range(60_000)) + b"\nend of line\n"
    memory = encode_bytes(data, min_count=1, block_bytes=4096)
    disk = encode_bytes(data, min_count=1, block_bytes=4096, in_memory_tokens=5000)
    assert disk.vocab.words == memory.vocab.words
    assert mapped_file(disk.ids) is not None and mapped_file(memory.ids) is None  # spilled: a file map
    assert np.array_equal(disk.ids, memory.ids)
    config = TrainConfig(dim=8, epochs=2, threads=1, seed=3)
    a, _ = train(memory, config)
    b, _ = train(disk, config)
    assert np.array_equal(a.vectors, b.vectors)
    vocab = Vocab(memory.vocab.words, memory.vocab.counts)
    fixed = encode(iter_tokens(io.BytesIO(data), block_bytes=4096), vocab=vocab, in_memory_tokens=5000)
    assert np.array_equal(fixed.ids, memory.ids)


def test_several_files_and_globs_read_in_order_as_one_corpus(tmp_path, w2v):
    """`w2v vocab 'shards/*.txt' more.txt` counts what the files concatenated hold; a file that
    does not end its last line still ends its last sentence; a glob matching nothing, or a
    missing file, is an error naming it."""
    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "b.txt").write_bytes(b"b a a\nc c")  # no final newline
    (shards / "a.txt").write_bytes(b"a b\n")
    (tmp_path / "more.txt").write_bytes(b"d a\n")
    r = w2v("vocab", str(shards / "*.txt"), tmp_path / "more.txt", "--min-count", 1, "-q")
    assert r.exit_code == 0, r.stderr
    whole = encode(iter_tokens(io.BytesIO(b"a b\nb a a\nc c\nd a\n")), min_count=1).vocab
    assert r.stdout_bytes == b"".join(b"%s %d\n" % (w, c) for w, c in zip(whole.words, whole.counts.tolist()))
    r = w2v("vocab", str(tmp_path / "none-*.txt"), "--min-count", 1)
    assert r.exit_code == 1 and "no file matches" in r.stderr and "none-*.txt" in r.stderr
    r = w2v("train", shards / "a.txt", tmp_path / "gone.txt", "-o", tmp_path / "v.bin", "--min-count", 1)
    assert r.exit_code == 1 and "gone.txt not found" in r.stderr
