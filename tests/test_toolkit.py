"""classes, vocab, export, plot, --version and completion (phrases: test_phrases.py)."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import peer_tool

from w2vcli.classes import kmeans_classes
from w2vcli.formats import read_vectors, write_vectors
from w2vcli.plot import pca_2d


def c_initial_vectors(rows, dim):
    """word2vec.c's InitNet: an LCG from 1, ((r & 0xFFFF) / 65536 - 0.5) / dim per value."""
    out = np.empty(rows * dim, np.float32)
    r = 1
    for i in range(rows * dim):
        r = (r * 25214903917 + 11) % 2**64
        out[i] = np.float32((np.float32((r & 0xFFFF) / np.float32(65536)) - np.float32(0.5)) / np.float32(dim))
    return out.reshape(rows, dim)


def test_classes_match_word2vec_c_on_the_same_vectors(tmp_path, topics):
    tool = peer_tool("word2vec")
    if tool is None:
        pytest.skip("the original word2vec tool (pip install word2vec) is not installed")
    # with -alpha 0 the C tool's vectors stay at their (reproducible) initial values
    subprocess.run([tool, "-train", topics, "-output", tmp_path / "c_classes.txt", "-size", "10", "-alpha", "0",
                    "-classes", "4", "-min-count", "1", "-threads", "1", "-iter", "1", "-debug", "0"],
                   check=True, capture_output=True)
    rows = [line.split() for line in (tmp_path / "c_classes.txt").read_text().splitlines()]
    ours = kmeans_classes(c_initial_vectors(len(rows), 10), 4)
    assert ours.tolist() == [int(c) for _, c in rows]


def test_classes_group_clustered_vectors_fast(w2v, tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((5, 16)) * 5
    matrix = np.repeat(centres, 40, axis=0) + rng.standard_normal((200, 16))
    truth = np.repeat(np.arange(5), 40)
    path = tmp_path / "v.bin"
    write_vectors(str(path), [b"w%d" % i for i in range(200)], matrix.astype(np.float32), binary=True)
    r = w2v("classes", "-m", path, "-k", 5)
    found = np.array([int(line.split()[1]) for line in r.stdout.splitlines()])
    for c in range(5):  # each planted cluster falls in one class (k-means from word2vec.c's start may merge two)
        assert len(set(found[truth == c])) == 1


def test_train_classes_writes_word_class_lines(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", tmp_path / "cl.txt", "--classes", 3, "--min-count", 1, "--dim", 8, "-q")
    assert r.exit_code == 0
    lines = (tmp_path / "cl.txt").read_text().splitlines()
    assert len(lines) == 25 and lines[0].startswith("</s> ") and {int(x.split()[1]) for x in lines} <= {0, 1, 2}


def test_vocab_command_writes_the_train_vocabulary(tmp_path, topics, w2v):
    r = w2v("vocab", topics, "--min-count", 1)
    assert r.exit_code == 0 and r.stdout.startswith("</s> 3000\n")
    assert "39,000 tokens" in r.stderr
    w2v("train", topics, "-o", tmp_path / "v.bin", "--min-count", 1, "--save-vocab", tmp_path / "saved.txt", "-q",
        "--dim", 4, "--epochs", 1)
    assert (tmp_path / "saved.txt").read_text() == r.stdout


def test_export_aligns_rows_to_the_model_vocabulary(tmp_path, w2v):
    words = [b"</s>", b"paris", b"King", b"the"]
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    write_vectors(str(tmp_path / "v.bin"), words, matrix, binary=True)
    (tmp_path / "model_vocab.txt").write_text("<pad>\nthe\nking\nParis\t12\nnovel\n")
    r = w2v("export", "-m", tmp_path / "v.bin", "--vocab", tmp_path / "model_vocab.txt", "-o", tmp_path / "e.npy",
            "--oov", "zeros")
    assert r.exit_code == 0 and "5 tokens: 1 found, 2 found lower-cased, 2 missing" in r.stderr
    emb = np.load(tmp_path / "e.npy")
    assert emb.tolist() == [[0, 0, 0], [9, 10, 11], [6, 7, 8], [3, 4, 5], [0, 0, 0]]
    w2v("export", "-m", tmp_path / "v.bin", "--vocab", tmp_path / "model_vocab.txt", "-o", tmp_path / "e.npz",
        "--oov", "mean")
    z = np.load(tmp_path / "e.npz")
    assert z["tokens"].tolist() == ["<pad>", "the", "king", "Paris", "novel"]
    assert np.allclose(z["embeddings"][0], [6, 7, 8])  # mean of the three found rows
    w2v("export", "-m", tmp_path / "v.bin", "--vocab", tmp_path / "model_vocab.txt", "-o", tmp_path / "e.txt",
        "--oov", "random", "--seed", 3)
    tokens, rows, binary = read_vectors(str(tmp_path / "e.txt"))
    assert tokens[0] == b"<pad>" and not binary and rows.shape == (5, 3) and np.all(rows[0] != 0)


def test_export_missing_vocab_file_is_an_error(tmp_path, w2v):
    write_vectors(str(tmp_path / "v.bin"), [b"a"], np.ones((1, 2), np.float32), binary=True)
    r = w2v("export", "-m", tmp_path / "v.bin", "--vocab", tmp_path / "none.txt", "-o", tmp_path / "e.npy")
    assert r.exit_code == 1 and "not found" in r.stderr and not (tmp_path / "e.npy").exists()


def test_pca_recovers_a_planted_plane():
    rng = np.random.default_rng(0)
    flat = rng.uniform(-1, 1, (30, 2)) * [3, 1]
    basis, _ = np.linalg.qr(rng.standard_normal((12, 2)))
    coords = pca_2d(flat @ basis.T + 5.0)
    dist = lambda p: np.linalg.norm(p[:, None] - p[None], axis=2)  # noqa: E731
    assert np.allclose(dist(coords), dist(flat - flat.mean(axis=0)), atol=1e-8)


def test_plot_writes_a_standalone_svg(tmp_path, w2v):
    rng = np.random.default_rng(1)
    words = [b"king", b"queen", b"man", b"woman", b"paris", b"a&b"]
    write_vectors(str(tmp_path / "v.bin"), words, rng.standard_normal((6, 8)).astype(np.float32), binary=True)
    r = w2v("plot", "king", "queen", "a&b", "-m", tmp_path / "v.bin", "-o", tmp_path / "map.svg",
            "--neighbours", 1, "--json")
    assert r.exit_code == 0, r.stderr
    root = ET.parse(tmp_path / "map.svg").getroot()
    ns = "{http://www.w3.org/2000/svg}"
    labels = [t.text for t in root.iter(ns + "text")][1:]
    assert {"king", "queen", "a&b"} <= set(labels) and len(root.findall(ns + "circle")) == len(labels)
    points = json.loads(r.stdout)
    assert [p["word"] for p in points if p["query"]] == ["king", "queen", "a&b"]


def test_version_and_shell_completion():
    exe = os.path.join(os.path.dirname(sys.executable), "w2v")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("w2v, version ")
    env = {**os.environ, "_W2V_COMPLETE": "bash_source"}
    script = subprocess.run([exe], env=env, capture_output=True, text=True).stdout
    assert "_w2v_completion" in script
    env = {**os.environ, "_W2V_COMPLETE": "bash_complete", "COMP_WORDS": "w2v ne", "COMP_CWORD": "1"}
    assert "nearest" in subprocess.run([exe], env=env, capture_output=True, text=True).stdout
