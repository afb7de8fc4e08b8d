"""Fuzzing every command's output path: words of any bytes (invalid UTF-8, backslashes, control
bytes) x stdout encodings (as PYTHONIOENCODING sets them, strict) x TSV and JSON. No traceback,
always valid UTF-8 where words are shown, and the shown form leads back to the very bytes."""

import io
import json
import sys

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from w2vcli.cli import main
from w2vcli.formats import write_vectors
from w2vcli.words import decode_word, encode_word, unescape

ENCODINGS = ["utf-8", "latin-1", "ascii"]
# bytes a word can hold in a word2vec file: anything but the separators
WORD_BYTE = st.integers(0, 255).filter(lambda b: b not in b" \t\n\r\x00\x0b\x0c")
WORDS = st.lists(st.binary(min_size=1, max_size=6).map(lambda w: bytes(b for b in w if b not in b" \t\n\r\x00\x0b\x0c"))
                 .filter(lambda w: w and w != b"</s>"), min_size=3, max_size=8, unique=True)


def invoke(args, encoding, stdin=b""):
    """Run the CLI in this process with stdout/stderr as Python makes them for PYTHONIOENCODING
    (strict errors); returns (exit code, stdout bytes, stderr bytes)."""
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdout, sys.stderr, sys.stdin
    streams = (io.TextIOWrapper(out, encoding=encoding, errors="strict", write_through=True),
               io.TextIOWrapper(err, encoding=encoding, errors="strict", write_through=True),
               io.TextIOWrapper(io.BytesIO(stdin), encoding=encoding))
    sys.stdout, sys.stderr, sys.stdin = streams
    try:
        code = main.main(args=[str(a) for a in args], standalone_mode=False, prog_name="w2v")
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
        for stream in streams:
            stream.flush()
            stream.detach()  # the bytes stay readable
    return code or 0, out.getvalue(), err.getvalue()


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])


@FUZZ
@given(words=WORDS, encoding=st.sampled_from(ENCODINGS))
def test_every_output_path_shows_any_word_by_the_rule(tmp_path_factory, words, encoding):
    tmp = tmp_path_factory.mktemp("fuzz")
    vecs = tmp / "v.bin"
    rng = np.random.default_rng(len(words))
    write_vectors(str(vecs), words, rng.normal(0, 1, (len(words), 4)).astype(np.float32), binary=True)
    known = {decode_word(w) for w in words}
    first, second, third = (decode_word(w) for w in words[:3])
    corpus = tmp / "c.txt"
    corpus.write_bytes(b" ".join(words * 5) + b"\n")
    tokens = tmp / "tokens.txt"
    tokens.write_bytes(b"\n".join(words) + b"\n\xff\xfeunknown\n")
    questions = tmp / "q.txt"
    questions.write_bytes(b": s\xe9ction\n" + b" ".join(words[:3] + words[:1]) + b"\n")

    runs = {  # words after --: a word may start with '-'
        "nearest": ["nearest", "-m", vecs, "-n", 3, "--", first],
        "nearest-json": ["nearest", "-m", vecs, "-n", 3, "--json", "--", first],
        "analogy": ["analogy", "-m", vecs, "--json", "--", first, second, third],
        "similarity": ["similarity", "-m", vecs, "--", first, second],
        "info": ["info", vecs],
        "info-json": ["info", vecs, "--json"],
        "classes-json": ["classes", "-m", vecs, "-k", 2, "--json"],
        "plot": ["plot", "-m", vecs, "-o", tmp / "map.svg", "--json", "--neighbours", 2, "--", first],
        "export": ["export", "-m", vecs, "--vocab", tokens, "-o", tmp / "e.npy", "--json"],
        "eval": ["eval", "-m", vecs, "--analogies", questions],
        "senses": ["senses", "-m", vecs, "--corpus", corpus, "--senses", 1, "--json", "--", first],
    }
    for name, args in runs.items():
        code, out, err = invoke(args, encoding)
        assert code in (0, 1), (name, code, err)
        assert b"Traceback" not in err
        text = out.decode("utf-8")  # shown output is valid UTF-8, whatever the locale
        if name.endswith("json") or "--json" in args:
            for line in text.splitlines():
                _check_json_words(json.loads(line), known)
        elif name in ("nearest",):
            for line in text.splitlines():
                assert unescape(line.split("\t")[0]) in known
    # stdin queries: each word as shown leads back to the word
    shown_lines = invoke(["nearest", "-m", vecs, "-n", 3, "--", first], encoding)[1]
    query = b"\n".join(line.split(b"\t")[0] for line in shown_lines.splitlines()) + b"\n"
    code, out, err = invoke(["nearest", "-m", vecs, "-n", 1], encoding, stdin=query)
    assert code == 0, err
    # raw outputs (files of words) keep the very bytes
    code, out, _ = invoke(["classes", "-m", vecs, "-k", 2], encoding)
    assert code == 0 and sorted(line.rsplit(b" ", 1)[0] for line in out.splitlines()) == sorted(words)
    code, out, _ = invoke(["vocab", corpus, "--min-count", 1, "-q"], encoding)
    assert code == 0 and sorted(line.rsplit(b" ", 1)[0] for line in out.splitlines()) == sorted([*words, b"</s>"])


def _check_json_words(obj, known):
    """Every {"word": ...} holds valid Unicode; where bytes were lost, "escaped" gives them back."""
    if isinstance(obj, dict):
        if "word" in obj and isinstance(obj["word"], str):
            original = unescape(obj["escaped"]) if "escaped" in obj else obj["word"]
            assert "\ufffd" not in obj["word"] or "escaped" in obj or original in known
            if "escaped" in obj:
                assert original in known and encode_word(original)
        for value in obj.values():
            _check_json_words(value, known)
    elif isinstance(obj, list):
        for value in obj:
            _check_json_words(value, known)
