import random
import shutil
import signal
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from w2vcli.cli import main

TOPICS = {
    "animals": ["cat", "dog", "horse", "cow", "sheep", "goat", "pig", "duck"],
    "finance": ["money", "bank", "loan", "credit", "debt", "cash", "tax", "fund"],
    "weather": ["rain", "snow", "wind", "storm", "cloud", "sun", "fog", "hail"],
}


def topic_corpus(path: Path, sentences: int = 3000, length: int = 12, seed: int = 0) -> Path:
    """Sentences drawn from one topic each: words of a topic co-occur, words of different topics never."""
    rng = random.Random(seed)
    names = sorted(TOPICS)
    with open(path, "w") as f:
        for _ in range(sentences):
            words = TOPICS[rng.choice(names)]
            f.write(" ".join(rng.choice(words) for _ in range(length)) + "\n")
    return path


RIVER = ["river", "water", "shore", "fish", "boat", "mud", "flood", "stream", "reeds", "willow"]
MONEY = ["money", "loan", "cash", "credit", "debt", "interest", "account", "deposit", "teller", "vault"]
ANIMAL = ["cat", "dog", "horse", "cow", "sheep", "goat", "pig", "duck", "hen", "mouse"]


def two_sense_corpus(path: Path) -> list[int]:
    """'bank' in river lines and in money lines (two senses), 'cat' only in animal lines: 6000
    lines of 10 words; returns each 'bank' occurrence's sense (0 river, 1 money), in order."""
    rng = random.Random(0)
    truth, lines = [], []
    for line in range(6000):
        topic = [RIVER, MONEY, ANIMAL][line % 3]
        words = [rng.choice(topic) for _ in range(10)]
        if topic is not ANIMAL:
            words[rng.randrange(10)] = "bank"
            truth.append(0 if topic is RIVER else 1)
        lines.append(" ".join(words) + "\n")
    path.write_text("".join(lines))
    return truth


@pytest.fixture
def topics(tmp_path) -> Path:
    return topic_corpus(tmp_path / "topics.txt")


@pytest.fixture
def w2v():
    """Run the CLI in-process; returns the click Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


def peer_tool(name: str) -> Path | None:
    """A binary of the original C toolkit, as built by the `word2vec` PyPI package (a test extra)."""
    path = Path(sys.executable).parent / name
    if path.exists():
        return path
    found = shutil.which(name)
    return Path(found) if found else None


# -- w2v serve: a small model with planted answers, and a server for it on an ephemeral port

def planted_model(path: Path, variant: str = "a") -> Path:
    """16-d vectors: bank's neighbours are money, loan, credit (in that order; variant "b" puts
    river and shore first instead); king - man + woman is exactly queen; 40 filler words are
    orthogonal to all of these. One word's bytes are not UTF-8 (caf\\xe9)."""
    import numpy as np

    from w2vcli.formats import write_vectors

    e = np.eye(16, dtype=np.float32)
    rows = {
        b"bank": e[0], b"money": e[0] + 0.3 * e[1], b"loan": e[0] + 0.45 * e[2], b"credit": e[0] + 0.6 * e[3],
        b"banking": 0.5 * e[0] + e[1] + e[2] + e[3],
        b"man": e[4] + e[5], b"woman": e[4] - e[5], b"king": e[6] + e[5], b"queen": e[6] - e[5],
        b"caf\xe9": e[7], b"cafe": e[7] + 0.2 * e[8],
    }
    if variant == "b":
        rows[b"river"], rows[b"shore"] = e[0] + 0.2 * e[9], e[0] + 0.25 * e[10]
        rows[b"credit"] = 0.2 * e[0] + e[3]
    rng = np.random.default_rng(7)
    for i in range(40):
        filler = np.zeros(16, np.float32)
        filler[11:] = rng.standard_normal(5)
        rows[b"filler%d" % i] = filler
    write_vectors(str(path), list(rows), np.array(list(rows.values()), np.float32), binary=True)
    return path


class RunningServer:
    """A w2v server on 127.0.0.1 and an ephemeral port, in a thread of this process."""

    def __init__(self, models, corpus=None):
        import threading

        from w2vcli import cache
        from w2vcli.serve import Api, Server

        api = Api([(Path(p).name, cache.load(str(p), use_cache=False)) for p in models], corpus)
        self.server = Server("127.0.0.1", 0, api, notes=lambda message: None)
        self.port = self.server.server_address[1]
        self.url = self.server.url
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def get(self, target: str, method: str = "GET", headers=None):
        """(status, headers, body bytes) of one request, sent as written (no normalising)."""
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, target, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
            for key, value in (headers or {}).items():
                conn.putheader(key, value)
            conn.endheaders()
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def json(self, target: str):
        import json

        status, headers, body = self.get(target)
        assert headers["Content-Type"] == "application/json"
        return status, json.loads(body.decode("utf-8"))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    return planted_model(tmp_path_factory.mktemp("planted") / "planted.bin")


@pytest.fixture(scope="module")
def planted_b(tmp_path_factory) -> Path:
    return planted_model(tmp_path_factory.mktemp("planted_b") / "retrained.bin", variant="b")


@pytest.fixture(scope="module")
def server(planted, tmp_path_factory):
    """w2v serve on the planted model, with a corpus for the senses view (one per test module)."""
    corpus = topic_corpus(tmp_path_factory.mktemp("corpus") / "topics.txt", sentences=600)
    running = RunningServer([planted], corpus=str(corpus))
    yield running
    running.close()


@pytest.fixture(scope="module")
def two(planted, planted_b):
    """w2v serve comparing two planted models."""
    running = RunningServer([planted, planted_b])
    yield running
    running.close()


def with_default_signals():
    """For subprocesses that a test signals: Ctrl-C as a terminal gives it, even where this test
    run was started with SIGINT ignored (a background job of a script)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
