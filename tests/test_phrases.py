"""w2v phrases: what it joins, and its output against word2phrase.c's byte for byte."""

import os
import random
import subprocess
import tempfile

import pytest
from conftest import peer_tool

import w2vcli.phrases
from w2vcli.corpus import iter_tokens

PLANTED = [("new", "york"), ("san", "francisco"), ("los", "angeles"), ("united", "states")]


def phrase_corpus(path, seed=0, lines=4000, rate=0.02, triples=0.0):
    rng = random.Random(seed)
    filler = [f"w{i}" for i in range(300)]
    with open(path, "w") as f:
        for _ in range(lines):
            words = []
            for _ in range(rng.randint(3, 25)):
                if rng.random() < rate:
                    words += list(rng.choice(PLANTED))
                elif rng.random() < triples:
                    words += ["new", "york", "times"]
                else:
                    words.append(rng.choice(filler))
            f.write(" ".join(words) + "\n")
    return path


def test_phrases_joins_the_planted_pairs_and_nothing_else(tmp_path, w2v):
    corpus = phrase_corpus(tmp_path / "c.txt")
    r = w2v("phrases", corpus, "-o", tmp_path / "p.txt")
    assert r.exit_code == 0, r.stderr
    joined = {w for w in (tmp_path / "p.txt").read_text().split() if "_" in w}
    assert joined == {"_".join(p) for p in PLANTED}


def test_two_passes_build_longer_phrases(tmp_path, w2v):
    corpus = phrase_corpus(tmp_path / "c.txt", lines=6000, rate=0.01, triples=0.01)
    w2v("phrases", corpus, "-o", tmp_path / "p.txt", "--passes", 2, "--threshold", 30)
    assert "new_york_times" in (tmp_path / "p.txt").read_text().split()


def test_phrases_output_is_word2phrase_c_byte_for_byte(tmp_path, w2v):
    tool = peer_tool("word2phrase")
    if tool is None:
        pytest.skip("word2phrase (pip install word2vec) is not installed")
    with tempfile.TemporaryDirectory(dir="/tmp") as short:  # word2phrase.c keeps file names in 60 bytes
        corpus = phrase_corpus(os.path.join(short, "c.txt"), seed=5, triples=0.01)
        for threshold in ("100", "40"):
            c_path = os.path.join(short, "o.txt")
            subprocess.run([tool, "-train", corpus, "-output", c_path, "-threshold", threshold,
                            "-min-count", "5", "-debug", "0"], check=True, capture_output=True)
            c_out = open(c_path, "rb").read()
            w2v("phrases", corpus, "-o", tmp_path / "ours.txt", "--threshold", threshold, "-q")
            assert b"_" in c_out
            assert (tmp_path / "ours.txt").read_bytes() == c_out


@pytest.fixture
def word2phrase(w2v):
    """Run word2phrase.c and w2v phrases on the same text; returns (ours, theirs)."""
    tool = peer_tool("word2phrase")
    if tool is None:
        pytest.skip("word2phrase (pip install word2vec) is not installed")
    with tempfile.TemporaryDirectory(dir="/tmp") as short:  # word2phrase.c keeps file names in 60 bytes

        def run(text: str, threshold: str, min_count: int, passes: int = 1) -> tuple[bytes, bytes]:
            corpus = os.path.join(short, "c.txt")
            with open(corpus, "wb") as f:
                f.write(text.encode())
            current = corpus
            for p in range(passes):  # the C tool does one pass: run it again on its output
                out = os.path.join(short, f"c{p + 1}.txt")
                subprocess.run([tool, "-train", current, "-output", out, "-threshold", threshold,
                                "-min-count", str(min_count), "-debug", "0"], check=True, capture_output=True)
                current = out
            ours = os.path.join(short, "ours.txt")
            r = w2v("phrases", corpus, "-o", ours, "--threshold", threshold, "--min-count", min_count,
                    "--passes", passes, "-q")
            assert r.exit_code == 0, r.stderr
            return open(ours, "rb").read(), open(current, "rb").read()

        yield run


def lines(*rows, times=1):
    return "".join(row + "\n" for row in rows) * times


FILLER = lines("f1 f2 f3 f4", "f5 f6 f7 f8", times=6)  # more words: higher scores


def test_long_words_are_cut_to_58_bytes_as_word2phrase_c_reads_them(word2phrase):
    stem = "x" * 58  # word2phrase.c: a word of 59 bytes or more keeps its first 58 (training keeps 98)
    longs = [stem, stem + "a", stem + "bc", stem + "d" * 41, stem + "e" * 42, stem + "f" * 100]
    text = "start\n" + lines(*(w + " tail" for w in longs), times=2) + lines("y" * 57 + " tail") + FILLER
    ours, theirs = word2phrase(text, "1", 5)
    assert (stem + "_tail").encode() in theirs and b"a tail" not in theirs
    assert ours == theirs


def test_a_pair_shares_its_count_with_the_word_spelled_like_it(word2phrase):
    # 4 pairs "new york" and 4 tokens "new_york": key new_york counted 8 times; "a_ b" and "a _b": key a__b 6
    text = "start\n" + lines("the new york", "new_york is", times=4) + lines("new", "york", "a_", "b", "a", "_b", times=2)
    text += lines("a_ b", "a _b", times=3) + FILLER
    for passes in (1, 2):
        ours, theirs = word2phrase(text, "1", 5, passes)
        assert b"the new_york" in theirs and b" a__b\n a__b" in theirs
        assert ours == theirs


def test_pair_keys_longer_than_59_bytes_meet_after_the_cut(word2phrase):
    left, left58 = "p" * 40, "r" * 58  # keys p*40 + "_" + q*18 and r*58 + "_": the same for every right word
    rights = ["q" * 25 + str(i) for i in range(4)]
    text = "start\n" + lines(*(f"{left} {r}" for r in rights), *(f"{left58} {r}" for r in rights), times=2)
    text += lines(*rights) + FILLER
    ours, theirs = word2phrase(text, "2", 3)
    assert f"{left}_{rights[0]}".encode() in theirs and f"{left58}_{rights[1]}".encode() in theirs
    assert ours == theirs


def test_after_a_line_end_the_key_is_the_line_end_and_the_word(word2phrase):
    # a word starting a line is looked up as "</s>_word", so tokens "</s>_b" join it to the line
    # before, across blank lines too, unless that line's last word was joined to its left
    text = "start\n" + lines("k1 a", "b y1", "k2 a", "", "", "b y2", "k3 a", "b y3", "w a", "b y4")
    text += lines("w a w a w a", "</s>_b " * 6) + FILLER
    ours, theirs = word2phrase(text, "2", 3)
    assert b"k1 a\n_b y1" in theirs and b"k2 a\n\n\n_b y2" in theirs and b"w_a\n b y4" in theirs
    assert ours == theirs


def test_min_count_1_loses_the_last_word_counted_once(word2phrase):
    # with min_count 1, SortVocab loses the string it sorts last, here the word q: "p q" is not
    # joined, though its key p_q has count 6 ("m n" with its key m_n counted 3 times is)
    text = lines("start", "m n m_n m_n", "p_q p_q p_q p_q p_q", "p q")
    ours, theirs = word2phrase(text, "10", 1)
    assert theirs.endswith(b" p q\n") and b" m_n m_n m_n" in theirs
    assert ours == theirs


def test_the_joiner_only_changes_the_output(word2phrase, w2v, tmp_path):
    text = "start\n" + lines("the new york", "new_york is", times=3) + lines("new", "york", times=2) + FILLER
    _, theirs = word2phrase(text, "2", 5)
    (tmp_path / "c.txt").write_text(text)
    w2v("phrases", tmp_path / "c.txt", "-o", tmp_path / "plus.txt", "--threshold", "2", "--joiner", "+", "-q")
    plus = (tmp_path / "plus.txt").read_bytes()
    assert b"new+york" in plus and b"new_york" in plus
    assert plus.replace(b"+", b"_") == theirs


POOL = ["a", "b", "c", "a_b", "b_c", "a_", "_b", "a_b_c", "</s>_a", "</s>_b_c", "</s>", "p" * 40, "q" * 25 + "1",
        "q" * 25 + "2", "r" * 58, "r" * 58 + "s", "r" * 70, "r" * 99, "r" * 120, "p" * 40 + "_" + "q" * 18]


def random_text(seed: int) -> str:
    """Lines from a few words built to collide: a_b tokens, long words and keys, line-end keys."""
    rng = random.Random(seed)
    vocab = rng.sample(POOL, 12)
    weights = [rng.random() for _ in vocab]
    rows = [" ".join(rng.choices(vocab, weights, k=rng.randint(0, 9))) for _ in range(300)]
    return "start\n" + lines(*rows).replace(" ", "\t", 30).replace("\n", "\r\n", 30)


# thresholds no score of these corpora lands on: a word2phrase built with -ffast-math (as the PyPI
# package's is) divides by count(a) * count(b), which rounds differently exactly there
@pytest.mark.parametrize("seed, min_count, threshold, passes",
                         [(1, 1, "0.71", 1), (2, 2, "3.31", 2), (3, 3, "11.9", 1), (4, 5, "1.73", 2), (5, 1, "4.9", 2)])
def test_random_corpora_with_many_collisions(word2phrase, monkeypatch, tmp_path, seed, min_count, threshold, passes):
    text = random_text(seed)
    ours, theirs = word2phrase(text, threshold, min_count, passes)
    assert theirs.count(b"_") > text.count("_") + 10  # it joined words
    assert ours == theirs
    # and the same when the corpus comes in blocks of a few bytes
    monkeypatch.setattr(w2vcli.phrases, "iter_tokens", lambda stream: iter_tokens(stream, block_bytes=7))
    (tmp_path / "c.txt").write_text(text)
    w2vcli.phrases.phrases(str(tmp_path / "c.txt"), str(tmp_path / "small.txt"), float(threshold), min_count, passes)
    assert (tmp_path / "small.txt").read_bytes() == theirs
