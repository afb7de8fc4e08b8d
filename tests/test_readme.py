"""The README's promises: its Python examples run as written, and its layout section names every
module the package has (and no other)."""

import gzip
import random
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
TOPICS = [["bank", "money", "loan", "credit", "debt", "cash", "tax", "fund"],
          ["king", "queen", "man", "woman", "prince", "princess", "crown", "throne"],
          ["river", "water", "boat", "shore", "flood", "stream", "lake", "fish"]]


def readme_examples() -> list[str]:
    """The ```python blocks the README marks as tested."""
    return re.findall(r"<!-- tested: tests/test_readme.py[^>]*-->\n```python\n(.*?)```", README, re.S)


def corpus_lines(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(" ".join(rng.choice(topic) for _ in range(10)) + "\n"
                   for topic in (rng.choice(TOPICS) for _ in range(n)))


@pytest.fixture
def files(tmp_path, monkeypatch):
    """The files the examples name, in a fresh working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus.txt").write_text(corpus_lines(3000, 1))
    (tmp_path / "shard1.txt.gz").write_bytes(gzip.compress(corpus_lines(1500, 2).encode()))
    (tmp_path / "shard2.txt").write_text(corpus_lines(1500, 3))
    return tmp_path


def test_the_readme_has_tested_examples():
    assert len(readme_examples()) >= 2


@pytest.mark.parametrize("index", range(len(readme_examples())))
def test_each_python_example_runs_as_written(files, index, capsys):
    exec(compile(readme_examples()[index], f"README.md example {index + 1}", "exec"), {})
    out = capsys.readouterr().out
    assert "Traceback" not in out


def test_the_first_example_finds_what_the_corpus_planted(files, capsys):
    exec(compile(readme_examples()[0], "README.md example 1", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    losses = eval(lines[0])
    assert len(losses) == 5 and losses[-1] < losses[0]  # the loss falls, epoch by epoch
    bank = eval(lines[1])  # [(word, cosine), ...]
    assert {w for w, _ in bank} <= set(TOPICS[0])
    assert eval(lines[5])[0][0] in TOPICS[1]  # the analogy lands among the royals


def test_the_layout_section_names_every_module_and_only_those():
    layout = README[README.index("## Layout") :]
    named = set(re.findall(r"`(\w+)\.py`", layout))
    package = ROOT / "w2vcli"
    modules = {p.stem for p in package.glob("*.py")} | {p.stem for p in (package / "cli").glob("*.py")}
    modules -= {"__init__", "__main__"}
    assert named == modules, (sorted(modules - named), sorted(named - modules))
