"""w2v tokenize: raw text -> tokens, as a library (tokenize_text, iter_tokens, tokenize_stream) and a command."""

import gzip
import io
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TOPICS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from w2vcli import corpus
from w2vcli.errors import W2VError
from w2vcli.hogwild import TrainConfig, train
from w2vcli.tokenize import (
    TokenizeOptions,
    TokenizeStats,
    iter_tokens,
    tokenize_stream,
    tokenize_text,
)
from w2vcli.vectors import Vectors
from w2vcli.vocab import encode

REPO = Path(__file__).resolve().parent.parent
ZH_TEXT = REPO / "tests" / "data" / "zh_farm_town.txt"
W2V = Path(sys.executable).parent / "w2v"

try:
    import jieba  # noqa: F401
except ImportError:
    jieba = None


def tokens(text, **options):
    return tokenize_text(text, TokenizeOptions(**options))


def filtered(raw: bytes, block_bytes=1 << 20, **options) -> tuple[bytes, TokenizeStats]:
    out = io.BytesIO()
    stats = tokenize_stream(io.BytesIO(raw), out, TokenizeOptions(**options), block_bytes=block_bytes)
    return out.getvalue(), stats


# ---- the rules, with exact tokens

def test_case_and_punctuation_make_one_word_of_bank():
    assert tokens('"Bank," said the BANK. bank! (Bank?)') == ["bank", "said", "the", "bank", "bank", "bank"]


def test_mixed_scripts_are_normalised_and_folded():
    text = "Café NAÏVE Ελληνικά ΣΟΦΊΑ Straße ﬁne Ｆｕｌｌ ＡＢＣ 東京タワー Москва 😀 x²"
    assert tokens(text) == ["café", "naïve", "ελληνικά", "σοφία", "strasse", "fine", "full", "abc", "東京タワー",
                            "москва", "x2"]


def test_decomposed_accents_are_composed():
    assert tokens("Cafe\u0301") == tokens("Café") == ["café"]


def test_emoji_and_symbols_are_punctuation():
    assert tokens("I ❤ w2v 😀👍🏽 $5 + 3 = 8") == ["i", "w2v", "5", "3", "8"]
    assert tokens("I ❤ w2v 😀👍 $5", punct="keep") == ["i", "❤", "w2v", "😀", "👍", "$", "5"]


def test_apostrophes_hyphens_and_underscores_inside_words_stay():
    text = "Don't O’Neil's state-of-the-art new_york 'quoted' -dash- --x-- __init__ rock'n'roll -5 a--b"
    assert tokens(text) == ["don't", "o'neil's", "state-of-the-art", "new_york", "quoted", "dash", "x", "init",
                            "rock'n'roll", "5", "a", "b"]


@pytest.mark.parametrize("mode,expected", [
    ("keep", ["pi", "is", "3.14", "1,000", "people", "in", "1984", "mp3", "2nd", "2002-08-21", "v1.2.3", "x", "5"]),
    ("zero", ["pi", "is", "0.00", "0,000", "people", "in", "0000", "mp0", "0nd", "0000-00-00", "v0.0.0", "x", "0"]),
    ("drop", ["pi", "is", "people", "in", "mp3", "2nd", "v1.2.3", "x"]),
])
def test_numbers(mode, expected):
    assert tokens("Pi is 3.14, 1,000 people in 1984: mp3 2nd 2002-08-21 v1.2.3 x.5", numbers=mode) == expected


def test_digits_of_other_scripts_are_digits_too():
    assert tokens("٢٠٢٤ ४२ 𑁧𑁨", numbers="zero") == ["0000", "00", "00"]  # Arabic-Indic, Devanagari, Brahmi
    assert tokens("٢٠٢٤ ४२ abc", numbers="drop") == ["abc"]


def test_urls_and_emails_become_placeholders():
    text = ("See http://example.com/a?b=1&c=2, https://x.org/path). Or www.Example.com. git://h/r.git; svn+ssh://h "
            "Mail <John.Doe+w2v@mail.example.co.uk>, a@b.c! Not@an-address nor @someone, mailto:x@y.z http://")
    assert tokens(text) == ["see", "<url>", "<url>", "or", "<url>", "<url>", "<url>", "mail", "<email>", "<email>",
                            "not", "an-address", "nor", "someone", "mailto", "<email>", "http"]
    assert tokens("HTTP://X.COM/A, WWW.Y.COM. Www.z", keep_case=True) == ["<url>", "<url>", "Www", "z"]


def test_a_literal_placeholder_in_the_text_is_punctuation_and_a_word():
    assert tokens("<url> <email>") == ["url", "email"]
    assert tokens("\x01 x \x02 y\x01") == ["x", "y"]  # the stand-ins used inside, when the input has them


def test_punct_keep_makes_each_mark_a_token():
    text = "Hello, world... (really?) 'quoted' don't — «ok»"
    assert tokens(text, punct="keep") == ["hello", ",", "world", ".", ".", ".", "(", "really", "?", ")", "'",
                                          "quoted", "'", "don't", "—", "«", "ok", "»"]


def test_keep_case():
    assert tokens("Hello World, BANK Straße", keep_case=True) == ["Hello", "World", "BANK", "Straße"]


def test_controls_invisible_characters_and_odd_spaces_are_never_tokens():
    text = "tab\there\x0bvt\x00nul\u00a0nbsp\u3000ideo co\u00adop\u200bzw \ufffd"
    assert tokens(text) == ["tab", "here", "vt", "nul", "nbsp", "ideo", "coop", "zw"]
    assert tokens(text, punct="keep") == ["tab", "here", "vt", "nul", "nbsp", "ideo", "coop", "zw"]


def test_segment_chars_splits_han_and_kana_only():
    text = "我爱东京タワーとひらがな, Python3 и 한국어"
    assert tokens(text) == ["我爱东京タワーとひらがな", "python3", "и", "한국어"]
    assert tokens(text, segment="chars") == ["我", "爱", "东", "京", "タ", "ワ", "ー", "と", "ひ", "ら", "が", "な",
                                             "python3", "и", "한국어"]


@pytest.mark.skipif(jieba is None, reason="jieba is not installed (pip install 'w2vcli[zh]')")
def test_segment_jieba_cuts_chinese_words():
    assert tokens("我爱北京天安门，用Python写代码。", segment="jieba") == ["我", "爱", "北京", "天安门", "用", "python",
                                                                   "写", "代码"]


def test_missing_jieba_is_a_one_line_error_saying_how_to_install(monkeypatch, tmp_path, w2v):
    monkeypatch.setitem(sys.modules, "jieba", None)  # import jieba now fails
    with pytest.raises(W2VError, match=r"pip install 'w2vcli\[zh\]'"):
        TokenizeOptions(segment="jieba")
    (tmp_path / "zh.txt").write_text("我爱北京\n")
    result = w2v("tokenize", tmp_path / "zh.txt", "--segment", "jieba")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("w2v: error: ")
    assert "pip install 'w2vcli[zh]'" in result.stderr


def test_bad_option_values_are_usage_errors():
    with pytest.raises(W2VError, match="numbers must be one of keep, zero, drop"):
        TokenizeOptions(numbers="words")


# ---- bytes in, bytes out

def test_bom_crlf_blank_lines_and_a_missing_last_line_end():
    out, stats = filtered(b"\xef\xbb\xbfOne, two.\r\n\r\n\r\n  Three!\r\nlast")
    assert out == b"one two\n\n\nthree\nlast\n"
    assert (stats.lines, stats.tokens, stats.replaced_bytes) == (5, 4, 0)


def test_a_line_of_punctuation_becomes_a_blank_line():
    assert filtered(b"a\n-- !!! --\nb\n")[0] == b"a\n\nb\n"


def test_invalid_utf8_bytes_are_replaced_dropped_and_counted():
    out, stats = filtered(b"caf\xe9 ok \xff\xfe\xfd end \xed\xa0\x80x\n")  # Latin-1, junk, an encoded surrogate
    assert out == b"caf ok end x\n"
    assert stats.replaced_bytes == 1 + 3 + 3


def test_utf16_input_is_refused():
    with pytest.raises(W2VError, match="UTF-16"):
        filtered("hello".encode("utf-16"))


def test_empty_input_gives_empty_output():
    assert filtered(b"") == (b"", TokenizeStats())


def long_lines_text(seed=0) -> bytes:
    rng = random.Random(seed)
    # no run without a space is longer than 12 bytes
    words = ["Bank,", "don't", "état", "東京", "😀", "x-y", "3.14", "http://a.b/c", "a@b.cd", "\xad", "¡Hola!"]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 60))) for _ in range(40)]
    return ("\r\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("block_bytes", [13, 16, 64, 1000])
def test_blocks_longer_than_any_run_without_spaces_give_the_same_output(block_bytes):
    raw = long_lines_text()
    whole, stats = filtered(raw)
    assert filtered(raw, block_bytes=block_bytes) == (whole, stats)
    assert whole.count(b"\n") == raw.count(b"\n")
    assert stats.replaced_bytes == 0


def test_a_block_long_run_without_spaces_is_cut_between_characters_never_inside_one():
    raw = ("东京" * 100 + "\n").encode()
    out, stats = filtered(raw, block_bytes=10, segment="chars")
    assert out == (" ".join("东京" * 100) + "\n").encode()
    assert stats.replaced_bytes == 0


def test_iter_tokens_gives_what_train_reads_from_the_filter():
    raw = long_lines_text(1)
    options = TokenizeOptions(numbers="zero")
    direct = [t for block in iter_tokens(io.BytesIO(raw), options, block_bytes=50) for t in block]
    out = io.BytesIO()
    tokenize_stream(io.BytesIO(raw), out, options)
    piped = [t for block in corpus.iter_tokens(io.BytesIO(out.getvalue())) for t in block]
    assert direct == piped
    assert direct.count(corpus.EOS) == raw.count(b"\n")


def raw_topic_text(path: Path, sentences=3000, seed=0) -> Path:
    """conftest's topic corpus as people would write it: capitals, punctuation, CRLF."""
    rng = random.Random(seed)
    names = sorted(TOPICS)
    decorate = [lambda w: w, str.capitalize, str.upper, lambda w: w + ",", lambda w: w + ".", lambda w: f'"{w}"']
    with open(path, "w", newline="") as f:
        for _ in range(sentences):
            words = TOPICS[rng.choice(names)]
            f.write(" ".join(rng.choice(decorate)(rng.choice(words)) for _ in range(12)) + "!\r\n")
    return path


def test_iter_tokens_feeds_encode_and_trains(tmp_path):
    with open(raw_topic_text(tmp_path / "raw.txt"), "rb") as f:
        encoded = encode(iter_tokens(f), min_count=1)
    assert sorted(encoded.vocab.words[1:]) == sorted(w.encode() for ws in TOPICS.values() for w in ws)
    result, _ = train(encoded, TrainConfig(dim=20, sample=0, epochs=3, threads=1))
    vectors = Vectors([w.decode() for w in result.words], result.vectors)
    for topic, words in TOPICS.items():
        for word in words:
            assert all(n in words for n, _ in vectors.nearest(word, 4)), (topic, word)


# ---- the command

def test_cli_round_trip_tokenize_then_train_from_stdin(tmp_path, w2v):
    raw = raw_topic_text(tmp_path / "raw.txt")
    tokenized = w2v("tokenize", raw)
    assert tokenized.exit_code == 0
    assert tokenized.stdout_bytes.count(b"\n") == 3000
    trained = w2v("train", "-", "-o", tmp_path / "v.txt", "--dim", "20", "--sample", "0", "--epochs", "3",
                  "--threads", "1", "--min-count", "1", input=tokenized.stdout_bytes)
    assert trained.exit_code == 0, trained.stderr
    vectors = Vectors.load(str(tmp_path / "v.txt"))
    assert sorted(vectors.words[1:]) == sorted(w for ws in TOPICS.values() for w in ws)
    assert all(n in TOPICS["finance"] for n, _ in vectors.nearest("bank", 4))


def test_train_tokenize_is_the_pipeline_in_one_step(tmp_path, w2v):
    """`w2v train raw --tokenize` writes the very bytes `w2v tokenize raw | w2v train -` writes;
    w2vcli.train(tokenize=...) takes the options from Python."""
    import w2vcli
    from w2vcli.tokenize import TokenizeOptions

    raw = raw_topic_text(tmp_path / "raw.txt", sentences=800)
    common = ["--dim", "12", "--epochs", "2", "--threads", "1", "--min-count", "1", "--seed", "3"]
    piped = w2v("train", "-", "-o", tmp_path / "piped.bin", *common, input=w2v("tokenize", raw).stdout_bytes)
    direct = w2v("train", raw, "--tokenize", "-o", tmp_path / "direct.bin", *common)
    assert piped.exit_code == direct.exit_code == 0, direct.stderr
    assert (tmp_path / "direct.bin").read_bytes() == (tmp_path / "piped.bin").read_bytes()
    assert "tokenized: 800 lines" in direct.stderr
    cased = w2vcli.train(str(raw), tokenize=TokenizeOptions(keep_case=True), dim=8, epochs=1, min_count=1)
    assert any(w[:1].isupper() for w in cased.words) and not any(
        w[:1].isupper() for w in Vectors.load(str(tmp_path / "direct.bin")).words)


def test_a_real_pipeline_into_train(tmp_path):
    raw_topic_text(tmp_path / "raw.txt", sentences=500)
    run = subprocess.run(["bash", "-o", "pipefail", "-c",
                          f"'{W2V}' tokenize raw.txt | '{W2V}' train - -o v.bin --min-count 1 --epochs 1 -q"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "500 lines, 6,000 tokens, 0 bytes that were not UTF-8 replaced" in run.stderr
    assert set(Vectors.load(str(tmp_path / "v.bin")).words) == {"</s>"} | {w for ws in TOPICS.values() for w in ws}


def test_output_file_inputs_in_turn_and_compressed_input(tmp_path, w2v):
    (tmp_path / "a.txt").write_bytes(b"One. TWO\nthree")
    with gzip.open(tmp_path / "b.txt.gz", "wb") as f:
        f.write("Four, five\n".encode())
    result = w2v("tokenize", tmp_path / "a.txt", tmp_path / "b.txt.gz", "-o", tmp_path / "out.txt")
    assert result.exit_code == 0
    assert (tmp_path / "out.txt").read_bytes() == b"one two\nthree\nfour five\n"
    assert result.stdout == ""
    assert result.stderr.startswith("3 lines, 5 tokens, 0 bytes that were not UTF-8 replaced")


def test_stdin_to_stdout_and_the_replaced_bytes_reported(w2v):
    result = w2v("tokenize", "-", input=b"Caf\xe9 \xff au lait\n")
    assert result.exit_code == 0
    assert result.stdout_bytes == b"caf au lait\n"
    assert "2 bytes that were not UTF-8 replaced" in result.stderr
    assert w2v("tokenize", "-q", input=b"x\n").stderr == ""


def test_output_onto_an_input_is_refused_before_any_work(tmp_path, w2v):
    raw = tmp_path / "raw.txt"
    raw.write_text("Keep me.\n")
    result = w2v("tokenize", raw, "-o", raw)
    assert result.exit_code == 2
    assert "is the same file as input" in result.stderr
    os.link(raw, tmp_path / "hard.txt")
    assert w2v("tokenize", raw, "-o", tmp_path / "hard.txt").exit_code == 2
    with open(raw, "ab") as out:  # w2v tokenize raw.txt >> raw.txt
        run = subprocess.run([W2V, "tokenize", raw], stdout=out, stderr=subprocess.PIPE, text=True)
    assert run.returncode == 2 and "standard output is the same file" in run.stderr
    assert raw.read_text() == "Keep me.\n"


def test_bad_inputs_are_one_line_errors(tmp_path, w2v):
    for args, code in [(["missing.txt"], 1), ([tmp_path], 2), (["--numbers", "words"], 2),
                       (["-o", tmp_path / "no" / "dir.txt", "-"], 1)]:
        result = w2v("tokenize", *args, input=b"x\n")
        assert result.exit_code == code, (args, result.stderr)
        assert "Traceback" not in result.stderr
    utf16 = tmp_path / "u16.txt"
    utf16.write_text("hello", encoding="utf-16")
    result = w2v("tokenize", utf16)
    assert result.exit_code == 1 and result.stderr.startswith("w2v: error: the input starts with a UTF-16")
    if os.path.exists("/dev/full"):  # a full disk behind stdout
        (tmp_path / "x.txt").write_text("x\n")
        with open("/dev/full", "wb") as full:
            run = subprocess.run([W2V, "tokenize", tmp_path / "x.txt", "-q"], stdout=full, stderr=subprocess.PIPE)
        assert run.returncode == 1
        assert run.stderr == b"w2v: error: cannot write to standard output: No space left on device\n"


def test_output_is_utf8_whatever_the_locale_and_a_closed_pipe_is_quiet(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_bytes(("Café 東京 naïve\n" * 200_000).encode())
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    run = subprocess.run([W2V, "tokenize", raw, "-q"], capture_output=True, env=env)
    assert run.returncode == 0
    assert run.stdout == "café 東京 naïve\n".encode() * 200_000
    run = subprocess.run(["bash", "-c", f"'{W2V}' tokenize '{raw}' | head -1; exit ${{PIPESTATUS[0]}}"],
                         capture_output=True, env=env)
    assert run.returncode == 0
    assert run.stdout == "café 東京 naïve\n".encode() and run.stderr == b""


# ---- the README's examples

def readme_commands() -> list[tuple[str, list[str] | None]]:
    """(command, shown output or None) for each command of the README's tokenize section."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Raw text in: w2v tokenize", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```\n(.*?)```", section, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands and commands[-1][1] is not None and block.startswith("$ "):
                commands[-1][1].append(line)
            else:
                commands.append((line, None))
    return commands


def test_the_readme_examples_run_and_show_what_they_print(tmp_path):
    commands = readme_commands()
    assert len(commands) >= 5
    raw = "Dear Bank, the BANK's rate rose 3.5% in 1984; see https://example.com.\n" * 100
    (tmp_path / "raw.txt").write_text(raw)
    with gzip.open(tmp_path / "raw.txt.gz", "wt") as f:
        f.write(raw)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(ZH_TEXT.parent)
    env = {**os.environ, "PATH": f"{W2V.parent}{os.pathsep}{os.environ['PATH']}"}
    for command, shown in commands:
        if "--segment jieba" in command and jieba is None:
            continue
        run = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=tmp_path, env=env, capture_output=True,
                             text=True)
        assert run.returncode == 0, (command, run.stderr)
        if shown is None:
            continue
        printed = run.stdout.splitlines()
        if "w2v nearest" in command:  # trained vectors: the same neighbours, scores may move with the CPU
            words = {line.split("\t")[0] for line in printed}
            assert len(words & {line.split("\t")[0] for line in shown}) >= 3, (printed, shown)
        else:
            assert printed == shown, command


def test_the_chinese_text_trains_with_chars_too(tmp_path, w2v):
    tokenized = w2v("tokenize", ZH_TEXT, "--segment", "chars")
    assert tokenized.exit_code == 0
    assert "鱼 要 新 鲜" in tokenized.stdout
    trained = w2v("train", "-", "-o", tmp_path / "zh.txt", "--min-count", "2", "--dim", "30", "--window", "3",
                  "--epochs", "100", "--sample", "0", "--threads", "1", input=tokenized.stdout_bytes)
    assert trained.exit_code == 0
    neighbours = [w for w, _ in Vectors.load(str(tmp_path / "zh.txt")).nearest("鱼", 6)]
    assert len(set(neighbours) & set("菜肉米面汤茶河")) >= 3, neighbours


# ---- whatever the bytes

# pieces that exercise every pass: words, joiners, numbers, addresses, scripts, emoji, blanks, bad bytes
PIECES = st.sampled_from([b"Bank", b"don't", b"-", b"'", b"_", b".", b",", b"3", b"14", b" ", b"  ", b"\n", b"\r\n",
                          b"\t", b"http://", b"www.", b"a@b.cd", b"@", "東京".encode(), "ひら".encode(),
                          "😀".encode(), "\u200d".encode(), "\ufe0f".encode(), "é".encode(), "e\u0301".encode(),
                          b"\x01", b"\x02", b"\x00", b"\xff", b"\xe6\x9d", b"\xf0\x9f", "\u00ad".encode()])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(PIECES, st.binary(max_size=6)), max_size=60).map(b"".join),
       st.sampled_from([TokenizeOptions(), TokenizeOptions(punct="keep", numbers="zero"),
                        TokenizeOptions(numbers="drop", segment="chars", keep_case=True)]))
def test_any_bytes_give_utf8_lines_of_tokens_and_the_same_tokens_both_ways(raw, options):
    out = io.BytesIO()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        with pytest.raises(W2VError, match="UTF-16"):
            tokenize_stream(io.BytesIO(raw), out, options)
        return
    stats = tokenize_stream(io.BytesIO(raw), out, options)
    text = out.getvalue().decode("utf-8")  # valid UTF-8, whatever came in
    body = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark alone is an empty file
    assert text.count("\n") == stats.lines == body.count(b"\n") + (not body.endswith(b"\n") and bool(body))
    assert all(line == " ".join(line.split()) for line in text.split("\n"))  # single spaces, none at the ends
    assert not any(c in text for c in "\x00\x01\x02\t\r\ufffd\u200d\ufe0f")
    direct = [t for block in iter_tokens(io.BytesIO(raw), options) for t in block]
    assert direct == [t for block in corpus.iter_tokens(io.BytesIO(out.getvalue())) for t in block]


def test_progress_on_a_terminal_and_only_the_summary_elsewhere(tmp_path):
    import pty

    raw = tmp_path / "raw.txt"
    raw.write_text("Some words, and more.\n" * 1000)
    master, slave = pty.openpty()
    try:
        run = subprocess.run([W2V, "tokenize", raw, "-o", tmp_path / "out.txt"], stderr=slave, timeout=60)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert run.returncode == 0
    seen = seen.replace(b"\r\n", b"\n")  # the terminal's line ends
    assert b"\r0.0 MB read, 1,000 lines, 4,000 tokens\n" in seen  # rewritten in place, then left on its line
    assert b"\n1,000 lines, 4,000 tokens, 0 bytes that were not UTF-8 replaced; 0.0 MB in " in seen
    piped = subprocess.run([W2V, "tokenize", raw, "-o", tmp_path / "out.txt"], capture_output=True)
    assert piped.stderr.count(b"\n") == 1 and b"\r" not in piped.stderr
