"""w2v phrases: what it joins, and its output against word2phrase.c's byte for byte."""

import os
import random
import subprocess
import tempfile

import pytest

from conftest import peer_tool

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
