"""Every bad input gets one line on stderr and a non-zero exit code: 2 for usage, 1 for data."""

import subprocess
import sys

import numpy as np
import pytest

from w2vcli.formats import write_vectors


def assert_one_line_error(result, code, *fragments):
    assert result.exit_code == code, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 or lines[-1].startswith("Error:"), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_missing_corpus(tmp_path, w2v):
    r = w2v("train", tmp_path / "nope.txt", "-o", tmp_path / "v.bin")
    assert_one_line_error(r, 1, "w2v: error:", "not found")
    assert not (tmp_path / "v.bin").exists()


def test_sync_every_without_dask_is_refused_not_ignored(tmp_path, w2v):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c d\n" * 50)
    r = w2v("train", corpus, "-o", tmp_path / "v.bin", "--min-count", "1", "--sync-every", "10")
    assert_one_line_error(r, 2, "--sync-every", "--dask")
    assert not (tmp_path / "v.bin").exists()


def test_corpus_that_is_a_directory(tmp_path, w2v):
    assert_one_line_error(w2v("train", tmp_path, "-o", tmp_path / "v.bin"), 2)


def test_empty_corpus(tmp_path, w2v):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert_one_line_error(w2v("train", tmp_path / "empty.txt", "-o", tmp_path / "v.bin"), 1, "empty")
    assert not (tmp_path / "v.bin").exists()


def test_corpus_where_no_word_reaches_min_count(tmp_path, w2v):
    (tmp_path / "c.txt").write_text("a b c a\n")
    assert_one_line_error(w2v("train", tmp_path / "c.txt", "-o", tmp_path / "v.bin"), 1, "--min-count=5")


def test_non_utf8_and_nul_bytes_train_fine_and_come_back_unchanged(tmp_path, w2v):
    (tmp_path / "c.txt").write_bytes(b"\xff\xfe caf\xe9 \x00 plain\n" * 50)
    r = w2v("train", tmp_path / "c.txt", "-o", tmp_path / "v.txt", "--min-count", 1, "--dim", 4, "-q")
    assert r.exit_code == 0, r.stderr
    rows = (tmp_path / "v.txt").read_bytes().split(b"\n")
    assert sorted(row.split(b" ")[0] for row in rows[1:] if row) == sorted([b"</s>", b"\xff\xfe", b"caf\xe9", b"plain"])


@pytest.mark.parametrize("option,value", [
    ("--dim", 0), ("--dim", 100000), ("--window", 0), ("--negative", -1), ("--threads", 0), ("--threads", 1000),
    ("--alpha", 0), ("--alpha", -0.1), ("--sample", -1), ("--epochs", 0), ("--min-count", 0), ("--min-alpha", 1),
])
def test_absurd_options_are_usage_errors(tmp_path, topics, w2v, option, value):
    r = w2v("train", topics, "-o", tmp_path / "v.bin", option, value)
    assert_one_line_error(r, 2, option)
    assert not (tmp_path / "v.bin").exists()


def test_nothing_to_train_is_a_usage_error(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--negative", 0, "--no-hs")
    assert_one_line_error(r, 2, "nothing to train")


def test_output_context_without_negative_sampling(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--negative", 0, "--hs", "--output-context", tmp_path / "c.bin")
    assert_one_line_error(r, 2, "--output-context")


def test_add_context_needs_output_vectors(tmp_path, topics, w2v):
    for hs in ("--hs", "--no-hs"):  # the reason is negative sampling, not "nothing to train"
        r = w2v("train", topics, "-o", tmp_path / "v.bin", "--negative", 0, hs, "--add-context")
        assert_one_line_error(r, 2, "--add-context needs negative sampling")
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--senses", 3, "--add-context")
    assert_one_line_error(r, 2, "--add-context cannot go with --senses")
    assert not (tmp_path / "v.bin").exists()


def test_unwritable_output_fails_before_training(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", tmp_path / "missing-dir" / "v.bin")
    assert_one_line_error(r, 1, "does not exist")
    assert "training" not in r.stderr


def test_missing_read_vocab_file(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--read-vocab", tmp_path / "none.txt")
    assert_one_line_error(r, 1, "not found")


def test_nearest_unknown_word_names_it_and_suggests(tmp_path, w2v):
    import numpy as np

    path = tmp_path / "v.bin"
    write_vectors(str(path), [b"</s>", b"banking", b"river"], np.eye(3, dtype=np.float32), binary=True)
    r = w2v("nearest", "bankin", "-m", path)
    assert_one_line_error(r, 1, "unknown word 'bankin'", "banking")


def test_nearest_without_a_model(w2v, monkeypatch):
    monkeypatch.delenv("W2V_MODEL", raising=False)
    assert_one_line_error(w2v("nearest", "bank"), 2, "W2V_MODEL")


def test_nearest_with_a_corrupt_vector_file(tmp_path, w2v):
    (tmp_path / "v.bin").write_bytes(b"10 100\nword " + b"\x00" * 40)
    assert_one_line_error(w2v("nearest", "word", "-m", tmp_path / "v.bin"), 1, "truncated")


def test_a_real_process_exits_cleanly_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "w2vcli.cli", "train", str(tmp_path / "none"), "-o", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"w2v: error: corpus {tmp_path / 'none'} not found"


def test_binary_garbage_corpus_never_crashes(tmp_path, w2v):
    import numpy as np

    (tmp_path / "garbage.bin").write_bytes(np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    r = w2v("train", tmp_path / "garbage.bin", "-o", tmp_path / "v.bin", "--min-count", 1, "--dim", 4,
            "--epochs", 1, "-q")
    assert r.exit_code == 0, r.stderr  # random bytes are words like any other
    r = w2v("train", tmp_path / "garbage.bin", "-o", tmp_path / "v2.bin")
    assert_one_line_error(r, 1, "--min-count=5")


def test_a_huge_line_without_any_separator_is_one_cut_word(tmp_path, w2v):
    (tmp_path / "line.txt").write_bytes(b"x" * (40 << 20) + b"y\nshort words here\n" * 5)
    r = w2v("vocab", tmp_path / "line.txt", "--min-count", 1, "-q")
    assert r.exit_code == 0, r.stderr
    words = dict(line.split(" ") for line in r.stdout.splitlines())
    assert words["x" * 98] == "1" and words["short"] == "5"


def test_duplicate_words_in_a_vector_file_load_and_the_first_wins(tmp_path, w2v):
    import numpy as np

    write_vectors(str(tmp_path / "v.txt"), [b"a", b"b", b"a"], np.array([[1, 0], [0, 1], [-1, 0]], np.float32),
                  binary=False)
    r = w2v("similarity", "a", "b", "-m", tmp_path / "v.txt")
    assert r.exit_code == 0 and float(r.stdout) == 0.0
    r = w2v("info", tmp_path / "v.txt")
    assert "duplicate_words\t1" in r.stdout


def test_max_vocab_build_prunes_while_counting_and_says_how_many(tmp_path, w2v):
    words = [f"rare{i}" for i in range(3000)] + ["common"] * 500
    (tmp_path / "c.txt").write_text(" ".join(words) + "\n")
    r = w2v("train", tmp_path / "c.txt", "-o", tmp_path / "v.bin", "--max-vocab-build", 100, "--min-count", 1,
            "--dim", 4, "--epochs", 1)
    assert r.exit_code == 0, r.stderr
    assert "rare words pruned while counting" in r.stderr


@pytest.mark.parametrize("options,fragment", [
    (["--position-weights"], "--position-weights is for CBOW"),
    (["--corrected-cbow"], "--corrected-cbow is for CBOW"),
    (["--model", "cbow", "--corrected-cbow", "--cbow-sum"], "needs --cbow-mean"),
    (["--model", "cbow", "--exact-skipgram"], "--exact-skipgram is for skip-gram"),
    (["--joint-skipgram"], "--joint-skipgram is for CBOW"),
    (["--model", "cbow", "--joint-skipgram", "--negative", 0, "--hs", 1], "--joint-skipgram trains skip-gram's pairs "
                                                                          "with negative sampling"),
    (["--ns-exponent", 5], "--ns-exponent must be in [-2, 2]"),
    (["--checkpoint", "state.npz"], "--checkpoint names where --checkpoint-every saves"),
])
def test_options_that_do_not_go_together(tmp_path, topics, w2v, options, fragment):
    assert_one_line_error(w2v("train", topics, "-o", tmp_path / "v.bin", *options), 2, fragment)


def test_clicks_own_usage_errors_are_one_line_too(tmp_path, topics, w2v):
    path = tmp_path / "v.bin"
    write_vectors(str(path), [b"</s>", b"bank", b"river"], np.eye(3, dtype=np.float32), binary=True)
    assert_one_line_error(w2v("nearest", "bank", "-m", path, "-n", 0), 2, "'-n'", "nearest --help)")
    assert_one_line_error(w2v("nearest", "bank", "-m", tmp_path), 2, "is a directory")
    assert_one_line_error(w2v("export", "-m", path, "--vocab", topics, "-o", tmp_path / "e.npy", "--seed", -1), 2,
                          "--seed")
    for option, value in (("--threshold", "nan"), ("--threshold", "inf")):  # a range check lets NaN through
        r = w2v("phrases", topics, "-o", tmp_path / "p.txt", option, value)
        assert_one_line_error(r, 2, f"{option} must be a finite number")
    assert_one_line_error(w2v("serve", "-m", path, "--host", ""), 2, "--host is empty")


def test_word_lists_and_evaluation_sets_may_be_compressed_and_scores_must_be_numbers(tmp_path, w2v):
    import gzip

    path = tmp_path / "v.bin"
    write_vectors(str(path), [b"</s>", b"bank", b"river", b"money"], np.eye(4, dtype=np.float32), binary=True)
    (tmp_path / "pairs.tsv.gz").write_bytes(gzip.compress(b"bank\triver\t5\nbank\tmoney\t3\nriver\tmoney\t1\n"))
    r = w2v("eval", "-m", path, "--pairs", tmp_path / "pairs.tsv.gz")
    assert r.exit_code == 0 and "3 pairs" in r.stdout, r.stderr
    (tmp_path / "tokens.txt.gz").write_bytes(gzip.compress(b"bank\nriver\n"))
    r = w2v("export", "-m", path, "--vocab", tmp_path / "tokens.txt.gz", "-o", tmp_path / "e.npy")
    assert r.exit_code == 0 and np.load(tmp_path / "e.npy").shape == (2, 4), r.stderr
    (tmp_path / "nan.tsv").write_text("bank\triver\t5\nbank\tmoney\tnan\n")
    assert_one_line_error(w2v("eval", "-m", path, "--pairs", tmp_path / "nan.tsv"), 1, "not a finite number")


def test_a_joiner_that_is_not_utf8_joins_as_bytes(tmp_path, w2v):
    corpus = tmp_path / "c.txt"
    corpus.write_text("new york is big\n" * 200)
    r = w2v("phrases", corpus, "-o", tmp_path / "p.txt", "--joiner", "\udcff", "--min-count", 1, "--threshold", 1)
    assert r.exit_code == 0, r.stderr
    assert b"new\xffyork" in (tmp_path / "p.txt").read_bytes()


def test_an_all_zero_vector_has_no_neighbours_and_words_in_errors_are_shown_as_on_stdout(tmp_path, w2v):
    path = tmp_path / "v.bin"
    matrix = np.eye(4, dtype=np.float32)
    matrix[1] = 0
    write_vectors(str(path), [b"</s>", b"zero", b"river", b"caf\xe9"], matrix, binary=True)
    assert_one_line_error(w2v("nearest", "zero", "-m", path), 1, "'zero' has an all-zero vector")
    assert_one_line_error(w2v("similarity", "zero", "river", "-m", path), 1, "all-zero vector")
    assert w2v("similarity", "river", "caf\\xe9", "-m", path).exit_code == 0
    assert_one_line_error(w2v("nearest", "caf\udce8", "-m", path), 1, "unknown word 'caf\\xe8'")  # as stdout shows it


@pytest.mark.parametrize("args,fragment", [(["-V"], "No such option '-V'"), (["version"], "No such command 'version'"),
                                           (["trian", "c.txt"], "Did you mean 'train'?")])
def test_an_unknown_command_or_option_of_w2v_itself_is_one_line(w2v, args, fragment):
    r = w2v(*args)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith("w2v: error: ") and r.stderr.count("\n") == 1 and fragment in r.stderr, r.stderr


def test_a_corpus_of_one_word_lines_trains_nothing_and_says_so(tmp_path, w2v):
    corpus = tmp_path / "c.txt"
    corpus.write_text("".join(f"w{i % 20}\n" for i in range(300)))
    r = w2v("train", corpus, "-o", tmp_path / "v.bin", "--min-count", 1, "--dim", 8, "-q")
    assert_one_line_error(r, 1, "nothing was trained: no two words of the corpus stand in one line")
    assert not (tmp_path / "v.bin").exists()


def test_when_subsampling_leaves_nothing_to_train_the_error_says_so(tmp_path, w2v):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b\n")  # both words frequent enough for --sample 1e-3 to drop them
    r = w2v("train", corpus, "-o", tmp_path / "v.bin", "--min-count", 1, "--dim", 8, "-q")
    assert_one_line_error(r, 1, "nothing was trained: subsampling (--sample 0.001; --sample 0 keeps every word)")
    r = w2v("train", corpus, "-o", tmp_path / "v.bin", "--min-count", 1, "--dim", 8, "-q", "--sample", 0)
    assert r.exit_code == 0, r.stderr


def test_a_run_that_diverges_leaves_no_checkpoint_of_its_own(tmp_path, w2v, topics):
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--alpha", 1, "--negative", 300, "--window", 300, "--epochs", 3,
            "--checkpoint-every", 0.0001, "--dim", 8, "-q")
    assert r.exit_code == 1 and "training diverged" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["topics.txt"]


def test_w2v_with_no_command_after_its_options_is_one_line(w2v):
    r = w2v("--")
    assert r.exit_code == 2 and r.stderr.startswith("w2v: error: Missing command (see ") and r.stderr.count("\n") == 1
