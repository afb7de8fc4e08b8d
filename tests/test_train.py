import io

import numpy as np
import pytest
from conftest import TOPICS, topic_corpus

import w2vcli
from w2vcli.corpus import iter_tokens
from w2vcli.formats import read_vectors
from w2vcli.hogwild import CHUNK_TOKENS, Progress, TrainConfig, _Work, train
from w2vcli.vectors import Vectors
from w2vcli.vocab import encode

COMBOS = [("skipgram", 5, False), ("skipgram", 0, True), ("cbow", 5, False), ("cbow", 0, True)]
VARIANTS = [dict(model="cbow", negative=5, hs=False, position_weights=True),
            dict(model="cbow", negative=0, hs=True, corrected_cbow=True, position_weights=True),
            dict(model="skipgram", negative=5, hs=True, exact_skipgram=True),
            dict(model="cbow", negative=5, hs=False, position_weights=True, joint_skipgram=True)]


def train_topics(path, model, negative, hs, **kw):
    with open(topic_corpus(path), "rb") as f:
        corpus = encode(iter_tokens(f), min_count=1)
    config = TrainConfig(model=model, negative=negative, hs=hs, dim=20, sample=0, epochs=3, threads=1, **kw)
    result, progress = train(corpus, config)
    words = [w.decode() for w in result.words]
    return Vectors(words, result.vectors), progress


def topic_of(word):
    return next(name for name, words in TOPICS.items() if word in words)


@pytest.mark.parametrize("model,negative,hs", COMBOS)
def test_each_model_and_objective_learns_which_words_co_occur(tmp_path, model, negative, hs):
    vectors, progress = train_topics(tmp_path / "c.txt", model, negative, hs)
    assert progress.done == progress.total > 0
    for words in TOPICS.values():
        for word in words:
            neighbours = [w for w, _ in vectors.nearest(word, 5)]
            assert all(topic_of(n) == topic_of(word) for n in neighbours), (word, neighbours)


def test_cbow_sum_and_negative_with_hs_together_also_learn(tmp_path):
    vectors, _ = train_topics(tmp_path / "c.txt", "cbow", 5, True, cbow_mean=False)
    same = [topic_of(w) == "finance" for w, _ in vectors.nearest("bank", 5)]
    assert all(same)


def test_same_seed_one_thread_gives_identical_vectors(tmp_path):
    a, _ = train_topics(tmp_path / "a.txt", "skipgram", 5, False, seed=7)
    b, _ = train_topics(tmp_path / "b.txt", "skipgram", 5, False, seed=7)
    c, _ = train_topics(tmp_path / "c.txt", "skipgram", 5, False, seed=8)
    assert np.array_equal(a.matrix, b.matrix)
    assert not np.array_equal(a.matrix, c.matrix)


def test_several_threads_train_the_whole_corpus(tmp_path):
    with open(topic_corpus(tmp_path / "c.txt", sentences=6000), "rb") as f:
        corpus = encode(iter_tokens(f), min_count=1)
    result, progress = train(corpus, TrainConfig(dim=20, sample=0, epochs=2, threads=2))
    assert progress.done == 2 * len(corpus.ids)
    vectors = Vectors([w.decode() for w in result.words], result.vectors)
    assert all(topic_of(w) == "weather" for w, _ in vectors.nearest("rain", 4))


def whole_chunks(n):
    """The first n CHUNK_TOKENS chunks of the ids, as (start, stop)."""
    return [(k * CHUNK_TOKENS, (k + 1) * CHUNK_TOKENS) for k in range(n)]


def take_all(work, t, threads=1):
    """Every chunk thread t takes until none is left, as (start, stop)."""
    return [c[:2] for c in iter(lambda: work.take(t, threads), None)]


def test_one_thread_takes_every_chunk_in_order():
    n = 2 * CHUNK_TOKENS + 5
    work = _Work(np.zeros(n, np.int32), parts=1, epochs=2)
    chunks = [work.take(0) for _ in range(6)]
    one_epoch = [(0, CHUNK_TOKENS), (CHUNK_TOKENS, 2 * CHUNK_TOKENS), (2 * CHUNK_TOKENS, n)]
    assert [c[:2] for c in chunks] == one_epoch * 2
    assert [c[2] for c in chunks] == [0, 0, 0, 1, 1, 1]  # the epoch of each chunk
    assert work.take(0) is None


def test_a_thread_that_runs_out_takes_the_last_chunks_of_the_longest_part():
    """Every chunk of every epoch is trained exactly once, whoever takes it."""
    n = 9 * CHUNK_TOKENS  # three parts of three chunks
    work = _Work(np.zeros(n, np.int32), parts=3, epochs=2)
    assert work.take(1, 3)[:2] == (3 * CHUNK_TOKENS, 4 * CHUNK_TOKENS)  # its own part, from the front
    taken = [work.take(1, 3)[:2] for _ in range(5)] + [work.take(0, 3)[:2]]  # part 1 done; part 0 has 5 left, 2 has 6
    stolen = work.take(1, 3)
    assert stolen == (8 * CHUNK_TOKENS, 9 * CHUNK_TOKENS, 1)  # part 2's last chunk of its last epoch
    rest = [c for t in (0, 2, 1) for c in take_all(work, t, 3)]
    everything = [(3 * CHUNK_TOKENS, 4 * CHUNK_TOKENS), *taken, stolen[:2], *rest]
    assert sorted(everything) == sorted(whole_chunks(9) * 2)


@pytest.mark.parametrize("threads_after", [1, 2, 3])
def test_a_checkpoint_of_several_threads_resumes_with_the_chunks_left(threads_after):
    """Stopped after some chunks, the state's positions give a _Work with exactly the rest,
    whatever the number of threads that goes on."""
    ids = np.zeros(4 * CHUNK_TOKENS, np.int32)
    first = _Work(ids, parts=2, epochs=3)
    done = [first.take(0, 2)[:2] for _ in range(7)] + [first.take(1, 2)[:2] for _ in range(2)]  # 0 steals from 1
    resumed = _Work(ids, parts=len(first.left), epochs=3, left=first.left.copy())
    rest = [c for t in reversed(range(threads_after)) for c in take_all(resumed, t, threads_after)]
    assert sorted(done + rest) == sorted(whole_chunks(4) * 3)


@pytest.mark.parametrize("model,negative,hs", COMBOS)
def test_threads_merge_their_copies_of_the_hot_rows(tmp_path, monkeypatch, model, negative, hs):
    import w2vcli.hogwild as train_module

    monkeypatch.setattr(train_module, "HOT_NODES", 3)
    monkeypatch.setattr(train_module, "HOT_WORDS", 3)
    with open(topic_corpus(tmp_path / "c.txt", sentences=6000), "rb") as f:
        corpus = encode(iter_tokens(f), min_count=1)
    config = TrainConfig(model=model, negative=negative, hs=hs, dim=20, sample=0, epochs=2, threads=2)
    result, _ = train(corpus, config)
    v = len(corpus.vocab)
    assert result.vectors.shape == (v, 20)
    if negative:  # rows 1, 2 (0 is </s>, never a target) are trained in copies, merged back
        assert result.context.shape == (v, 20)
        assert np.all(np.abs(result.context[1:3]).sum(axis=1) > 0)
    vectors = Vectors([w.decode() for w in result.words], result.vectors)
    assert all(topic_of(w) == "weather" for w, _ in vectors.nearest("rain", 4))


def test_rows_are_padded_to_cache_lines_and_the_padding_stays_zero(tmp_path):
    with open(topic_corpus(tmp_path / "c.txt"), "rb") as f:
        corpus = encode(iter_tokens(f), min_count=1)
    result, _ = train(corpus, TrainConfig(dim=20, epochs=1, threads=1, hs=True))
    m = result.vectors
    assert m.strides == (32 * 4, 4) and m.ctypes.data % 64 == 0
    whole = np.lib.stride_tricks.as_strided(m, shape=(len(m), 32), strides=m.strides)
    assert np.all(whole[:, 20:] == 0) and np.any(whole[:, :20] != 0)


def test_learning_rate_decays_linearly_to_min_alpha(tmp_path):
    seen = []
    corpus = encode(iter_tokens(io.BytesIO(b"a b c d e f g h " * 50_000)), min_count=1)
    config = TrainConfig(dim=8, epochs=2, threads=1, alpha=0.04, min_alpha=0.001)
    _, final = train(corpus, config, on_progress=seen.append, progress_every=0.001)
    assert final.alpha == pytest.approx(0.001)
    alphas = [p.alpha for p in seen]
    assert alphas == sorted(alphas, reverse=True)


def test_subsampling_keeps_the_schedule_by_tokens_read(tmp_path):
    corpus = encode(iter_tokens(io.BytesIO(b"the the the the a b " * 20_000)), min_count=1)
    _, progress = train(corpus, TrainConfig(dim=8, epochs=1, threads=1, sample=1e-5))
    assert progress.done == len(corpus.ids)


def test_cli_train_writes_both_formats_and_same_seed_is_byte_identical(tmp_path, topics, w2v):
    args = ["train", topics, "--dim", 16, "--epochs", 2, "--threads", 1, "--min-count", 1, "-q"]
    r1 = w2v(*args, "-o", tmp_path / "a.bin", "--seed", 3)
    r2 = w2v(*args, "-o", tmp_path / "b.bin", "--seed", 3)
    r3 = w2v(*args, "-o", tmp_path / "a.txt", "--seed", 3)
    assert r1.exit_code == r2.exit_code == r3.exit_code == 0, r1.stderr
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()
    words, matrix, binary = read_vectors(str(tmp_path / "a.bin"))
    twords, tmatrix, tbinary = read_vectors(str(tmp_path / "a.txt"))
    assert binary and not tbinary and words == twords and words[0] == b"</s>"
    assert np.allclose(matrix, tmatrix, atol=1e-6)
    assert r1.stdout == "" and r1.stderr == ""  # -q: nothing on stderr, results only in files


def test_cli_train_reports_progress_and_a_summary_on_stderr(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--dim", 8, "--min-count", 1, "--threads", 1)
    assert r.exit_code == 0
    assert r.stdout == ""
    assert "vocabulary: 25 words" in r.stderr
    assert "100.0%" in r.stderr and "words/s" in r.stderr and "alpha" in r.stderr and "ETA" in r.stderr
    assert "trained 195,000 words" in r.stderr  # 3000 lines x (12 words + </s>) x 5 epochs


def test_cli_save_vocab_then_read_vocab_gives_the_same_model(tmp_path, topics, w2v):
    common = ["--dim", 8, "--min-count", 1, "--threads", 1, "--epochs", 1, "-q"]
    assert w2v("train", topics, "-o", tmp_path / "a.bin", "--save-vocab", tmp_path / "vocab.txt", *common).exit_code == 0
    assert w2v("train", topics, "-o", tmp_path / "b.bin", "--read-vocab", tmp_path / "vocab.txt", *common).exit_code == 0
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()
    assert (tmp_path / "vocab.txt").read_bytes().startswith(b"</s> 3000\n")


def test_cli_reads_the_corpus_from_stdin(tmp_path, topics, w2v):
    common = ["--dim", 8, "--min-count", 1, "--threads", 1, "--epochs", 1, "-q"]
    assert w2v("train", topics, "-o", tmp_path / "file.bin", *common).exit_code == 0
    r = w2v("train", "-", "-o", tmp_path / "stdin.bin", *common, input=topics.read_bytes())
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "file.bin").read_bytes() == (tmp_path / "stdin.bin").read_bytes()


def test_cli_output_context_writes_the_negative_sampling_vectors(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--output-context", tmp_path / "ctx.txt",
            "--dim", 8, "--min-count", 1, "--threads", 1, "--epochs", 1, "-q")
    assert r.exit_code == 0
    words, ctx, binary = read_vectors(str(tmp_path / "ctx.txt"))
    assert not binary and len(words) == 25 and np.abs(ctx).sum() > 0


def test_add_context_writes_the_sum_of_the_unit_input_and_output_vectors(tmp_path, topics, w2v):
    common = ["--dim", 8, "--min-count", 1, "--threads", 1, "--epochs", 2, "--seed", 3, "-q"]
    r = w2v("train", topics, "-o", tmp_path / "in.bin", "--output-context", tmp_path / "out.bin", *common)
    assert r.exit_code == 0, r.stderr
    r = w2v("train", topics, "-o", tmp_path / "sum.bin", "--add-context", *common)
    assert r.exit_code == 0, r.stderr
    words, inputs, _ = read_vectors(str(tmp_path / "in.bin"))
    context_words, outputs, _ = read_vectors(str(tmp_path / "out.bin"))
    sum_words, summed, _ = read_vectors(str(tmp_path / "sum.bin"))
    assert words == context_words == sum_words
    unit = [row / (np.linalg.norm(row) or 1) for row in np.vstack([inputs, outputs]).astype(np.float64)]
    expected = np.add(unit[: len(words)], unit[len(words) :])  # </s> has no output vector: its input alone
    assert np.allclose(summed, expected, atol=1e-6)
    assert not np.allclose(summed, inputs, atol=1e-3)


def test_init_continues_from_earlier_vectors(tmp_path, topics, w2v):
    common = ["--dim", 8, "--min-count", 1, "--threads", 1, "-q"]
    assert w2v("train", topics, "-o", tmp_path / "a.bin", *common).exit_code == 0
    more = tmp_path / "more.txt"
    more.write_text(topics.read_text() + "zebra cat dog\n" * 20)
    # a learning rate near zero: the known words keep their vectors, the new word is random
    r = w2v("train", more, "-o", tmp_path / "b.bin", "--init", tmp_path / "a.bin", "--alpha", 1e-9,
            "--min-alpha", 0, *common[:-1])
    assert r.exit_code == 0 and "starting 25 of 26 words from" in r.stderr
    a, b = Vectors.load(str(tmp_path / "a.bin")), Vectors.load(str(tmp_path / "b.bin"))
    for word in ("cat", "bank", "rain"):
        assert np.allclose(a.vector(word), b.vector(word), atol=1e-6)
    assert "zebra" in b and np.abs(b.vector("zebra")).max() < 0.5 / 8 + 1e-6
    r = w2v("train", more, "-o", tmp_path / "c.bin", "--init", tmp_path / "a.bin", "--dim", 9, "-q")
    assert r.exit_code == 2 and "--init vectors have 8 dimensions" in r.stderr


def test_after_a_resume_the_rate_and_eta_count_this_run_only():
    p = Progress(done=300, total=400, alpha=0.01, seconds=2.0, resumed_at=100)
    assert p.words_per_sec == 100 and p.eta == 1.0 and p.fraction == 0.75


def test_the_loss_log_has_a_line_per_epoch_and_the_loss_falls(tmp_path, topics, w2v):
    r = w2v("train", topics, "-o", tmp_path / "v.bin", "--dim", 16, "--min-count", 1, "--threads", 1,
            "--loss-log", tmp_path / "loss.tsv")
    assert r.exit_code == 0, r.stderr
    head, *rows = (tmp_path / "loss.tsv").read_text().splitlines()
    assert head == "epoch\twords\tloss\talpha\tseconds"
    rows = [line.split("\t") for line in rows]
    assert [int(row[0]) for row in rows] == [1, 2, 3, 4, 5]
    assert [int(row[1]) for row in rows] == [39_000 * k for k in range(1, 6)]  # words done as each ended
    losses = [float(row[2]) for row in rows]
    assert losses == sorted(losses, reverse=True) and losses[-1] < 0.8 * losses[0]
    assert "loss per epoch " + " ".join(f"{x:.4f}" for x in losses) in r.stderr


@pytest.mark.parametrize("variant", VARIANTS, ids=["pdw", "corrected-pdw-hs", "exact", "pdw-joint"])
def test_the_variants_learn_which_words_co_occur_on_two_threads(tmp_path, variant):
    """Corrected CBOW, position weights (each thread trains its own copy, merged), exact skip-gram and
    CBOW joint with skip-gram."""
    with open(topic_corpus(tmp_path / "c.txt", sentences=6000), "rb") as f:
        corpus = encode(iter_tokens(f), min_count=1)
    result, progress = train(corpus, TrainConfig(dim=20, sample=0, epochs=3, threads=2, **variant))
    assert progress.done == 3 * len(corpus.ids)
    vectors = Vectors([w.decode() for w in result.words], result.vectors)
    for word in ("rain", "bank", "cat"):
        assert all(topic_of(n) == topic_of(word) for n, _ in vectors.nearest(word, 4)), word
    if variant.get("position_weights"):
        assert result.positions.shape == (10, 20) and np.abs(result.positions - 1).max() > 0.01


@pytest.mark.parametrize("option", ["hs", "cbow_mean", "corrected_cbow", "position_weights", "exact_skipgram",
                                    "joint_skipgram", "add_context"])
def test_a_flag_given_from_python_must_be_true_or_false(tmp_path, option):
    """From Python any value would pass for true ("no" switched the option on); 0 and 1 stay
    allowed, as gensim's hs=1."""
    corpus = topic_corpus(tmp_path / "c.txt", sentences=50)
    model = {"model": "cbow"} if option in ("corrected_cbow", "position_weights", "joint_skipgram") else {}
    for value in ("no", "False", 2, 0.5, []):
        with pytest.raises(w2vcli.W2VError, match=f"{option} must be True or False, not "):
            w2vcli.train(str(corpus), min_count=1, dim=8, epochs=1, threads=1, **model, **{option: value})
    vecs = w2vcli.train(str(corpus), min_count=1, dim=8, epochs=1, threads=1, **model, **{option: 1})
    assert len(vecs.words) > 10


def test_paths_and_numbers_given_from_python_are_checked(tmp_path):
    """True as an output would be descriptor 1 (standard output, then closed); 10.0 dimensions or
    NumPy's integers reached Numba or json; each is a W2VError naming the argument, or works."""
    corpus = topic_corpus(tmp_path / "c.txt", sentences=50)
    bad = [(dict(output=True), "output must be a file name"), (dict(save_vocab=2), "save_vocab must be a file name"),
           (dict(loss_log=1), "loss_log must be a file name"), (dict(dim=10.0), "dim must be a whole number"),
           (dict(dim=True), "dim must be a whole number"), (dict(classes=True, output="x.txt"), "classes must be"),
           (dict(sample="0"), "sample must be a number"), (dict(tokenize="yes"), "tokenize must be True, False"),
           (dict(checkpoint_every=True, output="x.bin"), "checkpoint_every must be a number")]
    for options, message in bad:
        with pytest.raises(w2vcli.W2VError, match=message):
            w2vcli.train(str(corpus), min_count=1, epochs=1, threads=1, **options)
    vecs = w2vcli.train(corpus, tmp_path / "v.bin", min_count=1, epochs=1, threads=1, dim=np.int32(8),
                        seed=np.int64(3), sample=np.float32(1e-3), add_context=np.True_)
    assert vecs.vectors.shape[1] == 8 and (tmp_path / "v.bin").exists()
