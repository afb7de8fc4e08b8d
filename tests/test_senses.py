import numpy as np
import pytest
from conftest import MONEY, RIVER, two_sense_corpus

from w2vcli.corpus import iter_tokens
from w2vcli.hogwild import TrainConfig, train
from w2vcli.senses import find_senses, spherical_kmeans
from w2vcli.vectors import Vectors
from w2vcli.vocab import encode


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """'bank' in river lines and in money lines (two senses, labels known); 'cat' only in animal lines."""
    path = tmp_path_factory.mktemp("senses") / "corpus.txt"
    labels = two_sense_corpus(path)
    with open(path, "rb") as f:
        corpus = encode(iter_tokens(f), min_count=1)
    result, _ = train(corpus, TrainConfig(dim=24, epochs=3, threads=1, sample=0, seed=1))
    vectors = Vectors([w.decode() for w in result.words], result.vectors)
    return path, vectors, np.array(labels)


def purity(found, truth):
    return sum(np.bincount(truth[found == c]).max() for c in np.unique(found)) / len(truth)


def test_a_word_used_in_two_topics_gets_two_pure_senses(planted):
    path, vectors, truth = planted
    r = find_senses(vectors, str(path), "bank", contexts=10_000)
    assert len(r.senses) == 2
    assert r.occurrences == r.sampled == len(truth)
    assert purity(r.labels, truth) >= 0.9
    names = [{w for w, _ in s.neighbours} for s in r.senses]
    assert any(n & set(RIVER) for n in names) and any(n & set(MONEY) for n in names)
    assert all("[bank]" in e for s in r.senses for e in s.examples)


def test_a_word_with_one_sense_is_not_split(planted):
    path, vectors, _ = planted
    r = find_senses(vectors, str(path), "cat", contexts=10_000)
    assert len(r.senses) == 1 and r.senses[0].share == 1.0


def test_sampling_is_bounded_and_forcing_k_works(planted):
    path, vectors, _ = planted
    r = find_senses(vectors, str(path), "bank", contexts=300, senses=3)
    assert r.sampled == 300 and r.occurrences == 4000 and len(r.senses) == 3
    assert abs(sum(s.share for s in r.senses) - 1) < 1e-9


def test_kmeans_on_clear_clusters():
    rng = np.random.default_rng(0)
    a = rng.normal([5, 0, 0], 0.3, (50, 3))
    b = rng.normal([0, 5, 0], 0.3, (50, 3))
    x = np.vstack([a, b])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels, _ = spherical_kmeans(x, 2)
    assert purity(labels, np.repeat([0, 1], 50)) == 1.0


def test_tagging_rewrites_each_occurrence_with_its_sense(planted, tmp_path, w2v):
    path, vectors, truth = planted
    vectors.save(str(tmp_path / "v.bin"))
    (tmp_path / "words.txt").write_text("bank\ncat\n")
    r = w2v("senses", "--tag", tmp_path / "words.txt", "-m", tmp_path / "v.bin", "--corpus", path,
            "-o", tmp_path / "tagged.txt", "--contexts", 10_000)
    assert r.exit_code == 0, r.stderr
    lines = (tmp_path / "tagged.txt").read_text().splitlines()
    assert len(lines) == 6000
    tags = [next(w for w in line.split() if w.startswith("bank#")) for line in lines if "bank" in line]
    assert len(tags) == len(truth) and set(tags) == {"bank#1", "bank#2"}
    assert purity(np.array([int(t[-1]) for t in tags]), truth) >= 0.9
    assert not any("cat#" in line for line in lines)  # one sense: left as it is
    # the tagged corpus trains one vector per sense
    r = w2v("train", tmp_path / "tagged.txt", "-o", tmp_path / "senses.bin", "--min-count", 1, "--dim", 16, "-q")
    sense_vectors = Vectors.load(str(tmp_path / "senses.bin"))
    assert "bank#1" in sense_vectors and "bank#2" in sense_vectors


def test_cli_senses_tsv_and_json(planted, w2v, tmp_path):
    path, vectors, _ = planted
    vectors.save(str(tmp_path / "v.bin"))
    r = w2v("senses", "bank", "-m", tmp_path / "v.bin", "--corpus", path, "--json", "-n", 3)
    import json

    report = json.loads(r.stdout)
    assert len(report["senses"]) == 2 and len(report["senses"][0]["neighbours"]) == 3
    r = w2v("senses", "nosuchword", "-m", tmp_path / "v.bin", "--corpus", path)
    assert r.exit_code == 1 and "unknown word 'nosuchword'" in r.stderr


def test_the_scores_behind_the_count_are_shown(planted, w2v, tmp_path):
    """Each K's score (its two closest senses' cosine) against the threshold: below it for bank's
    two senses, above it for any split of cat, and for a third sense of bank."""
    import json

    path, vectors, _ = planted
    vectors.save(str(tmp_path / "v.bin"))
    report = json.loads(w2v("senses", "bank", "-m", tmp_path / "v.bin", "--corpus", path, "--json").stdout)
    scores, threshold = report["scores"], report["threshold"]
    assert set(scores) == {"2", "3", "4", "5"} and scores["2"] < threshold <= scores["3"]
    r = w2v("senses", "cat", "-m", tmp_path / "v.bin", "--corpus", path, "--max-senses", 3)
    assert r.exit_code == 0 and "cat: 1 sense(s)" in r.stderr
    line = r.stderr.strip().splitlines()[-1]
    shown = dict(part.split(": ") for part in line.split("2..3 senses: ")[1].split("; ")[0].split(", "))
    assert set(shown) == {"2", "3"} and all(float(v) >= threshold for v in shown.values()), line


def test_forcing_more_senses_than_distinct_contexts_gives_fewer_not_nan(tmp_path, w2v):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a x b\n" * 300 + "c y d e f\n" * 300)  # every context of x is the same
    r = w2v("train", corpus, "-o", tmp_path / "v.txt", "--dim", 8, "--min-count", 1, "--threads", 1, "-q")
    assert r.exit_code == 0, r.stderr
    r = w2v("senses", "x", "-m", tmp_path / "v.txt", "--corpus", corpus, "--senses", 3, "--json")
    assert r.exit_code == 0, r.stderr
    import json

    result = json.loads(r.stdout)
    assert len(result["senses"]) == 1 and "NaN" not in r.stdout and "Infinity" not in r.stdout
