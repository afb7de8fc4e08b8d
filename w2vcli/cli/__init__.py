"""The ``w2v`` command line: parse, call the library, print. Results go to stdout,
progress and messages to stderr, errors as one line and a non-zero exit code.

One module per group of commands: ``training`` (train, vocab), ``queries`` (nearest,
analogy, similarity, eval, info), ``toolkit`` (convert, phrases, classes, export, plot,
senses, tokenize), ``explore`` (serve); ``common`` holds what they share. Query commands
never import Numba (~0.2 s), so they answer fast.
"""

import gc
import os
import sys

import click

from .. import __version__
from . import common, explore, queries, toolkit, training


@click.group(cls=common.Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="w2v")
def main():
    """word2vec from the shell: train word vectors, query them, evaluate them.

    \b
      w2v train corpus.txt -o vecs.bin
      w2v nearest bank -m vecs.bin
      w2v eval -m vecs.bin --analogies questions-words.txt
    """


for command in (training.train_cmd, training.vocab_cmd, queries.nearest, queries.analogy, queries.similarity,
                queries.eval_cmd, queries.info, toolkit.convert, toolkit.phrases, toolkit.classes, toolkit.export,
                toolkit.plot, toolkit.senses, toolkit.tokenize_cmd, explore.serve_cmd):
    main.add_command(command)


def entry():
    """The ``w2v`` console script: main, started and ended quicker than Python would by itself.

    Numba, loading its CPU target, imports scipy.linalg only to learn whether np.dot may call
    BLAS (0.14 s where gensim or scikit-learn brought scipy along); no w2v command uses SciPy
    or Numba's np.dot, so the command's process goes without. At exit, Python's garbage
    collector would walk the ~10^5 objects Numba made (0.15 s after training); gc.freeze()
    leaves them to the operating system. Both only in this process, never for library callers.
    """
    sys.modules.setdefault("scipy", None)  # None: `import scipy` fails at once
    _guard_standard_descriptors()
    try:
        main()
    finally:
        gc.freeze()


def _guard_standard_descriptors() -> None:
    """A process started with stdin, stdout or stderr closed (``>&-``, ``2>&-``) would hand that
    descriptor number to the next file it opens, where a stray write would land: each closed one
    gets /dev/null, and a closed stdout is remembered, so that results are an error, not lost."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # the lowest free number: fd itself
            if fd == 1:
                common.stdout_closed = True
