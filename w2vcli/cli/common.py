"""What the command groups share: the Command class that turns errors and signals into one
line and an exit code, output to stdout and stderr, the query options, loading a model, and
the stdin query loop.

Output rules, in every command:
- results go to stdout as UTF-8 bytes, whatever the locale or PYTHONIOENCODING; words are
  shown as words.py says (\\xHH for bytes that are not UTF-8, in TSV; U+FFFD and an
  ``escaped`` key, in JSON);
- messages and progress go to stderr, best effort: a closed or full stderr never stops a job;
- a reader that leaves (``| head -1``) ends the command quietly with exit 0; a closed stdout
  (``>&-``) or a full one (``>/dev/full``) is an error, exit 1;
- Ctrl-C exits 130 and SIGTERM 143 in every phase, after removing what was half written.
"""

import json
import math
import os
import signal
import sys
import threading

import click

from .. import cache
from ..atomic import STDOUT_CLOSED
from ..errors import UsageError, W2VError, stopped_by
from ..vectors import Vectors
from ..words import json_text, json_word, shown, split_query

stdout_closed = False  # set by entry() when the process started without a stdout


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanups run as for Ctrl-C."""


class PipeClosed(BaseException):
    """The reader of stdout has gone."""


def _raise_terminated(signum, frame):
    raise Terminated()


class _OneLineUsage(click.ClickException):
    """Click's own usage errors (a bad option value, a missing argument) as our one line."""

    exit_code = 2

    def show(self, file=None) -> None:
        say(f"w2v: error: {self.format_message()}")


def _one_line(ctx, e: click.UsageError) -> _OneLineUsage:
    return _OneLineUsage(f"{e.format_message().rstrip('.')} (see {ctx.command_path} --help)")


class Group(click.Group):
    """``w2v`` itself: an unknown command or option is the same one line as a command's usage
    error (``w2v`` alone still prints the help)."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as e:
            raise _one_line(ctx, e) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as e:  # an unknown command, "Missing command" (w2v --); a command's own are one line
            raise _one_line(ctx, e) from None


class Command(click.Command):
    """Turns our W2VError into ``w2v: error: ...`` and its exit code, Click's usage errors into
    the same one line, running out of memory into one too, signals into 130/143, and a closed
    pipe into a quiet exit, in one place."""

    def parse_args(self, ctx, args):
        try:
            rest = super().parse_args(ctx, args)
        except click.UsageError as e:
            raise _one_line(ctx, e) from None
        for param in self.params:  # a range check lets NaN through (every comparison with it is false)
            value = ctx.params.get(param.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise _OneLineUsage(f"{param.opts[-1]} must be a finite number, not {value}")
        return rest

    def invoke(self, ctx):
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _raise_terminated)
        try:
            result = super().invoke(ctx)
            flush()
            return result
        except W2VError as e:
            say(f"w2v: error: {e}")
            ctx.exit(e.exit_code)
        except MemoryError:
            say("w2v: error: out of memory (the machine's, or a limit such as ulimit -v): a smaller input or "
                "--limit, or more memory")
            ctx.exit(1)
        except (KeyboardInterrupt, Terminated) as e:
            _stopped(ctx, e)
        except (PipeClosed, BrokenPipeError):
            _silence_stdout()
            ctx.exit(0)
        except Exception as e:  # a signal can surface wrapped: Python turns a KeyboardInterrupt raised while
            cause = e  # an import sets up a class (Numba's, on first use) into a RuntimeError
            while cause is not None and not isinstance(cause, (KeyboardInterrupt, Terminated)):
                cause = cause.__cause__ or cause.__context__
            if cause is None:
                raise
            _stopped(ctx, cause)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _stopped(ctx, signalled: BaseException) -> None:
    signum = signal.SIGINT if isinstance(signalled, KeyboardInterrupt) else signal.SIGTERM
    say(f"w2v: error: {stopped_by(signum)}")
    ctx.exit(128 + signum)


def _stdout():
    if stdout_closed or sys.stdout is None:
        raise W2VError(STDOUT_CLOSED)
    sys.stdout.flush()  # anything Click printed first stays first
    return sys.stdout.buffer


def _write_errors(write, *args):
    try:
        write(*args)
    except BrokenPipeError:
        raise PipeClosed() from None
    except OSError as e:
        raise W2VError(f"cannot write to standard output: {e.strerror or e}") from None


def out(text: str) -> None:
    """Results to stdout: text (words already shown as words.py says) as UTF-8."""
    out_bytes(text.encode("utf-8", "surrogateescape"))


def out_bytes(data: bytes) -> None:
    """Raw bytes to stdout (vocabularies, classes: files of words as they are)."""
    _write_errors(_stdout().write, data)


def out_json(obj) -> None:
    out(json.dumps(obj, ensure_ascii=False) + "\n")


def flush() -> None:
    if stdout_closed or sys.stdout is None:
        return
    _write_errors(sys.stdout.flush)
    _write_errors(sys.stdout.buffer.flush)


def _silence_stdout() -> None:
    """The reader left: send whatever Python still holds for stdout to /dev/null at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


_stderr_dead = False


def say(message: str, quiet: bool = False) -> None:
    """A message on stderr, best effort: a closed, full or broken stderr loses it, nothing more."""
    global _stderr_dead
    if quiet or _stderr_dead or sys.stderr is None:
        return
    try:
        sys.stderr.flush()
        buffer = getattr(sys.stderr, "buffer", None)
        if buffer is not None:
            buffer.write((message + "\n").encode("utf-8", "backslashreplace"))
            buffer.flush()
        else:
            sys.stderr.write(message + "\n")
    except (OSError, ValueError):
        _stderr_dead = True


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and not _stderr_dead and sys.stderr.isatty()
    except (OSError, ValueError):
        return False


def write_stderr(text: str) -> None:
    """Progress text on stderr (no newline added), best effort."""
    global _stderr_dead
    if _stderr_dead or sys.stderr is None:
        return
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        _stderr_dead = True


def _say(quiet: bool, message: str) -> None:
    say(message, quiet)


def _binary_output(path: str, fmt: str) -> bool:
    from ..formats import binary_name

    return binary_name(path) if fmt == "auto" else fmt == "binary"


def _model_path(model: str | None) -> str:
    path = model or os.environ.get("W2V_MODEL")
    if not path:
        raise UsageError("no vector file: pass -m PATH or set W2V_MODEL")
    return path


def query_options(f):
    """-m/--model, --json and --no-cache, shared by the query commands."""
    f = click.option("--no-cache", is_flag=True, help=f"Parse the file; do not use or write PATH{cache.SUFFIX}/.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="One JSON object per query instead of TSV.")(f)
    f = click.option("-m", "--model", "model", type=click.Path(dir_okay=False),
                     help="Vector file, word2vec text or binary, GloVe, .gz/.bz2/.xz [env: W2V_MODEL].")(f)
    return f


def _load(model: str | None, no_cache: bool) -> Vectors:
    return cache.load(_model_path(model), use_cache=not no_cache)


def _stdin_queries(width: int | None):
    """(line number, words, problem) for each non-empty stdin line; ``width`` words per line if given."""
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("give the words as arguments, or pipe queries on stdin (one per line)")
    for lineno, line in enumerate(sys.stdin.buffer, 1):
        words = split_query(line)
        if not words:
            continue
        if width is not None and len(words) != width:
            yield lineno, words, f"expected {width} words, got {len(words)}"
        else:
            yield lineno, words, None


def _print_results(query: list[str], results, as_json: bool, with_query: bool) -> None:
    if as_json:
        out_json({"query": [json_text(w) for w in query],
                  "results": [json_word(w, score=round(s, 6)) for w, s in results]})
        return
    prefix = " ".join(map(shown, query)) + "\t" if with_query else ""
    out("".join(f"{prefix}{shown(w)}\t{s:.6f}\n" for w, s in results))


def _report(lineno: int, query: list[str], message: str, as_json: bool) -> None:
    say(f"w2v: line {lineno}: {message}")
    if as_json:
        out_json({"query": [json_text(w) for w in query], "error": message})


def _run_stdin(vectors: Vectors, width: int | None, answer, as_json: bool, show=None, batch: int = 1024) -> int:
    """Answer stdin queries in batches (``answer``: list of queries -> list of results, each printed
    by ``show(words, result)``); bad lines are reported and skipped. Returns the exit code."""
    show = show or (lambda words, results: _print_results(words, results, as_json, with_query=True))
    failed = 0
    pending = []

    def flush_pending():
        if pending:
            for (lineno, words), results in zip(pending, answer([w for _, w in pending])):
                show(words, results)
            pending.clear()

    for lineno, words, problem in _stdin_queries(width):
        if problem is None:
            try:  # the words as the vectors hold them (a query may name one by its shown form)
                words = [vectors.words[vectors.id(w)] for w in words]
            except W2VError as e:  # the unknown word, with close spellings
                problem = str(e)
        if problem is not None:
            flush_pending()
            _report(lineno, words, problem, as_json)
            failed += 1
            continue
        pending.append((lineno, words))
        if len(pending) >= batch:
            flush_pending()
    flush_pending()
    return 1 if failed else 0
