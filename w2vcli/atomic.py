"""Outputs: checked before any work starts, then written to a temp file beside them and
renamed on success, so an output path holds either its old content or the complete new one.
A command's several outputs can be renamed together (``together``); a name ending in .gz, .bz2
or .xz is compressed as it is written; ``-`` is standard output.

Temp files and folders are named ``.NAME.PID.*``: one left by a process that was killed
(SIGKILL, a power cut) is swept by the next write of the same output.
"""

import bz2
import contextlib
import gzip
import lzma
import os
import shutil
import sys
import tempfile
import threading

from .errors import UsageError, W2VError


def check_writable(path: str) -> None:
    """Fail before hours of training, not after, when the output cannot be written."""
    if path == "-" or _is_device(path):
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise W2VError(f"cannot write {path}: directory {directory} does not exist")
    if os.path.isdir(path):
        raise W2VError(f"cannot write {path}: it is a directory")
    if not os.access(directory, os.W_OK):
        raise W2VError(f"cannot write {path}: directory {directory} is not writable")
    try:  # what access() cannot tell: /proc, /sys, a full or read-only file system
        fd, probe = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=directory)
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise W2VError(f"cannot write {path}: {e.strerror or e}") from None


def _is_device(path: str) -> bool:
    """A device or pipe (/dev/stdout, /dev/full, a FIFO): written directly, nothing to rename."""
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def _same(a: str, b: str) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:  # one does not exist yet: the same only if it is the same path
        return os.path.abspath(a) == os.path.abspath(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino) and not _is_device(a)


def refuse_same_files(outputs: dict[str, str | None], inputs: dict[str, str | None]) -> None:
    """A usage error when an output is the same file as an input (same inode, however named)
    or as another output: ``{"-o": path, ...}``, checked before any work starts."""
    outs = [(name, path) for name, path in outputs.items() if path and path != "-"]
    ins = [(name, path) for name, path in inputs.items() if path and path != "-"]
    for i, (name, path) in enumerate(outs):
        for other, source in ins:
            if _same(path, source):
                raise UsageError(f"{name} {path} is the same file as {other} {source}: it would be overwritten")
        for other, second in outs[i + 1 :]:
            if _same(path, second):
                raise UsageError(f"{name} and {other} are the same file ({path})")


NAME_IN_TEMP = 100  # bytes of the output's name kept in its temp names (the file system allows 255)
TEMP_SUFFIX = ".tmp"


def _lead(name: str) -> str:
    return "." + os.fsdecode(os.fsencode(name)[:NAME_IN_TEMP]) + "."


def temp_prefix(path: str) -> str:
    """The prefix of this process's temp files and folders for path: ``.NAME.PID.`` (NAME cut
    to NAME_IN_TEMP bytes); they all end in TEMP_SUFFIX."""
    return f"{_lead(os.path.basename(path))}{os.getpid()}."


def sweep_stale(directory: str, name: str) -> None:
    """Remove the temp files and folders for ``name`` in directory whose process is gone: only
    names of our own pattern, ``.NAME.PID.<random>.tmp``, never another file that looks alike."""
    lead = _lead(name)
    with contextlib.suppress(OSError):
        for entry in os.listdir(directory):
            if not entry.startswith(lead) or not entry.endswith(TEMP_SUFFIX):
                continue
            pid = entry[len(lead) :].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                target = os.path.join(directory, entry)
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target, ignore_errors=True)
                else:
                    _remove(target)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but is someone else's
        return True
    return True


@contextlib.contextmanager
def atomic_open(path: str, compressed: bool = True):
    """Open a temp file beside ``path`` for binary writing; fsync and rename it over ``path`` on success.
    A name ending in .gz, .bz2 or .xz is written compressed (unless not ``compressed``).

    On any exception (a signal included, see cli.common) the temp file is removed and
    ``path`` is left untouched. ``-`` is standard output.
    """
    if path == "-":
        yield from _stdout()
        return
    if _is_device(path):
        yield from _direct(path)
        return
    if os.path.islink(path):  # write where the link points, and keep the link
        path = os.path.realpath(path)
    check_writable(path)
    directory = os.path.dirname(os.path.abspath(path))
    sweep_stale(directory, os.path.basename(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=directory)
    except OSError as e:
        raise W2VError(f"cannot write {path}: {e.strerror or e}") from None
    compress = compressor(path) if compressed else None
    try:
        os.fchmod(fd, _new_file_mode(path))
        with os.fdopen(fd, "wb", buffering=1 << 20) as f:
            if compress:
                with compress(f) as stream:
                    yield stream
            else:
                yield f
            f.flush()
            os.fsync(f.fileno())
        batch = getattr(_together, "pending", None)
        if batch is not None:  # renamed with the command's other outputs, or removed with them
            batch.append((tmp, path))
        else:
            os.replace(tmp, path)
    except OSError as e:
        _remove(tmp)
        raise W2VError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        _remove(tmp)
        raise


_together = threading.local()  # .pending: (temp file, path) written inside this thread's together()


@contextlib.contextmanager
def together():
    """Every file atomic_open writes inside this block is renamed into place when the block ends,
    all of them, or removed if it fails: a command with several outputs (train -o and
    --output-context) leaves all or none. Devices (/dev/stdout, /dev/full) are written directly."""
    outer, pending = getattr(_together, "pending", None), []
    _together.pending = pending
    try:
        yield
    except BrokenPipeError:  # the reader of standard output left; the files are complete
        _rename(pending)
        raise
    except BaseException:
        for tmp, _ in pending:
            _remove(tmp)
        raise
    finally:
        _together.pending = outer
    _rename(pending)


def _rename(pending: list[tuple[str, str]]) -> None:
    for i, (tmp, path) in enumerate(pending):
        try:
            os.replace(tmp, path)
        except OSError as e:
            for left, _ in pending[i:]:
                _remove(left)
            raise W2VError(f"cannot write {path}: {e.strerror or e}") from None


COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")


def uncompressed_name(path: str) -> str:
    """The name, lower-cased, less a compression suffix: ``emb.npy.gz`` -> ``emb.npy``."""
    name = path.lower()
    for suffix in COMPRESSED_SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def corpus_inputs(paths) -> dict[str, str]:
    """Corpus paths named for refuse_same_files: ``CORPUS``, or ``CORPUS 1``, ``CORPUS 2``, ..."""
    paths = list(paths or [])
    return {"CORPUS" if len(paths) == 1 else f"CORPUS {i}": p for i, p in enumerate(paths, 1)}


def compressor(path: str):
    """The stream that compresses a file named ``*.gz``, ``*.bz2`` or ``*.xz`` as it is written
    (a function of the raw binary file, which it leaves open), or None for any other name."""
    name = path.lower()
    if name.endswith(".gz"):
        return lambda raw: gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0)
    if name.endswith(".bz2"):
        return lambda raw: bz2.BZ2File(raw, "wb")
    if name.endswith(".xz"):
        return lambda raw: lzma.LZMAFile(raw, "wb")
    return None


STDOUT_CLOSED = "standard output is closed: nowhere to write the results (use -o FILE, or >FILE)"


def stdout_problem() -> str | None:
    """Why '-' cannot be written (standard output closed, or not a byte stream), or None."""
    if sys.stdout is None or getattr(sys.stdout, "closed", False):
        return STDOUT_CLOSED
    if not hasattr(sys.stdout, "buffer"):
        return "standard output takes no bytes here (it was replaced by a text stream): write to a file"
    return None


def _stdout():
    """'-': standard output, written in place and left open."""
    problem = stdout_problem()
    if problem:
        raise W2VError(problem)
    try:
        sys.stdout.flush()  # anything printed before stays before
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise  # the reader left (`w2v train ... -o - | head`): the command line ends quietly
    except OSError as e:
        raise W2VError(f"cannot write to standard output: {e.strerror or e}") from None


def _direct(path: str):
    try:
        with open(path, "wb") as f:
            yield f
    except BrokenPipeError:
        raise  # the reader left (`... /dev/stdout | head`): the command line ends quietly
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
