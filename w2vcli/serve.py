"""``w2v serve``: vector files explored in the browser. An HTTP server from the standard library
(ThreadingHTTPServer: a thread per connection, so a slow client holds only its own), the page's
files from the package's static/ folder, and a JSON API behind it:

    GET /api/info                                          the files, their sizes, the limits
    GET /api/nearest?word=bank[&word=...][&neg=...][&n=10][&model=0]
    GET /api/analogy?a=man&b=king&c=woman[&n=10][&model=0]
    GET /api/similarity?a=bank&b=river[&model=0]
    GET /api/words?prefix=ban[&limit=20][&model=0]          autocomplete, most frequent first
    GET /api/map?word=bank[&n=30][&layout=pca|tsne][&model=0]
    GET /api/compare?word=bank[&n=20]                       with two files: neighbours in each
    GET /api/senses?word=bank[&n=8][&examples=3]            with a corpus (senses.py)

Every parameter is checked and bounded before any work is done: bad input is
``{"error": "..."}`` with status 400, an unknown word 404 with ``"suggestions"``, a method
other than GET or HEAD 405, a request to a foreign Host 403 (below); a bug is a 500 with one
line, its traceback only on the server's stderr. Each answer says in a Server-Timing header
how long it took to make (the load test reads it). Words in answers are shown as words.py says (``json_word``: always valid UTF-8, with
``escaped`` for a word whose bytes are not); a query may name such a word by that escaped
form. Parameters must be UTF-8.

Nothing but the files listed in STATIC is ever read from disk for a request: paths are looked
up in a dict, never joined to a folder. Bound to a loopback address, the server answers only
requests whose Host is a loopback name (a web page cannot reach it through DNS rebinding).
"""

import json
import os
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from urllib.parse import parse_qsl, urlsplit

import numpy as np

from .errors import W2VError
from .plot import pca_2d, tsne_2d
from .search import PrefixIndex, Searcher
from .vectors import Vectors
from .words import json_text, json_word, shown, unescape, valid_utf8

MAX_QUERY = 4096  # bytes of a query string
MAX_WORD = 200  # characters of one word (word2vec.c's words have at most 100 bytes)
MAX_WORDS = 10  # words in one query, added and subtracted
MAX_N = 1000  # neighbours in one answer
MAX_MAP = 200  # words on a map (t-SNE is N x N)
MAX_LIMIT = 100  # words of an autocomplete
MAX_EXAMPLES = 10  # example snippets per sense
MAX_CONNECTIONS = 1000  # open at once; more are told 503 and closed
IDLE_TIMEOUT = 30  # seconds a connection may sit idle or send half a request
SUGGESTIONS_KEPT = 4096  # unknown words whose close spellings are remembered (difflib: 0.15-0.5 s each at 1M words)
SENSES_KEPT = 256  # words whose senses are remembered (one pass over the corpus each)
SEPARATORS = " \t\n\r\0"  # what splits a corpus into words: never inside one

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
STATIC = {  # request path -> (file in STATIC_DIR, content type); nothing else is served
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
_BUSY = b'{"error": "too many open connections"}'
TOO_MANY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n" \
    b"Content-Length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class ApiError(Exception):
    """A request we answer with an error: status, one line, and any extra fields."""

    def __init__(self, status: int, message: str, **fields):
        super().__init__(message)
        self.status = status
        self.fields = fields


def typed(word: str) -> str:
    """The word as a user types it to find it again: itself, or its \\xHH form where its bytes
    are not UTF-8 (what ``json_word`` gives as ``escaped``)."""
    return json_text(word) if valid_utf8(word) else shown(word)


def neighbours(results: list[tuple[str, float]]) -> list[dict]:
    return [json_word(w, cosine=round(c, 6)) for w, c in results]


class Params:
    """The query string of a request, decoded and checked; each getter bounds its value."""

    def __init__(self, query: str):
        # http.server decodes the request line as Latin-1: back to its bytes, then UTF-8
        raw = query.encode("latin-1", "replace")
        if len(raw) > MAX_QUERY:
            raise ApiError(400, f"query string longer than {MAX_QUERY} bytes")
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict",
                              max_num_fields=2 * MAX_WORDS + 8)
        except UnicodeDecodeError:
            raise ApiError(400, "parameters must be UTF-8 (a word whose bytes are not: write them \\xHH)") from None
        except ValueError:
            raise ApiError(400, "too many parameters") from None
        self.values: dict[str, list[str]] = {}
        for key, value in pairs:
            self.values.setdefault(key, []).append(value)

    def _one(self, key: str) -> str | None:
        values = self.values.get(key, [])
        if len(values) > 1:
            raise ApiError(400, f"{key} given {len(values)} times, once expected")
        return values[0] if values else None

    def word(self, key: str) -> str:
        value = self._one(key)
        if value is None:
            raise ApiError(400, f"missing parameter {key}")
        return self._checked(key, value)

    def words(self, key: str, least: int = 1) -> list[str]:
        values = self.values.get(key, [])
        if len(values) < least:
            raise ApiError(400, f"missing parameter {key}")
        if len(values) > MAX_WORDS:
            raise ApiError(400, f"at most {MAX_WORDS} words in a query")
        return [self._checked(key, v) for v in values]

    @staticmethod
    def _checked(key: str, value: str) -> str:
        if not value:
            raise ApiError(400, f"{key} is empty")
        if len(value) > MAX_WORD:
            raise ApiError(400, f"{key} is longer than {MAX_WORD} characters")
        if any(c in value for c in SEPARATORS):
            raise ApiError(400, f"{key} holds a space or line break: one word per {key}= (repeat it for several)")
        return value

    def text(self, key: str) -> str:
        return self._checked(key, self._one(key) or "")

    def number(self, key: str, default: int, low: int, high: int) -> int:
        value = self._one(key)
        if value is None:
            return default
        if not (value.isascii() and value.lstrip("-").isdigit() and len(value) <= 12):
            raise ApiError(400, f"{key} must be a whole number")
        if not low <= int(value) <= high:
            raise ApiError(400, f"{key} must be between {low} and {high}")
        return int(value)

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self._one(key)
        if value is None:
            return choices[0]
        if value not in choices:
            raise ApiError(400, f"{key} must be one of {', '.join(choices)}")
        return value


@dataclass
class Model:
    name: str
    vectors: Vectors
    searcher: Searcher
    prefixes: PrefixIndex


class Api:
    """The answers, one method per endpoint: Params in, a JSON-ready dict out (or ApiError)."""

    def __init__(self, models: list[tuple[str, Vectors]], corpus: str | None = None):
        self.models = [Model(name, v, Searcher(v), PrefixIndex(v.words)) for name, v in models]
        self.corpus = corpus
        self._suggestions: OrderedDict = OrderedDict()
        self._senses: OrderedDict = OrderedDict()
        self._kept = threading.Lock()  # guards both remembered tables
        self._finding_senses = threading.Lock()  # one pass over the corpus at a time
        self.routes = {"info": self.info, "nearest": self.nearest, "analogy": self.analogy,
                       "similarity": self.similarity, "words": self.words, "map": self.map,
                       "compare": self.compare, "senses": self.senses}

    def answer(self, name: str, query: str) -> dict:
        route = self.routes.get(name)
        if route is None:
            raise ApiError(404, f"no such endpoint: /api/{json_text(name)[:40]}")
        return route(Params(query))

    # -- helpers

    def _model(self, params: Params) -> Model:
        return self.models[params.number("model", 0, 0, len(self.models) - 1)]

    def _check(self, model: Model, words: list[str]) -> None:
        """An unknown word: 404, with close spellings (remembered: difflib takes ~0.15 s at 1M words)."""
        for word in words:
            if word in model.vectors.index or ("\\" in word and unescape(word) in model.vectors.index):
                continue
            raise ApiError(404, f"unknown word {json_text(word)!r}", word=json_text(word),
                           suggestions=[typed(s) for s in self._suggest(model, word)])

    def _suggest(self, model: Model, word: str) -> list[str]:
        key = (model.name, word)
        with self._kept:
            if key in self._suggestions:
                return self._suggestions[key]
        found = model.vectors.suggest(word)
        with self._kept:
            self._suggestions[key] = found
            if len(self._suggestions) > SUGGESTIONS_KEPT:
                self._suggestions.popitem(last=False)
        return found

    # -- endpoints

    def info(self, params: Params) -> dict:
        return {"models": [{"name": json_text(m.name), "words": len(m.vectors), "dims": m.vectors.dim}
                           for m in self.models],
                "corpus": self.corpus is not None,
                "limits": {"n": MAX_N, "map": MAX_MAP, "words": MAX_WORDS, "word": MAX_WORD, "limit": MAX_LIMIT}}

    def nearest(self, params: Params) -> dict:
        words, negative = params.words("word"), params.words("neg", least=0)
        if len(words) + len(negative) > MAX_WORDS:
            raise ApiError(400, f"at most {MAX_WORDS} words in a query")
        n = params.number("n", 10, 1, MAX_N)
        model = self._model(params)
        self._check(model, words + negative)
        answer = {"query": [json_text(w) for w in words]}
        if negative:
            answer["negative"] = [json_text(w) for w in negative]
        answer["neighbours"] = neighbours(model.searcher.nearest(words, n, negative))
        return answer

    def analogy(self, params: Params) -> dict:
        a, b, c = params.word("a"), params.word("b"), params.word("c")
        n = params.number("n", 10, 1, MAX_N)
        model = self._model(params)
        self._check(model, [a, b, c])
        return {"query": [json_text(w) for w in (a, b, c)], "neighbours": neighbours(model.searcher.analogy(a, b, c, n))}

    def similarity(self, params: Params) -> dict:
        a, b = params.word("a"), params.word("b")
        model = self._model(params)
        self._check(model, [a, b])
        return {"query": [json_text(a), json_text(b)], "cosine": round(model.vectors.similarity(a, b), 6)}

    def words(self, params: Params) -> dict:
        prefix = params.text("prefix")
        limit = params.number("limit", 20, 1, MAX_LIMIT)
        found = self._model(params).prefixes.find(prefix, limit)
        return {"prefix": json_text(prefix), "words": list(dict.fromkeys(typed(w) for w in found))}

    def map(self, params: Params) -> dict:
        word = params.word("word")
        n = params.number("n", 30, 1, MAX_MAP - 1)
        layout = params.choice("layout", ("pca", "tsne"))
        model = self._model(params)
        self._check(model, [word])
        near = model.searcher.nearest([word], n)
        ids = np.array([model.vectors.id(word)] + [model.vectors.index[w] for w, _ in near])
        rows = model.vectors.unit_rows(ids)
        xy = tsne_2d(rows) if layout == "tsne" else pca_2d(rows)
        cosines = [1.0] + [c for _, c in near]
        points = [json_word(model.vectors.words[i], x=round(float(x), 4), y=round(float(y), 4), cosine=round(c, 6))
                  for i, (x, y), c in zip(ids, xy, cosines)]
        return {"query": [json_text(word)], "layout": layout, "points": points}

    def compare(self, params: Params) -> dict:
        if len(self.models) < 2:
            raise ApiError(400, "compare needs two vector files (w2v serve -m A -m B)")
        word = params.word("word")
        n = params.number("n", 20, 1, MAX_N)
        sides, misses = [], []
        for model in self.models:
            try:
                self._check(model, [word])
            except ApiError as e:
                misses.append(e)
                sides.append({"name": json_text(model.name), "error": str(e), **e.fields})
                continue
            sides.append({"name": json_text(model.name), "neighbours": neighbours(model.searcher.nearest([word], n))})
        if len(misses) == len(self.models):
            raise misses[0]
        lists = [{w["word"] for w in side.get("neighbours", [])} for side in sides]
        both = lists[0] & lists[1]
        return {"query": [json_text(word)], "models": sides, "shared": len(both),
                "overlap": round(len(both) / max(1, len(lists[0] | lists[1])), 4)}

    def senses(self, params: Params) -> dict:
        if self.corpus is None:
            raise ApiError(400, "senses need a corpus (w2v serve --corpus FILE)")
        word = params.word("word")
        n = params.number("n", 8, 1, 50)
        examples = params.number("examples", 3, 0, MAX_EXAMPLES)
        model = self.models[0]
        self._check(model, [word])
        key = (word, n, examples)
        with self._kept:
            if key in self._senses:
                return self._senses[key]
        from .senses import find_senses

        with self._finding_senses:
            try:
                found = find_senses(model.vectors, self.corpus, word, neighbours=n, examples=examples)
            except W2VError as e:  # too few occurrences
                raise ApiError(400, str(e)) from None
        answer = {"query": [json_text(word)], "occurrences": found.occurrences, "sampled": found.sampled,
                  "senses": [{"sense": i + 1, "share": round(s.share, 4), "size": s.size,
                              "neighbours": neighbours(s.neighbours), "examples": [json_text(e) for e in s.examples]}
                             for i, s in enumerate(found.senses)]}
        with self._kept:
            self._senses[key] = answer
            if len(self._senses) > SENSES_KEPT:
                self._senses.popitem(last=False)
        return answer


def _loopback(host: str) -> bool:
    host = host.lower()
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


class Handler(BaseHTTPRequestHandler):
    server_version = "w2v"
    sys_version = ""
    protocol_version = "HTTP/1.1"  # keep-alive: a client may send many requests on one connection
    default_request_version = "HTTP/1.0"  # no HTTP/0.9 answers (no status line, no headers), not even to garbage
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body are two writes: without this, each answer waits ~40 ms for an ACK

    def do_GET(self):
        self._respond(head=False)

    def do_HEAD(self):
        self._respond(head=True)

    def _not_allowed(self):
        self.close_connection = True  # any body it sent is not read
        self._send(405, _json({"error": f"method {self.command} not allowed: use GET"}), "application/json",
                   extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def send_error(self, code, message=None, explain=None):
        """The base class's own errors (a malformed request line, an unknown method), as JSON."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code, message = 405, "method not allowed: use GET"
        self.close_connection = True
        self._send(code, _json({"error": message or HTTPStatus(code).phrase}), "application/json",
                   extra={"Allow": "GET, HEAD"} if code == 405 else None)

    def _respond(self, head: bool) -> None:
        if self.headers.get("Content-Length", "0").strip() not in ("", "0") or "Transfer-Encoding" in self.headers:
            self.close_connection = True  # a GET with a body: not read, so the connection cannot go on
            self._send(400, _json({"error": "a GET request has no body"}), "application/json")
            return
        hosts = self.headers.get_all("Host", [])
        if self.server.loopback_only and not all(_loopback(_hostname(h)) for h in hosts):
            self._send(403, _json({"error": "this server answers only requests to a loopback address"}),
                       "application/json")
            return
        start = time.perf_counter()
        status, body, content_type = self._route()
        timing = {"Server-Timing": f"answer;dur={(time.perf_counter() - start) * 1000:.2f}"}  # for load tests
        self._send(status, body, content_type, head=head, static=content_type != "application/json", extra=timing)

    def _route(self) -> tuple[int, bytes, str]:
        try:
            url = urlsplit(self.path)
        except ValueError:
            return 400, _json({"error": "malformed URL"}), "application/json"
        if not url.path.startswith("/api/"):
            found = self.server.static.get(url.path)
            if found is None:
                return 404, _json({"error": "not found"}), "application/json"
            return 200, *found
        try:
            return 200, _json(self.server.api.answer(url.path[len("/api/"):], url.query)), "application/json"
        except ApiError as e:
            return e.status, _json({"error": str(e), **e.fields}), "application/json"
        except Exception:  # a bug: one line for the client, the traceback for the server's stderr
            self.server.note(f"error answering {json_text(self.path)[:200]!r}:\n{traceback.format_exc()}")
            return 500, _json({"error": "internal error (the server's log has the details)"}), "application/json"

    def _send(self, status: int, body: bytes, content_type: str, head: bool = False, static: bool = False,
              extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache" if static else "no-store")
        for key, value in {**SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format, *args):
        if self.server.log_requests:
            self.server.note(f"{self.address_string()} {format % args}")


def _hostname(host: str) -> str:
    """The host of a Host header, without the port ('[::1]:8000' -> '::1')."""
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _json(obj) -> bytes:
    # json_text made every word valid Unicode; "replace" only guards against a lone surrogate we missed
    return json.dumps(obj, ensure_ascii=False).encode("utf-8", "replace")


class Server(ThreadingHTTPServer):
    """The API and the static files on (host, port), a thread per connection, at most
    MAX_CONNECTIONS at once."""

    daemon_threads = True  # Ctrl-C does not wait for open connections
    block_on_close = False
    request_queue_size = 1024  # the listen backlog: 200 clients connecting at once are not refused

    def __init__(self, host: str, port: int, api: Api, log_requests: bool = False, notes=None):
        self.notes = notes or _stderr  # where messages go: one string each
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.api = api
        self.log_requests = log_requests
        self.loopback_only = _loopback(host)
        self.static = {}
        for path, (name, content_type) in STATIC.items():
            with open(os.path.join(STATIC_DIR, name), "rb") as f:
                self.static[path] = (f.read(), content_type)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__((host, port), Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"

    def process_request(self, request, client_address):
        """A thread for the connection, if one of the MAX_CONNECTIONS slots is free; else a 503."""
        slots = self._slots
        if not slots.acquire(blocking=False):
            try:
                request.sendall(TOO_MANY)
            except OSError:
                pass
            self.shutdown_request(request)
            return

        def serve():
            try:
                self.process_request_thread(request, client_address)
            finally:
                slots.release()

        threading.Thread(target=serve, daemon=True).start()  # not joined: Ctrl-C never waits for a client

    def handle_error(self, request, client_address):
        """A client that went away is not news; anything else gets one note."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        self.note(f"error with a connection from {client_address[0]}: {traceback.format_exc()}")

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # HTTPServer's would look up the host's name (DNS: slow)
        self.server_name, self.server_port = self.server_address[:2]

    def note(self, message: str) -> None:
        self.notes(f"w2v serve: {message}")


def _stderr(message: str) -> None:
    try:
        print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass
