"""The ``w2v`` console script. Python imports the command line first (Click, NumPy: the first
~0.1 s), before any of w2v's signal handling exists; an interrupt then ends as it does
later, exit 130 and one line, instead of Python's traceback. The package itself imports
nothing at its top (w2vcli/__init__.py), so this module is loaded before the time begins."""

import signal
import sys

from .errors import stopped_by


def entry():
    try:
        from .cli import entry as run
    except KeyboardInterrupt:
        sys.stderr.write(f"w2v: error: {stopped_by(signal.SIGINT)}\n")
        sys.exit(128 + signal.SIGINT)
    run()
