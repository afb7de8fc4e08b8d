"""The ``w2v`` console script. Python imports the command line first (Click, NumPy: the first
~0.1 s), before any of w2v's signal handling exists; an interrupt then ends as it does
later, exit 130 and one line, instead of Python's traceback. The package itself imports
nothing (w2vcli/__init__.py), so only Python's own start-up comes before this module's try."""

import signal
import sys


def entry():
    try:
        from .cli import entry as run
    except KeyboardInterrupt:
        from .errors import stopped_by  # again, if the interrupt came while importing it

        sys.stderr.write(f"w2v: error: {stopped_by(signal.SIGINT)}\n")
        sys.exit(128 + signal.SIGINT)
    run()


if __name__ == "__main__":
    entry()
