"""w2v serve: the exact search against Vectors, and the HTTP API on a real server (127.0.0.1,
an ephemeral port): every endpoint's answers and its bad inputs, path traversal, headers,
methods, a slow client, and the command's start, Ctrl-C and busy port."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import with_default_signals

from w2vcli.search import PrefixIndex, Searcher
from w2vcli.serve import MAX_N, MAX_QUERY, MAX_WORD, MAX_WORDS
from w2vcli.vectors import Vectors

# -- the search itself

def test_searcher_matches_vectors():
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(3000)]
    matrix = rng.standard_normal((3000, 40)).astype(np.float32)
    matrix[17] = 0  # an all-zero row scores 0, as in Vectors
    vectors = Vectors(words, matrix)
    search = Searcher(vectors)
    for query, negative in ((["w5"], []), (["w1", "w2"], []), (["w9"], ["w10", "w11"])):
        for n in (1, 10, 500, 1500):  # 1500: the candidate buffer (1024) grows
            ours, theirs = search.nearest(query, n, negative), vectors.nearest(query, n, negative)
            assert [w for w, _ in ours] == [w for w, _ in theirs]
            assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    ours, theirs = search.analogy("w1", "w2", "w3", 20), vectors.analogy("w1", "w2", "w3", 20)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert len(search.nearest(["w5"], 10_000)) == 2999  # every word but the query


@pytest.mark.parametrize("seed", range(6))
def test_searcher_is_exact_on_awkward_matrices(seed):
    """Clusters (high cosines), near-duplicate rows, a huge component, tiny dimensions: the
    int8 codes only steer the search, the answers are Vectors' to float32 rounding."""
    rng = np.random.default_rng(seed)
    dim = [1, 2, 7, 64, 300, 33][seed]
    centres = rng.standard_normal((5, dim))
    matrix = centres[rng.integers(5, size=2000)] + 0.05 * rng.standard_normal((2000, dim))
    matrix[100:150] = matrix[99] + 1e-6 * rng.standard_normal((50, dim))  # near-duplicates
    matrix[200, 0] = 1e4
    matrix[300] = 0
    vectors = Vectors([f"w{i}" for i in range(2000)], matrix.astype(np.float32))
    search = Searcher(vectors)
    for word in ("w0", "w99", "w200", "w777"):
        for n in (1, 10, 100):
            ours, theirs = search.nearest([word], n), vectors.nearest(word, n)
            assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
            cut = theirs[-1][1] + 1e-5  # above the last score: no tie can reorder these
            assert {w for w, s in ours if s > cut} == {w for w, s in theirs if s > cut}


def test_searcher_zero_query():
    vectors = Vectors(["a", "b", "c"], np.array([[1, 0], [0, 1], [1, 1]], np.float32))
    assert Searcher(vectors).nearest(["a"], 5, negative=["a"]) == [("b", 0.0), ("c", 0.0)]
    assert vectors.nearest(["a"], 5, negative=["a"]) == [("b", 0.0), ("c", 0.0)]


def test_searcher_ties_keep_vocabulary_order():
    vectors = Vectors(["q", "a", "b", "c", "d"], np.array([[1, 0], [1, 1], [1, 1], [1, 1], [0, 1]], np.float32))
    assert [w for w, _ in Searcher(vectors).nearest(["q"], 2)] == ["a", "b"]


def test_prefix_index_most_frequent_first():
    index = PrefixIndex(["the", "bank", "band", "ban", "banks", "b\udcff", "zebra"])
    assert index.find("ban", 10) == ["bank", "band", "ban", "banks"]
    assert index.find("ban", 2) == ["bank", "band"]
    assert index.find("b\\xff", 5) == ["b\udcff"]  # the escaped form finds a word that is not UTF-8
    assert index.find("q", 5) == []


# -- the contract

def test_nearest(server):
    status, body = server.json("/api/nearest?word=bank&n=3")
    assert status == 200
    assert body["query"] == ["bank"]
    assert [n["word"] for n in body["neighbours"]] == ["money", "loan", "credit"]
    assert body["neighbours"][0]["cosine"] == pytest.approx(0.957826, abs=1e-5)
    status, body = server.json("/api/nearest?word=king&word=woman&neg=man&n=1")
    assert (status, body["query"], body["negative"]) == (200, ["king", "woman"], ["man"])
    assert body["neighbours"][0]["word"] == "queen"


def test_analogy_similarity_words(server):
    status, body = server.json("/api/analogy?a=man&b=king&c=woman&n=5")
    assert status == 200 and body["query"] == ["man", "king", "woman"]
    assert body["neighbours"][0] == {"word": "queen", "cosine": pytest.approx(1.0, abs=1e-5)}
    assert len(body["neighbours"]) == 5
    status, body = server.json("/api/similarity?a=bank&b=money")
    assert status == 200 and body["cosine"] == pytest.approx(0.957826, abs=1e-5)
    status, body = server.json("/api/words?prefix=ban&limit=20")
    assert status == 200 and body["words"] == ["bank", "banking"]
    assert server.json("/api/words?prefix=ban&limit=1")[1]["words"] == ["bank"]


def test_map(server):
    for layout in ("pca", "tsne"):
        status, body = server.json(f"/api/map?word=bank&n=8&layout={layout}")
        assert status == 200 and body["layout"] == layout
        points = body["points"]
        assert [p["word"] for p in points[:4]] == ["bank", "money", "loan", "credit"] and len(points) == 9
        assert all(np.isfinite([p["x"], p["y"]]).all() for p in points)


def test_senses(server):
    status, body = server.json("/api/senses?word=bank&n=4&examples=2")
    assert status == 200 and body["query"] == ["bank"] and body["occurrences"] > 0
    sense = body["senses"][0]
    assert len(sense["neighbours"]) == 4 and len(sense["examples"]) == 2 and "[bank]" in sense["examples"][0]


def test_compare_two_files(two):
    status, body = two.json("/api/compare?word=bank&n=3")
    assert status == 200 and body["query"] == ["bank"]
    a, b = body["models"]
    assert (a["name"], b["name"]) == ("planted.bin", "retrained.bin")
    assert [n["word"] for n in a["neighbours"]] == ["money", "loan", "credit"]
    assert [n["word"] for n in b["neighbours"]] == ["river", "shore", "money"]
    assert body["shared"] == 1
    status, body = two.json("/api/compare?word=river")  # only in B: A's side says so
    assert status == 200 and "unknown word" in body["models"][0]["error"] and body["models"][1]["neighbours"]
    assert two.json("/api/nearest?word=river&model=1")[0] == 200
    assert two.json("/api/nearest?word=river&model=0")[0] == 404
    assert two.json("/api/info")[1]["models"][1] == {"name": "retrained.bin", "words": 53, "dims": 16}


def test_word_not_utf8(server):
    status, raw_headers, raw = server.get("/api/nearest?word=cafe&n=1")
    body = json.loads(raw.decode("utf-8"))  # valid UTF-8 whatever the words' bytes
    assert body["neighbours"] == [{"word": "caf\ufffd", "cosine": pytest.approx(0.980581, abs=1e-5),
                                   "escaped": "caf\\xe9"}]
    status, body = server.json("/api/similarity?a=caf%5Cxe9&b=cafe")  # the escaped form finds it
    assert status == 200
    assert server.json("/api/words?prefix=caf")[1]["words"] == ["caf\\xe9", "cafe"]


# -- bad input: 400, 404 with suggestions, never a 500

@pytest.mark.parametrize("target", [
    "/api/nearest", "/api/nearest?word=", "/api/nearest?n=5", f"/api/nearest?word={'a' * (MAX_WORD + 1)}",
    "/api/nearest?word=%ff", "/api/nearest?word=%c3%28", "/api/nearest?word=bank&n=-1",
    "/api/nearest?word=bank&n=1000000000", "/api/nearest?word=bank&n=0", "/api/nearest?word=bank&n=abc",
    "/api/nearest?word=bank&n=1e3", "/api/nearest?word=bank&n=", "/api/nearest?word=bank&n=%EF%BC%95",
    f"/api/nearest?word=bank&n={MAX_N + 1}", "/api/nearest?word=bank&n=5&n=6", "/api/nearest?word=bank+money",
    "/api/nearest?word=bank%0Amoney", "/api/nearest?word=bank&model=1", "/api/nearest?word=bank&model=-1",
    "/api/nearest?" + "&".join(["word=bank"] * (MAX_WORDS + 1)),
    "/api/nearest?word=bank&" + "&".join(["neg=money"] * MAX_WORDS),
    "/api/nearest?word=" + "a" * (MAX_QUERY + 10), "/api/nearest?" + "x=1&" * 200,
    "/api/analogy?a=man&b=king", "/api/analogy?a=man&b=king&c=", "/api/analogy?a=man&b=king&c=woman&n=-1",
    "/api/analogy?a=man&b=%ff&c=woman", "/api/analogy?a=man&a=men&b=king&c=woman",
    "/api/similarity?a=bank", "/api/similarity?a=&b=bank", "/api/similarity?a=%fe&b=bank",
    f"/api/similarity?a=bank&b={'x' * 5000}",
    "/api/words", "/api/words?prefix=", "/api/words?prefix=ban&limit=0", "/api/words?prefix=ban&limit=1000000000",
    "/api/words?prefix=ban&limit=-1", "/api/words?prefix=%ff", f"/api/words?prefix={'b' * (MAX_WORD + 1)}",
    "/api/map", "/api/map?word=bank&n=-1", "/api/map?word=bank&n=1000000000", "/api/map?word=bank&n=200",
    "/api/map?word=bank&layout=umap", "/api/map?word=%80",
    "/api/compare?word=bank",  # one file: compare needs two
    "/api/senses", "/api/senses?word=bank&n=-1", "/api/senses?word=bank&examples=1000000000",
])
def test_bad_input_is_400(server, target):
    status, body = server.json(target)
    assert status == 400, body
    assert list(body) == ["error"] and "\n" not in body["error"]


@pytest.mark.parametrize("target", ["/api/nearest?word=bnak", "/api/nearest?word=bank&neg=mony",
                                    "/api/analogy?a=man&b=kng&c=woman", "/api/similarity?a=bank&b=qeen",
                                    "/api/map?word=bnak", "/api/senses?word=bnak", "/api/nearest?word=%5Cxzz"])
def test_unknown_word_is_404_with_suggestions(server, target):
    status, body = server.json(target)
    assert status == 404 and body["error"].startswith("unknown word") and isinstance(body["suggestions"], list)
    if "bnak" in target:
        assert body["suggestions"] == ["bank"]


def test_bad_input_with_two_files(two):
    assert two.json("/api/compare?word=bnak") == (404, {"error": "unknown word 'bnak'", "word": "bnak",
                                                       "suggestions": ["bank"]})
    assert two.json("/api/compare?word=bank&n=-1")[0] == 400
    assert two.json("/api/nearest?word=bank&model=2")[0] == 400
    assert two.json("/api/senses?word=bank") == (400, {"error": "senses need a corpus (w2v serve --corpus FILE)"})


@pytest.mark.parametrize("target", [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/..%2f..%2fetc%2fpasswd",
    "/static/../serve.py", "/app.js/../../serve.py", "//etc/passwd", "/api/../../../etc/passwd",
    "/api/%2e%2e/%2e%2e/etc/passwd", "/serve.py", "/static/app.js", "/__init__.py", "/index.html/",
    "/%5c..%5c..%5cetc%5cpasswd", "/....//....//etc/passwd", "/api/", "/api/nearest/", "/api/info.json",
    "/etc/passwd", "/.git/config", "/app.js%00.html",
])
def test_only_the_static_files_are_served(server, target):
    status, headers, body = server.get(target)
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert b"root:" not in body and b"import" not in body


def test_static_files_and_headers(server):
    for target, kind, start in (("/", "text/html", b"<!doctype html>"), ("/?word=bank", "text/html", b"<!doctype"),
                                ("/app.js", "text/javascript", b"//"), ("/style.css", "text/css", b"/*"),
                                ("/favicon.svg", "image/svg+xml", b"<svg")):
        status, headers, body = server.get(target)
        assert status == 200 and headers["Content-Type"].startswith(kind) and body.startswith(start)
    for target in ("/", "/api/info", "/api/nearest?word=bnak", "/nothing"):
        status, headers, _ = server.get(target)
        assert headers["X-Content-Type-Options"] == "nosniff"
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    status, headers, body = server.get("/api/info", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"])
def test_other_methods_are_405(server, method):
    status, headers, body = server.get("/api/nearest?word=bank", method=method)
    assert status == 405 and headers["Content-Type"] == "application/json" and "error" in json.loads(body)


def test_foreign_host_header_is_refused(server):
    status, _, body = server.get("/api/info", headers={"Host": "attacker.example:8000"})
    assert status == 403 and "error" in json.loads(body)
    assert server.get("/api/info", headers={"Host": f"localhost:{server.port}"})[0] == 200


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_malformed_requests_get_json_errors(server):
    for data in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
                 b"GET /api/info HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"):
        answer = raw_request(server.port, data)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split()[1] in (b"400", b"414", b"505"), answer[:200]
        assert b"application/json" in head and "error" in json.loads(body)


def test_a_slow_client_does_not_hold_up_the_others(server):
    slow = socket.create_connection(("127.0.0.1", server.port))
    try:
        slow.sendall(b"GET /api/nearest?word=bank HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never finishes
        start = time.perf_counter()
        for _ in range(20):
            assert server.json("/api/nearest?word=bank&n=3")[0] == 200
        assert time.perf_counter() - start < 5
    finally:
        slow.close()


def test_connections_over_the_limit_are_told_503(server):
    import threading

    slots = server.server._slots
    server.server._slots = threading.BoundedSemaphore(1)
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as held:
            held.sendall(b"GET /api/info HTTP/1.1\r\n")  # holds the one slot, half-sent
            time.sleep(0.2)
            answer = raw_request(server.port, b"GET /api/info HTTP/1.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503 ") and json.loads(answer.partition(b"\r\n\r\n")[2])["error"]
    finally:
        server.server._slots = slots
    assert server.json("/api/info")[0] == 200


def test_keep_alive_answers_several_requests_on_one_connection(server):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    statuses = []
    try:
        for word in ("bank", "money", "bnak", "king"):
            conn.request("GET", f"/api/nearest?word={word}&n=2")
            response = conn.getresponse()
            json.loads(response.read())
            statuses.append(response.status)
    finally:
        conn.close()
    assert statuses == [200, 200, 404, 200]


# -- the command

def w2v_serve(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "w2vcli.cli", "serve", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                            preexec_fn=with_default_signals)


def test_command_prints_the_url_answers_and_stops_on_ctrl_c(planted):
    import http.client

    process = w2v_serve("-m", planted, "--port", 0)
    try:
        url = process.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        host, port = url[len("http://"):-1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/api/nearest?word=bank&n=1")
        assert json.loads(conn.getresponse().read())["neighbours"][0]["word"] == "money"
        conn.close()
        slow = socket.create_connection((host, int(port)))
        slow.sendall(b"GET /api/info HTTP/1.1\r\n")  # an open, half-sent request does not delay the stop
        time.sleep(0.2)
        stopping = time.perf_counter()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
        assert time.perf_counter() - stopping < 5
        slow.close()
    finally:
        process.kill()
    assert process.returncode == 130
    assert b"Traceback" not in err and b"stopped" in err


def test_command_port_in_use_is_one_line(planted, w2v):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = w2v("serve", "-m", planted, "--port", port)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == \
        f"w2v: error: port {port} on 127.0.0.1 is in use (try another --port, or --port 0 for any free one)"


def test_command_bad_arguments(planted, w2v, tmp_path):
    assert w2v("serve", "-m", planted, "-m", planted, "-m", planted).exit_code == 2
    assert w2v("serve", "-m", planted, "--corpus", tmp_path / "missing.txt").exit_code == 2
    assert w2v("serve", "-m", planted, "--port", 70000).exit_code == 2
    result = w2v("serve", "-m", tmp_path / "missing.bin")
    assert result.exit_code == 1 and "Traceback" not in result.stderr

