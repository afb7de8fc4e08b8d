import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from conftest import peer_tool

from w2vcli import cache
from w2vcli.evaluate import analogies, word_pairs
from w2vcli.formats import write_vectors
from w2vcli.vectors import Vectors

models = pytest.importorskip("gensim.models")


@pytest.fixture(scope="module")
def vec_file(tmp_path_factory):
    """300 words in 10 clusters plus a shared 'gender' offset, so analogies have real answers."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((10, 24))
    offset = rng.standard_normal(24)
    words, rows = [], []
    for i in range(150):
        base = centres[i % 10] + 0.6 * rng.standard_normal(24)
        words += [f"m{i}", f"f{i}"]
        rows += [base, base + offset]
    path = tmp_path_factory.mktemp("vec") / "v.bin"
    write_vectors(str(path), [w.encode() for w in words], np.array(rows, dtype=np.float32), binary=True)
    return path


def same(ours, theirs):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


def test_nearest_and_analogies_match_gensim(vec_file):
    ours = Vectors.load(str(vec_file))
    kv = models.KeyedVectors.load_word2vec_format(str(vec_file), binary=True)
    for w in ("m0", "f7", "m33"):
        same(ours.nearest(w, 10), kv.most_similar(positive=[w], topn=10))
    same(ours.nearest(["m1", "f2"], 10), kv.most_similar(positive=["m1", "f2"], topn=10))
    same(ours.analogy("m3", "f3", "m8", 10), kv.most_similar(positive=["f3", "m8"], negative=["m3"], topn=10))
    same(ours.analogy("m3", "f3", "m8", 10, method="mul"),
         kv.most_similar_cosmul(positive=["f3", "m8"], negative=["m3"], topn=10))
    assert ours.similarity("m1", "f9") == pytest.approx(float(kv.similarity("m1", "f9")), abs=1e-6)


def test_cached_vectors_answer_the_same(vec_file):
    fresh = Vectors.load(str(vec_file), cache=False)
    shutil.rmtree(cache.cache_dir(str(vec_file)), ignore_errors=True)
    cache.load(str(vec_file))  # builds the cache
    cached = cache.load(str(vec_file))
    assert isinstance(cached.vectors, np.memmap)  # really came from the cache
    same(cached.nearest("m5", 10), fresh.nearest("m5", 10))
    assert np.array_equal(cached.vectors, fresh.vectors)  # the very values: export gives the same bits


def test_evaluation_matches_gensim(vec_file, tmp_path):
    rng = np.random.default_rng(3)
    lines = []
    for section in ("capital-world", "gram3-comparative"):
        lines.append(f": {section}")
        for _ in range(80):
            a, b = rng.integers(0, 150, 2)
            lines.append(f"m{a} f{a} m{b} f{b}" if rng.random() < 0.8 else f"m{a} f{a} m{b} m{b}")
        lines.append("m1 f1 nosuch f2")
    questions = tmp_path / "q.txt"
    questions.write_text("\n".join(lines) + "\n")
    pairs = tmp_path / "p.tsv"
    pairs.write_text("\n".join(f"m{a}\tf{b}\t{s:.2f}" for a, b, s in zip(
        rng.integers(0, 150, 60), rng.integers(0, 150, 60), rng.random(60) * 10)) + "\nm1\tnosuch\t3\n")
    ours = Vectors.load(str(vec_file))
    kv = models.KeyedVectors.load_word2vec_format(str(vec_file), binary=True)
    theirs_total, theirs_sections = kv.evaluate_word_analogies(str(questions), restrict_vocab=300_000)
    result = analogies(ours, str(questions), restrict=300_000)
    assert result.overall.accuracy == pytest.approx(theirs_total, abs=1e-9)
    for mine, s in zip(result.sections, theirs_sections):
        assert (mine.correct, mine.seen - mine.correct) == (len(s["correct"]), len(s["incorrect"]))
    pearson, (rho, _), oov_ratio = kv.evaluate_word_pairs(str(pairs))
    r = word_pairs(ours, str(pairs))
    assert r.spearman == pytest.approx(rho, abs=1e-6)
    assert r.oov / (r.oov + r.pairs) * 100 == pytest.approx(oov_ratio)


@pytest.mark.parametrize("binary", [1, 0])
def test_files_written_by_word2vec_c_load_like_gensim_loads_them(tmp_path, topics, binary):
    tool = peer_tool("word2vec")
    if tool is None:
        pytest.skip("the original word2vec tool (pip install word2vec) is not installed")
    out = tmp_path / "c.vec"
    subprocess.run([tool, "-train", topics, "-output", out, "-size", "10", "-min-count", "1", "-threads", "1",
                    "-iter", "1", "-binary", str(binary)], check=True, capture_output=True)
    ours = Vectors.load(str(out))
    kv = models.KeyedVectors.load_word2vec_format(str(out), binary=bool(binary))
    assert ours.words == kv.index_to_key and ours.words[0] == "</s>"
    assert np.allclose(ours.matrix, kv.vectors, atol=1e-6)


def test_glove_text_without_header_loads(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("the 0.1 0.2 0.3\nof -0.5 0.5 1\nnaïve 1 2 3\n")
    v = Vectors.load(str(path))
    assert v.words == ["the", "of", "naïve"] and v.matrix.shape == (3, 3)


def test_cli_nearest_tsv_json_env_and_stdin(vec_file, w2v, monkeypatch):
    r = w2v("nearest", "m0", "-m", vec_file, "-n", 3)
    assert r.exit_code == 0
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert len(rows) == 3 and all(len(row) == 2 for row in rows)
    monkeypatch.setenv("W2V_MODEL", str(vec_file))
    r = w2v("nearest", "m0", "--json", "-n", 3)
    assert json.loads(r.stdout)["results"][0]["word"] == rows[0][0]
    r = w2v("nearest", "-n", 2, input="m0\nnosuchword\nm1 f1\n")
    assert r.exit_code == 1  # one line failed, the rest were answered
    assert "line 2: unknown word 'nosuchword'" in r.stderr
    lines = [line.split("\t") for line in r.stdout.splitlines()]
    assert [line[0] for line in lines] == ["m0", "m0", "m1 f1", "m1 f1"]
    r = w2v("nearest", "--json", "-n", 2, input="m0\nnosuchword\n")
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(objs[0]["results"]) == 2 and "unknown word" in objs[1]["error"]


def test_cli_analogy_similarity_eval_convert_info(vec_file, w2v, tmp_path):
    r = w2v("analogy", "m3", "f3", "m8", "-m", vec_file, "-n", 1)
    assert r.exit_code == 0 and r.stdout.split("\t")[0] == "f8"
    r = w2v("analogy", "-m", vec_file, "-n", 1, input="m3 f3 m8\nm1 f1\n")
    assert r.stdout.startswith("m3 f3 m8\tf8\t") and "expected 3 words" in r.stderr and r.exit_code == 1
    r = w2v("similarity", "m1", "m1", "-m", vec_file)
    assert float(r.stdout) == pytest.approx(1.0, abs=1e-6)
    r = w2v("similarity", "-m", vec_file, input="m1\tf1\nm1 zzz\n")
    assert r.stdout.startswith("m1\tf1\t") and r.exit_code == 1
    r = w2v("eval", "-m", vec_file, "--json")  # bundled questions-words and WordSim353
    report = json.loads(r.stdout)
    assert report["analogies"][-1]["section"] == "total" and report["analogies"][-1]["questions"] == 19544
    assert report["pairs"][0]["file"] == "wordsim353.tsv"
    r = w2v("convert", vec_file, tmp_path / "v.txt", "--limit", 5, "--normalize")
    assert r.exit_code == 0
    small = Vectors.load(str(tmp_path / "v.txt"))
    assert len(small) == 5 and np.allclose(np.linalg.norm(small.matrix, axis=1), 1, atol=1e-5)
    r = w2v("info", tmp_path / "v.txt", "--json")
    facts = json.loads(r.stdout)
    assert (facts["words"], facts["dims"], facts["format"]) == (5, 24, "text")


def test_cache_is_rebuilt_when_the_file_changes_and_skipped_with_no_cache(tmp_path, w2v):
    path = tmp_path / "v.bin"
    write_vectors(str(path), [b"a", b"b", b"c"], np.eye(3, dtype=np.float32), binary=True)
    assert w2v("nearest", "a", "-m", path, "--no-cache").exit_code == 0
    assert not os.path.exists(cache.cache_dir(str(path)))
    w2v("nearest", "a", "-m", path)
    assert os.path.isdir(cache.cache_dir(str(path)))
    write_vectors(str(path), [b"a", b"b", b"d"], np.eye(3, dtype=np.float32), binary=True)
    os.utime(path, ns=(1, 1))  # a different mtime, whatever the clock's resolution
    r = w2v("nearest", "a", "-m", path, "-n", 2)
    assert "d\t" in r.stdout and "c\t" not in r.stdout
