"""Everyday mistakes and hostile surroundings: outputs that are inputs, runaway training, option
conflicts on resume, full or closed streams, signals in every phase, read-only installs."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import with_default_signals

from w2vcli.formats import read_vectors, write_vectors

EXE = os.path.join(os.path.dirname(sys.executable), "w2v")
SMALL = ["--dim", "8", "--min-count", "1", "--threads", "1", "--epochs", "1", "-q"]


def run(*args, **kw):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, **kw)


def shell(command: str, **kw):
    """A command line through bash, with w2v on the PATH (for >&-, 2>&-, pipes)."""
    env = {**os.environ, "PATH": os.path.dirname(EXE) + os.pathsep + os.environ["PATH"]}
    return subprocess.run(["bash", "-c", command], capture_output=True, env=env, **kw)


def one_line_error(r, code, *fragments):
    err = r.stderr.decode() if isinstance(r.stderr, bytes) else r.stderr
    rc = r.returncode if hasattr(r, "returncode") else r.exit_code
    assert rc == code, (rc, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err


@pytest.fixture
def vecs(tmp_path):
    path = tmp_path / "v.bin"
    words = [b"bank", b"river", b"money", b"caf\xe9", "naïve".encode(), b"back\\slash", b"new\xc2\xa0york"]
    rng = np.random.default_rng(0)
    write_vectors(str(path), words, rng.normal(0, 1, (len(words), 6)).astype(np.float32), binary=True)
    return path


# --- an output that is one of the inputs

def test_train_refuses_to_write_over_its_corpus_however_named(tmp_path, topics, w2v):
    before = topics.read_bytes()
    one_line_error(w2v("train", topics, "-o", topics, *SMALL), 2, "is the same file as CORPUS")
    os.link(topics, tmp_path / "alias.txt")  # another name, the same inode
    one_line_error(w2v("train", topics, "-o", tmp_path / "alias.txt", *SMALL), 2, "same file")
    assert topics.read_bytes() == before


def test_train_writes_to_standard_output_with_dash(tmp_path, topics):
    common = [*SMALL, "--seed", "4"]
    for fmt, name in (("text", "v.txt"), ("binary", "v.bin")):
        assert run("train", topics, "-o", tmp_path / name, *common).returncode == 0
        r = run("train", topics, "-o", "-", "--format", fmt, *common)
        assert r.returncode == 0, r.stderr
        assert r.stdout == (tmp_path / name).read_bytes()
    assert not os.path.exists("-") and not (tmp_path / "-").exists()
    r = shell(f"w2v train {topics} -o - {' '.join(SMALL)} | head -c 10")
    assert r.returncode == 0 and len(r.stdout) == 10 and b"Traceback" not in r.stderr
    one_line_error(run("train", topics, "-o", "-", "--output-context", "-", *SMALL), 2, "only one output")
    one_line_error(run("train", topics, "-o", "-", "--checkpoint-every", 1, *SMALL), 2, "--checkpoint FILE")


def test_standard_output_closed_or_full_is_one_line(tmp_path, topics):
    small = " ".join(SMALL)
    for command in (f"w2v train {topics} -o - {small}", f"w2v phrases {topics} -o - -q"):
        r = shell(f"{command} >&-")
        one_line_error(r, 1, "standard output is closed")
        if os.path.exists("/dev/full"):
            one_line_error(shell(f"{command} > /dev/full"), 1, "cannot write to standard output")
    r = shell(f"w2v train {topics} -o - --dim 8 --min-count 1 2>&1 >&- | cat")  # progress and summary shown
    assert r.stdout.decode().startswith("w2v: error: standard output is closed")  # before any work


def test_a_reader_leaving_early_costs_no_other_output(tmp_path):
    corpus = tmp_path / "big.txt"
    corpus.write_text(" ".join(f"w{i % 3000}" for i in range(60_000)))  # vectors far beyond a pipe's buffer
    r = shell(f"w2v train {corpus} -o - --output-context {tmp_path}/ctx.txt --loss-log {tmp_path}/loss.tsv "
              f"{' '.join(SMALL)} | head -c 1")
    assert r.returncode == 0 and b"Traceback" not in r.stderr
    assert read_vectors(str(tmp_path / "ctx.txt"))[1].shape == (3001, 8)
    assert (tmp_path / "loss.tsv").read_text().startswith("epoch\t")


def test_empty_output_names_and_two_outputs_to_stdout_are_refused(tmp_path, topics):
    for option in ("-o", "--output-context", "--loss-log", "--save-vocab"):
        args = ["-o", tmp_path / "v.bin"] if option != "-o" else []
        one_line_error(run("train", topics, *args, option, "", *SMALL), 2, f"{option} needs a file name")
    one_line_error(run("train", topics, "-o", "-", "--save-vocab", "-", *SMALL), 2, "only one output")


def test_text_outputs_named_gz_are_compressed_and_read_back(tmp_path, topics):
    import gzip

    assert run("vocab", topics, "--min-count", 1, "-o", tmp_path / "vocab.txt.gz").returncode == 0
    assert run("vocab", topics, "--min-count", 1, "-o", tmp_path / "vocab.txt").returncode == 0
    assert gzip.decompress((tmp_path / "vocab.txt.gz").read_bytes()) == (tmp_path / "vocab.txt").read_bytes()
    r = run("phrases", topics, "-o", tmp_path / "phrases.txt.gz", "-q")
    assert r.returncode == 0 and gzip.decompress((tmp_path / "phrases.txt.gz").read_bytes())
    for corpus, vocab in ((tmp_path / "phrases.txt.gz", None), (topics, tmp_path / "vocab.txt.gz")):
        extra = ["--read-vocab", vocab] if vocab else []
        r = run("train", corpus, "-o", tmp_path / "v.bin", *extra, *SMALL)
        assert r.returncode == 0, r.stderr


def test_an_output_through_a_symlink_keeps_the_link(tmp_path, topics):
    (tmp_path / "link.bin").symlink_to(tmp_path / "target.bin")
    assert run("train", topics, "-o", tmp_path / "link.bin", *SMALL).returncode == 0
    assert (tmp_path / "link.bin").is_symlink() and read_vectors(str(tmp_path / "target.bin"))[1].shape[1] == 8


def test_closed_standard_input_is_one_line_for_every_reader(tmp_path, topics):
    for command in (f"w2v train - -o {tmp_path}/v.bin {' '.join(SMALL)}", "w2v vocab -", "w2v tokenize",
                    "w2v tokenize -", f"w2v phrases - -o {tmp_path}/p.txt"):
        one_line_error(shell(f"{command} <&-"), 1, "standard input is closed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["topics.txt"]


def test_phrases_reads_a_fifo_twice_without_hanging(tmp_path, topics):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = shell(f"(cat {topics} > {fifo} &); w2v phrases {fifo} -o {tmp_path}/a.txt -q --passes 2", timeout=60)
    assert r.returncode == 0, r.stderr
    assert run("phrases", topics, "-o", tmp_path / "b.txt", "-q", "--passes", 2).returncode == 0
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()


def test_a_damaged_or_foreign_checkpoint_is_one_line(tmp_path, topics):
    import json

    np.save(tmp_path / "array.npy", np.zeros(3))
    (tmp_path / "empty.npz").write_bytes(b"")
    np.savez(tmp_path / "list.npz", meta=np.frombuffer(json.dumps([1]).encode(), np.uint8))
    (tmp_path / "text.txt").write_text("a b c\n")
    for name in ("array.npy", "empty.npz", "text.txt"):  # not an archive: no word of pickles (np.load's guess)
        r = run("train", topics, "-o", tmp_path / "v.bin", "--resume", tmp_path / name, *SMALL)
        one_line_error(r, 1, "is not a w2v checkpoint (not an .npz archive)")
        assert b"pickle" not in r.stderr
    r = run("train", topics, "-o", tmp_path / "v.bin", "--resume", tmp_path / "list.npz", *SMALL)
    one_line_error(r, 1, "is not a readable w2v checkpoint")


def test_a_vocabulary_file_with_an_absurd_count_or_corrupt_compression_is_one_line(tmp_path, topics):
    import gzip

    (tmp_path / "huge.txt").write_text("bank 99999999999999999999999999\n")
    one_line_error(run("train", topics, "-o", tmp_path / "v.bin", "--read-vocab", tmp_path / "huge.txt", *SMALL),
                   1, "beyond any corpus")
    data = bytearray(gzip.compress(b"bank 5\nriver 4\n" * 200))
    data[20:40] = bytes(b ^ 0x55 for b in data[20:40])
    (tmp_path / "bad.txt.gz").write_bytes(bytes(data))
    one_line_error(run("train", topics, "-o", tmp_path / "v.bin", "--read-vocab", tmp_path / "bad.txt.gz", *SMALL),
                   1, "cannot read vocabulary file")


def test_the_same_file_error_names_the_corpus_once(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", topics, *SMALL)
    assert f"is the same file as CORPUS {topics}: it would" in r.stderr


def test_a_folder_where_no_file_can_be_made_fails_before_training(tmp_path, topics, w2v):
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    r = w2v("train", topics, "-o", "/proc/vectors.bin", "--dim", 8, "--min-count", 1, "--threads", 1)
    one_line_error(r, 1, "cannot write /proc/vectors.bin")
    assert "training" not in r.stderr


def test_when_one_output_fails_none_is_left(tmp_path, topics, w2v):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    (tmp_path / "v.txt").write_text("old\n")
    for extra in (["--output-context", "/dev/full"], ["--loss-log", "/dev/full", "--add-context"]):
        r = w2v("train", topics, "-o", tmp_path / "v.txt", *extra, *SMALL)
        one_line_error(r, 1, "cannot write /dev/full")
        assert (tmp_path / "v.txt").read_text() == "old\n"
        assert sorted(os.listdir(tmp_path)) == ["topics.txt", "v.txt"]  # no temp file left either


def test_train_outputs_may_not_coincide_with_each_other_or_the_vocabulary(tmp_path, topics, w2v):
    out = tmp_path / "v.txt"
    one_line_error(w2v("train", topics, "-o", out, "--output-context", out, *SMALL), 2, "-o and --output-context")
    vocab = tmp_path / "vocab.txt"
    assert w2v("vocab", topics, "-o", vocab, "--min-count", 1, "-q").exit_code == 0
    before = vocab.read_bytes()
    one_line_error(w2v("train", topics, "-o", vocab, "--read-vocab", vocab, *SMALL), 2, "--read-vocab")
    assert vocab.read_bytes() == before


def test_other_commands_refuse_an_output_that_is_an_input(tmp_path, topics, vecs, w2v):
    corpus = topics.read_bytes()
    one_line_error(w2v("vocab", topics, "-o", topics), 2, "same file")
    one_line_error(w2v("phrases", topics, "-o", topics), 2, "same file")
    one_line_error(w2v("convert", vecs, vecs), 2, "same file")
    words = tmp_path / "words.txt"
    words.write_text("bank\n")
    one_line_error(w2v("senses", "--tag", words, "-m", vecs, "--corpus", topics, "-o", topics), 2, "--corpus")
    one_line_error(w2v("export", "-m", vecs, "--vocab", words, "-o", words), 2, "--vocab")
    one_line_error(w2v("plot", "bank", "-m", vecs, "-o", vecs), 2)
    assert topics.read_bytes() == corpus


# --- training that runs away, options that make no sense

def test_diverging_training_stops_with_advice_and_writes_nothing(tmp_path, topics, w2v):
    out = tmp_path / "v.bin"
    r = w2v("train", topics, "-o", out, "--alpha", 0.9, "--min-count", 1, "--threads", 1)
    assert r.exit_code == 1
    assert "training diverged" in r.stderr and "try a smaller one" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_alpha_is_bounded(tmp_path, topics, w2v):
    one_line_error(w2v("train", topics, "-o", tmp_path / "v.bin", "--alpha", 2), 2, "--alpha must be in (0, 1]")


# --- checkpoints and --resume

def checkpoint_of(tmp_path, corpus, **options):
    """A checkpoint left by a run stopped by a raising progress callback (threads stopped first)."""
    from w2vcli.pipeline import train

    ckpt = tmp_path / "run.ckpt.npz"

    def stop_after_a_save(progress):
        if ckpt.exists():
            raise KeyboardInterrupt

    opts = dict(dim=8, min_count=1, threads=2, epochs=300, seed=3)
    opts.update(options)
    with pytest.raises(KeyboardInterrupt):
        train(str(corpus), str(tmp_path / "v.bin"), checkpoint=str(ckpt), checkpoint_every=0.0005,
              on_progress=stop_after_a_save, progress_every=0.01, **opts)
    assert ckpt.exists() and not (tmp_path / "v.bin").exists()
    return ckpt


def test_a_raising_callback_stops_the_threads_before_the_error_goes_on(tmp_path, topics):
    import threading

    before = threading.active_count()
    checkpoint_of(tmp_path, topics)
    time.sleep(0.2)
    assert threading.active_count() == before  # no thread trains on in the background


def test_resume_refuses_options_that_disagree_and_takes_another_thread_count(tmp_path, topics, w2v):
    ckpt = checkpoint_of(tmp_path, topics)
    out = tmp_path / "v.bin"
    one_line_error(w2v("train", topics, "-o", out, "--resume", ckpt, "--dim", 50), 2,
                   "--dim 50 conflicts with the checkpoint's 8")
    one_line_error(w2v("train", topics, "-o", out, "--resume", ckpt, "--model", "cbow"), 2, "--model cbow")
    one_line_error(w2v("train", topics, "-o", out, "--resume", ckpt, "--output-context", tmp_path / "c.bin",
                       "--negative", 0), 2, "--negative 0 conflicts")
    assert ckpt.exists()
    # the same values as the checkpoint's are fine, and so is another number of threads; the
    # saving interval goes on from the checkpoint
    r = w2v("train", topics, "-o", out, "--resume", ckpt, "--dim", 8, "--threads", 1, "--loss-log", tmp_path / "l.tsv")
    assert r.exit_code == 0, r.stderr
    assert "checkpoint:" in r.stderr  # still saving every 0.0005 minutes
    assert read_vectors(str(out))[1].shape[1] == 8 and not ckpt.exists()
    epochs = [int(line.split("\t")[0]) for line in (tmp_path / "l.tsv").read_text().splitlines()[1:]]
    assert epochs == list(range(1, 301))  # those ended before the checkpoint too


def test_output_context_from_a_hierarchical_softmax_checkpoint_fails_before_training(tmp_path, topics, w2v):
    ckpt = checkpoint_of(tmp_path, topics, hs=True, negative=0)
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--resume", ckpt, "--output-context", tmp_path / "c.bin")
    one_line_error(r, 2, "--output-context needs negative sampling")


def test_an_unwritable_checkpoint_path_fails_before_training(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--checkpoint-every", 1,
            "--checkpoint", tmp_path / "nowhere" / "c.npz")
    one_line_error(r, 1, "does not exist")
    assert "training" not in r.stderr


# --- stdout and stderr: full, closed, gone

@pytest.mark.parametrize("command", ["nearest bank -m V", "nearest bank -m V --json", "echo bank | w2v nearest -m V",
                                     "info V", "vocab C --min-count 1", "similarity bank river -m V",
                                     "classes -m V -k 2"])
def test_a_full_stdout_is_a_one_line_error(vecs, topics, command):
    line = command.replace("V", str(vecs)).replace("C", str(topics))
    line = line if line.startswith("echo") else "w2v " + line
    r = shell(f"{line} > /dev/full")
    one_line_error(r, 1, "cannot write to standard output: No space left on device")


def test_a_closed_stdout_is_an_error_not_silence(vecs):
    r = shell(f"w2v nearest bank -m {vecs} >&-")
    one_line_error(r, 1, "standard output is closed")


def test_a_reader_that_leaves_ends_the_command_quietly(tmp_path):
    big = tmp_path / "big.bin"
    write_vectors(str(big), [b"w%d" % i for i in range(20000)], np.ones((20000, 50), np.float32), binary=True)
    r = shell(f"set -o pipefail; w2v convert {big} /dev/stdout | head -c 10")
    assert r.returncode == 0 and r.stderr == b"" and r.stdout == b"20000 50\nw"
    r = shell(f"set -o pipefail; w2v vocab {big} --min-count 1 | head -1")
    assert r.returncode == 0 and r.stdout == b"</s> 20001\n" and b"rror" not in r.stderr


def test_training_with_stderr_closed_or_full_still_writes_its_vectors(tmp_path, topics):
    for redirect in ("2>&-", "2>/dev/full"):
        out = tmp_path / f"v{len(redirect)}.bin"
        r = shell(f"w2v train {topics} -o {out} --dim 8 --min-count 1 --epochs 2 {redirect}")
        assert r.returncode == 0 and read_vectors(str(out))[1].shape == (25, 8)


# --- words that are not UTF-8, printed under any locale

@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "ascii"])
def test_raw_byte_words_print_by_one_rule_whatever_the_locale(vecs, encoding):
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    tsv = run("nearest", "bank", "-m", vecs, "-n", 6, env=env)
    assert tsv.returncode == 0, tsv.stderr
    words = [line.split(b"\t")[0] for line in tsv.stdout.splitlines()]
    assert b"caf\\xe9" in words and "naïve".encode() in words and b"back\\\\slash" in words
    tsv.stdout.decode("utf-8")  # always valid UTF-8
    js = run("nearest", "bank", "-m", vecs, "-n", 6, "--json", env=env)
    result = json.loads(js.stdout.decode("utf-8"))["results"]
    cafe = next(r for r in result if r["word"].startswith("caf"))
    assert cafe["word"] == "caf\ufffd" and cafe["escaped"] == "caf\\xe9"
    assert all("escaped" not in r for r in result if r is not cafe)


def test_a_word_as_printed_finds_the_word_again(vecs):
    r = run("nearest", "caf\\xe9", "-m", vecs, "-n", 1)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([EXE, "nearest", "-m", str(vecs), "-n", "1"], input=b"back\\\\slash\n", capture_output=True)
    assert r.returncode == 0 and r.stdout.startswith(b"back\\\\slash\t")


def test_stdin_queries_split_on_ascii_whitespace_only(vecs):
    r = subprocess.run([EXE, "nearest", "-m", str(vecs), "-n", "1"], input="new\xa0york\nbank\triver\n".encode(),
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    queries = [line.split(b"\t")[0] for line in r.stdout.splitlines()]
    assert queries == ["new\xa0york".encode(), b"bank river"]


# --- signals in every phase

@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("command", ["train", "phrases", "vocab"])
def test_a_signal_while_reading_the_corpus_exits_128_plus_its_number(tmp_path, signum, command):
    out = tmp_path / "out.txt"
    args = {"train": ["train", "-", "-o", out], "phrases": ["phrases", "-", "-o", out],
            "vocab": ["vocab", "-", "-o", out]}[command]
    proc = subprocess.Popen([EXE, *map(str, args)], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=with_default_signals)
    proc.stdin.write(b"some words on a line\n" * 1000)
    proc.stdin.flush()
    time.sleep(1.5)  # started, and blocked reading the rest of stdin
    proc.send_signal(signum)
    err = proc.communicate(timeout=30)[1].decode()
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err and "Aborted" not in err and "interrupted" in err or "terminated" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no temp file


def test_sweeping_stale_temp_files_spares_files_that_only_look_alike(tmp_path, vecs):
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)
    stale = tmp_path / f".out.txt.{dead}.x1y2.tmp"
    stale.write_text("half")
    keep = [tmp_path / f".out.txt.{dead}.bak", tmp_path / ".out.txt.20240101"]
    keep[0].write_text("precious")
    keep[1].mkdir()
    (keep[1] / "notes").write_text("precious")
    assert run("convert", vecs, tmp_path / "out.txt").returncode == 0
    assert not stale.exists() and keep[0].read_text() == "precious" and (keep[1] / "notes").exists()


def test_an_output_name_near_the_file_systems_limit_is_written(tmp_path, vecs):
    name = "v" * 250 + ".txt"  # a temp name adding '.PID.xxxx.tmp' to it would pass 255 bytes
    r = run("convert", vecs, tmp_path / name)
    assert r.returncode == 0, r.stderr
    assert read_vectors(str(tmp_path / name))[1].shape == (7, 6)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["v.bin", name])


def test_a_stopped_cache_build_leaves_nothing_and_stale_temp_folders_are_swept(tmp_path, vecs, monkeypatch):
    from w2vcli import cache
    from w2vcli.cli.common import Terminated

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".v.bin.w2vcache.{int(dead.stdout)}.abc.tmp"  # as a SIGKILLed build leaves it
    stale.mkdir()
    (stale / "vectors.npy").write_bytes(b"half")
    original = cache._synced

    def stopped(path, write):
        raise Terminated()

    monkeypatch.setattr(cache, "_synced", stopped)
    with pytest.raises(Terminated):
        cache._write_cache(str(vecs), cache.parse(str(vecs)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.bin"]  # the stale one swept, the new one removed
    monkeypatch.setattr(cache, "_synced", original)
    cache.load(str(vecs))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.bin", "v.bin.w2vcache"]


# --- a read-only install

def read_only_mounts_work() -> bool:
    try:
        return subprocess.run(["unshare", "-m", "mount", "--bind", "-o", "ro", "/tmp", "/tmp"],
                              capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.skipif(not read_only_mounts_work(), reason="needs unshare -m and bind mounts (root)")
def test_a_read_only_package_and_home_fall_back_to_a_temp_cache(tmp_path, topics):
    """The package folder (where Numba caches beside the code) and $HOME mounted read-only."""
    import w2vcli

    package = os.path.dirname(w2vcli.__file__)
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env.update(HOME=str(home), TMPDIR=str(tmp))
    mounts = f"mount --bind -o ro {package} {package} && mount --bind -o ro {home} {home}"
    for command in (f"{EXE} train {topics} -o {tmp_path / 'v.bin'} {' '.join(SMALL)}",
                    f"{EXE} nearest bank -m {tmp_path / 'v.bin'}"):
        r = subprocess.run(["unshare", "-m", "bash", "-c", f"{mounts} && {command}"], capture_output=True,
                           text=True, env=env, timeout=600)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr and "no locator" not in r.stderr
    assert os.listdir(tmp)  # the kernels were cached there


# --- smaller things

def test_nearest_help_shows_its_example_as_written(w2v):
    lines = [line.strip() for line in w2v("nearest", "--help").stdout.splitlines()]
    assert "printf 'bank\\nriver\\n' | w2v nearest -m vecs.bin | sort -t$'\\t' -k3 -gr" in lines
    assert "w2v nearest bank -m vecs.bin" in lines  # one example a line, as written


def test_no_help_shows_a_literal_backslash_b(w2v):
    """Click keeps a paragraph's lines only after a line holding the backspace character; a raw
    docstring's two characters \\b are printed instead, and the lines run together."""
    from w2vcli.cli import main

    for name in main.commands:
        assert "\\b" not in w2v(name, "--help").stdout, name


def test_plot_writes_the_format_its_suffix_names(tmp_path, vecs, w2v, monkeypatch):
    one_line_error(w2v("plot", "bank", "-m", vecs, "-o", tmp_path / "map.txt"), 2, ".svg, .png, .pdf")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    one_line_error(w2v("plot", "bank", "-m", vecs, "-o", tmp_path / "map.pdf"), 1, "needs matplotlib")
    assert not (tmp_path / "map.pdf").exists()


def test_plot_pdf_and_png_through_matplotlib(tmp_path, vecs, w2v):
    pytest.importorskip("matplotlib")
    for kind, magic in (("pdf", b"%PDF"), ("png", b"\x89PNG")):
        assert w2v("plot", "bank", "river", "-m", vecs, "-o", tmp_path / f"map.{kind}").exit_code == 0
        assert (tmp_path / f"map.{kind}").read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".map")) == []


def test_classes_no_cache_means_no_cache(vecs, w2v):
    from w2vcli.cache import cache_dir

    assert w2v("classes", "-m", vecs, "-k", 2, "--no-cache").exit_code == 0
    assert not os.path.exists(cache_dir(str(vecs)))
    assert w2v("classes", "-m", vecs, "-k", 2).exit_code == 0
    assert os.path.isdir(cache_dir(str(vecs)))


def test_export_gives_the_same_bits_from_a_cold_or_a_warm_cache(tmp_path, vecs, w2v):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("bank\nriver\nmoney\n")
    assert w2v("export", "-m", vecs, "--vocab", tokens, "-o", tmp_path / "cold.npy").exit_code == 0
    assert w2v("export", "-m", vecs, "--vocab", tokens, "-o", tmp_path / "warm.npy").exit_code == 0
    assert (tmp_path / "cold.npy").read_bytes() == (tmp_path / "warm.npy").read_bytes()
    assert np.array_equal(np.load(tmp_path / "cold.npy"), read_vectors(str(vecs))[1][:3])


def test_eval_batches_are_bounded_by_the_vocabulary(monkeypatch, tmp_path):
    import w2vcli.evaluate as evaluate
    from w2vcli.vectors import Vectors

    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(300)]
    vectors = Vectors(words, rng.normal(0, 1, (300, 8)).astype(np.float32))
    q = tmp_path / "q.txt"
    q.write_text(": s\n" + "".join(f"w{a} w{a + 1} w{b} w{b + 1}\n" for a, b in rng.integers(0, 298, (200, 2))))
    whole = evaluate.analogies(vectors, str(q), restrict=0).overall
    monkeypatch.setattr(evaluate, "SCORE_BUDGET", 300 * 7)  # room for 7 questions' scores at a time
    small = evaluate.analogies(vectors, str(q), restrict=0).overall
    assert (small.correct, small.seen) == (whole.correct, whole.seen) and whole.seen == 200


def test_the_memory_check_counts_available_memory(monkeypatch, tmp_path, topics):
    import w2vcli.hogwild as train_module
    from w2vcli.errors import W2VError
    from w2vcli.pipeline import train

    monkeypatch.setattr(train_module, "available_memory", lambda: 1000)
    with pytest.raises(W2VError, match="memory is available"):
        train(str(topics), min_count=1, threads=1)


def test_a_damaged_cache_is_rebuilt_not_believed(tmp_path, vecs):
    from w2vcli import cache

    truth = cache.parse(str(vecs)).similarity("bank", "river")
    cache.load(str(vecs))  # builds the cache
    folder = tmp_path / "v.bin.w2vcache"
    damage = [lambda: np.save(folder / "norms.npy", np.zeros(7, np.float32)),
              lambda: np.save(folder / "vectors.npy", np.load(folder / "vectors.npy")[:, :3].copy()),
              lambda: np.save(folder / "norms.npy", np.zeros((7, 2), np.float32)),
              lambda: (folder / "meta.json").write_text("[]")]
    for spoil in damage:
        spoil()
        r = run("similarity", "bank", "river", "-m", vecs)
        assert r.returncode == 0 and abs(float(r.stdout) - truth) < 1e-5, (r.stdout, r.stderr)
        assert cache._read_cache(str(vecs)) is not None  # and rebuilt whole


def test_an_interrupt_that_surfaces_wrapped_is_still_an_interrupt(topics, w2v, monkeypatch):
    import w2vcli.pipeline

    def wrapped(*args, **kwargs):  # as Python wraps a KeyboardInterrupt met while an import sets up a class
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as e:
            raise RuntimeError("Error calling __set_name__") from e

    monkeypatch.setattr(w2vcli.pipeline, "train", wrapped)
    r = w2v("train", topics, "-o", "v.bin")
    assert r.exit_code == 130 and r.stderr.strip() == "w2v: error: interrupted by SIGINT: stopped, no output written"


def test_an_interrupt_while_python_imports_the_command_line_is_one_line():
    """Ctrl-C in the first ~0.1 s, while Python imports Click and NumPy for the command line: the
    console script (w2vcli.console) ends it as any later interrupt, not with Python's traceback.
    The import is made to raise KeyboardInterrupt, as the signal would in the middle of it."""
    code = """if True:
        import sys
        class Interrupting:  # a Ctrl-C during `import w2vcli.cli`
            def find_spec(self, name, path=None, target=None):
                if name == "w2vcli.cli":
                    raise KeyboardInterrupt
        sys.meta_path.insert(0, Interrupting())
        from w2vcli.console import entry
        entry()
    """
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 130 and r.stdout == ""
    assert r.stderr == "w2v: error: interrupted by SIGINT: stopped, no output written\n"


def test_the_console_script_starts_before_numpy_is_imported():
    """What runs before w2vcli.console can catch an interrupt is Python's own start-up: the
    package's top imports nothing heavy (Vectors and load bring NumPy when first named)."""
    heavy = ('numpy', 'click', 'numba', 'w2vcli.errors')
    code = f"import sys, w2vcli.console; print(sorted(m for m in {heavy} if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "[]", r.stderr
    code = "import w2vcli; print(w2vcli.load == w2vcli.Vectors.load, w2vcli.W2VError.__name__)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "True W2VError", r.stderr
