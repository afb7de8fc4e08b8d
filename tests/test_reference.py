"""The fast kernels against the plain reference loops (reference.py), one thread, a tiny corpus:
the same vectors, for every model and objective. Each feature the kernels have (subsampling,
window shrink, the learning-rate schedule, negatives, Huffman paths, the CBOW mean) is in the
reference too, so switching one off in the kernels turns this test red."""

import io

import numpy as np
import pytest
from conftest import topic_corpus

from w2vcli import kernels, reference
from w2vcli.corpus import iter_tokens
from w2vcli.hogwild import TrainConfig, _thread_seed, train
from w2vcli.tables import (
    HuffmanTree,
    NegativeSampler,
    keep_probabilities,
    loss_tables,
    sigmoid_table,
)
from w2vcli.vocab import encode

CASES = {
    "skipgram-ns": dict(model="skipgram", negative=5, hs=False),
    "skipgram-hs": dict(model="skipgram", negative=0, hs=True),
    "skipgram-ns-hs": dict(model="skipgram", negative=3, hs=True),
    "cbow-ns": dict(model="cbow", negative=5, hs=False),
    "cbow-hs": dict(model="cbow", negative=0, hs=True),
    "cbow-sum-ns-hs": dict(model="cbow", negative=4, hs=True, cbow_mean=False),
    "skipgram-exact-ns-hs": dict(model="skipgram", negative=3, hs=True, exact_skipgram=True),
    "skipgram-exact-ns": dict(model="skipgram", negative=5, hs=False, exact_skipgram=True),
    "cbow-corrected-ns": dict(model="cbow", negative=5, hs=False, corrected_cbow=True),
    "cbow-corrected-hs": dict(model="cbow", negative=0, hs=True, corrected_cbow=True),
    "cbow-positions-ns": dict(model="cbow", negative=5, hs=False, position_weights=True),
    "cbow-positions-hs": dict(model="cbow", negative=0, hs=True, position_weights=True),
    "cbow-both-ns-hs": dict(model="cbow", negative=3, hs=True, corrected_cbow=True, position_weights=True),
    "cbow-joint-ns": dict(model="cbow", negative=5, hs=False, joint_skipgram=True),
    "cbow-positions-joint-ns-hs": dict(model="cbow", negative=4, hs=True, position_weights=True, joint_skipgram=True),
}


def reference_run(corpus, config):
    """The reference loops over the same corpus, epoch after epoch, from the same start."""
    vocab, ids = corpus.vocab, corpus.ids
    v, dim = len(vocab), config.dim
    syn0 = np.zeros((v, dim), np.float32)
    kernels.fill_random(syn0, dim, config.seed)
    syn1neg, syn1 = np.zeros((v, dim), np.float32), np.zeros((v, dim), np.float32)
    sampler = NegativeSampler.from_counts(vocab.counts, config.ns_exponent)
    tree = HuffmanTree.from_counts(vocab.counts)
    places = np.ones((2 * config.window, dim), np.float32) if config.position_weights else None
    tab = kernels.Tables(sampler.prob, sampler.alias, tree.points, tree.codes, tree.codelens,
                         keep_probabilities(vocab.counts, config.sample), sigmoid_table(), *loss_tables())
    schedule = kernels.Schedule(config.start_alpha, config.end_alpha, float(config.epochs * len(ids)))
    rng = reference.Random(_thread_seed(config.seed, 0))
    losses = []
    for epoch in range(config.epochs):
        done = epoch * len(ids)
        if config.model == "cbow":
            loss, pairs = reference.cbow(ids, syn0, syn1neg, syn1, tab, config.window, config.negative, config.hs,
                                         config.cbow_mean, schedule, done, rng, config.corrected_cbow, places,
                                         config.joint_skipgram)
        else:
            loss, pairs = reference.skipgram(ids, syn0, syn1neg, syn1, tab, config.window, config.negative, config.hs,
                                             schedule, done, rng, config.exact_skipgram)
        losses.append(loss / pairs)
    return syn0, syn1neg, losses, places


@pytest.mark.parametrize("case", CASES)
def test_the_kernels_train_what_the_reference_trains(tmp_path, case):
    with open(topic_corpus(tmp_path / "c.txt", sentences=150, length=10), "rb") as f:
        corpus = encode(iter_tokens(f), min_count=1)
    config = TrainConfig(dim=8, epochs=2, threads=1, window=3, sample=0.02, seed=4, alpha=0.1, ns_exponent=0.5,
                         **CASES[case])
    model, progress = train(corpus, config)
    syn0, syn1neg, losses, places = reference_run(corpus, config)
    assert np.abs(syn0).max() > 0.05  # it trained
    # The kernels add up dot products in another order (vectorised), so a product near a step of
    # the sigmoid table now and then takes the next step: differences up to ~6e-4 here. A feature
    # switched off on one side (subsampling, the decay of the rate) moves the vectors by 0.15 or more.
    np.testing.assert_allclose(model.vectors, syn0, atol=2e-3)
    if config.negative:
        np.testing.assert_allclose(model.context, syn1neg, atol=2e-3)
    if places is not None:  # the position vectors trained away from ones, as the reference's did
        assert np.abs(places - 1).max() > 0.01
        np.testing.assert_allclose(model.positions, places, atol=2e-3)
    # the loss the kernels add up is the reference's, computed in NumPy, epoch by epoch
    np.testing.assert_allclose(progress.epoch_losses, losses, rtol=1e-3)
    assert losses[-1] < losses[0]


def test_subsampling_drops_frequent_words_in_the_kernel():
    """Training pairs, as the kernel counts them, fall when subsampling is on."""
    corpus = encode(iter_tokens(io.BytesIO(b"the the the the a b c d " * 5000)), min_count=1)
    pairs = {}
    for sample in (0, 1e-3):
        _, progress = train(corpus, TrainConfig(dim=8, epochs=1, threads=1, sample=sample))
        pairs[sample] = progress.pairs
    assert pairs[1e-3] < 0.75 * pairs[0]


def test_the_kernel_follows_the_learning_rate_schedule():
    """A chunk trained at the end of the schedule (rate min_alpha = 0) changes nothing; at the
    start it does."""
    corpus = encode(iter_tokens(io.BytesIO(b"a b c d e f g h\n" * 500)), min_count=1)
    moved = []
    for done_before in (0, len(corpus.ids)):
        v = len(corpus.vocab)
        syn0 = np.zeros((v, 16), np.float32)
        kernels.fill_random(syn0, 8, 1)
        start = syn0.copy()
        w = kernels.Weights(syn0, np.zeros((v, 16), np.float32), np.zeros((v, 16), np.float32),
                            np.zeros((1, 16), np.float32))
        sampler = NegativeSampler.from_counts(corpus.vocab.counts)
        tree = HuffmanTree.from_counts(corpus.vocab.counts[:1])
        tab = kernels.Tables(sampler.prob, sampler.alias, tree.points, tree.codes, tree.codelens,
                             np.ones(v, np.float32), sigmoid_table(), *loss_tables())
        me = kernels.ThreadState(np.array([7], np.uint64), np.zeros(2), np.zeros((3, 3), np.int64),
                                 *(np.empty((0, 16), np.float32) for _ in range(3)))
        schedule = kernels.Schedule(0.05, 0.0, float(len(corpus.ids)))
        settings = kernels.Settings(5, 5, False, True, False, False, False, False)
        kernels.train_skipgram(corpus.ids, w, tab, settings, schedule, done_before, 1, me)
        moved.append(np.abs(syn0 - start).max())
    assert moved[0] > 1e-3 and moved[1] == 0.0
