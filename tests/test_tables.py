import numpy as np
from numba import njit

from w2vcli import kernels
from w2vcli.tables import (
    HuffmanTree,
    NegativeSampler,
    keep_probabilities,
    sigmoid_table,
)


def test_huffman_codes_of_a_hand_checked_tree():
    # counts 5, 4, 2, 1 -> codes 0, 11, 101, 100 (worked through word2vec.c's CreateBinaryTree by hand);
    # inner nodes: 2 = root, 1 = {4, {2, 1}}, 0 = {2, 1}
    tree = HuffmanTree.from_counts(np.array([5, 4, 2, 1]))
    codes = ["".join(map(str, tree.codes[w, : tree.codelens[w]])) for w in range(4)]
    assert codes == ["0", "11", "101", "100"]
    points = [tree.points[w, : tree.codelens[w]].tolist() for w in range(4)]
    assert points == [[2], [2, 1], [2, 1, 0], [2, 1, 0]]


def test_huffman_codes_are_prefix_free_and_frequent_words_are_short():
    counts = np.sort(np.random.default_rng(0).zipf(1.5, 500))[::-1].copy()
    tree = HuffmanTree.from_counts(counts)
    codes = ["".join(map(str, tree.codes[w, : tree.codelens[w]])) for w in range(len(counts))]
    assert len(set(codes)) == len(codes)
    for a in codes[:50]:
        assert not any(b != a and b.startswith(a) for b in codes)
    assert all(np.diff(tree.codelens) >= 0)  # descending counts -> non-decreasing lengths
    assert tree.points.max() == len(counts) - 2  # inner nodes 0 .. V-2, root is V-2


def test_subsampling_keeps_words_with_word2vec_c_probability():
    counts = np.array([0, 1000, 10, 1])
    keep = keep_probabilities(counts, 1e-3)
    total = counts.sum()
    for c, p in zip(counts[1:], keep[1:]):
        f = c / total
        expected = min(1.0, (np.sqrt(f / 1e-3) + 1) * 1e-3 / f)
        assert abs(p - expected) < 1e-6
    assert keep[0] == 1.0  # </s> with no occurrences
    assert keep[1] < 0.05 and keep[3] == 1.0
    assert np.all(keep_probabilities(counts, 0) == 1.0)


def test_negative_sampler_draws_from_unigram_to_the_three_quarters():
    counts = np.array([0, 900, 300, 50, 50, 7, 1])
    sampler = NegativeSampler.from_counts(counts)
    expected = counts**0.75 / (counts**0.75).sum()
    assert np.allclose(sampler.distribution(), expected, atol=1e-7)
    # the kernels' own draw, from their own random stream
    draws = np.array(_draws(sampler.prob, sampler.alias, 200_000))
    assert np.allclose(np.bincount(draws, minlength=len(counts)) / len(draws), expected, atol=0.004)


def test_the_kernels_never_draw_the_sentence_end_and_spread_its_share():
    counts = np.array([5000, 10, 10, 10, 10])  # </s> would be most of the draws
    sampler = NegativeSampler.from_counts(counts)
    draws = np.bincount(_draws(sampler.prob, sampler.alias, 100_000), minlength=5)
    assert draws[0] == 0 and np.allclose(draws[1:] / draws.sum(), 0.25, atol=0.01)


@njit
def _draws(prob, alias, n):
    out = np.empty(n, np.int64)
    state = np.uint64(12345)
    for i in range(n):
        state, r = kernels._rand(state)
        out[i] = kernels._draw_negative(r, prob, alias)
    return out


def test_sigmoid_table_spans_minus_six_to_six():
    table = sigmoid_table()
    assert len(table) == 1000
    assert abs(table[0] - 1 / (1 + np.exp(6))) < 1e-6 and abs(table[500] - 0.5) < 1e-6
    assert np.all(np.diff(table) > 0)
