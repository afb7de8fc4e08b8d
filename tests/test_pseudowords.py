"""The pseudo-word builder (pseudowords.py): pairs of unrelated words of matched frequency,
controls of the pseudo-words' frequencies, and a rewritten corpus whose every merged occurrence
is replaced, with the original word of each kept."""

import io
import random

import numpy as np
import pytest

from w2vcli import pseudowords
from w2vcli.corpus import EOS, iter_tokens
from w2vcli.errors import W2VError
from w2vcli.vectors import Vectors
from w2vcli.vocab import encode


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """200 words with counts from 30 to ~600, in lines of 12; vectors at random, except that
    each even word and the next (of about the same count) are near-synonyms."""
    rng = random.Random(3)
    counts = {f"w{i:03d}": int(600 / (1 + i / 12)) for i in range(200)}
    tokens = [w for w, n in counts.items() for _ in range(n)]
    rng.shuffle(tokens)
    path = tmp_path_factory.mktemp("pseudo") / "corpus.txt"
    path.write_text("".join(" ".join(tokens[i : i + 12]) + "\n" for i in range(0, len(tokens), 12)))
    with open(path, "rb") as f:
        vocab = encode(iter_tokens(f), min_count=1).vocab
    g = np.random.default_rng(0)
    matrix = g.standard_normal((len(vocab), 16)).astype(np.float32)
    words = [w.decode() for w in vocab.words]
    for i in range(0, 200, 2):
        a, b = words.index(f"w{i:03d}"), words.index(f"w{i + 1:03d}")
        matrix[b] = matrix[a] + 0.1 * matrix[b]
    return path, vocab, Vectors(words, matrix)


def plan_of(corpus, **kw):
    path, vocab, vectors = corpus
    options = dict(pairs=8, controls=8, triples=1, seed=5, min_count=40, skip_top=10)
    return pseudowords.choose(vocab.words, vocab.counts, vectors, **{**options, **kw})


def test_pairs_are_matched_in_frequency_unrelated_and_distinct(corpus):
    _, vocab, vectors = corpus
    count = dict(zip(vocab.words, vocab.counts.tolist()))
    plan = plan_of(corpus)
    assert [len(pw.parts) for pw in plan.pseudowords] == [2] * 8 + [3] and len(plan.controls) == 8
    top = set(vocab.words[:11])  # </s> and the 10 most frequent are never used
    for pw in plan.pseudowords:
        counts = [count[p] for p in pw.parts]
        assert pw.counts == counts and min(counts) >= 40
        assert max(counts) <= pseudowords.MAX_RATIO * min(counts)
        unit = vectors.unit_rows(np.array([vectors.id(p.decode()) for p in pw.parts]))
        sims = unit @ unit.T
        assert sims[~np.eye(len(pw.parts), dtype=bool)].max() < pseudowords.MAX_COSINE  # no near-synonyms merged
        assert pw.token == b"_".join(pw.parts) and not set(pw.parts) & top
    for control, pw in zip(plan.controls, plan.pseudowords):  # as many occurrences as a pseudo-word
        total = sum(pw.counts)
        assert count[control] == plan.control_counts[plan.controls.index(control)]
        assert total / pseudowords.MAX_RATIO <= count[control] <= total * pseudowords.MAX_RATIO
    assert len(set(plan.words)) == len(plan.words)
    # another draw that leaves these words out uses none of them
    other = plan_of(corpus, seed=6, exclude=set(plan.words))
    assert not set(other.words) & set(plan.words)


def test_every_occurrence_is_replaced_and_its_word_kept(corpus, tmp_path):
    path, vocab, _ = corpus
    plan = plan_of(corpus)
    out = io.BytesIO()
    truth = pseudowords.rewrite(str(path), plan, out)
    original = [t for block in iter_tokens(open(path, "rb")) for t in block]
    rewritten = [t for block in iter_tokens(io.BytesIO(out.getvalue())) for t in block]
    assert len(rewritten) == len(original) == truth.tokens  # lines and words where they were
    merged = {p for pw in plan.pseudowords for p in pw.parts}
    assert not merged & set(rewritten)  # no merged word left
    count = dict(zip(vocab.words, vocab.counts.tolist()))
    for pw in plan.pseudowords:
        assert rewritten.count(pw.token) == sum(count[p] for p in pw.parts) == len(truth.parts[pw.token])
    # the truth gives back the original corpus, word for word
    restored = list(rewritten)
    for pw in plan.pseudowords:
        for at, k in zip(truth.positions[pw.token], truth.parts[pw.token]):
            assert rewritten[at] == pw.token
            restored[at] = pw.parts[k]
    assert restored == original
    assert rewritten.count(EOS) == original.count(EOS)
    some = plan.pseudowords[0]
    picked = truth.positions[some.token][[3, 1]]
    assert list(truth.of(some.token, picked)) == list(truth.parts[some.token][[3, 1]])
    with pytest.raises(ValueError):
        truth.of(some.token, np.array([picked[0] + 1]))


def test_purity():
    truth = np.array([0, 0, 0, 1, 1, 1])
    assert pseudowords.purity(np.array([1, 1, 1, 0, 0, 0]), truth) == 1.0
    assert pseudowords.purity(np.zeros(6, int), truth) == 0.5  # nothing split: the commoner word's share
    assert pseudowords.purity(np.array([0, 0, 1, 1, 1, 1]), truth) == pytest.approx(5 / 6)


def test_too_few_words_is_a_clear_error(corpus):
    with pytest.raises(W2VError, match="only .* of 80 pairs found"):
        plan_of(corpus, pairs=80)
