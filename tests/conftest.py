import random
import shutil
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
