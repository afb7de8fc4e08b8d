"""Multi-sense skip-gram (multisense.py): the kernel against the plain reference loop, a planted
two-sense word learnt as two senses, and the word#k rows that `w2v train --senses` writes, read
back by the other commands."""

import numpy as np
import pytest
from conftest import MONEY, RIVER, topic_corpus, two_sense_corpus

import w2vcli
from w2vcli import kernels, multisense, reference
from w2vcli.corpus import iter_tokens
from w2vcli.hogwild import TrainConfig, _thread_seed, train
from w2vcli.pseudowords import purity
from w2vcli.tables import (
    NegativeSampler,
    keep_probabilities,
    loss_tables,
    sigmoid_table,
)
from w2vcli.vocab import encode



def reference_run(corpus, config, state):
    """The reference loop over the same corpus from the same start, on unpadded copies of the sense arrays."""
    vocab, ids = corpus.vocab, corpus.ids
    v, dim = len(vocab), config.dim
    syn0 = np.zeros((v, dim), np.float32)
    kernels.fill_random(syn0, dim, config.seed)
    syn1neg = np.zeros((v, dim), np.float32)
    sampler = NegativeSampler.from_counts(vocab.counts, config.ns_exponent)
    tab = kernels.Tables(sampler.prob, sampler.alias, np.zeros((1, 1), np.int32), np.zeros((1, 1), np.int8),
                         np.zeros(1, np.int32), keep_probabilities(vocab.counts, config.sample), sigmoid_table(),
                         *loss_tables())
    schedule = kernels.Schedule(config.start_alpha, config.end_alpha, float(config.epochs * len(ids)))
    senses = state._replace(vectors=state.vectors[:, :dim].copy(), centres=state.centres[:, :dim].copy(),
                            counts=state.counts.copy(), used=state.used.copy())
    rng = reference.Random(_thread_seed(config.seed, 0))
    losses = []
    for epoch in range(config.epochs):
        loss, pairs = reference.multisense(ids, syn0, syn1neg, tab, config.window, config.negative, schedule,
                                           epoch * len(ids), rng, senses)
        losses.append(loss / pairs)
    return syn0, syn1neg, senses, losses


def test_the_kernel_trains_what_the_reference_trains(tmp_path):
    with open(topic_corpus(tmp_path / "c.txt", sentences=150, length=10), "rb") as f:
        corpus = encode(iter_tokens(f), min_count=1)
    config = TrainConfig(dim=8, epochs=2, threads=1, window=3, sample=0.02, seed=4, alpha=0.1, negative=4)
    options = multisense.SenseOptions(top=6, max_senses=3, new_sense=0.97)
    state = multisense.start(corpus.vocab.words, len(corpus.ids), config.epochs, config.dim, options, config.seed)
    state = state._replace(warmup=len(corpus.ids) / 4)  # senses told apart from a quarter of the way
    syn0, syn1neg, senses, losses = reference_run(corpus, config, state)
    model, progress = train(corpus, config, senses=state)
    assert senses.used.max() > 1 and senses.counts.sum() > 0  # senses were added, and trained
    np.testing.assert_array_equal(state.used, senses.used)  # the same choices, occurrence by occurrence
    np.testing.assert_array_equal(state.counts, senses.counts)
    # As test_reference: dot products summed in another order move a product across a step of
    # the sigmoid table now and then; a feature switched off on one side moves the rows far more.
    np.testing.assert_allclose(model.vectors, syn0, atol=2e-3)
    np.testing.assert_allclose(model.context, syn1neg, atol=2e-3)
    np.testing.assert_allclose(state.vectors[:, :8], senses.vectors, atol=2e-3)
    np.testing.assert_allclose(state.centres[:, :8], senses.centres, atol=2e-3)
    np.testing.assert_allclose(progress.epoch_losses, losses, rtol=1e-3)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """'bank' in river lines and in money lines (two senses, known), 'cat' only in animal lines."""
    path = tmp_path_factory.mktemp("mssg") / "corpus.txt"
    return path, np.array(two_sense_corpus(path))


def test_mssg_learns_a_planted_two_sense_word(planted):
    path, truth = planted
    vecs = w2vcli.train(str(path), dim=24, epochs=3, threads=1, sample=0, seed=1, min_count=1,
                        senses_words=["bank", "cat"], new_sense=0.8)
    assert vecs.senses.count("bank") == 2 and vecs.senses.count("cat") == 1
    labels = multisense.tag_occurrences(vecs, str(path), [b"bank"])[b"bank"]
    assert purity(labels, truth) >= 0.95  # each occurrence's sense is its topic's
    # each sense's vector lies with its own topic: one among the money words, one among the river words
    near = [{w for w, _ in vecs.nearest(f"bank#{k}", 5)} for k in (1, 2)]
    assert any(n & set(MONEY) and not n & set(RIVER) for n in near)
    assert any(n & set(RIVER) and not n & set(MONEY) for n in near)
    assert vecs.similarity("bank#1", "bank#2") < vecs.similarity("bank", "bank#1")


def test_cli_writes_sense_rows_that_nearest_reads(planted, tmp_path, w2v):
    path, _ = planted
    (tmp_path / "words.txt").write_text("bank\n")
    r = w2v("train", path, "-o", tmp_path / "s.bin", "--senses-words", tmp_path / "words.txt", "--new-sense", 0.8,
            "--min-count", 1, "--dim", 24, "--epochs", 3, "--threads", 1, "--sample", 0,
            "--output-context", tmp_path / "ctx.bin")
    assert r.exit_code == 0, r.stderr
    assert "senses: 1 of 1 words kept several, 2 word#k rows" in r.stderr
    r = w2v("nearest", "bank#1", "-m", tmp_path / "s.bin", "-n", 3)
    assert r.exit_code == 0, r.stderr
    first = {line.split("\t")[0] for line in r.stdout.splitlines()}
    r = w2v("nearest", "bank#2", "-m", tmp_path / "s.bin", "-n", 3)
    second = {line.split("\t")[0] for line in r.stdout.splitlines()}
    assert {frozenset(first & set(MONEY)) != frozenset(), frozenset(second & set(MONEY)) != frozenset()} == {True, False}
    vecs = w2vcli.load(str(tmp_path / "s.bin"))
    assert vecs.words[-2:] == ["bank#1", "bank#2"] and "bank" in vecs  # after the usual rows, the plain row kept
    assert w2vcli.load(str(tmp_path / "ctx.bin")).words == vecs.words[:-2]  # output vectors: the words alone
    # --senses N: the N most frequent words, </s> left out
    r = w2v("train", path, "-o", tmp_path / "top.txt", "--senses", 2, "--parametric", "--max-senses", 2,
            "--min-count", 1, "--dim", 8, "--epochs", 1, "--threads", 1, "-q")
    assert r.exit_code == 0, r.stderr
    rows = [line.split(" ")[0] for line in (tmp_path / "top.txt").read_text().splitlines()[1:]]
    sense_rows = [w for w in rows if "#" in w]
    assert {w.split("#")[0] for w in sense_rows} == {rows[1], rows[2]} and rows[-len(sense_rows):] == sense_rows


@pytest.mark.parametrize("args, message", [
    (["--senses", 3, "--senses-words", "w.txt"], "give --senses N or --senses-words FILE, not both"),
    (["--max-senses", 3], "--max-senses needs --senses N or --senses-words FILE"),
    (["--senses", 3, "--model", "cbow"], "--senses trains multi-sense skip-gram: leave out --model cbow"),
    (["--senses", 3, "--hs"], "--senses trains with negative sampling alone"),
    (["--senses", 3, "--max-senses", 1], "--max-senses must be between 2 and 20, not 1"),
    (["--senses", 3, "--new-sense", 2], "--new-sense is a cosine: between -1 and 1, not 2"),
    (["--senses", 3, "--parametric", "--new-sense", 0.5], "leave it out with --parametric"),
    (["--senses", 3, "--checkpoint-every", 1], "--checkpoint-every cannot go with --senses"),
    (["--senses-words", "missing.txt"], "--senses-words file missing.txt not found"),
    (["--senses-words", "w.txt"], "--senses-words: 'zebra' is not in the vocabulary"),
])
def test_bad_sense_options_are_one_line_errors(topics, tmp_path, monkeypatch, w2v, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.txt").write_text("cat\nzebra\n")
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--min-count", 1, "--epochs", 1, *args)
    last = r.stderr.strip().splitlines()[-1]  # after the corpus's summary, where it was read
    assert r.exit_code in (1, 2) and last.startswith("w2v: error: ") and message in last, r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "v.bin").exists()
