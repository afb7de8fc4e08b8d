"""The window block against a plain NumPy statement of the same update."""

import numpy as np
import pytest

from w2vcli import kernels
from w2vcli.tables import EXP_TABLE_SIZE, MAX_EXP, loss_tables, sigmoid_table


def tables():
    """The sigmoid and loss tables in a kernels.Tables (the rest unused here)."""
    none = np.zeros(1, np.int32)
    return kernels.Tables(np.ones(1, np.float32), none, none.reshape(1, 1), none.astype(np.uint8).reshape(1, 1),
                          none, np.ones(1, np.float32), sigmoid_table(), *loss_tables())


def reference_loss(f, labels):
    """-log P(label | f), from the tables inside +-MAX_EXP as the kernels, exactly beyond."""
    one, zero = loss_tables()
    index = ((f + MAX_EXP) * (EXP_TABLE_SIZE // MAX_EXP // 2)).astype(int).clip(0, EXP_TABLE_SIZE - 1)
    table = np.where(labels[None, :] > 0.5, one[index], zero[index])
    exact = np.where(labels[None, :] > 0.5, np.logaddexp(0, -f), np.logaddexp(0, f))
    return np.where(np.abs(f) < MAX_EXP, table, exact).sum()


def reference_block(syn0, ctx, out, targets, labels, alpha, sig, hs):
    """Every context row against every output row, all from the old rows; returns (input
    gradients, new output matrix, loss)."""
    h, o = syn0[ctx].astype(np.float64), out[targets].astype(np.float64)
    f = h @ o.T
    index = ((f + MAX_EXP) * (EXP_TABLE_SIZE // MAX_EXP // 2)).astype(int).clip(0, EXP_TABLE_SIZE - 1)
    g = (labels[None, :] - sig[index]) * alpha
    if hs:  # saturated nodes are skipped
        g[np.abs(f) >= MAX_EXP] = 0.0
    else:
        g[f > MAX_EXP] = (labels[None, :] - 1.0).repeat(len(ctx), 0)[f > MAX_EXP] * alpha
        g[f < -MAX_EXP] = labels[None, :].repeat(len(ctx), 0)[f < -MAX_EXP] * alpha
    new_out = out.astype(np.float64)
    np.add.at(new_out, targets, g.T @ h)  # repeated targets add up
    return g @ o, new_out, reference_loss(f, labels)


@pytest.mark.parametrize("n_in", [1, 2, 3, 6, 10])
@pytest.mark.parametrize("n_out", [1, 2, 4, 6, 16])
def test_window_block_matches_the_plain_update(n_in, n_out):
    rng = np.random.default_rng(n_in * 100 + n_out)
    width, window, room = 32, 5, 16
    syn0 = rng.normal(0, 0.6, (40, width)).astype(np.float32)
    out = rng.normal(0, 0.6, (30, width)).astype(np.float32)
    ctx = np.zeros(2 * window, np.int32)
    ctx[:n_in] = rng.integers(0, 8, n_in)  # few words: repeats in the window
    targets = np.zeros(room + 3, np.int32)
    targets[:n_out] = rng.integers(0, 6, n_out)  # repeats among the outputs too
    labels = np.zeros(room + 3, np.float32)
    labels[:n_out] = rng.integers(0, 2, n_out)
    gin = np.zeros((2 * window, width), np.float32)
    g = np.zeros((2 * window, room + 3), np.float32)
    nll = np.zeros((2 * window, room + 3), np.float32)
    alpha = np.float32(0.1)
    want_gin, want_out, want_loss = reference_block(syn0, ctx[:n_in].copy(), out, targets[:n_out].copy(),
                                                    labels[:n_out], alpha, sigmoid_table(), hs=False)
    loss = kernels._window_block(syn0, ctx, n_in, out, targets, labels, n_out, tables(), alpha, gin, g, nll)
    np.testing.assert_allclose(gin[:n_in], want_gin, atol=2e-3)
    np.testing.assert_allclose(out, want_out, atol=2e-3)
    assert loss == pytest.approx(want_loss, rel=1e-5)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 15])
@pytest.mark.parametrize("rows", [1, 2])
def test_hierarchical_softmax_matches_the_plain_update(n, rows):
    """One (CBOW, _hierarchical) or two (skip-gram, _hierarchical_pair) input rows against the
    distinct inner nodes of a path: the block update with hierarchical softmax's gradient
    (saturated nodes left alone)."""
    rng = np.random.default_rng(n)
    width = 32
    syn0 = rng.normal(0, 0.6, (10, width)).astype(np.float32)
    out = rng.normal(0, 0.6, (20, width)).astype(np.float32)
    path = rng.permutation(20)[:n].astype(np.int32)
    code = rng.integers(0, 2, n).astype(np.uint8)
    alpha = np.float32(0.1)
    inputs = [3, 7][:rows]
    want_gin, want_out, want_loss = reference_block(syn0, np.array(inputs), out, path, 1.0 - code, alpha,
                                                    sigmoid_table(), hs=True)
    gin = np.zeros((rows, width), np.float32)
    if rows == 1:
        loss = kernels._hierarchical(syn0[3], gin[0], out, path, code, n, tables(), alpha)
    else:
        loss = kernels._hierarchical_pair(syn0[3], syn0[7], gin[0], gin[1], out, path, code, n, tables(), alpha)
    np.testing.assert_allclose(gin, want_gin, atol=2e-3)
    np.testing.assert_allclose(out, want_out, atol=2e-3)
    assert loss == pytest.approx(want_loss, rel=1e-5)


@pytest.mark.parametrize("n_out", [1, 2, 3, 4, 6, 16])
def test_row_block_matches_the_plain_update(n_out):
    """One input row (CBOW's context mean) against distinct output rows."""
    rng = np.random.default_rng(n_out)
    width = 32
    syn0 = rng.normal(0, 0.6, (10, width)).astype(np.float32)
    out = rng.normal(0, 0.6, (30, width)).astype(np.float32)
    targets = np.zeros(n_out + 2, np.int32)
    targets[:n_out] = rng.permutation(30)[:n_out]
    labels = rng.integers(0, 2, n_out + 2).astype(np.float32)
    alpha = np.float32(0.1)
    want_gin, want_out, want_loss = reference_block(syn0, np.array([4]), out, targets[:n_out], labels[:n_out], alpha,
                                                    sigmoid_table(), False)
    grad = np.zeros(width, np.float32)
    loss = kernels._row_block(syn0[4], grad, out, targets, labels, n_out, tables(), alpha)
    np.testing.assert_allclose(grad, want_gin[0], atol=2e-3)
    np.testing.assert_allclose(out, want_out, atol=2e-3)
    assert loss == pytest.approx(want_loss, rel=1e-5)
