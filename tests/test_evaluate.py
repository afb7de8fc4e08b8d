import re
import subprocess

import numpy as np
import pytest
from conftest import peer_tool

from w2vcli.evaluate import analogies, spearman, word_pairs
from w2vcli.formats import write_vectors
from w2vcli.vectors import Vectors


def random_vectors(n=400, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n)]
    return words, rng.standard_normal((n, dim)).astype(np.float32)


def test_analogy_finds_the_planted_offset(tmp_path):
    words = ["man", "woman", "king", "queen", "apple"]
    m = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [-1, -1, -1]], dtype=np.float32)
    q = tmp_path / "q.txt"
    q.write_text(": family\nMan Woman King Queen\nman woman king nosuchword\n")
    result = analogies(Vectors(words, m), str(q))
    s = result.sections[0]
    assert (s.name, s.correct, s.seen, s.total) == ("family", 1, 1, 2)
    assert Vectors(words, m).analogy("man", "woman", "king", 1)[0][0] == "queen"


def test_analogy_counts_match_compute_accuracy_c(tmp_path):
    tool = peer_tool("word2vec-compute-accuracy")
    if tool is None:
        pytest.skip("the original word2vec tools (pip install word2vec) are not installed")
    words, matrix = random_vectors()
    # a planted offset makes some questions right, the rest wrong
    matrix[1::2] = matrix[0::2] + 3 * matrix[0]
    path = tmp_path / "v.bin"
    write_vectors(str(path), [w.encode() for w in words], matrix, binary=True)
    rng = np.random.default_rng(1)
    lines = []
    for section in ("capital-common-countries", "gram1-adjective-to-adverb"):
        lines.append(f": {section}")
        for _ in range(60):
            a, c = rng.integers(0, 200, 2) * 2
            lines.append(f"w{a} w{a + 1} w{c} w{c + 1 if rng.random() < 0.7 else c + 3}")
        lines.append("w1 w2 w3 unknownword")
    q = tmp_path / "q.txt"
    q.write_text("\n".join(lines) + "\n")
    out = subprocess.run([tool, path, "300"], stdin=open(q), capture_output=True, text=True, timeout=60).stdout
    c_counts = [tuple(map(int, m)) for m in re.findall(r"\((\d+) / (\d+)\)", out)]
    seen = re.search(r"Questions seen / total: (\d+) (\d+)", out).groups()
    result = analogies(Vectors.load(str(path)), str(q), restrict=300)
    assert [(s.correct, s.seen) for s in result.sections] == c_counts
    assert (result.overall.seen, result.overall.total) == tuple(map(int, seen))


def test_spearman_matches_scipy_with_ties():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, 200).astype(float)
    y = x + rng.normal(0, 3, 200)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)


def test_word_pairs_skip_unknown_words_and_fold_case(tmp_path):
    words, matrix = random_vectors(50)
    pairs = tmp_path / "p.tsv"
    rows = ["# comment", "Word1\tWord2\tScore"]
    rng = np.random.default_rng(2)
    for _ in range(30):
        a, b = rng.integers(0, 50, 2)
        rows.append(f"W{a}\tw{b}\t{rng.random() * 10:.2f}")
    rows.append("w1\tmissing\t5.0")
    pairs.write_text("\n".join(rows) + "\n")
    result = word_pairs(Vectors(words, matrix), str(pairs))
    assert result.pairs == 30 and result.oov == 1
    assert -1 <= result.spearman <= 1


def test_cli_eval_prints_sections_and_totals(tmp_path, w2v):
    words = ["man", "woman", "king", "queen", "apple"]
    m = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [-1, -1, -1]], dtype=np.float32)
    path = tmp_path / "v.txt"
    write_vectors(str(path), [w.encode() for w in words], m, binary=False)
    q = tmp_path / "q.txt"
    q.write_text(": family\nman woman king queen\n")
    r = w2v("eval", "-m", path, "--analogies", q)
    assert r.exit_code == 0
    assert "analogy\tfamily\t100.00\t1/1\t(of 1)" in r.stdout
    assert "analogy\ttotal\t100.00\t1/1\t(of 1)" in r.stdout
