"""Exploring vectors interactively: serve."""

import errno
import os

import click

from .. import cache
from ..errors import UsageError, W2VError
from .common import Command, _model_path, flush, out, say


@click.command("serve", cls=Command)
@click.option("-m", "--model", "models", multiple=True, type=click.Path(dir_okay=False),
              help="Vector file; give it twice to compare two files (A and B) [env: W2V_MODEL].")
@click.option("--corpus", type=click.Path(exists=True, dir_okay=False),
              help="Corpus the vectors were trained on: the senses view and example contexts (as w2v senses).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address exposes the vectors to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free one).")
@click.option("--no-cache", is_flag=True, help=f"Parse the files; do not use or write PATH{cache.SUFFIX}/.")
@click.option("--log", "log_requests", is_flag=True, help="One line per request on stderr.")
@click.pass_context
def serve_cmd(ctx, models, corpus, host, port, no_cache, log_requests):
    """Explore vector files in the browser: neighbours, a map, analogies, two files side by
    side, and the senses of a word with --corpus. Prints the URL and opens nothing; Ctrl-C
    stops it. The JSON API behind the page is in the README.

    \b
      w2v serve -m vecs.bin                       # http://127.0.0.1:8000/
      w2v serve -m vecs.bin -m old.bin            # compare two files
      w2v serve -m vecs.bin --corpus corpus.txt   # also senses and example contexts
    """
    from ..serve import Api, Server, _loopback

    if not host.strip():
        raise UsageError("--host is empty: give an address (127.0.0.1 for this machine only, 0.0.0.0 for every "
                         "interface)")
    if len(models) > 2:
        raise UsageError(f"serve compares at most two vector files, got {len(models)}")
    paths = list(models) or [_model_path(None)]
    names = [os.path.basename(p) for p in paths]
    if len(set(names)) < len(names):
        names = paths
    loaded = []
    for name, path in zip(names, paths):
        say(f"w2v serve: loading {path}")
        loaded.append((name, cache.load(path, use_cache=not no_cache)))
    api = Api(loaded, corpus)
    try:
        server = Server(host, port, api, log_requests, notes=say)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise W2VError(f"port {port} on {host} is in use (try another --port, or --port 0 for any free one)") \
                from None
        raise W2VError(f"cannot listen on {host} port {port}: {e.strerror or e}") from None
    try:
        out(server.url + "\n")
        flush()
        if not _loopback(host):
            say(f"w2v serve: warning: listening on {host}: anyone who can reach this machine can query these vectors")
        say("w2v serve: Ctrl-C stops the server")
        server.serve_forever()
    except KeyboardInterrupt:
        say("w2v serve: stopped (SIGINT)")
        ctx.exit(130)
    finally:
        server.server_close()
