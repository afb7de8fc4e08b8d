"""A 2-D picture of words: PCA of their vectors (or a t-SNE layout, for the server's map),
drawn as a standalone SVG (no plotting library), or as PNG or PDF through matplotlib where
it is installed."""

from xml.sax.saxutils import escape

import numpy as np

from .atomic import atomic_open
from .errors import W2VError
from .words import json_text

FORMATS = ("svg", "png", "pdf")  # chosen by the output's suffix

WIDTH, HEIGHT, MARGIN = 800, 600, 60
QUERY_COLOUR, NEIGHBOUR_COLOUR = "#c0392b", "#2c3e50"


def pca_2d(matrix: np.ndarray) -> np.ndarray:
    """Coordinates of each row on the two principal axes of the rows."""
    centred = np.asarray(matrix, dtype=np.float64) - matrix.mean(axis=0)
    if len(matrix) < 2:
        return np.zeros((len(matrix), 2))
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ axes[:2].T
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((len(coords), 1))])
    return coords


def tsne_2d(matrix: np.ndarray, perplexity: float = 10.0, iterations: int = 300) -> np.ndarray:
    """A layout that keeps neighbours together: exact t-SNE (van der Maaten and Hinton, 2008) on
    cosine distances, for up to a few hundred rows (N x N arrays; 200 rows: ~0.1 s). It starts
    from the PCA layout, so the same rows always give the same picture."""
    x = np.asarray(matrix, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    n = len(x)
    if n < 4:
        return pca_2d(x)
    distances = np.maximum(2 - 2 * (x @ x.T), 0)  # squared distance of unit vectors
    p = _affinities(distances, min(perplexity, (n - 1) / 3))
    p = np.maximum((p + p.T) / (2 * n), 1e-12)
    y = pca_2d(x)
    y *= 1e-2 / max(float(y[:, 0].std()), 1e-12)
    step, gains = np.zeros_like(y), np.ones_like(y)
    rate = 50.0  # enough for a few hundred points; larger N would want more (Belkina et al., 2019)
    for t in range(iterations):
        exaggeration, momentum = (12.0, 0.5) if t < 100 else (1.0, 0.8)  # as the original paper's schedule
        squared = np.sum(y * y, axis=1)
        kernel = 1 / (1 + squared[:, None] + squared[None, :] - 2 * y @ y.T)  # Student t, one degree of freedom
        np.fill_diagonal(kernel, 0)
        q = np.maximum(kernel / kernel.sum(), 1e-12)
        pull = (exaggeration * p - q) * kernel
        grad = 4 * (np.diag(pull.sum(axis=1)) - pull) @ y
        gains = np.where(np.sign(grad) != np.sign(step), gains + 0.2, gains * 0.8).clip(0.01)
        step = momentum * step - rate * gains * grad
        y = y + step
        y -= y.mean(axis=0)
    return y


def _affinities(distances: np.ndarray, perplexity: float) -> np.ndarray:
    """Row-normalised Gaussian affinities, each row's width found by bisection (all rows at once)
    so that its entropy is log(perplexity)."""
    n = len(distances)
    target = np.log(perplexity)
    lo, hi = np.full(n, 0.0), np.full(n, np.inf)
    beta = np.ones(n)
    off = ~np.eye(n, dtype=bool)
    for _ in range(64):
        logits = -distances * beta[:, None]
        logits -= np.where(off, logits, -np.inf).max(axis=1, keepdims=True)
        p = np.where(off, np.exp(logits), 0)
        p /= p.sum(axis=1, keepdims=True)
        entropy = -np.sum(np.where(p > 0, p * np.log(np.maximum(p, 1e-300)), 0), axis=1)
        too_flat = entropy > target  # too wide: raise beta
        lo = np.where(too_flat, beta, lo)
        hi = np.where(too_flat, hi, beta)
        beta = np.where(np.isinf(hi), beta * 2, (lo + hi) / 2)
    return p


def to_svg(coords: np.ndarray, labels: list[str], is_query: list[bool], title: str = "") -> str:
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    xy = MARGIN + (coords - lo) / span * [WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN]
    xy[:, 1] = HEIGHT - xy[:, 1]  # SVG's y axis points down
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="13">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
    ]
    if title:
        parts.append(f'<text x="{MARGIN}" y="24" font-size="15">{escape(title)}</text>')
    for (x, y), label, query in zip(xy, labels, is_query):
        colour = QUERY_COLOUR if query else NEIGHBOUR_COLOUR
        weight = ' font-weight="bold"' if query else ""
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{4 if query else 3}" fill="{colour}"/>')
        parts.append(f'<text x="{x + 6:.1f}" y="{y - 6:.1f}" fill="{colour}"{weight}>{escape(json_text(label))}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_figure(path: str, kind: str, coords: np.ndarray, labels: list[str], is_query: list[bool]) -> None:
    """A PNG or PDF of the map, drawn by matplotlib and written atomically."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise W2VError(f"{kind.upper()} output needs matplotlib (pip install matplotlib); or write an .svg") from None
    fig, ax = plt.subplots(figsize=(8, 6))
    try:
        for (x, y), label, query in zip(coords, labels, is_query):
            colour = QUERY_COLOUR if query else NEIGHBOUR_COLOUR
            ax.scatter([x], [y], c=colour, s=20)
            ax.annotate(json_text(label), (x, y), color=colour, fontweight="bold" if query else "normal")
        ax.set_xticks([])
        ax.set_yticks([])
        with atomic_open(path) as f:
            fig.savefig(f, format=kind, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
