"""w2v: word2vec training and queries from the shell, with Numba kernels."""

__version__ = "0.1.0"

from .errors import W2VError  # noqa: E402
from .vectors import Vectors  # noqa: E402

__all__ = ["Vectors", "W2VError", "__version__"]
