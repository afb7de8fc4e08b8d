"""w2v: word2vec training and queries, from Python and from the shell, with Numba kernels.

    import w2vcli
    vecs = w2vcli.train("corpus.txt", model="cbow", dim=100, epochs=5)
    vecs.save("vecs.bin")
    w2vcli.load("vecs.bin").nearest("bank", n=10)

``train`` (pipeline.py) runs the whole training pipeline, as ``w2v train`` does; ``load``
reads any word2vec, GloVe or fastText .vec file (compressed too) through the query cache;
``Vectors`` answers nearest, analogy and similarity; every error is a ``W2VError`` with a
one-line message. Importing w2vcli imports nothing: each name loads its module when first
used (``Vectors`` and ``load`` bring NumPy, ``train`` Numba), so that the ``w2v`` command
(console.py) is interruptible from its first line.
"""

__version__ = "0.1.0"

__all__ = ["Vectors", "W2VError", "__version__", "load", "train"]


def __dir__():
    return sorted(set(globals()) | set(__all__))


def __getattr__(name):
    if name == "W2VError":
        from .errors import W2VError

        return W2VError
    if name in ("Vectors", "load"):
        from .vectors import Vectors

        return Vectors if name == "Vectors" else Vectors.load
    if name == "train":  # the training pipeline brings Numba: only when asked for
        from .pipeline import train

        return train
    raise AttributeError(f"module 'w2vcli' has no attribute {name!r}")
