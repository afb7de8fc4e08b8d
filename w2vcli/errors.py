"""The one exception type w2v raises for bad input; the CLI turns it into a one-line message."""

import signal


class W2VError(Exception):
    """A problem with the user's input or environment, not a bug in w2v.

    ``exit_code`` follows the shell convention used by every w2v command:
    2 for a usage error (bad option, conflicting options), 1 for a data error
    (missing file, empty corpus, corrupt vector file).
    """

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(W2VError):
    def __init__(self, message: str):
        super().__init__(message, exit_code=2)


def stopped_by(signum: int) -> str:
    """What w2v says when a signal stops it, from the library (hogwild.Interrupted) and from the
    command line alike."""
    return f"interrupted by {signal.Signals(signum).name}: stopped, no output written"
