"""Write-then-rename: an output path holds either its old content or the complete new one."""

import contextlib
import os
import tempfile

from .errors import W2VError


def check_writable(path: str) -> None:
    """Fail before hours of training, not after, when the output cannot be written."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise W2VError(f"cannot write {path}: directory {directory} does not exist")
    if os.path.isdir(path):
        raise W2VError(f"cannot write {path}: it is a directory")
    if not os.access(directory, os.W_OK):
        raise W2VError(f"cannot write {path}: directory {directory} is not writable")


@contextlib.contextmanager
def atomic_open(path: str):
    """Open a temp file beside ``path`` for binary writing; fsync and rename it over ``path`` on success.

    On any exception the temp file is removed and ``path`` is left untouched.
    """
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        yield from _direct(path)  # a device or pipe (/dev/stdout, /dev/full, a FIFO): nothing to rename
        return
    check_writable(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, _new_file_mode(path))
        with os.fdopen(fd, "wb", buffering=1 << 20) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        _remove(tmp)
        raise W2VError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        _remove(tmp)
        raise


def _direct(path: str):
    try:
        with open(path, "wb") as f:
            yield f
    except OSError as e:
        raise W2VError(f"cannot write {path}: {e.strerror or e}") from None


def _new_file_mode(path: str) -> int:
    """The mode a plain open() would give: the old file's, or 0666 less the umask (mkstemp uses 0600)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
