"""A 2-D picture of words: PCA of their vectors, drawn as a standalone SVG (no plotting
library), or as PNG or PDF through matplotlib where it is installed."""

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
