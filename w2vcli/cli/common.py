"""What the command groups share: the error-to-exit-code Command class, the query options,
loading a model, and the stdin query loop."""

import json
import os
import sys

import click

from .. import cache
from ..errors import W2VError
from ..vectors import Vectors


class Command(click.Command):
    """Turns our W2VError into ``w2v: error: ...`` and its exit code, in one place."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except W2VError as e:
            click.echo(f"w2v: error: {e}", err=True)
            ctx.exit(e.exit_code)
        except BrokenPipeError:  # `w2v nearest ... | head`: the reader left, that is fine
            sys.stderr.close()
            ctx.exit(0)


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        click.echo(message, err=True)


def _binary_output(path: str, fmt: str) -> bool:
    if fmt == "auto":
        return path.lower().endswith(".bin")
    return fmt == "binary"


def _model_path(model: str | None) -> str:
    path = model or os.environ.get("W2V_MODEL")
    if not path:
        raise W2VError("no vector file: pass -m PATH or set W2V_MODEL", exit_code=2)
    return path


def query_options(f):
    """-m/--model, --json and --no-cache, shared by the query commands."""
    f = click.option("--no-cache", is_flag=True, help=f"Parse the file; do not use or write PATH{cache.SUFFIX}/.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="One JSON object per query instead of TSV.")(f)
    f = click.option("-m", "--model", "model", type=click.Path(dir_okay=False),
                     help="Vector file, word2vec text or binary [env: W2V_MODEL].")(f)
    return f


def _load(model: str | None, no_cache: bool) -> Vectors:
    return cache.load(_model_path(model), use_cache=not no_cache)


def _stdin_queries(width: int | None):
    """(line number, words) for each non-empty stdin line; ``width`` words per line if given."""
    if sys.stdin.isatty():
        raise W2VError("give the words as arguments, or pipe queries on stdin (one per line)", exit_code=2)
    for lineno, line in enumerate(sys.stdin.buffer, 1):
        words = line.decode("utf-8", "surrogateescape").split()
        if not words:
            continue
        if width is not None and len(words) != width:
            yield lineno, words, f"expected {width} words, got {len(words)}"
        else:
            yield lineno, words, None


def _print_results(query: list[str], results, as_json: bool, with_query: bool) -> None:
    if as_json:
        click.echo(json.dumps({"query": query, "results": [{"word": w, "score": round(s, 6)} for w, s in results]},
                              ensure_ascii=False))
        return
    prefix = " ".join(query) + "\t" if with_query else ""
    click.echo("".join(f"{prefix}{w}\t{s:.6f}\n" for w, s in results), nl=False)


def _report(lineno: int, query: list[str], message: str, as_json: bool) -> None:
    click.echo(f"w2v: line {lineno}: {message}", err=True)
    if as_json:
        click.echo(json.dumps({"query": query, "error": message}, ensure_ascii=False))


def _run_stdin(vectors: Vectors, width: int | None, answer, as_json: bool, show=None, batch: int = 1024) -> int:
    """Answer stdin queries in batches (``answer``: list of queries -> list of results, each printed
    by ``show(words, result)``); bad lines are reported and skipped. Returns the exit code."""
    show = show or (lambda words, results: _print_results(words, results, as_json, with_query=True))
    failed = 0
    pending = []

    def flush():
        if pending:
            for (lineno, words), results in zip(pending, answer([w for _, w in pending])):
                show(words, results)
            pending.clear()

    for lineno, words, problem in _stdin_queries(width):
        if problem is None:
            try:
                [vectors.id(w) for w in words]
            except W2VError as e:  # the unknown word, with close spellings
                problem = str(e)
        if problem is not None:
            flush()
            _report(lineno, words, problem, as_json)
            failed += 1
            continue
        pending.append((lineno, words))
        if len(pending) >= batch:
            flush()
    flush()
    return 1 if failed else 0
